import PaxosCore

/// The simulated shell: what paxosd does with a replica's actions, with a simulated disk and
/// network in place of SQLite and TCP.
extension Simulation {
    /// Boots (or reboots) a node from its durable state.
    func start(node index: Int) {
        let id = nodes[index].id
        nodes[index].incarnation += 1
        nodes[index].replica = Replica(
            configuration: configuration.replicaConfiguration(for: id),
            durable: nodes[index].disk.durableState,
            random: random.fork(),
            logger: logger)
        nodes[index].waitingWrites = [:]
        nodes[index].waitingReads = [:]
        nodes[index].stagedSnapshot = nil
        // Spread tick phases so replicas do not act in lock step.
        let phase = UInt64.random(in: 1...configuration.tickUnits, using: &random)
        schedule(.tick(node: index, incarnation: nodes[index].incarnation), after: phase)
    }

    /// Kills a node: its memory is gone and its disk keeps only what was flushed, plus a random
    /// prefix of what was in flight to it.
    func crash(node index: Int) {
        guard nodes[index].isUp else { return }
        let survivors = Int.random(in: 0...nodes[index].disk.volatileCount, using: &random)
        nodes[index].disk.crash(survivors: survivors)
        nodes[index].replica = nil
        nodes[index].incarnation += 1
        stats.crashes += 1
    }

    func step(node index: Int, _ input: Input) {
        guard var replica = nodes[index].replica else { return }
        let actions = replica.step(input)
        nodes[index].replica = replica
        for violation in replica.invariantViolations() { fail("replica \(nodes[index].id) invariant: \(violation)") }
        for action in actions { execute(action, at: index) }
    }

    func execute(_ action: Action, at index: Int) {
        let id = nodes[index].id
        switch action {
        case .persist(let record):
            for entry in record.entries where entry.chosen { noteChosen(entry.slot, entry.command, by: id) }
            nodes[index].disk.buffered.append(record)
            if !nodes[index].disk.flushScheduled {
                nodes[index].disk.flushScheduled = true
                let delay = UInt64.random(in: 1...configuration.maxFlushDelayUnits, using: &random)
                schedule(.flush(node: index, incarnation: nodes[index].incarnation), after: delay)
            }
        case .send(let to, let message):
            transmit(message, from: id, to: to)
        case .apply(let slot, let command):
            apply(slot: slot, command: command, at: index)
        case .reply(let reply):
            answer(reply, at: index)
        case .sendSnapshot(let to):
            stats.snapshotsSent += 1
            transmitSnapshot(nodes[index].disk.stateMachine, from: id, to: to)
        case .installSnapshot(let slot):
            install(slot: slot, at: index)
        }
    }

    func transmitSnapshot(_ snapshot: KVStateMachine, from: ReplicaID, to: ReplicaID) {
        if Double.random(in: 0..<1, using: &random) < dropRate { return }
        let delay = UInt64.random(in: 1...configuration.maxDelayUnits, using: &random)
        schedule(.deliverSnapshot(from: from, to: to, snapshot), after: delay)
    }

    /// Snapshot checker: what a replica installs must be exactly the state after applying the
    /// chosen commands through the snapshot's slot, in order, to an empty state machine.
    func install(slot: Slot, at index: Int) {
        let id = nodes[index].id
        guard let snapshot = nodes[index].stagedSnapshot, snapshot.appliedThrough == slot else {
            fail("snapshot: replica \(id) was told to install slot \(slot) but has \(nodes[index].stagedSnapshot.map { "slot \($0.appliedThrough)" } ?? "nothing") staged")
            return
        }
        guard slot > nodes[index].disk.stateMachine.appliedThrough else {
            fail("snapshot: replica \(id) installs slot \(slot) at or below its applied slot \(nodes[index].disk.stateMachine.appliedThrough)")
            return
        }
        var reference = KVStateMachine()
        var next = Slot(1)
        while next <= slot {
            guard let command = chosen[next] else {
                fail("snapshot: replica \(id) installs slot \(slot) but slot \(next) was never chosen")
                return
            }
            _ = reference.apply(slot: next, command: command)
            next = next.next
        }
        if reference != snapshot {
            fail("snapshot: replica \(id)'s snapshot of slot \(slot) differs from replaying the chosen commands")
            return
        }
        stats.snapshotsInstalled += 1
        nodes[index].disk.install(snapshot)
        nodes[index].stagedSnapshot = nil
    }

