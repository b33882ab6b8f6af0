import NIOCore
import PaxosCore
import PaxosWire

/// Pub/sub on one connection, as Redis answers it: SUBSCRIBE/PSUBSCRIBE confirm each channel
/// or pattern with a frame carrying the connection's count of subscriptions; UNSUBSCRIBE and
/// PUNSUBSCRIBE without arguments leave all. In RESP2 a subscribed connection may run only
/// (P)(UN)SUBSCRIBE, PING (answered `["pong", msg]`) and QUIT; in RESP3 every frame is a push
/// and any command runs alongside.
///
/// Messages arrive from `Node.publish` as the node applies slots. They are written as they
/// come and flushed once per published batch; a subscriber whose unsent messages pass the
/// node's hard output limit (`clientOutputHardBytes`, as for unread replies) is disconnected
/// with a logged reason, so a stalled subscriber costs at most that much memory.
extension ClientHandler {
    /// Channels and patterns this connection listens to.
    var subscriptionCount: Int { subscribedChannels.count + subscribedPatterns.count }

    /// RESP2's subscribed mode, in which only the pub/sub commands, PING and QUIT run.
    var inSubscribedMode: Bool { protocolVersion == 2 && subscriptionCount > 0 }

    /// Redis's refusal of `name` in subscribed mode, or nil if it may run.
    func subscribedModeRefusal(_ name: String) -> String? {
        guard inSubscribedMode, !PubSubCommand.allowedWhileSubscribed.contains(name) else { return nil }
        return PubSubCommand.refusalWhileSubscribed(name)
    }

    func pubSub(_ command: PubSubCommand, done: (RESPValue) -> Void) {
        switch command {
        case .subscribe(let channels):
            if let refusal = PubSubCommand.refusal(adding: channels, to: subscribedChannels, total: subscriptionCount) {
                return done(.error(refusal))
            }
            var frames: [RESPValue] = []
            for channel in channels {
                if subscribedChannels.insert(channel).inserted { node.pubSub.subscribe(clientID, channel: channel) }
                frames.append(PubSubReply.confirmation("subscribe", channel, count: subscriptionCount))
            }
            answer(frames, done: done)
        case .psubscribe(let patterns):
            if let refusal = PubSubCommand.refusal(adding: patterns, to: subscribedPatterns, total: subscriptionCount)
                ?? node.pubSub.patternRefusal(adding: patterns) {
                return done(.error(refusal))
            }
            var frames: [RESPValue] = []
            for pattern in patterns {
                if subscribedPatterns.insert(pattern).inserted { node.pubSub.subscribe(clientID, pattern: pattern) }
                frames.append(PubSubReply.confirmation("psubscribe", pattern, count: subscriptionCount))
            }
            answer(frames, done: done)
        case .unsubscribe(let named):
            let channels = named.isEmpty ? subscribedChannels.sorted { $0.lexicographicallyPrecedes($1) } : named
            var frames: [RESPValue] = []
            for channel in channels {
                if subscribedChannels.remove(channel) != nil { node.pubSub.unsubscribe(clientID, channel: channel) }
                frames.append(PubSubReply.confirmation("unsubscribe", channel, count: subscriptionCount))
            }
            answer(frames.isEmpty ? [PubSubReply.confirmation("unsubscribe", nil, count: subscriptionCount)] : frames, done: done)
        case .punsubscribe(let named):
            let patterns = named.isEmpty ? subscribedPatterns.sorted { $0.lexicographicallyPrecedes($1) } : named
            var frames: [RESPValue] = []
            for pattern in patterns {
                if subscribedPatterns.remove(pattern) != nil { node.pubSub.unsubscribe(clientID, pattern: pattern) }
                frames.append(PubSubReply.confirmation("punsubscribe", pattern, count: subscriptionCount))
            }
            answer(frames.isEmpty ? [PubSubReply.confirmation("punsubscribe", nil, count: subscriptionCount)] : frames, done: done)
        case .channels(let pattern):
            let glob = pattern.map(GlobPattern.init)
            let names = node.pubSub.channels.keys.filter { glob?.matches($0) ?? true }.sorted { $0.lexicographicallyPrecedes($1) }
            done(.array(names.map { .bulkString($0) }))
        case .numsub(let channels):
            done(.map(channels.map { RESPValue.Pair(.bulkString($0), .integer(Int64(node.pubSub.channels[$0]?.count ?? 0))) }))
        case .numpat:
            done(.integer(Int64(node.pubSub.patterns.count)))
        }
    }

    /// One command's several frames: all but the last written now, the last as its answer.
    private func answer(_ frames: [RESPValue], done: (RESPValue) -> Void) {
        guard let last = frames.last else { preconditionFailure("a pub/sub command answered no frame") }
        for frame in frames.dropLast() { reply(frame) }
        done(last)
    }

    /// Forgets every subscription of a closing connection.
    func leavePubSub() {
        for channel in subscribedChannels { node.pubSub.unsubscribe(clientID, channel: channel) }
        for pattern in subscribedPatterns { node.pubSub.unsubscribe(clientID, pattern: pattern) }
        subscribedChannels = []
        subscribedPatterns = []
    }

    /// Sends the messages written since the last flush, then cuts off a subscriber whose unsent
    /// output passed the hard limit: it is not reading, and the node must not hold more for it.
    func flushDeliveries() {
        guard let context, context.channel.isActive else { return }
        context.flush()
        if let buffered = outputOverLimit(context) {
            leavePubSub()
            disconnectForOutput(context: context, bufferedBytes: buffered,
                                reason: "subscriber disconnected: its unread keyspace notifications passed the output limit")
        }
    }
}
