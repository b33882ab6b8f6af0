public import PaxosCore
import PaxosAuth

/// A client request in PaxosKV's terms, parsed and checked from a RESP command.
public enum ClientCommand: Hashable, Sendable {
    case ping(Bytes?)
    case echo(Bytes)
    case get(key: Bytes)
    case put(key: Bytes, value: Bytes)
    case delete(keys: [Bytes])
    /// SET with options, SETNX, GETSET, GETDEL, DELIFEQ, the INCR family, APPEND, STRLEN.
    case data(DataCommand)
    case exists(keys: [Bytes])
    /// MGET, GETREV, MSET, MSETNX, SETIFREV, DELIFREV, TOUCH.
    case multiKey(MultiKeyCommand)
    /// MULTI, EXEC, DISCARD, WATCH, UNWATCH.
    case transaction(TransactionCommand)
    /// SCAN, KEYS, DBSIZE, RANDOMKEY, TYPE (`KeyspaceCommand`).
    case keyspace(KeyspaceCommand)
    /// `INFO [section …]` (`INFOSections`).
    case info(sections: [String])
    case readonly
    case readwrite
    case quit
    /// `BACKUP <name>`: write a consistent copy of this node's database as `name` in the node's
    /// backup directory (a bare file name that must not exist there yet; see `BackupName`).
    case backup(name: String)
    /// `AUTH [user] password`: with one argument, the user is `default` (as in Redis).
    case auth(user: String, password: Bytes)
    /// `HELLO [protover [AUTH user password] [SETNAME name]]`: RESP2 or RESP3.
    case hello(protocolVersion: Int?, user: String?, password: Bytes?, name: String? = nil)
    /// `MEMBER LIST | ADD id [host client-port peer-port metrics-port] | PROMOTE id | REMOVE id |
    /// REPLACE id [GROUP g]`: the replicated
    /// membership (see `Node+Membership.swift`).
    case member(MemberCommand, group: GroupID?)
    /// A command clients send at start-up that needs a harmless answer (`CONFIG GET`, `COMMAND`,
    /// `CLIENT SETNAME`, `SELECT 0`).
    case compatibility(RESPCompatibilityReply)
    /// `CLIENT <subcommand>` (`ClientSubcommand`).
    case client(ClientSubcommand)
    /// `TIME`: this node's clock, as seconds and microseconds.
    case time
    /// `CONFIG GET|SET|HELP` (`ConfigCommand`).
    case config(ConfigCommand)
    /// `COMMAND …` (`CommandTable`).
    case command(CommandQuery)
    /// SUBSCRIBE and friends (`PubSubCommand`): this node's keyspace notifications.
    case pubSub(PubSubCommand)
    /// `CHANGES <from> …` (`ChangesCommand`): the resumable watch.
    case changes(ChangesCommand)

    public enum RESPCompatibilityReply: Hashable, Sendable {
        case ok
        case emptyArray
        /// A bulk string: SCRIPT LOAD's SHA-1 (`KnownScripts.swift`).
        case bulk(Bytes)
    }
}