    /// The shell's retention policy: keep `retainSlots` applied slots, compacting in steps of
    /// at least half that, like paxosd's scheduler.
    func compactIfDue(node index: Int) {
        guard let retain = configuration.retainSlots, let replica = nodes[index].replica else { return }
        let applied = replica.appliedThrough.rawValue
        guard applied > replica.snapshotThrough.rawValue + retain + max(1, retain / 2) else { return }
        let through = Slot(applied - retain)
        step(node: index, .compact(through: through))
        nodes[index].disk.compact(through: through)
        stats.compactions += 1
    }

    func transmit(_ message: Message, from: ReplicaID, to: ReplicaID) {
        stats.messages += 1
        if Double.random(in: 0..<1, using: &random) < dropRate { return }
        let copies = Double.random(in: 0..<1, using: &random) < duplicateRate ? 2 : 1
        for _ in 0..<copies {
            let delay = UInt64.random(in: 1...configuration.maxDelayUnits, using: &random)
            schedule(.deliver(from: from, to: to, message), after: delay)
        }
    }

    func isCut(_ a: ReplicaID, _ b: ReplicaID) -> Bool {
        cut.contains([min(a.rawValue, b.rawValue), max(a.rawValue, b.rawValue)])
    }

    /// Agreement checker: at most one command is ever chosen for a slot, across all replicas
    /// and all incarnations.
    func noteChosen(_ slot: Slot, _ command: Command, by replica: ReplicaID) {
        if let known = chosen[slot] {
            if known != command {
                fail("agreement: replica \(replica) learned a different command for slot \(slot) than was chosen before")
            }
        } else {
            chosen[slot] = command
        }
    }

    func apply(slot: Slot, command: Command, at index: Int) {
        let id = nodes[index].id
        noteChosen(slot, command, by: id)
        let expected = nodes[index].disk.stateMachine.appliedThrough.next
        guard slot == expected else {
            fail("applied prefix: replica \(id) applied slot \(slot) but its next slot is \(expected)")
            return
        }
        stats.applies += 1
        let results = nodes[index].disk.apply(slot: slot, command: command)
        for (request, result) in results {
            guard let waiting = nodes[index].waitingWrites[request.client], waiting.sequence == request.sequence else { continue }
            nodes[index].waitingWrites[request.client] = nil
            let outcome: SimOutcome
            switch result {
            case .ok: outcome = .ok
            case .deleted(let existed): outcome = .deleted(existed: existed)
            case .superseded: continue  // Our clients never have two writes outstanding.
            }
            let client = Int(request.client.rawValue - 1000)
            replyToClient(client, op: waiting.op, .outcome(outcome))
        }
    }

    func answer(_ reply: ClientReply, at index: Int) {
        switch reply {
        case .readReady(let id):
            guard let read = nodes[index].waitingReads.removeValue(forKey: id) else { return }
            let value = nodes[index].disk.stateMachine.get(read.key)
            replyToClient(read.client, op: read.op, .outcome(.value(value)))
        case .readRejected(let id, let reason):
            guard let read = nodes[index].waitingReads.removeValue(forKey: id) else { return }
            replyToClient(read.client, op: read.op, simReply(for: reason))
        case .proposalRejected(let request, let reason):
            guard let waiting = nodes[index].waitingWrites[request.client], waiting.sequence == request.sequence else { return }
            nodes[index].waitingWrites[request.client] = nil
            replyToClient(Int(request.client.rawValue - 1000), op: waiting.op, simReply(for: reason))
        }
    }

    func simReply(for reason: RejectReason) -> SimReply {
        switch reason {
        case .notLeader(let leader): .redirect(leader)
        case .overloaded: .busy
        }
    }
}
