import PaxosCore
import PaxosWire

/// Publishing keyspace notifications (`PubSubRegistry`, `KVEvent`): each group hands over the
/// events of the slots it applied, in slot order, and the node writes them to the subscribers
/// then; nothing is kept for later, so a subscriber that connects afterwards, or reconnects,
/// misses what was published meanwhile (as with Redis).
extension Node {
    /// Whether applying a slot should compute its events: someone subscribes and the node's
    /// flags publish something. False by default, so the apply path pays nothing.
    var publishesKeyspaceEvents: Bool { !pubSub.isEmpty && keyspaceEvents.publishesAnything }

    /// Publishes `events` in order, then flushes each receiving connection once.
    func publish(_ events: [KVEvent]) {
        var deliveries: [(ClientID, RESPValue)] = []
        for event in events {
            for (channel, payload) in PubSubReply.channels(of: event, flags: keyspaceEvents) {
                pubSub.deliveries(channel: channel, payload: payload, into: &deliveries)
            }
        }
        guard !deliveries.isEmpty else { return }
        var receivers: [ClientHandler] = []
        var seen = Set<ClientID>()
        for (client, message) in deliveries {
            guard let handler = clientHandlers[client] else { continue }
            handler.deliver(message)
            if seen.insert(client).inserted { receivers.append(handler) }
        }
        for handler in receivers { handler.flushDeliveries() }
    }
}
