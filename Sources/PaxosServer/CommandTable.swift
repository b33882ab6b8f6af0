import PaxosCore
import PaxosWire

/// Every command PaxosKV answers, described as Redis's `COMMAND`, `COMMAND INFO` and `COMMAND
/// DOCS` describe theirs, so redis-cli's hints and `HELP <command>` work and client libraries
/// that read the table see the truth (issue 20: `COMMAND COUNT` used to answer an empty array).
///
/// One entry per command: Redis's arity (the argument count with the name; negative: at least),
/// flags, the positions of its keys (first, last, step; last -1 means "to the end"), its group and
/// a one-line summary, and its syntax in Redis's documentation notation, from which DOCS builds
/// the argument tree (`CommandSyntax`). `CommandTableTests` checks that the table and the parser
/// (`ClientCommand.parse`) know the same names.
struct CommandSpec: Sendable {
    var name: String
    var arity: Int
    var flags: [String]
    var firstKey: Int
    var lastKey: Int
    var step: Int
    var group: String
    var summary: String
    var syntax: String
    var complexity: String

    init(_ name: String, _ arity: Int, _ flags: [String], keys: (Int, Int, Int) = (0, 0, 0), group: String,
         _ summary: String, syntax: String = "", complexity: String = "O(1)") {
        (self.name, self.arity, self.flags, self.group, self.summary, self.syntax, self.complexity)
            = (name, arity, flags, group, summary, syntax, complexity)
        (firstKey, lastKey, step) = keys
    }
}

enum CommandTable {
    static let write = ["write", "denyoom"]
    static let writeFast = ["write", "denyoom", "fast"]
    static let read = ["readonly", "fast"]
    static let readSlow = ["readonly"]
    static let connection = ["fast", "loading", "stale"]
    static let one = (1, 1, 1)
    static let all = (1, -1, 1)

