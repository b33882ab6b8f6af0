public import PaxosCore

/// The commands of several keys, or of revisions, beyond DEL/EXISTS: each compiles to one
/// request (or one read round) per group (`ClientHandler+MultiKey.swift`).
///
/// Consistency: MGET, GETREV and TOUCH are linearizable reads (one read round per group; on a
/// READONLY connection, stale); MSET, MSETNX, SETIFREV and DELIFREV are one log entry, so
/// atomic, and refused with `-CROSSSLOT` when their keys span groups.
public enum MultiKeyCommand: Hashable, Sendable {
    /// MGET k…: the values, nil for missing keys.
    case mget([Bytes])
    /// GETREV k: `[value, revision]`, or nil when absent.
    case getRevision(Bytes)
    /// MSET k v [k v …]: `+OK`.
    case mset(keys: [Bytes], values: [Bytes])
    /// MSETNX k v [k v …]: `:1` if no key existed and all were set, else `:0` and nothing set.
    case msetnx(keys: [Bytes], values: [Bytes])
    /// SETIFREV k v rev: `+OK` if the key's revision is `rev` (0: absent), else nil.
    case setIfRevision(key: Bytes, value: Bytes, Revision)
    /// DELIFREV k rev: `:1` if the key's revision was `rev` and it was deleted, else `:0`.
    case deleteIfRevision(key: Bytes, Revision)
    /// TOUCH k…: how many exist (PaxosKV keeps no access times).
    case touch([Bytes])

    static let names: Set<String> = ["MGET", "GETREV", "MSET", "MSETNX", "SETIFREV", "DELIFREV", "TOUCH"]

    var isWrite: Bool {
        switch self {
        case .mget, .getRevision, .touch: false
        case .mset, .msetnx, .setIfRevision, .deleteIfRevision: true
        }
    }

    /// Every key, in the order the command names them.
    var keys: [Bytes] {
        switch self {
        case .mget(let keys), .touch(let keys), .mset(let keys, _), .msetnx(let keys, _): keys
        case .getRevision(let key), .setIfRevision(let key, _, _), .deleteIfRevision(let key, _): [key]
        }
    }

    /// - Precondition: key and value sizes were checked (`ClientCommand.parse`).
    static func parse(name: String, arguments a: [Bytes]) throws(ClientCommandError) -> MultiKeyCommand {
        let wrongArity = ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command")
        switch name {
        case "MGET", "TOUCH":
            guard (1...Operation.maxKeysPerOperation).contains(a.count) else { throw wrongArity }
            return name == "MGET" ? .mget(a) : .touch(a)
        case "GETREV":
            guard a.count == 1 else { throw wrongArity }
            return .getRevision(a[0])
        case "MSET", "MSETNX":
            guard a.count >= 2, a.count % 2 == 0, a.count / 2 <= Operation.maxKeysPerOperation else { throw wrongArity }
            let keys = stride(from: 0, to: a.count, by: 2).map { a[$0] }
            let values = stride(from: 1, to: a.count, by: 2).map { a[$0] }
            return name == "MSET" ? .mset(keys: keys, values: values) : .msetnx(keys: keys, values: values)
        case "SETIFREV":
            guard a.count == 3 else { throw wrongArity }
            return .setIfRevision(key: a[0], value: a[1], try revision(a[2]))
        case "DELIFREV":
            guard a.count == 2 else { throw wrongArity }
            return .deleteIfRevision(key: a[0], try revision(a[1]))
        default:
            preconditionFailure("MultiKeyCommand.parse called for '\(name)'")
        }
    }

    /// A revision as GETREV shows it (`Revision.rawValue`); 0 means "absent".
    static func revision(_ bytes: Bytes) throws(ClientCommandError) -> Revision {
        guard let raw = RedisInteger.parse(bytes), raw >= 0,
              let revision = Revision(checking: Slot(UInt64(raw) >> 16), position: UInt16(truncatingIfNeeded: raw)) else {
            throw ClientCommandError("ERR revision is not a non-negative integer or out of range")
        }
        return revision
    }
}

/// MULTI, EXEC, DISCARD, WATCH and UNWATCH: the per-connection transaction
/// (`TransactionState`).
public enum TransactionCommand: Hashable, Sendable {
    case multi
    case exec
    case discard
    case watch([Bytes])
    case unwatch

    static let names: Set<String> = ["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"]

    static func parse(name: String, arguments a: [Bytes]) throws(ClientCommandError) -> TransactionCommand {
        let wrongArity = ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command")
        switch name {
        case "WATCH":
            guard (1...Operation.maxKeysPerOperation).contains(a.count) else { throw wrongArity }
            return .watch(a)
        case "MULTI", "EXEC", "DISCARD", "UNWATCH":
            guard a.isEmpty else { throw wrongArity }
            return switch name {
            case "MULTI": .multi
            case "EXEC": .exec
            case "DISCARD": .discard
            default: .unwatch
            }
        default:
            preconditionFailure("TransactionCommand.parse called for '\(name)'")
        }
    }
}
