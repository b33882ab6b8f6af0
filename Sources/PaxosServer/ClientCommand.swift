public import PaxosCore

/// A client request in PaxosKV's terms, parsed and checked from a RESP command.
public enum ClientCommand: Hashable, Sendable {
    case ping(Bytes?)
    case echo(Bytes)
    case get(key: Bytes)
    case put(key: Bytes, value: Bytes)
    case delete(keys: [Bytes])
    case exists(keys: [Bytes])
    case info(section: String?)
    case readonly
    case readwrite
    case quit
    /// `BACKUP <path>`: write a consistent copy of this node's database to `path` on the node's
    /// machine (an absolute path that must not exist yet).
    case backup(path: String)
    /// A command clients send at start-up that needs a harmless answer (`CONFIG GET`, `COMMAND`,
    /// `CLIENT SETNAME`, `SELECT 0`).
    case compatibility(RESPCompatibilityReply)

    public enum RESPCompatibilityReply: Hashable, Sendable {
        case ok
        case emptyArray
    }
}

/// Why a command was refused before it reached the cluster; rendered as a RESP error.
public struct ClientCommandError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension ClientCommand {
    /// Parses `name` and `arguments` under the node's size limits.
    public static func parse(name: String, arguments: [Bytes], maxKeyBytes: Int, maxValueBytes: Int) throws(ClientCommandError) -> ClientCommand {
        func arity(_ range: ClosedRange<Int>) throws(ClientCommandError) {
            guard range.contains(arguments.count) else {
                throw ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command")
            }
        }
        func key(_ bytes: Bytes) throws(ClientCommandError) -> Bytes {
            guard bytes.count <= maxKeyBytes else {
                throw ClientCommandError("ERR key too large: \(bytes.count) bytes, the limit is \(maxKeyBytes)")
            }
            return bytes
        }
        func keys(_ list: [Bytes]) throws(ClientCommandError) -> [Bytes] {
            var checked: [Bytes] = []
            for item in list { checked.append(try key(item)) }
            return checked
        }
        switch name {
        case "PING":
            try arity(0...1)
            return .ping(arguments.first)
        case "ECHO":
            try arity(1...1)
            return .echo(arguments[0])
        case "GET":
            try arity(1...1)
            return .get(key: try key(arguments[0]))
        case "SET", "PUT":
            if name == "SET" && arguments.count > 2 {
                throw ClientCommandError("ERR SET options (EX, PX, NX, XX, …) are not supported; use SET key value")
            }
            try arity(2...2)
            guard arguments[1].count <= maxValueBytes else {
                throw ClientCommandError("ERR value too large: \(arguments[1].count) bytes, the limit is \(maxValueBytes)")
            }
            return .put(key: try key(arguments[0]), value: arguments[1])
        case "DEL", "DELETE":
            try arity(1...(name == "DELETE" ? 1 : 64))
            return .delete(keys: try keys(arguments))
        case "EXISTS":
            try arity(1...64)
            return .exists(keys: try keys(arguments))
        case "INFO":
            try arity(0...1)
            return .info(section: arguments.first.map { String(decoding: $0, as: UTF8.self).lowercased() })
        case "BACKUP":
            try arity(1...1)
            guard let path = String(validating: arguments[0], as: UTF8.self), path.hasPrefix("/") else {
                throw ClientCommandError("ERR BACKUP needs an absolute path on the node's machine, e.g. BACKUP /var/backups/paxos-1.sqlite")
            }
            guard !path.utf8.contains(0) else { throw ClientCommandError("ERR BACKUP path contains a NUL byte") }
            return .backup(path: path)
        case "READONLY": return .readonly
        case "READWRITE": return .readwrite
        case "QUIT": return .quit
        case "SELECT":
            try arity(1...1)
            guard arguments[0] == Array("0".utf8) else { throw ClientCommandError("ERR PaxosKV has only database 0") }
            return .compatibility(.ok)
        case "CLIENT": return .compatibility(.ok)
        case "CONFIG", "COMMAND": return .compatibility(.emptyArray)
        default:
            throw ClientCommandError("ERR unknown command '\(name.lowercased())'; PaxosKV supports GET, SET/PUT, DEL/DELETE, EXISTS, PING, ECHO, INFO, READONLY, READWRITE, BACKUP, QUIT")
        }
    }

    /// Commands that change state go through the log.
    var isWrite: Bool {
        switch self {
        case .put, .delete: true
        default: false
        }
    }
}
