public import PaxosCore

/// The commands that read a whole keyspace rather than given keys: SCAN, KEYS, DBSIZE,
/// RANDOMKEY, and TYPE (one key, but Redis files it here). Run by `ClientHandler+Keyspace.swift`
/// over every group, one read round per group and page.
public enum KeyspaceCommand: Hashable, Sendable {
    case scan(ScanArguments)
    /// KEYS pattern (nil: every key, for `KEYS *`).
    case keys(GlobPattern?)
    case dbsize
    case randomKey
    case type(key: Bytes)

    static let names: Set<String> = ["SCAN", "KEYS", "DBSIZE", "RANDOMKEY", "TYPE"]

    static func parse(name: String, arguments a: [Bytes]) throws(ClientCommandError) -> KeyspaceCommand {
        func arity(_ count: Int) throws(ClientCommandError) {
            guard a.count == count else { throw ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command") }
        }
        switch name {
        case "SCAN":
            return .scan(try ScanArguments.parse(a))
        case "KEYS":
            try arity(1)
            let pattern = GlobPattern(a[0])
            return .keys(pattern.matchesEverything ? nil : pattern)
        case "DBSIZE":
            try arity(0)
            return .dbsize
        case "RANDOMKEY":
            try arity(0)
            return .randomKey
        case "TYPE":
            try arity(1)
            return .type(key: a[0])
        default:
            preconditionFailure("KeyspaceCommand.parse called for '\(name)'")
        }
    }
}
