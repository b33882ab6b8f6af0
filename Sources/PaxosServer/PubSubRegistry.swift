import PaxosCore
import PaxosWire

/// The node's pub/sub subscriptions: which connections listen on which channels and patterns.
///
/// Channels carry only the store's own keyspace notifications (`KVEvent`), which the node
/// publishes as each group applies its slots, in slot order, to the connections subscribed at
/// that moment: per node, at most once, lost across a reconnect (Redis's keyspace notifications
/// promise the same). A value with no IO: `Node+PubSub.swift` writes what `deliveries` returns.
///
/// - Invariant: a connection is listed under a channel (pattern) exactly when its own set
///   (`ClientHandler.subscribedChannels`/`subscribedPatterns`) holds it; no set here is empty.
struct PubSubRegistry {
    private(set) var channels: [Bytes: Set<ClientID>] = [:]
    /// Pattern text → (compiled pattern, subscribers).
    private(set) var patterns: [Bytes: (glob: GlobPattern, clients: Set<ClientID>)] = [:]
    /// The bytes of the distinct patterns in `patterns`. - Invariant: `≤ maxPatternBytes`.
    private(set) var patternBytes = 0

    /// The node's budget of distinct pattern bytes, over all connections. Every applied event
    /// is matched against every distinct pattern on the loop, and a glob costs up to
    /// pattern × channel steps: 1,024 patterns of 2 KiB shaped `*a*a…*b` against 1 KiB keys
    /// held one event for ~10 ms in a release build (KeyspaceNotificationTests), and the
    /// per-connection bound alone lets every connection add as many. 64 KiB holds a thousand
    /// ordinary patterns and bounds that worst case to a few hundred µs per event.
    static let maxPatternBytes = 65_536

    var isEmpty: Bool { channels.isEmpty && patterns.isEmpty }

    /// Connections subscribed to any channel or pattern (INFO's `pubsub_clients`).
    var subscriberCount: Int {
        var clients = Set<ClientID>()
        for members in channels.values { clients.formUnion(members) }
        for entry in patterns.values { clients.formUnion(entry.clients) }
        return clients.count
    }

    mutating func subscribe(_ client: ClientID, channel: Bytes) {
        channels[channel, default: []].insert(client)
    }

    mutating func unsubscribe(_ client: ClientID, channel: Bytes) {
        guard var clients = channels[channel] else { return }
        clients.remove(client)
        channels[channel] = clients.isEmpty ? nil : clients
    }

    /// - Precondition: `patternRefusal(adding: [pattern])` is nil.
    mutating func subscribe(_ client: ClientID, pattern: Bytes) {
        if patterns[pattern] == nil { patternBytes += pattern.count }
        precondition(patternBytes <= Self.maxPatternBytes, "pattern budget passed: \(patternBytes) bytes")
        patterns[pattern, default: (GlobPattern(pattern), [])].clients.insert(client)
    }

    mutating func unsubscribe(_ client: ClientID, pattern: Bytes) {
        guard var entry = patterns[pattern] else { return }
        entry.clients.remove(client)
        if entry.clients.isEmpty { patternBytes -= pattern.count }
        patterns[pattern] = entry.clients.isEmpty ? nil : entry
    }

    /// The refusal of a PSUBSCRIBE whose new distinct patterns would pass `maxPatternBytes`, or nil.
    func patternRefusal(adding names: [Bytes]) -> String? {
        let added = Set(names).filter { patterns[$0] == nil }.reduce(0) { $0 + $1.count }
        guard patternBytes + added > Self.maxPatternBytes else { return nil }
        return "ERR this node's patterns, over all connections, may total at most \(Self.maxPatternBytes) bytes; "
            + "it holds \(patternBytes) and these would add \(added)"
    }

    /// Who receives `payload` published on `channel`, and what: a `message` for each exact
    /// subscriber, a `pmessage` for each matching pattern of each pattern subscriber (Redis
    /// sends both when a connection has both).
    func deliveries(channel: Bytes, payload: Bytes, into out: inout [(ClientID, RESPValue)]) {
        var messages: [RESPValue] = []
        var indexed: [(client: ClientID, message: Int)] = []
        deliveries(channel: channel, payload: payload, messages: &messages, into: &indexed)
        out += indexed.map { ($0.client, messages[$0.message]) }
    }

    /// As above, with each distinct message appended once to `messages` and the deliveries
    /// naming it by index: the publisher encodes a message once for all its receivers.
    func deliveries(channel: Bytes, payload: Bytes, messages: inout [RESPValue], into out: inout [(client: ClientID, message: Int)]) {
        if let clients = channels[channel] {
            messages.append(PubSubReply.message(channel: channel, payload: payload))
            for client in clients { out.append((client, messages.count - 1)) }
        }
        for (pattern, entry) in patterns where entry.glob.matches(channel) {
            messages.append(PubSubReply.patternMessage(pattern: pattern, channel: channel, payload: payload))
            for client in entry.clients { out.append((client, messages.count - 1)) }
        }
    }
}

/// Redis's pub/sub frames. Each is a push (`>` in RESP3); `forProtocol(2)` makes it the array
/// RESP2 clients expect.
enum PubSubReply {
    /// `subscribe`/`unsubscribe`/`psubscribe`/`punsubscribe` confirmations: the kind, the channel
    /// or pattern (nil for an UNSUBSCRIBE with nothing to leave) and the connection's count of
    /// channels and patterns afterwards.
    static func confirmation(_ kind: String, _ name: Bytes?, count: Int) -> RESPValue {
        .push([.bulkString(kind), .bulkString(name), .integer(Int64(count))])
    }

    static func message(channel: Bytes, payload: Bytes) -> RESPValue {
        .push([.bulkString("message"), .bulkString(channel), .bulkString(payload)])
    }

    static func patternMessage(pattern: Bytes, channel: Bytes, payload: Bytes) -> RESPValue {
        .push([.bulkString("pmessage"), .bulkString(pattern), .bulkString(channel), .bulkString(payload)])
    }

    /// PING in RESP2 subscribed mode: `["pong", message or ""]`, as Redis answers it there.
    static func pong(_ message: Bytes?) -> RESPValue {
        .array([.bulkString("pong"), .bulkString(message ?? [])])
    }

    /// The channels a node publishes `event` on under `flags`, with each one's payload.
    static func channels(of event: KVEvent, flags: KeyspaceEventFlags) -> [(channel: Bytes, payload: Bytes)] {
        let (keyspace, keyevent) = flags.publishes(event.name)
        let name = Array(event.name.rawValue.utf8)
        var out: [(Bytes, Bytes)] = []
        if keyspace { out.append((keyspacePrefix + event.key, name)) }
        if keyevent { out.append((keyeventPrefix + name, event.key)) }
        return out
    }

    static let keyspacePrefix = Array("__keyspace@0__:".utf8)
    static let keyeventPrefix = Array("__keyevent@0__:".utf8)
}