    static let entries: [CommandSpec] = [
        // Strings
        CommandSpec("get", 2, read, keys: one, group: "string", "Returns the string value of a key (linearizable; stale after READONLY).", syntax: "key"),
        CommandSpec("set", -3, write, keys: one, group: "string", "Sets the string value of a key, optionally on a condition, with an expiry, returning the old value.",
                    syntax: "key value [NX | XX | IFEQ comparison-value] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"),
        CommandSpec("put", 3, write, keys: one, group: "string", "PaxosKV's name for a plain SET.", syntax: "key value"),
        CommandSpec("setnx", 3, writeFast, keys: one, group: "string", "Sets a key only when it does not exist.", syntax: "key value"),
        CommandSpec("getset", 3, writeFast, keys: one, group: "string", "Sets a key and returns its old value.", syntax: "key value"),
        CommandSpec("getdel", 2, writeFast, keys: one, group: "string", "Returns a key's value and deletes it.", syntax: "key"),
        CommandSpec("delifeq", 3, writeFast, keys: one, group: "string", "Deletes a key only if its value equals the given one (Valkey's compare-and-delete).", syntax: "key value"),
        CommandSpec("incr", 2, writeFast, keys: one, group: "string", "Increments the integer value of a key by one.", syntax: "key"),
        CommandSpec("incrby", 3, writeFast, keys: one, group: "string", "Increments the integer value of a key by a number.", syntax: "key increment"),
        CommandSpec("decr", 2, writeFast, keys: one, group: "string", "Decrements the integer value of a key by one.", syntax: "key"),
        CommandSpec("decrby", 3, writeFast, keys: one, group: "string", "Decrements the integer value of a key by a number.", syntax: "key decrement"),
        CommandSpec("incrbyfloat", 3, writeFast, keys: one, group: "string", "Increments the floating point value of a key by a number.", syntax: "key increment"),
        CommandSpec("append", 3, writeFast, keys: one, group: "string", "Appends a string to the value of a key.", syntax: "key value"),
        CommandSpec("strlen", 2, read, keys: one, group: "string", "Returns the length of a key's value.", syntax: "key"),
        CommandSpec("setex", 4, write, keys: one, group: "string", "Sets a key with an expiry in seconds.", syntax: "key seconds value"),
        CommandSpec("psetex", 4, write, keys: one, group: "string", "Sets a key with an expiry in milliseconds.", syntax: "key milliseconds value"),
        CommandSpec("getex", -2, writeFast, keys: one, group: "string", "Returns a key's value and sets or clears its expiry.",
                    syntax: "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
        CommandSpec("mget", -2, read, keys: all, group: "string", "Returns the values of keys, one read round per group.", syntax: "key [key ...]", complexity: "O(N) where N is the number of keys"),
        CommandSpec("mset", -3, write, keys: (1, -1, 2), group: "string", "Sets several keys atomically (one group).", syntax: "key value [key value ...]", complexity: "O(N) where N is the number of keys"),
        CommandSpec("msetnx", -3, write, keys: (1, -1, 2), group: "string", "Sets several keys only if none exists, atomically (one group).", syntax: "key value [key value ...]", complexity: "O(N) where N is the number of keys"),
        // Revisions (PaxosKV's own, etcd-style)
        CommandSpec("getrev", 2, read, keys: one, group: "paxoskv", "Returns a key's value and revision (the slot and position of its last write).", syntax: "key"),
        CommandSpec("setifrev", 4, writeFast, keys: one, group: "paxoskv", "Sets a key only if its revision equals the given one (0: only if absent).", syntax: "key value revision"),
        CommandSpec("delifrev", 3, writeFast, keys: one, group: "paxoskv", "Deletes a key only if its revision equals the given one.", syntax: "key revision"),
        // Keys and expiry
        CommandSpec("del", -2, write, keys: all, group: "generic", "Deletes keys (one logged delete per group).", syntax: "key [key ...]", complexity: "O(N) where N is the number of keys"),
        CommandSpec("delete", 2, write, keys: one, group: "generic", "PaxosKV's name for deleting one key.", syntax: "key"),
        CommandSpec("unlink", -2, write, keys: all, group: "generic", "Deletes keys, as DEL.", syntax: "key [key ...]", complexity: "O(N) where N is the number of keys"),
        CommandSpec("exists", -2, read, keys: all, group: "generic", "Counts the given keys that exist.", syntax: "key [key ...]", complexity: "O(N) where N is the number of keys"),
        CommandSpec("touch", -2, read, keys: all, group: "generic", "Counts the given keys that exist (PaxosKV keeps no access times).", syntax: "key [key ...]", complexity: "O(N) where N is the number of keys"),
        CommandSpec("expire", -3, writeFast, keys: one, group: "generic", "Sets a key's time to live in seconds.", syntax: "key seconds [NX | XX | GT | LT]"),
        CommandSpec("pexpire", -3, writeFast, keys: one, group: "generic", "Sets a key's time to live in milliseconds.", syntax: "key milliseconds [NX | XX | GT | LT]"),
        CommandSpec("expireat", -3, writeFast, keys: one, group: "generic", "Sets a key's expiry as a Unix time in seconds.", syntax: "key unix-time-seconds [NX | XX | GT | LT]"),
        CommandSpec("pexpireat", -3, writeFast, keys: one, group: "generic", "Sets a key's expiry as a Unix time in milliseconds.", syntax: "key unix-time-milliseconds [NX | XX | GT | LT]"),
        CommandSpec("persist", 2, writeFast, keys: one, group: "generic", "Removes a key's expiry.", syntax: "key"),
        CommandSpec("ttl", 2, read, keys: one, group: "generic", "Returns a key's time to live in seconds, by the log's clock.", syntax: "key"),
        CommandSpec("pttl", 2, read, keys: one, group: "generic", "Returns a key's time to live in milliseconds, by the log's clock.", syntax: "key"),
        CommandSpec("expiretime", 2, read, keys: one, group: "generic", "Returns a key's expiry as a Unix time in seconds.", syntax: "key"),
        CommandSpec("pexpiretime", 2, read, keys: one, group: "generic", "Returns a key's expiry as a Unix time in milliseconds.", syntax: "key"),
        CommandSpec("scan", -2, readSlow, group: "generic", "Iterates over the keys, a page per call, across groups.", syntax: "cursor [MATCH pattern] [COUNT count] [TYPE type]", complexity: "O(1) for every call. O(N) for a complete iteration"),
        CommandSpec("keys", 2, readSlow, group: "generic", "Returns every key matching a pattern (refused above 1,000,000).", syntax: "pattern", complexity: "O(N) with N being the number of keys in the database"),
        CommandSpec("dbsize", 1, read, group: "server", "Returns the number of keys, one count per group.", complexity: "O(1) per group"),
        CommandSpec("randomkey", 1, readSlow, group: "generic", "Returns a random key."),
        CommandSpec("type", 2, read, keys: one, group: "generic", "Returns a key's type: string or none.", syntax: "key"),
        // Transactions
        CommandSpec("multi", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions", "Starts a transaction."),
        CommandSpec("exec", 1, ["noscript", "loading", "stale", "skip_slowlog"], group: "transactions", "Runs the queued commands as one logged request: all or none.", complexity: "Depends on commands in the transaction"),
        CommandSpec("discard", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions", "Discards a transaction."),
        CommandSpec("watch", -2, ["noscript", "loading", "stale", "fast", "allow_busy"], keys: all, group: "transactions", "Watches keys: EXEC applies only if none changed.", syntax: "key [key ...]", complexity: "O(1) for every key"),
        CommandSpec("unwatch", 1, ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions", "Forgets the watched keys."),
        // Scripting: redis-py Lock's scripts only
        CommandSpec("eval", -3, ["noscript", "skip_monitor", "may_replicate", "no_mandatory_keys", "stale"], group: "scripting", "Runs one of redis-py Lock's scripts (others are refused).", syntax: "script numkeys [key [key ...]] [arg [arg ...]]"),
        CommandSpec("evalsha", -3, ["noscript", "skip_monitor", "may_replicate", "no_mandatory_keys", "stale"], group: "scripting", "Runs one of redis-py Lock's scripts by its SHA-1.", syntax: "sha1 numkeys [key [key ...]] [arg [arg ...]]"),
        CommandSpec("script", -2, ["noscript"], group: "scripting", "SCRIPT LOAD of redis-py Lock's scripts.", syntax: "LOAD script"),
        // Connection and server
        CommandSpec("ping", -1, connection, group: "connection", "Returns PONG, or the message.", syntax: "[message]"),
        CommandSpec("echo", 2, connection, group: "connection", "Returns the message.", syntax: "message"),
        CommandSpec("hello", -1, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection", "Chooses RESP2 or RESP3, optionally authenticating and naming the connection.",
                    syntax: "[protover [AUTH username password] [SETNAME clientname]]"),
        CommandSpec("auth", -2, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection", "Authenticates the connection.", syntax: "[username] password"),
        CommandSpec("client", -2, [], group: "connection", "Describes and names this node's connections (ID, INFO, LIST, GETNAME, SETNAME, SETINFO, KILL, NO-EVICT, NO-TOUCH, HELP).", syntax: "subcommand [arg ...]"),
        CommandSpec("select", 2, connection, group: "connection", "Selects database 0, the only one.", syntax: "index"),
        CommandSpec("quit", -1, ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection", "Closes the connection."),
        CommandSpec("readonly", 1, connection, group: "cluster", "Serves this connection's reads from this node's applied state (possibly stale)."),
        CommandSpec("readwrite", 1, connection, group: "cluster", "Makes this connection's reads linearizable again."),
        CommandSpec("info", -1, ["loading", "stale"], group: "server", "Returns this node's information and statistics by section.", syntax: "[section [section ...]]"),
        CommandSpec("config", -2, [], group: "server", "CONFIG GET of this node's settings; CONFIG SET of notify-keyspace-events only.", syntax: "GET parameter [parameter ...] | SET parameter value [parameter value ...]"),
        CommandSpec("command", -1, ["loading", "stale"], group: "server", "Describes the commands PaxosKV answers (COUNT, INFO, DOCS, LIST).", syntax: "[COUNT | INFO [command-name ...] | DOCS [command-name ...] | LIST]", complexity: "O(N) where N is the number of commands"),
        CommandSpec("time", 1, ["loading", "stale", "fast"], group: "server", "Returns this node's time."),
        // Pub/sub: this node's keyspace notifications only (PUBLISH is refused).
        CommandSpec("subscribe", -2, ["pubsub", "noscript", "loading", "stale"], group: "pubsub", "Listens for keyspace notifications on channels (__keyspace@0__:<key>, __keyevent@0__:<event>).", syntax: "channel [channel ...]", complexity: "O(N) where N is the number of channels"),
        CommandSpec("psubscribe", -2, ["pubsub", "noscript", "loading", "stale"], group: "pubsub", "Listens for keyspace notifications on channels matching glob patterns.", syntax: "pattern [pattern ...]", complexity: "O(N) where N is the number of patterns"),
        CommandSpec("unsubscribe", -1, ["pubsub", "noscript", "loading", "stale"], group: "pubsub", "Stops listening on channels, or on all of them.", syntax: "[channel [channel ...]]", complexity: "O(N) where N is the number of channels"),
        CommandSpec("punsubscribe", -1, ["pubsub", "noscript", "loading", "stale"], group: "pubsub", "Stops listening on patterns, or on all of them.", syntax: "[pattern [pattern ...]]", complexity: "O(N) where N is the number of patterns"),
        CommandSpec("changes", -2, ["readonly", "blocking"], group: "generic", "Streams the changes from a revision, resumable on any node (the resumable watch).", syntax: "from-revision [PREFIX prefix] [COUNT count] [BLOCK milliseconds] [GROUP group]", complexity: "O(N) where N is the number of changes read"),
        CommandSpec("pubsub", -2, ["pubsub", "loading", "stale"], group: "pubsub", "This node's active channels and patterns (CHANNELS, NUMSUB, NUMPAT).", syntax: "CHANNELS [pattern] | NUMSUB [channel [channel ...]] | NUMPAT", complexity: "O(N) where N is the number of channels"),
        CommandSpec("backup", 2, ["admin", "noscript"], group: "paxoskv", "Writes a consistent copy of this node's database into its backup directory.", syntax: "name", complexity: "O(N) with N the size of the database"),
        CommandSpec("member", -2, ["admin", "noscript"], group: "paxoskv", "Lists or changes a group's membership (LIST, ADD, PROMOTE, REMOVE, REPLACE).", syntax: "LIST | ADD id [host client-port peer-port metrics-port] | PROMOTE id | REMOVE id | REPLACE id"),
    ]

    static let byName: [String: CommandSpec] = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })

    /// A command's `COMMAND INFO` entry: name, arity, flags, first key, last key, step, ACL
    /// categories, tips, key specifications, subcommands (the last four empty: none is kept).
    static func info(_ spec: CommandSpec) -> RESPValue {
        .array([.bulkString(spec.name), .integer(Int64(spec.arity)), .set(spec.flags.map { .simpleString($0) }),
                .integer(Int64(spec.firstKey)), .integer(Int64(spec.lastKey)), .integer(Int64(spec.step)),
                .set([]), .set([]), .array([]), .array([])])
    }

    /// A command's `COMMAND DOCS` map: summary, since, group, complexity, arguments.
    static func docs(_ spec: CommandSpec) -> RESPValue {
        var fields: [RESPValue.Pair] = [
            RESPValue.Pair(.bulkString("summary"), .bulkString(spec.summary)),
            RESPValue.Pair(.bulkString("since"), .bulkString("1.0.0")),
            RESPValue.Pair(.bulkString("group"), .bulkString(spec.group)),
            RESPValue.Pair(.bulkString("complexity"), .bulkString(spec.complexity)),
        ]
        let arguments = CommandSyntax.arguments(spec.syntax)
        if !arguments.isEmpty {
            fields.append(RESPValue.Pair(.bulkString("arguments"), .array(arguments.map(\.docs))))
        }
        return .map(fields)
    }
}



/// `COMMAND [COUNT | INFO [name …] | DOCS [name …] | LIST | HELP]`.
public enum CommandQuery: Hashable, Sendable {
    case all
    case count
    case info([String])
    case docs([String])
    case list
    case help

    static func parse(_ arguments: [Bytes]) throws(ClientCommandError) -> CommandQuery {
        let words = arguments.map { String(decoding: $0, as: UTF8.self) }
        guard let first = words.first else { return .all }
        let names = words.dropFirst().map { $0.lowercased() }
        switch first.uppercased() {
        case "COUNT" where names.isEmpty: return .count
        case "LIST" where names.isEmpty: return .list
        case "HELP" where names.isEmpty: return .help
        case "INFO": return .info(names)
        case "DOCS": return .docs(names)
        case "COUNT", "LIST", "HELP":
            throw ClientCommandError("ERR wrong number of arguments for 'command|\(first.lowercased())' command")
        case "GETKEYS", "GETKEYSANDFLAGS":
            throw ClientCommandError("ERR PaxosKV does not support COMMAND \(first.uppercased())")
        default:
            throw ClientCommandError("ERR unknown subcommand '\(first)'. Try COMMAND HELP.")
        }
    }

    static let helpLines = [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)", "    Return details about all commands PaxosKV answers.",
        "COUNT", "    Return the total number of commands.",
        "INFO [<command-name> ...]", "    Return details about the given commands, or all of them.",
        "DOCS [<command-name> ...]", "    Return documentation details about the given commands, or all of them.",
        "LIST", "    Return the names of all commands.",
        "HELP", "    Print this help.",
    ]

    /// The reply, from the table.
    var reply: RESPValue {
        switch self {
        case .all: .array(CommandTable.entries.map(CommandTable.info))
        case .count: .integer(Int64(CommandTable.entries.count))
        case .list: .array(CommandTable.entries.map { .bulkString($0.name) })
        case .help: .array(Self.helpLines.map { .simpleString($0) })
        case .info(let names) where names.isEmpty: .array(CommandTable.entries.map(CommandTable.info))
        case .info(let names): .array(names.map { CommandTable.byName[$0].map(CommandTable.info) ?? .array(nil) })
        case .docs(let names):
            .map((names.isEmpty ? CommandTable.entries : names.compactMap { CommandTable.byName[$0] })
                .map { RESPValue.Pair(.bulkString($0.name), CommandTable.docs($0)) })
        }
    }
}
