public import PaxosCore

/// `CLIENT <subcommand>`: what a connection may learn and set about itself and the node's other
/// connections, answered with real data (issue 20: every subcommand used to answer `+OK`, so
/// redis-py's `client_id()` returned `b'OK'`). The texts of the errors are Redis's.
public enum ClientSubcommand: Hashable, Sendable {
    case id
    /// This connection's `CLIENT LIST` line.
    case info
    /// The node's connections, all of them or those with the given ids (`CLIENT LIST ID …`);
    /// `subscribed`: TYPE pubsub (true) or normal (false), as Redis counts a connection with
    /// channels or patterns as a pub/sub one.
    case list(ids: [UInt64]?, subscribed: Bool? = nil)
    case getName
    /// An empty name clears it.
    case setName(String)
    /// `CLIENT SETINFO LIB-NAME|LIB-VER value`, which redis-py 8 sends on every connection.
    case setInfo(ClientLibraryField, String)
    /// `CLIENT KILL ip:port` (the old form: `+OK` or an error) or `CLIENT KILL <filter> <value> …`
    /// (the new form: how many were closed).
    case kill(ClientKillFilter, legacy: Bool)
    /// `CLIENT NO-EVICT on|off`, `CLIENT NO-TOUCH on|off`: nothing is evicted, and PaxosKV keeps no
    /// access times, so both are accepted and change nothing.
    case accepted
    case help

    public enum ClientLibraryField: String, Hashable, Sendable {
        case name = "lib-name"
        case version = "lib-ver"
    }

    /// Subcommands Redis has that PaxosKV does not, refused with a sentence saying so.
    static let unsupported: Set<String> = ["PAUSE", "UNPAUSE", "TRACKING", "TRACKINGINFO", "CACHING", "GETREDIR", "UNBLOCK", "REPLY"]

    static let helpLines = [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ID", "    Return the ID of the current connection.",
        "INFO", "    Return information about the current client connection.",
        "LIST [TYPE normal] [ID <id> [<id> ...]]", "    Return information about client connections on this node.",
        "GETNAME", "    Return the name of the current connection.",
        "SETNAME <name>", "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client meta attr.",
        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>, USER <username>, MAXAGE <seconds>, SKIPME (YES|NO).",
        "NO-EVICT (ON|OFF)", "    Accepted; PaxosKV evicts nothing.",
        "NO-TOUCH (ON|OFF)", "    Accepted; PaxosKV keeps no access times.",
        "HELP", "    Print this help.",
    ]

    static func parse(_ arguments: [Bytes]) throws(ClientCommandError) -> ClientSubcommand {
        let words = arguments.map { String(decoding: $0, as: UTF8.self) }
        guard let name = words.first?.uppercased() else {
            throw ClientCommandError("ERR wrong number of arguments for 'client' command")
        }
        let rest = Array(words.dropFirst())
        func wrongArity() -> ClientCommandError {
            ClientCommandError("ERR wrong number of arguments for 'client|\(name.lowercased())' command")
        }
        switch name {
        case "ID", "INFO", "GETNAME", "HELP":
            guard rest.isEmpty else { throw wrongArity() }
            return switch name {
            case "ID": .id
            case "INFO": .info
            case "GETNAME": .getName
            default: .help
            }
        case "LIST":
            let (ids, subscribed) = try parseListFilter(rest)
            return .list(ids: ids, subscribed: subscribed)
        case "SETNAME":
            guard rest.count == 1 else { throw wrongArity() }
            guard Self.isValidAttribute(rest[0]) else {
                throw ClientCommandError(rest[0].utf8.count > Self.maxAttributeBytes
                    ? "ERR Client names are limited to \(Self.maxAttributeBytes) bytes in PaxosKV"
                    : "ERR Client names cannot contain spaces, newlines or special characters.")
            }
            return .setName(rest[0])
        case "SETINFO":
            guard rest.count == 2 else { throw wrongArity() }
            guard let field = ClientLibraryField(rawValue: rest[0].lowercased()) else {
                throw ClientCommandError("ERR Unrecognized option '\(rest[0])'")
            }
            guard Self.isValidAttribute(rest[1]) else {
                throw ClientCommandError(rest[1].utf8.count > Self.maxAttributeBytes
                    ? "ERR \(field.rawValue) is limited to \(Self.maxAttributeBytes) bytes in PaxosKV"
                    : "ERR \(field.rawValue) cannot contain spaces, newlines or special characters.")
            }
            return .setInfo(field, rest[1])
        case "KILL":
            if rest.count == 1 { return .kill(ClientKillFilter(address: rest[0]), legacy: true) }
            return .kill(try ClientKillFilter.parse(rest), legacy: false)
        case "NO-EVICT", "NO-TOUCH":
            guard rest.count == 1 else { throw wrongArity() }
            guard ["ON", "OFF"].contains(rest[0].uppercased()) else { throw ClientCommandError("ERR syntax error") }
            return .accepted
        default:
            if Self.unsupported.contains(name) {
                throw ClientCommandError("ERR PaxosKV does not support CLIENT \(name)")
            }
            throw ClientCommandError("ERR unknown subcommand '\(words[0])'. Try CLIENT HELP.")
        }
    }