/// The membership subcommands. The incarnation of an added or replaced replica is the one it
/// reported to the node that runs the command (it must be up and connected). An added replica's
/// address, when given, is recorded in the membership, so every node learns where it listens.
public enum MemberCommand: Hashable, Sendable {
    case list
    case add(ReplicaID, address: MemberAddress? = nil)
    case promote(ReplicaID)
    case remove(ReplicaID)
    case replace(ReplicaID)
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
        case "SET" where arguments.count <= 2, "PUT":
            // Plain SET before the name-set lookups below: it is the command most often run.
            try arity(2...2)
            guard arguments[1].count <= maxValueBytes else {
                throw ClientCommandError("ERR value too large: \(arguments[1].count) bytes, the limit is \(maxValueBytes)")
            }
            return .put(key: try key(arguments[0]), value: arguments[1])
        case "SET", _ where DataCommand.names.contains(name) || DataCommand.ttlNames.contains(name):
            // Sizes first, so nothing over the limits reaches the log whatever the command.
            if let first = arguments.first { _ = try key(first) }
            if let value = arguments.dropFirst().first(where: { $0.count > maxValueBytes }) {
                throw ClientCommandError("ERR value too large: \(value.count) bytes, the limit is \(maxValueBytes)")
            }
            return .data(try DataCommand.parse(name: name, arguments: arguments))
        case _ where MultiKeyCommand.names.contains(name):
            // Sizes first, as for the data commands: every odd argument of MSET is a value.
            if let value = arguments.first(where: { $0.count > maxValueBytes }) {
                throw ClientCommandError("ERR value too large: \(value.count) bytes, the limit is \(maxValueBytes)")
            }
            let command = try MultiKeyCommand.parse(name: name, arguments: arguments)
            _ = try keys(command.keys)
            return .multiKey(command)
        case _ where KeyspaceCommand.names.contains(name):
            let command = try KeyspaceCommand.parse(name: name, arguments: arguments)
            if case .type(let typed) = command { _ = try key(typed) }
            return .keyspace(command)
        case _ where TransactionCommand.names.contains(name):
            let command = try TransactionCommand.parse(name: name, arguments: arguments)
            if case .watch(let watched) = command { _ = try keys(watched) }
            return .transaction(command)
        case "DEL", "DELETE", "UNLINK":
            try arity(1...(name == "DELETE" ? 1 : Operation.maxKeysPerOperation))
            return .delete(keys: try keys(arguments))
        case "EXISTS":
            try arity(1...Operation.maxKeysPerOperation)
            return .exists(keys: try keys(arguments))
        case "INFO":
            return .info(sections: arguments.map { String(decoding: $0, as: UTF8.self).lowercased() })
        case "BACKUP":
            try arity(1...1)
            return .backup(name: try BackupName.validate(arguments[0]))
        case "AUTH":
            try arity(1...2)
            let user = arguments.count == 2 ? String(decoding: arguments[0], as: UTF8.self) : UsersFile.defaultUserName
            return .auth(user: user, password: arguments[arguments.count - 1])
        case "HELLO":
            return try parseHello(arguments)
        case "READONLY": return .readonly
        case "READWRITE": return .readwrite
        case "QUIT": return .quit
        case "SELECT":
            try arity(1...1)
            guard arguments[0] == Array("0".utf8) else { throw ClientCommandError("ERR PaxosKV has only database 0") }
            return .compatibility(.ok)
        case "MEMBER":
            return try parseMember(arguments)
        case "EVAL", "EVALSHA":
            return .data(try KnownScript.parseEval(name: name, arguments: arguments))
        case "SCRIPT":
            // Recognising the text records its SHA-1 for EVALSHA (KnownScripts.swift).
            guard arguments.count == 2, String(decoding: arguments[0], as: UTF8.self).uppercased() == "LOAD" else {
                throw ClientCommandError("ERR PaxosKV supports SCRIPT LOAD only, for redis-py's Lock scripts")
            }
            return .compatibility(.bulk(Array(try KnownScript.load(arguments[1]).sha.utf8)))
        case "CLIENT": return .client(try ClientSubcommand.parse(arguments))
        case "TIME":
            try arity(0...0)
            return .time
        case "CONFIG": return .config(try ConfigCommand.parse(arguments))
        case "COMMAND": return .command(try CommandQuery.parse(arguments))
        case _ where PubSubCommand.names.contains(name): return .pubSub(try PubSubCommand.parse(name: name, arguments: arguments))
        case "CHANGES": return .changes(try ChangesCommand.parse(arguments))
        default:
            throw ClientCommandError("ERR unknown command '\(name.lowercased())'; PaxosKV supports GET, SET/PUT, SETNX, GETSET, GETDEL, DELIFEQ, INCR, INCRBY, DECR, DECRBY, INCRBYFLOAT, APPEND, STRLEN, SETEX, PSETEX, GETEX, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST, TTL, PTTL, EXPIRETIME, PEXPIRETIME, EVAL/EVALSHA/SCRIPT LOAD (redis-py Lock only), DEL/DELETE/UNLINK, EXISTS, TOUCH, MGET, MSET, MSETNX, GETREV, SETIFREV, DELIFREV, MULTI, EXEC, DISCARD, WATCH, UNWATCH, SCAN, KEYS, DBSIZE, RANDOMKEY, TYPE, PING, ECHO, INFO, READONLY, READWRITE, BACKUP, MEMBER, AUTH, HELLO, CLIENT, CONFIG GET/SET notify-keyspace-events, SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBSUB, CHANGES, COMMAND, SELECT, TIME, QUIT (COMMAND DOCS describes each)")
        }
    }

    /// `MEMBER LIST | ADD id [host client-port peer-port metrics-port] | PROMOTE id | REMOVE id |
    /// REPLACE id`, each with an optional `GROUP g` at the end.
    private static func parseMember(_ arguments: [Bytes]) throws(ClientCommandError) -> ClientCommand {
        let usage = "ERR usage: MEMBER LIST | MEMBER ADD <id> [<host> <client-port> <peer-port> <metrics-port>] | MEMBER PROMOTE <id> | MEMBER REMOVE <id> | MEMBER REPLACE <id>, optionally followed by GROUP <g>"
        var words = arguments.map { String(decoding: $0, as: UTF8.self) }
        var group: GroupID?
        if words.count >= 3, words[words.count - 2].uppercased() == "GROUP" {
            guard let g = UInt32(words[words.count - 1]) else { throw ClientCommandError("ERR GROUP needs a group number") }
            group = GroupID(rawValue: g)
            words.removeLast(2)
        }
        guard let sub = words.first?.uppercased() else { throw ClientCommandError(usage) }
        if sub == "LIST", words.count == 1 { return .member(.list, group: group) }
        guard words.count == 2 || (sub == "ADD" && words.count == 6) else { throw ClientCommandError(usage) }
        guard let raw = UInt32(words[1]), raw != 0 else {
            throw ClientCommandError("ERR replica id must be a positive integer, not '\(words[1])'")
        }
        let id = ReplicaID(raw)
        switch sub {
        case "ADD" where words.count == 6:
            var ports: [UInt16] = []
            for (name, word) in zip(["client", "peer", "metrics"], words[3...]) {
                guard let port = UInt16(word), port != 0 else {
                    throw ClientCommandError("ERR the \(name) port must be 1 to 65535, not '\(word)'")
                }
                ports.append(port)
            }
            let address = MemberAddress(host: words[2], clientPort: ports[0], peerPort: ports[1], metricsPort: ports[2])
            do { try address.validate() } catch { throw ClientCommandError("ERR replica \(id)'s address: \(error.description)") }
            return .member(.add(id, address: address), group: group)
        case "ADD": return .member(.add(id), group: group)
        case "PROMOTE": return .member(.promote(id), group: group)
        case "REMOVE": return .member(.remove(id), group: group)
        case "REPLACE": return .member(.replace(id), group: group)
        default: throw ClientCommandError(usage)
        }
    }

    /// `HELLO [protover [AUTH user password] [SETNAME name]]`, as Redis 6 defines it.
    private static func parseHello(_ arguments: [Bytes]) throws(ClientCommandError) -> ClientCommand {
        guard let first = arguments.first else { return .hello(protocolVersion: nil, user: nil, password: nil) }
        guard let version = Int(String(decoding: first, as: UTF8.self)) else {
            throw ClientCommandError("ERR Protocol version is not an integer or out of range")
        }
        var user: String?
        var password: Bytes?
        var name: String?
        var index = 1
        while index < arguments.count {
            let option = String(decoding: arguments[index], as: UTF8.self).uppercased()
            if option == "AUTH", index + 2 < arguments.count {
                user = String(decoding: arguments[index + 1], as: UTF8.self)
                password = arguments[index + 2]
                index += 3
            } else if option == "SETNAME", index + 1 < arguments.count {
                name = String(decoding: arguments[index + 1], as: UTF8.self)
                guard ClientSubcommand.isValidAttribute(name!) || name!.isEmpty else {
                    throw ClientCommandError("ERR Client names cannot contain spaces, newlines or special characters.")
                }
                index += 2
            } else {
                throw ClientCommandError("ERR Syntax error in HELLO option '\(option.lowercased())'")
            }
        }
        return .hello(protocolVersion: version, user: user, password: password, name: name)
    }

    /// Commands that change state go through the log.
    var isWrite: Bool {
        switch self {
        case .put, .delete: true
        case .data(let command): command.isWrite
        case .multiKey(let command): command.isWrite
        default: false
        }
    }
}
