import PaxosCore
import PaxosShell

/// The simulated shell: what paxosd does with a replica's actions, with a simulated disk and
/// network in place of SQLite and TCP. Replicas are addressed by their index in `replicas`.
extension Simulation {
    /// Boots (or reboots) a replica from its durable state.
    func start(replica index: Int) {
        let id = replicas[index].id
        replicas[index].incarnation += 1
        var replicaConfiguration = configuration.replicaConfiguration(for: id, group: replicas[index].group)
        replicaConfiguration.incarnation = replicas[index].databaseIncarnation
        replicas[index].replica = Replica(
            configuration: replicaConfiguration,
            durable: replicas[index].disk.durableState,
            random: random.fork(),
            logger: logger)
        replicas[index].shell = GroupShell(settings: replicas[index].shell.settings,
                                           firstToken: GroupShell.randomFirstToken(using: &random))
        replicas[index].waiters = [:]
        replicas[index].resetSnapshotTransfers()
        replicas[index].compaction = configuration.retainSlots.map { Self.compactionSchedule(retainSlots: $0, now: now) }
        // Spread tick phases so replicas do not act in lock step.
        let phase = UInt64.random(in: 1...configuration.tickUnits, using: &random)
        schedule(.tick(replica: index, incarnation: replicas[index].incarnation), after: phase)
    }

    /// Kills a replica: its memory is gone and its disk keeps only what was flushed, plus a
    /// random prefix of what was in flight to it.
    func crash(replica index: Int) {
        guard replicas[index].isUp else { return }
        if Bool.random(using: &random) {
            // Half the crashes are paxosd's `--fail-rate` failures, which answer every waiting
            // client before the replica dies; the others are kill -9, which answers nobody.
            perform(replicas[index].shell.failAll(message: "replica \(replicas[index].id) failed (simulated)"), at: index)
        }
        let survivors = Int.random(in: 0...replicas[index].disk.volatileCount, using: &random)
        replicas[index].disk.crash(survivors: survivors)
        replicas[index].replica = nil
        replicas[index].incarnation += 1
        replicas[index].resetSnapshotTransfers()
    }

    func step(_ index: Int, _ input: Input) {
        // Taken out of the array while it steps, so the replica's storage is not shared and the
        // step mutates it in place instead of copying its log.
        guard var replica = replicas[index].replica else { return }
        replicas[index].replica = nil
        let wasLeader = replica.role == .leader
        let wasVoter = groups.count == 1 ? replica.status.isVoter : true
        let actions = replica.step(input)
        replicas[index].shell.coreStepped(actions, now: shellNow(index))
        if !wasLeader && replica.role == .leader { noteElection(replica.configuration, group: replicas[index].group) }
        replicas[index].replica = replica
        for violation in replica.invariantViolations() { fail("\(name(index)) invariant: \(violation)") }
        if configuration.partitionPatterns { noteForLeadership(index, input, actions) }
        if configuration.partitionPatterns && healed {
            if case .tick = input { watchLeadership(group: replicas[index].group, onTick: true) } else {
                watchLeadership(group: replicas[index].group, onTick: false)
            }
        }
        for action in actions { execute(action, at: index) }
        if replicas[index].group == 0, let successor = actions.lazy.compactMap({ action -> ReplicaID? in
            if case .send(_, .handOver(_, let successor)) = action { successor } else { nil }
        }).first {
            stats.membership.handOvers += 1
            membership.handOverSuccessor = successor
        }
        if groups.count == 1, let replica = replicas[index].replica { checkMemberships(index, replica, wasVoter: wasVoter, input, actions) }
        if groups.count == 1 { watchQuorums() }
    }

    func noteElection(_ configuration: ReplicaConfiguration, group: Int) {
        if group == 0, let successor = membership.handOverSuccessor {
            if successor == configuration.id { stats.membership.handOversTaken += 1 }
            membership.handOverSuccessor = nil
        }
        groups[group].stats.elections += 1
        if healed { groups[group].stats.electionsAfterHeal += 1 }
        if configuration.preferredLeader == configuration.id { groups[group].stats.preferredElections += 1 }
    }

