public import PaxosWire

/// The key-value commands, each a thin check of the reply's shape over `command(_:)`.
extension PaxosClient {
    /// The value of `key`, or nil if it is absent. Linearizable unless `staleReads` is set.
    public func get(_ key: [UInt8]) throws(PaxosClientError) -> [UInt8]? {
        let reply = try command([Array("GET".utf8), key])
        guard case .bulkString(let value) = reply else { throw unexpected(reply, for: "GET") }
        return value
    }

    /// Sets `key` to `value`. On a retry the write may be applied twice (see the type's notes).
    public func put(_ key: [UInt8], _ value: [UInt8]) throws(PaxosClientError) {
        let reply = try command([Array("SET".utf8), key, value])
        guard reply == .simpleString("OK") else { throw unexpected(reply, for: "SET") }
    }

    /// Deletes `key`; true if it existed. After a retry the answer may be a false "did not exist"
    /// when an earlier attempt did the deleting (see the type's notes).
    @discardableResult
    public func delete(_ key: [UInt8]) throws(PaxosClientError) -> Bool {
        let reply = try command([Array("DEL".utf8), key])
        guard case .integer(let count) = reply, count >= 0 else { throw unexpected(reply, for: "DEL") }
        return count > 0
    }

    public func exists(_ key: [UInt8]) throws(PaxosClientError) -> Bool {
        let reply = try command([Array("EXISTS".utf8), key])
        guard case .integer(let count) = reply, count >= 0 else { throw unexpected(reply, for: "EXISTS") }
        return count > 0
    }

    /// Checks that some node answers; `lastEndpoint` tells which.
    public func ping() throws(PaxosClientError) {
        let reply = try command([Array("PING".utf8)])
        guard reply == .simpleString("PONG") else { throw unexpected(reply, for: "PING") }
    }

    /// What the answering node reports about itself (`INFO`, parsed by `NodeInfo(infoText:)`,
    /// the one parser next to the server's renderer). Which node answered is `lastEndpoint`.
    /// INFO text that does not parse (not a paxosd node, or a field this build cannot read) is
    /// `.unexpectedReply`, naming the field.
    public func info() throws(PaxosClientError) -> NodeInfo {
        let reply = try command([Array("INFO".utf8)])
        guard case .bulkString(let text?) = reply else { throw unexpected(reply, for: "INFO") }
        do {
            return try NodeInfo(infoText: String(decoding: text, as: UTF8.self))
        } catch {
            throw PaxosClientError.unexpectedReply.with("INFO: \(error)", endpoint: lastEndpoint)
        }
    }

    private func unexpected(_ reply: RESPValue, for command: String) -> PaxosClientError {
        PaxosClientError.unexpectedReply.with("\(command) answered \(reply)", endpoint: lastEndpoint)
    }
}

/// String conveniences: keys and values as UTF-8.
extension PaxosClient {
    /// The value as UTF-8 text (invalid sequences are repaired), or nil if absent.
    public func get(_ key: String) throws(PaxosClientError) -> String? {
        try get(Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    public func put(_ key: String, _ value: String) throws(PaxosClientError) {
        try put(Array(key.utf8), Array(value.utf8))
    }

    @discardableResult
    public func delete(_ key: String) throws(PaxosClientError) -> Bool {
        try delete(Array(key.utf8))
    }

    public func exists(_ key: String) throws(PaxosClientError) -> Bool {
        try exists(Array(key.utf8))
    }

    public func command(_ arguments: [String]) throws(PaxosClientError) -> RESPValue {
        try command(arguments.map { Array($0.utf8) })
    }
}
