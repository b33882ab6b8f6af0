import PaxosCore

/// `--corrupt-messages`: one group's peer messages are corrupted after authentication, as a
/// buggy, old or compromised-but-bounded peer (or a broken middlebox behind the handshake)
/// would, during the chaos phase. Every checker must stay green.
///
/// Modelled: extra copies delivered much later; messages this group carried earlier replayed
/// to their receiver (old ballots, old slots); catch-up replies with made-up commands from a
/// peer the receiver has not asked; a ballot's owner swapped (a proposer message in a ballot
/// its sender does not own, an answer to a ballot the receiver does not own); and bit flips in
/// the high bits of ballot rounds and slots (always leaving them above `Ballot.maxRound` or
/// `Slot.max`). Not modelled: a changed ballot or slot that stays in range and owned by the
/// sender, or a forged answer to the request the receiver did make — that is a Byzantine peer,
/// which no Paxos survives, so the simulator must not generate it.
extension Simulation {
    /// Whether `group`'s messages are corrupted now.
    func corrupts(group: Int) -> Bool {
        configuration.corruptGroup == group && !healed
    }

    /// Called for each message the group sends while corruption is on: remembers it for later
    /// replays and, now and then, adds one corrupted delivery beside the real one.
    func corrupt(_ message: Message, group: Int, from: ReplicaID, to: ReplicaID) {
        groups[group].recentMessages.append((from, to, message))
        if groups[group].recentMessages.count > SimGroup.recentMessagesMax { groups[group].recentMessages.removeFirst() }
        guard Double.random(in: 0..<1, using: &random) < configuration.corruptRate else { return }
        stats.corruptedMessages += 1
        let late = UInt64.random(in: 1...(10 * groups[group].weather.maxDelayUnits + 100), using: &random)
        switch Int.random(in: 0..<5, using: &random) {
        case 0:
            schedule(.deliver(group: group, from: from, to: to, message), after: late)
        case 1:
            let old = groups[group].recentMessages.randomElement(using: &random)!
            schedule(.deliver(group: group, from: old.from, to: old.to, old.message), after: late)
        case 2:
            let forger = ReplicaID(UInt32.random(in: 1...UInt32(configuration.replicas), using: &random))
            guard forger != to else { return }
            schedule(.deliverUnlessAsked(group: group, from: forger, to: to, forgedCatchUpReply()), after: late)
        case 3:
            schedule(.deliver(group: group, from: from, to: to, swappingBallotOwner(of: message, from: from, to: to)), after: late)
        default:
            schedule(.deliver(group: group, from: from, to: to, flippingHighBits(of: message)), after: late)
        }
    }

    /// "Chosen" commands nobody proposed, for slots a receiver is likely to lack.
    func forgedCatchUpReply() -> Message {
        let first = groups.map(\.highestChosen).max().map { UInt64.random(in: 1...$0.rawValue + 3, using: &random) } ?? 1
        let command = Command.batch([ClientRequest(client: ClientID(999), sequence: UInt64.random(in: 1...1_000, using: &random),
                                                   operation: .put(key: keyspace[0], value: Array("forged".utf8)))])
        return .catchUpReply(entries: (0..<UInt64.random(in: 1...3, using: &random)).map { ChosenEntry(slot: Slot(first + $0), command: command) })
    }

    /// The message with its ballot owned by another replica than the protocol allows: a
    /// proposer's ballot not the sender's, an answer's ballot not the receiver's.
    func swappingBallotOwner(of message: Message, from: ReplicaID, to: ReplicaID) -> Message {
        func other(than owner: ReplicaID) -> ReplicaID {
            // Any id but the owner's, members and non-members alike (0 is no replica's).
            let id = UInt32.random(in: 0...UInt32(configuration.replicas), using: &random)
            return id == owner.rawValue ? ReplicaID(UInt32(configuration.replicas) + 1) : ReplicaID(id)
        }
        func owned(_ ballot: Ballot, by owner: ReplicaID) -> Ballot { Ballot(round: ballot.round, replica: other(than: owner)) }
        switch message {
        case .prePrepare(let b, let slot): return .prePrepare(ballot: owned(b, by: from), fromSlot: slot)
        case .prePromise(let b, let granted, let promised, let inc):
            return .prePromise(ballot: owned(b, by: to), granted: granted, promised: promised, incarnation: inc)
        case .prepare(let b, let slot): return .prepare(ballot: owned(b, by: from), fromSlot: slot)
        case .accept(let b, let entries, let chosen): return .accept(ballot: owned(b, by: from), entries: entries, chosenThrough: chosen)
        case .heartbeat(let b, let chosen, let round): return .heartbeat(ballot: owned(b, by: from), chosenThrough: chosen, readRound: round)
        case .promise(let b, let entries, let compacted, let inc):
            return .promise(ballot: owned(b, by: to), entries: entries, compactedThrough: compacted, incarnation: inc)
        case .accepted(let b, let slots, let inc): return .accepted(ballot: owned(b, by: to), slots: slots, incarnation: inc)
        case .heartbeatAck(let b, let round, let inc): return .heartbeatAck(ballot: owned(b, by: to), readRound: round, incarnation: inc)
        case .reject(let b, let promised): return .reject(ballot: owned(b, by: to), promised: promised)
        case .handOver(let b, let successor): return .handOver(ballot: owned(b, by: from), successor: successor)
        case .catchUpRequest, .catchUpReply: return flippingHighBits(of: message)
        }
    }