    func execute(_ action: Action, at index: Int) {
        switch action {
        case .persist(let record):
            for entry in record.entries where entry.chosen { noteChosen(entry.slot, entry.command, at: index) }
            replicas[index].disk.buffered.append(record)
            if !replicas[index].disk.flushScheduled {
                replicas[index].disk.flushScheduled = true
                let delay = UInt64.random(in: 1...configuration.maxFlushDelayUnits, using: &random)
                schedule(.flush(replica: index, incarnation: replicas[index].incarnation), after: delay)
            }
        case .send(let to, let message):
            transmit(message, group: replicas[index].group, from: replicas[index].id, to: to)
        case .apply(let slot, let command):
            apply(slot: slot, command: command, at: index)
        case .reply(let reply):
            answer(reply, at: index)
        case .sendSnapshot(let to):
            stats.snapshotsSent += 1
            sendSnapshot(to: to, at: index)
        case .installSnapshot(let slot):
            install(slot: slot, at: index)
        case .countRefusal(let refusal):
            stats.refusals += 1
            stats.refusalsByReason[refusal.reason, default: 0] += 1
        }
    }

    /// Sends a peer message through the group's weather (loss, duplication, delay); a cut link
    /// drops it on arrival.
    func transmit(_ message: Message, group: Int, from: ReplicaID, to: ReplicaID) {
        stats.messages += 1
        if configuration.corruptGroup != nil, corrupts(group: group) { corrupt(message, group: group, from: from, to: to) }
        throughWeather(of: group, .deliver(group: group, from: from, to: to, message))
    }

    /// Schedules `event` as the group's weather has it: lost, or delivered once or twice, each
    /// copy after its own random delay.
    func throughWeather(of group: Int, _ event: SimEvent) {
        let weather = groups[group].weather
        if Double.random(in: 0..<1, using: &random) < weather.dropRate { return }
        let copies = Double.random(in: 0..<1, using: &random) < weather.duplicateRate ? 2 : 1
        for _ in 0..<copies {
            let delay = UInt64.random(in: 1...weather.maxDelayUnits, using: &random)
            schedule(event, after: delay)
        }
    }

    func isCut(_ a: ReplicaID, _ b: ReplicaID) -> Bool {
        cut.contains([min(a.rawValue, b.rawValue), max(a.rawValue, b.rawValue)])
    }

    /// Agreement checker: at most one command is ever chosen for a slot of a group, across all
    /// its replicas and all their incarnations.
    func noteChosen(_ slot: Slot, _ command: Command, at index: Int) {
        let group = replicas[index].group
        if let known = groups[group].chosen[slot] {
            if known != command {
                fail("agreement: \(name(index)) learned a different command for slot \(slot) than was chosen before")
            }
        } else {
            groups[group].chosen[slot] = command
            checkExactlyOnce(group: group)
            if groups.count == 1 {
                noteChosenMembership(slot, command)
                watchChosen(slot)
            }
        }
    }

    func apply(slot: Slot, command: Command, at index: Int) {
        noteChosen(slot, command, at: index)
        let expected = replicas[index].disk.stateMachine.appliedThrough.next
        guard slot == expected else {
            fail("applied prefix: \(name(index)) applied slot \(slot) but its next slot is \(expected)")
            return
        }
        stats.applies += 1
        let distance = replicas[index].replica?.configuration._plantedBug == .applyMembershipImmediately ? 1 : Membership.activationDistance
        let clockBefore = replicas[index].disk.stateMachine.clock
        let results = replicas[index].disk.apply(slot: slot, command: command, bootstrap: membership.bootstrap,
                                                 activationDistance: distance, ownClock: wallTime(index))
        checkClockRises(from: clockBefore, slot: slot, at: index)
        for (request, result) in results {
            let effects = replicas[index].shell.applied(request, result)
            if result == .expired, !effects.isEmpty { stats.expiredWrites += 1 }
            perform(effects, at: index)
        }
    }

    func answer(_ reply: ClientReply, at index: Int) {
        switch reply {
        case .readReady, .readRejected, .proposalRejected:
            perform(replicas[index].shell.coreReply(reply, now: shellNow(index), view: shellView(index)), at: index)
        case .membershipChangeProposed(let change, let membership, let slot):
            noteProposed(change, membership: membership, slot: slot)
        case .membershipChangeRefused(let change, let reason):
            noteRefused(change, reason)
        }
    }
}
