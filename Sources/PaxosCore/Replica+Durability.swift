import Logging

/// Persist-before-send bookkeeping: records go out as `.persist` actions, acceptor replies wait
/// in `deferred` until `.persisted(upTo:)` says the record they depend on is durable.
extension Replica {
    /// Emits a persist record for the promise (if it changed) and the given entries.
    /// - Returns: the record's id, which deferred outputs wait for.
    @discardableResult
    mutating func persist(promised newPromise: Ballot?, entries: [LogEntry]) -> PersistID {
        let id = nextPersistID
        nextPersistID = PersistID(id.rawValue + 1)
        outbox.append(.persist(PersistRecord(id: id, promised: newPromise, entries: entries)))
        return id
    }

    /// The id every acceptor reply must wait for: the newest record issued so far, or nil when
    /// everything issued is already durable.
    var pendingPersist: PersistID? {
        let newest = PersistID(nextPersistID.rawValue - 1)
        return newest > durableThrough ? newest : nil
    }

    /// Sends an acceptor reply once everything issued so far is durable.
    mutating func sendWhenDurable(_ message: Message, to peer: ReplicaID) {
        if configuration._plantedBug == .replyBeforePersist {
            send(message, to: peer)  // Planted bug: the reply may reveal a vote a crash forgets.
            return
        }
        deferUntilDurable(.send(to: peer, message))
    }

    mutating func deferUntilDurable(_ output: DeferredOutput) {
        if let after = pendingPersist {
            deferred.append((after, output))
        } else {
            release(output)
        }
    }

    mutating func onPersisted(upTo id: PersistID) {
        // A stale or repeated notice is harmless: durability only grows.
        guard id > durableThrough else { return }
        precondition(id < nextPersistID, "persisted(upTo: \(id)) reports a record never issued (next is \(nextPersistID))")
        durableThrough = id
        var ready = 0
        while ready < deferred.count && deferred[ready].after <= id { ready += 1 }
        let outputs = deferred.prefix(ready).map(\.output)
        deferred.removeFirst(ready)
        for output in outputs { release(output) }
    }

    private mutating func release(_ output: DeferredOutput) {
        switch output {
        case .send(let peer, let message):
            // A promise or vote given while we were a voter, released after the frontier passed
            // the last slot we vote in (the membership naming us is pruned): those slots are
            // known chosen, so the answer is not needed, and a replica that is not a voter
            // sends none (`mayVote`).
            if case .promise = message, !mayVote { return }
            if case .accepted = message, !mayVote { return }
            send(message, to: peer)
        case .selfPromise(let ballot, let entries):
            onPromise(from: me, ballot: ballot, entries: entries)
        case .selfAccepted(let ballot, let slots):
            onAccepted(from: me, ballot: ballot, slots: slots)
        }
    }
}