    /// The message with bit 63 (and maybe 62) flipped in one ballot round or slot, so the
    /// number lands above `Ballot.maxRound` / `Slot.max` (every honest number is below 2^62).
    func flippingHighBits(of message: Message) -> Message {
        let mask: UInt64 = (1 << 63) | (Bool.random(using: &random) ? 1 << 62 : 0)
        let inBallot = Bool.random(using: &random)
        func flip(_ ballot: Ballot) -> Ballot { Ballot(round: ballot.round ^ mask, replica: ballot.replica) }
        func flip(_ slot: Slot) -> Slot { Slot(slot.rawValue ^ mask) }
        switch message {
        case .prePrepare(let b, let slot):
            return inBallot ? .prePrepare(ballot: flip(b), fromSlot: slot) : .prePrepare(ballot: b, fromSlot: flip(slot))
        case .prePromise(let b, let granted, let promised, let inc):
            return inBallot ? .prePromise(ballot: flip(b), granted: granted, promised: promised, incarnation: inc)
                : .prePromise(ballot: b, granted: granted, promised: flip(promised), incarnation: inc)
        case .prepare(let b, let slot):
            return inBallot ? .prepare(ballot: flip(b), fromSlot: slot) : .prepare(ballot: b, fromSlot: flip(slot))
        case .accept(let b, var entries, let chosen):
            if inBallot { return .accept(ballot: flip(b), entries: entries, chosenThrough: chosen) }
            if entries.isEmpty || Bool.random(using: &random) { return .accept(ballot: b, entries: entries, chosenThrough: flip(chosen)) }
            let index = Int.random(in: entries.indices, using: &random)
            entries[index].slot = flip(entries[index].slot)
            return .accept(ballot: b, entries: entries, chosenThrough: chosen)
        case .heartbeat(let b, let chosen, let round):
            return inBallot ? .heartbeat(ballot: flip(b), chosenThrough: chosen, readRound: round)
                : .heartbeat(ballot: b, chosenThrough: flip(chosen), readRound: round)
        case .promise(let b, var entries, let compacted, let inc):
            if inBallot || entries.isEmpty { return .promise(ballot: flip(b), entries: entries, compactedThrough: compacted, incarnation: inc) }
            let index = Int.random(in: entries.indices, using: &random)
            if Bool.random(using: &random) { entries[index].slot = flip(entries[index].slot) } else { entries[index].ballot = flip(entries[index].ballot) }
            return .promise(ballot: b, entries: entries, compactedThrough: compacted, incarnation: inc)
        case .accepted(let b, var slots, let inc):
            if inBallot || slots.isEmpty { return .accepted(ballot: flip(b), slots: slots, incarnation: inc) }
            let index = Int.random(in: slots.indices, using: &random)
            slots[index] = flip(slots[index])
            return .accepted(ballot: b, slots: slots, incarnation: inc)
        case .heartbeatAck(let b, let round, let inc):
            return .heartbeatAck(ballot: flip(b), readRound: round, incarnation: inc)
        case .reject(let b, let promised):
            return inBallot ? .reject(ballot: flip(b), promised: promised) : .reject(ballot: b, promised: flip(promised))
        case .catchUpRequest(let first, let last):
            return inBallot ? .catchUpRequest(from: flip(first), through: last) : .catchUpRequest(from: first, through: flip(last))
        case .catchUpReply(var entries):
            guard !entries.isEmpty else { return message }
            let index = Int.random(in: entries.indices, using: &random)
            entries[index].slot = flip(entries[index].slot)
            return .catchUpReply(entries: entries)
        case .handOver(let b, let successor):
            return .handOver(ballot: flip(b), successor: successor)
        }
    }
}
