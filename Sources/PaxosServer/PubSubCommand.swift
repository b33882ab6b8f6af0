public import PaxosCore

/// SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE and PUBSUB CHANNELS/NUMSUB/NUMPAT
/// (`ClientHandler+PubSub.swift`). The channels carry only this node's keyspace notifications;
/// PUBLISH (and SPUBLISH) between clients is refused, so nothing but the store speaks on them.
public enum PubSubCommand: Hashable, Sendable {
    case subscribe(channels: [Bytes])
    case psubscribe(patterns: [Bytes])
    /// No channels: leave every channel.
    case unsubscribe(channels: [Bytes])
    /// No patterns: leave every pattern.
    case punsubscribe(patterns: [Bytes])
    /// PUBSUB CHANNELS [pattern]: active channels (with at least one exact subscriber).
    case channels(pattern: Bytes?)
    /// PUBSUB NUMSUB [channel …]: exact subscribers per channel.
    case numsub(channels: [Bytes])
    /// PUBSUB NUMPAT: patterns with at least one subscriber.
    case numpat

    static let names: Set<String> = ["SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PUBSUB", "PUBLISH", "SPUBLISH", "SSUBSCRIBE", "SUNSUBSCRIBE"]

    /// The commands a RESP2 connection in subscribed mode may run, as in Redis (RESET is not a
    /// PaxosKV command; it is named so its refusal is the unknown-command one, as elsewhere).
    static let allowedWhileSubscribed: Set<String> = ["SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE", "PING", "QUIT", "RESET"]

    /// Redis's refusal of another command in RESP2 subscribed mode.
    static func refusalWhileSubscribed(_ name: String) -> String {
        "ERR Can't execute '\(name.lowercased())': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    }

    /// Channels and patterns one connection may hold: every applied event is matched against
    /// every pattern on the node's loop, so they are bounded like everything else a client
    /// makes the node hold (with `maxclients`, this bounds the node's whole registry).
    static let maxSubscriptionsPerConnection = 1_024
    /// The longest channel or pattern: a keyspace channel is a 15-byte prefix and a key.
    static let maxNameBytes = 2_048

    /// The refusal of a SUBSCRIBE/PSUBSCRIBE that would pass the bounds, or nil.
    static func refusal(adding names: [Bytes], to current: Set<Bytes>, total: Int) -> String? {
        if let long = names.first(where: { $0.count > maxNameBytes }) {
            return "ERR channel or pattern of \(long.count) bytes is over the limit of \(maxNameBytes)"
        }
        let added = Set(names).subtracting(current).count
        guard total + added <= maxSubscriptionsPerConnection else {
            return "ERR a connection may hold at most \(maxSubscriptionsPerConnection) channels and patterns; this one holds \(total)"
        }
        return nil
    }

    static func parse(name: String, arguments: [Bytes]) throws(ClientCommandError) -> PubSubCommand {
        func atLeastOne() throws(ClientCommandError) {
            guard !arguments.isEmpty else { throw ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command") }
        }
        switch name {
        case "SUBSCRIBE":
            try atLeastOne()
            return .subscribe(channels: arguments)
        case "PSUBSCRIBE":
            try atLeastOne()
            return .psubscribe(patterns: arguments)
        case "UNSUBSCRIBE": return .unsubscribe(channels: arguments)
        case "PUNSUBSCRIBE": return .punsubscribe(patterns: arguments)
        case "PUBLISH", "SPUBLISH":
            throw ClientCommandError("ERR PaxosKV does not support \(name): its channels carry only this node's keyspace notifications (CONFIG SET notify-keyspace-events, then SUBSCRIBE or PSUBSCRIBE __keyspace@0__:* or __keyevent@0__:*)")
        case "SSUBSCRIBE", "SUNSUBSCRIBE":
            throw ClientCommandError("ERR PaxosKV does not support \(name): there are no shard channels; SUBSCRIBE or PSUBSCRIBE the keyspace channels")
        default:
            return try parsePubSub(arguments)
        }
    }

    private static func parsePubSub(_ arguments: [Bytes]) throws(ClientCommandError) -> PubSubCommand {
        guard let first = arguments.first else { throw ClientCommandError("ERR wrong number of arguments for 'pubsub' command") }
        let sub = String(decoding: first, as: UTF8.self).uppercased()
        switch sub {
        case "CHANNELS" where arguments.count <= 2: return .channels(pattern: arguments.dropFirst().first)
        case "NUMSUB": return .numsub(channels: Array(arguments.dropFirst()))
        case "NUMPAT" where arguments.count == 1: return .numpat
        case "CHANNELS", "NUMPAT":
            throw ClientCommandError("ERR wrong number of arguments for 'pubsub|\(sub.lowercased())' command")
        default:
            throw ClientCommandError("ERR unknown subcommand '\(String(decoding: first, as: UTF8.self))'. Try PUBSUB HELP.")
        }
    }
}
