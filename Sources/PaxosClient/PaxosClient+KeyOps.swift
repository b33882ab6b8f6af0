public import PaxosWire

/// The single-key atomic writes (INCRBY, SET … IFEQ, SET … NX, DELIFEQ), each decided by the
/// cluster at apply, in the log's order.
///
/// **Retries and exactly-once.** paxosd answers a retried request from the client's session,
/// but a session lives as long as one connection: a retry on a new connection after a timeout or
/// a cut connection is a new request. So after such a retry an increment may have been applied
/// twice, and a compare-and-set may report a failed compare that its own first attempt caused.
/// `lastAttempts > 1` tells the caller an answer came after a retry; callers that must not
/// double-count set `maxAttempts = 1` and treat `outcomeIsUnknown` as "maybe applied".
extension PaxosClient {
    /// INCRBY: adds `by` to the integer in `key` (absent counts as 0) and returns the result.
    /// A value that is not an integer, or an overflow, is the server's `-ERR`.
    public func increment(_ key: [UInt8], by: Int64 = 1) throws(PaxosClientError) -> Int64 {
        let reply = try command([Array("INCRBY".utf8), key, Array(String(by).utf8)])
        guard case .integer(let value) = reply else { throw unexpected(reply, command: "INCRBY") }
        return value
    }

    /// Compare-and-set on the value: sets `key` to `value` only if it holds exactly `expected`
    /// (`SET key value IFEQ expected`), or only if it is absent when `expected` is nil
    /// (`SET key value NX`). - Returns: whether it was set.
    public func compareAndSet(_ key: [UInt8], expected: [UInt8]?, value: [UInt8]) throws(PaxosClientError) -> Bool {
        let condition: [[UInt8]] = expected.map { [Array("IFEQ".utf8), $0] } ?? [Array("NX".utf8)]
        let reply = try command([Array("SET".utf8), key, value] + condition)
        switch reply {
        case .simpleString("OK"): return true
        case .bulkString(nil): return false
        default: throw unexpected(reply, command: "SET")
        }
    }

    /// The value and revision of `key` (`GETREV`), or nil if absent. The revision changes with
    /// every write of the key: pass it to `compareAndSet(_:revision:value:)`.
    public func valueAndRevision(_ key: [UInt8]) throws(PaxosClientError) -> (value: [UInt8], revision: UInt64)? {
        let reply = try command([Array("GETREV".utf8), key])
        switch reply {
        case .bulkString(nil), .array(nil): return nil
        case .array(let parts?) where parts.count == 2:
            guard case .bulkString(let value?) = parts[0], case .integer(let revision) = parts[1], revision >= 0 else { break }
            return (value, UInt64(revision))
        default: break
        }
        throw unexpected(reply, command: "GETREV")
    }

    /// Compare-and-set on the revision (`SETIFREV key value revision`; 0: only if absent).
    /// - Returns: whether it was set.
    public func compareAndSet(_ key: [UInt8], revision: UInt64, value: [UInt8]) throws(PaxosClientError) -> Bool {
        let reply = try command([Array("SETIFREV".utf8), key, value, Array(String(revision).utf8)])
        switch reply {
        case .simpleString("OK"): return true
        case .bulkString(nil): return false
        default: throw unexpected(reply, command: "SETIFREV")
        }
    }

    /// Sets a key's time to live (`PEXPIRE key ms`). - Returns: false when the key is absent.
    public func expire(_ key: [UInt8], milliseconds: Int64) throws(PaxosClientError) -> Bool {
        let reply = try command([Array("PEXPIRE".utf8), key, Array(String(milliseconds).utf8)])
        guard case .integer(let set) = reply, set == 0 || set == 1 else { throw unexpected(reply, command: "PEXPIRE") }
        return set == 1
    }

    /// The key's remaining time to live in milliseconds (`PTTL`): -2 absent, -1 no deadline.
    public func timeToLive(_ key: [UInt8]) throws(PaxosClientError) -> Int64 {
        let reply = try command([Array("PTTL".utf8), key])
        guard case .integer(let ttl) = reply, ttl >= -2 else { throw unexpected(reply, command: "PTTL") }
        return ttl
    }

    /// Compare-and-delete (`DELIFEQ key expected`). - Returns: whether the key was deleted.
    public func compareAndDelete(_ key: [UInt8], expected: [UInt8]) throws(PaxosClientError) -> Bool {
        let reply = try command([Array("DELIFEQ".utf8), key, expected])
        guard case .integer(let count) = reply, count == 0 || count == 1 else { throw unexpected(reply, command: "DELIFEQ") }
        return count == 1
    }

    private func unexpected(_ reply: RESPValue, command: String) -> PaxosClientError {
        PaxosClientError.unexpectedReply.with("\(command) answered \(reply)", endpoint: lastEndpoint)
    }
}

/// SCAN, walked by the caller: one page per call, the cursor carried between calls.
extension PaxosClient {
    /// One SCAN page: the keys and the cursor to send next (0: the scan is over). Keys present
    /// from the first call to the last come back exactly once, whichever node answers each page.
    public func scan(cursor: UInt64, match: [UInt8]? = nil, count: Int? = nil) throws(PaxosClientError) -> (next: UInt64, keys: [[UInt8]]) {
        var arguments = [Array("SCAN".utf8), Array(String(cursor).utf8)]
        if let match { arguments += [Array("MATCH".utf8), match] }
        if let count { arguments += [Array("COUNT".utf8), Array(String(count).utf8)] }
        let reply = try command(arguments)
        guard case .array(let parts?) = reply, parts.count == 2, case .bulkString(let text?) = parts[0],
              let next = UInt64(String(decoding: text, as: UTF8.self)), case .array(let items?) = parts[1] else {
            throw unexpectedScan(reply)
        }
        var keys: [[UInt8]] = []
        for item in items {
            guard case .bulkString(let key?) = item else { throw unexpectedScan(reply) }
            keys.append(key)
        }
        return (next, keys)
    }

    private func unexpectedScan(_ reply: RESPValue) -> PaxosClientError {
        PaxosClientError.unexpectedReply("SCAN answered \(reply)", endpoint: lastEndpoint)
    }

    /// A glob pattern matching exactly the keys that start with `prefix`: its glob characters
    /// escaped, then `*`.
    public static func globMatchingPrefix(_ prefix: [UInt8]) -> [UInt8] {
        var pattern: [UInt8] = []
        for byte in prefix {
            if "*?[]\\".utf8.contains(byte) { pattern.append(UInt8(ascii: "\\")) }
            pattern.append(byte)
        }
        return pattern + [UInt8(ascii: "*")]
    }
}