    /// `[TYPE normal|pubsub] [ID id …]`: no PaxosKV connection is a master or replica.
    private static func parseListFilter(_ words: [String]) throws(ClientCommandError) -> (ids: [UInt64]?, subscribed: Bool?) {
        var index = 0
        var ids: [UInt64]?
        var subscribed: Bool?
        while index < words.count {
            switch words[index].uppercased() {
            case "TYPE" where index + 1 < words.count:
                let type = words[index + 1].lowercased()
                guard ["normal", "master", "replica", "slave", "pubsub"].contains(type) else {
                    throw ClientCommandError("ERR Unknown client type '\(words[index + 1])'")
                }
                // Normal and pub/sub connections exist here; the other types list nothing.
                switch type {
                case "normal": subscribed = false
                case "pubsub": subscribed = true
                default: ids = []
                }
                index += 2
            case "ID" where index + 1 < words.count:
                var found: [UInt64] = []
                index += 1
                while index < words.count, let id = UInt64(words[index]) {
                    found.append(id)
                    index += 1
                }
                guard !found.isEmpty else { throw ClientCommandError("ERR Invalid client ID") }
                if ids != [] { ids = found }
            default:
                throw ClientCommandError("ERR syntax error")
            }
        }
        return (ids, subscribed)
    }

    /// Redis's rule for names and library attributes: printable ASCII without spaces; and at
    /// most `maxAttributeBytes`, which Redis does not limit: each connection keeps three of them,
    /// so 10,000 connections with 2 MiB names would hold 60 GiB.
    static func isValidAttribute(_ text: String) -> Bool {
        text.utf8.count <= maxAttributeBytes && text.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// The longest connection name, library name or version a connection may set.
    static let maxAttributeBytes = 256
}

/// Which connections `CLIENT KILL` closes: every given condition must hold.
public struct ClientKillFilter: Hashable, Sendable {
    public var id: UInt64?
    public var address: String?
    public var localAddress: String?
    public var user: String?
    public var maxAgeSeconds: UInt64?
    /// TYPE pubsub (true) or normal (false).
    public var subscribed: Bool?
    /// The calling connection is spared unless `SKIPME no` (the old form never spares it).
    public var skipMe = true

    init(address: String) {
        self.address = address
        self.skipMe = false
    }

    init() {}

    static func parse(_ words: [String]) throws(ClientCommandError) -> ClientKillFilter {
        guard words.count.isMultiple(of: 2), !words.isEmpty else { throw ClientCommandError("ERR syntax error") }
        var filter = ClientKillFilter()
        for pair in stride(from: 0, to: words.count, by: 2) {
            let value = words[pair + 1]
            switch words[pair].uppercased() {
            case "ID":
                guard let id = UInt64(value), id > 0 else {
                    throw ClientCommandError("ERR client-id should be greater than 0")
                }
                filter.id = id
            case "ADDR": filter.address = value
            case "LADDR": filter.localAddress = value
            case "USER": filter.user = value
            case "MAXAGE":
                guard let age = UInt64(value) else { throw ClientCommandError("ERR syntax error") }
                filter.maxAgeSeconds = age
            case "SKIPME":
                switch value.uppercased() {
                case "YES": filter.skipMe = true
                case "NO": filter.skipMe = false
                default: throw ClientCommandError("ERR syntax error")
                }
            case "TYPE":
                switch value.lowercased() {
                case "normal": filter.subscribed = false
                case "pubsub": filter.subscribed = true
                default: filter.id = 0  // no master or replica connections: matches none
                }
            default:
                throw ClientCommandError("ERR syntax error")
            }
        }
        return filter
    }

    /// Whether the connection described by `info` is to be closed by `caller`.
    func matches(_ info: ClientConnectionInfo, caller: UInt64) -> Bool {
        if skipMe, info.id == caller { return false }
        if let id, info.id != id { return false }
        if let address, info.address != address { return false }
        if let localAddress, info.localAddress != localAddress { return false }
        if let user, info.user != user { return false }
        if let maxAgeSeconds, info.ageSeconds < maxAgeSeconds { return false }
        if let subscribed, info.isSubscribed != subscribed { return false }
        return true
    }
}
