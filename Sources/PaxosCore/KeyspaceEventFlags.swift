/// Redis's `notify-keyspace-events` setting: which notification classes a node publishes and
/// on which channels (https://redis.io/docs/latest/develop/pubsub/keyspace-notifications/).
///
/// Letters: K keyspace channel, E keyevent channel, g generic (del, expire, persist), $ string
/// (set, incrby, incrbyfloat, append), x expired, e evicted, l s h z t d list/set/hash/zset/
/// stream/module, n new key, m key miss, A = g$lshzxetd. Classes PaxosKV has no events of
/// (evictions, other types, new key, key miss) are accepted, as Redis accepts them on a server
/// without such keys, and publish nothing. As in Redis, nothing is published unless K or E is
/// set *and* some class is: "KEA" publishes everything, "E" alone nothing.
public struct KeyspaceEventFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let keyspace = KeyspaceEventFlags(rawValue: 1 << 0)
    public static let keyevent = KeyspaceEventFlags(rawValue: 1 << 1)
    public static let generic = KeyspaceEventFlags(rawValue: 1 << 2)
    public static let string = KeyspaceEventFlags(rawValue: 1 << 3)
    public static let list = KeyspaceEventFlags(rawValue: 1 << 4)
    public static let set = KeyspaceEventFlags(rawValue: 1 << 5)
    public static let hash = KeyspaceEventFlags(rawValue: 1 << 6)
    public static let zset = KeyspaceEventFlags(rawValue: 1 << 7)
    public static let expired = KeyspaceEventFlags(rawValue: 1 << 8)
    public static let evicted = KeyspaceEventFlags(rawValue: 1 << 9)
    public static let stream = KeyspaceEventFlags(rawValue: 1 << 10)
    public static let module = KeyspaceEventFlags(rawValue: 1 << 11)
    public static let keyMiss = KeyspaceEventFlags(rawValue: 1 << 12)
    public static let newKey = KeyspaceEventFlags(rawValue: 1 << 13)
    /// `A`: every class except key miss and new key (Redis's NOTIFY_ALL).
    public static let all: KeyspaceEventFlags = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    /// The class letters in Redis's order for rendering (or `A`), before K, E, m, n.
    static let classLetters: [(Character, KeyspaceEventFlags)] = [
        ("g", .generic), ("$", .string), ("l", .list), ("s", .set), ("h", .hash), ("z", .zset),
        ("x", .expired), ("e", .evicted), ("t", .stream), ("d", .module),
    ]

    /// Parses a CONFIG SET value; nil for a letter Redis does not know (Redis then refuses the
    /// whole value and keeps the old one).
    public init?(parsing text: String) {
        var flags: KeyspaceEventFlags = []
        for letter in text {
            switch letter {
            case "A": flags.formUnion(.all)
            case "K": flags.insert(.keyspace)
            case "E": flags.insert(.keyevent)
            case "m": flags.insert(.keyMiss)
            case "n": flags.insert(.newKey)
            default:
                guard let entry = Self.classLetters.first(where: { $0.0 == letter }) else { return nil }
                flags.insert(entry.1)
            }
        }
        self = flags
    }

    /// What CONFIG GET shows: Redis's canonical form ("KEA" reads back as "AKE").
    public var redisText: String {
        var text = ""
        if isSuperset(of: .all) {
            text = "A"
        } else {
            for (letter, flag) in Self.classLetters where contains(flag) { text.append(letter) }
        }
        if contains(.keyspace) { text += "K" }
        if contains(.keyevent) { text += "E" }
        if contains(.keyMiss) { text += "m" }
        if contains(.newKey) { text += "n" }
        return text
    }

    /// Whether anything at all can be published: a channel kind and a class PaxosKV emits.
    public var publishesAnything: Bool {
        !isDisjoint(with: [.keyspace, .keyevent]) && !isDisjoint(with: [.generic, .string, .expired])
    }

    /// Whether `event` is published on the keyspace / keyevent channel.
    public func publishes(_ event: KVEvent.Name) -> (keyspace: Bool, keyevent: Bool) {
        guard contains(event.eventClass) else { return (false, false) }
        return (contains(.keyspace), contains(.keyevent))
    }

    /// Redis's refusal text for a bad letter.
    public static let invalidText = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
}
