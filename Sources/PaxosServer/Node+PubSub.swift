import NIOCore
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
    ///
    /// Each distinct message is encoded once per RESP version, and each receiver gets one
    /// buffer holding all of its messages in order (`ClientOutbound.encoded`): the work per
    /// subscriber is a copy of bytes, not a conversion, a boxing and an encoding per message.
    func publish(_ events: [KVEvent]) {
        var messages: [RESPValue] = []
        var deliveries: [(client: ClientID, message: Int)] = []
        for event in events {
            for (channel, payload) in PubSubReply.channels(of: event, flags: keyspaceEvents) {
                pubSub.deliveries(channel: channel, payload: payload, messages: &messages, into: &deliveries)
            }
        }
        guard !deliveries.isEmpty else { return }
        // Encoded messages by index, for RESP2 ([0]) and RESP3 ([1]).
        var encoded: [[ByteBuffer?]] = Array(repeating: [nil, nil], count: messages.count)
        var receivers: [(handler: ClientHandler, bytes: ByteBuffer)] = []
        var receiverIndex: [ClientID: Int] = [:]
        let allocator = ByteBufferAllocator()
        for (client, message) in deliveries {
            guard let handler = clientHandlers[client] else { continue }
            let version = handler.protocolVersion >= 3 ? 1 : 0
            if encoded[message][version] == nil {
                var bytes = allocator.buffer(capacity: 96)
                messages[message].forProtocol(handler.protocolVersion).write(to: &bytes)
                encoded[message][version] = bytes
            }
            let index: Int
            if let known = receiverIndex[client] {
                index = known
            } else {
                index = receivers.count
                receiverIndex[client] = index
                receivers.append((handler, allocator.buffer(capacity: 256)))
            }
            receivers[index].bytes.writeImmutableBuffer(encoded[message][version]!)
        }
        for (handler, bytes) in receivers {
            handler.write(encoded: bytes)
            handler.flushDeliveries()
        }
    }
}
