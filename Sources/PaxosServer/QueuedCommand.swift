public import PaxosCore
public import PaxosWire

/// A command compiled to one operation and the renderer of its reply: what MULTI queues, and
/// what the multi-key writes (MSET, MSETNX, SETIFREV, DELIFREV) send on their own.
///
/// The reply is rendered by the node the client talks to, from the `OpReply` decided at apply
/// (docs/design/coordination-api.md §1.4): EXEC renders each element through its queued
/// command's own renderer, so a GET inside MULTI answers a bulk string and a SETNX `:1`.
public struct QueuedCommand: Sendable {
    /// Nil for a command answered without the cluster (PING, ECHO inside MULTI).
    public var operation: Operation?
    /// The reply when `operation` is nil.
    public var constant: RESPValue?
    public var render: @Sendable (OpReply) -> RESPValue

    init(_ operation: Operation, render: @escaping @Sendable (OpReply) -> RESPValue = { DataCommand.Rendering.reply.render($0) }) {
        self.operation = operation
        self.constant = nil
        self.render = render
    }

    init(constant: RESPValue) {
        self.operation = nil
        self.constant = constant
        self.render = { _ in constant }
    }

    /// The refusal of a command that is not a state change of one group (BACKUP, AUTH, INFO…).
    static let notAllowed = ClientCommandError("ERR Command not allowed inside a transaction")
}

extension ClientCommand {
    /// The command as one operation with its renderer, or why it cannot be one (BACKUP, MEMBER,
    /// AUTH, INFO… are not state changes of one group and are refused inside MULTI).
    func queued() throws(ClientCommandError) -> QueuedCommand {
        let reply = DataCommand.Rendering.reply
        switch self {
        case .ping(let message): return QueuedCommand(constant: message.map { .bulkString($0) } ?? .simpleString("PONG"))
        case .echo(let message): return QueuedCommand(constant: .bulkString(message))
        case .compatibility(.ok): return QueuedCommand(constant: .simpleString("OK"))
        case .compatibility(.emptyArray): return QueuedCommand(constant: .array([]))
        // SCRIPT LOAD: the script is known to the node once parsed; EXEC answers its SHA-1.
        case .compatibility(.bulk(let sha)): return QueuedCommand(constant: .bulkString(sha))
        case .transaction(.unwatch): return QueuedCommand(constant: .simpleString("OK"))
        case .get(let key): return QueuedCommand(.key(.read(.value, key: key)))
        case .put(let key, let value): return QueuedCommand(.put(key: key, value: value))
        case .delete(let keys): return QueuedCommand(.key(.delete(keys: keys, ifEquals: nil)))
        case .exists(let keys), .multiKey(.touch(let keys)): return Self.countExisting(keys)
        case .data(.write(let op, let rendering)): return QueuedCommand(.key(op)) { rendering.render($0) }
        case .data(.strlen(let key)): return QueuedCommand(.key(.read(.length, key: key)))
        case .multiKey(.mget(let keys)):
            return QueuedCommand(.all(keys.map { .key(.read(.value, key: $0)) })) { reply.render($0) }
        case .multiKey(.getRevision(let key)):
            return QueuedCommand(.all([.key(.read(.value, key: key)), .key(.read(.revision, key: key))])) { result in
                guard case .array(let parts) = result, parts.count == 2 else { return reply.render(result) }
                guard case .bulk = parts[0] else { return .bulkString(nil) }
                return .array(parts.map { reply.render($0) })
            }
        case .multiKey(.mset(let keys, let values)):
            return QueuedCommand(.all(zip(keys, values).map { .put(key: $0, value: $1) })) { result in
                if case .array = result { .simpleString("OK") } else { reply.render(result) }
            }
        case .multiKey(.msetnx(let keys, let values)):
            let transaction = Transaction(compares: keys.map { Compare(key: $0, .exists(false)) },
                                          success: zip(keys, values).map { .put(key: $0, value: $1) })
            return QueuedCommand(.txn(transaction)) { result in
                if case .transaction(let succeeded, _) = result { .integer(succeeded ? 1 : 0) } else { reply.render(result) }
            }
        case .multiKey(.setIfRevision(let key, let value, let revision)):
            let transaction = Transaction(compares: [Compare(key: key, .revision(revision))], success: [.put(key: key, value: value)])
            return QueuedCommand(.txn(transaction)) { result in
                if case .transaction(let succeeded, _) = result { succeeded ? .simpleString("OK") : .bulkString(nil) } else { reply.render(result) }
            }
        case .multiKey(.deleteIfRevision(let key, let revision)):
            let transaction = Transaction(compares: [Compare(key: key, .revision(revision))], success: [.delete(key: key)])
            return QueuedCommand(.txn(transaction)) { result in
                if case .transaction(let succeeded, let replies) = result { succeeded ? reply.render(replies.first ?? .integer(0)) : .integer(0) }
                else { reply.render(result) }
            }
        case .keyspace(.type(let key)):
            return QueuedCommand(.key(.read(.exists, key: key))) { result in
                if case .integer(let n) = result { .simpleString(n > 0 ? "string" : "none") } else { reply.render(result) }
            }
        // Whole-keyspace reads span groups and pages: not one operation of one slot.
        case .keyspace, .info, .readonly, .readwrite, .quit, .backup, .auth, .hello, .member, .transaction, .client, .time, .config, .command, .pubSub, .changes:
            throw QueuedCommand.notAllowed
        }
    }

    /// EXISTS and TOUCH: how many of the keys exist, a repeated key counted each time.
    private static func countExisting(_ keys: [Bytes]) -> QueuedCommand {
        QueuedCommand(.all(keys.map { .key(.read(.exists, key: $0)) })) { result in
            guard case .array(let parts) = result else { return DataCommand.Rendering.reply.render(result) }
            return .integer(parts.reduce(0) { sum, part in if case .integer(let n) = part { sum + n } else { sum } })
        }
    }
}
