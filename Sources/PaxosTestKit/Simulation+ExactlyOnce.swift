import PaxosCore

/// Exactly-once checker: no client write (client id, sequence) is executed twice by the log.
///
/// The state machines keep the rule themselves (`ClientSession.decide`): a request already
/// executed is a duplicate, answered from the session, unless its session expired, and a
/// request landing too far above the slot its client first saw (its origin) is refused, so a
/// copy that outlives the session can never execute again. That argument holds only if the
/// shells keep the origin a request was first stamped with; a shell that stamps a fresh one on
/// a re-forward lets a late copy through, and the history checker sees that only when another
/// write and a read happen to frame it. This checker sees it at once: it replays the group's
/// chosen commands in slot order on a state machine of its own and fails when a request
/// executes whose (client, sequence) already executed in an earlier slot.
struct ExactlyOnceReplay {
    var stateMachine: KVStateMachine
    /// Where each executed (client, sequence) executed.
    var executedAt: [ClientID: [UInt64: Slot]] = [:]
}

extension Simulation {
    /// Whether the log executed the write (client, sequence): what an answer "applied" claims.
    func executed(client: ClientID, sequence: UInt64, group: Int) -> Bool {
        groups[group].replay?.executedAt[client]?[sequence] != nil
    }

    /// Replays every slot chosen contiguously past the replay's frontier.
    func checkExactlyOnce(group: Int) {
        var replay = groups[group].replay ?? ExactlyOnceReplay(
            stateMachine: KVStateMachine(sessionExpirySlots: configuration.sessionExpirySlots))
        defer { groups[group].replay = replay }
        while let command = groups[group].chosen[replay.stateMachine.appliedThrough.next] {
            let slot = replay.stateMachine.appliedThrough.next
            _ = replay.stateMachine.apply(slot: slot, command: command)
            var seen: Set<[UInt64]> = []
            for request in command.requests where seen.insert([request.client.rawValue, request.sequence]).inserted {
                // Executed here exactly when the session now records this request at this slot.
                guard let session = replay.stateMachine.sessions[request.client], session.slot == slot,
                      session.lastSequence == request.sequence else { continue }
                if let earlier = replay.executedAt[request.client]?[request.sequence] {
                    return fail("exactly-once: \(request.client) sequence \(request.sequence)\(groupSuffix(group)) executed in slot \(earlier) and again in slot \(slot)")
                }
                replay.executedAt[request.client, default: [:]][request.sequence] = slot
            }
        }
    }
}
