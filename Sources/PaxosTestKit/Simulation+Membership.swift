import PaxosCore

/// Reconfiguration and disk loss (`SimConfiguration.reconfigure`, `.diskLoss`), and the
/// membership checkers.
///
/// ## The operator
/// Every `meanChangeGapUnits` or so the simulated operator asks the replica it believes leads (a
/// random up one when none does) for a change, with `Input.changeMembership`, as `paxosctl`
/// would: first any repair (a voter whose disk was replaced gets `replaceIncarnation`, a learner
/// whose disk was replaced is removed), then, with `reconfigure` and before the heal, a random
/// change: add a non-member as a learner, promote a learner, remove a voter or learner
/// (sometimes the leader itself), or replace a voter's disk (a planned disk loss followed by
/// `replaceIncarnation`). Answers are counted; a change is *applied* when a configure command is
/// chosen (`noteChosen`).
///
/// The operator is careful in two ways a real one must be too, so runs stay live:
/// - **No membership without a live majority.** A voter counts only with the incarnation of its
///   current disk; a change (and a disk loss) is made only if every membership that governs or
///   may govern (the current one, the newest chosen, and every one proposed but not yet decided)
///   keeps a majority of voters whose disks are the listed ones. A disk loss of a non-voter is
///   always allowed. This is what bounds concurrent disk losses: with three voters, a second
///   disk loss waits until the first one's replacement is chosen.
/// - **Promote, add and remove only once every member caught up with the newest change.** A
///   replica takes messages only from replicas its memberships name; a member that missed a
///   change (down, cut off) would refuse a leader added by it and never catch up.
///
/// ## Disk loss
/// The replica restarts with `DurableState.empty`, an empty state machine and a new random
/// incarnation. Its bootstrap membership names it at `Incarnation.initial`, so it votes nowhere
/// and catches up as a learner until the replacement naming its new incarnation governs.
/// `SimulatorBug.emptyDiskVotes` keeps the old incarnation: the empty disk votes as the acceptor
/// that forgot.
///
/// ## Checkers
/// Besides agreement (which covers configure commands like any other), epochs must grow with the
/// slot that chose them (a change computed from a stale membership undoes one), every replica's
/// schedule of memberships must agree, fromSlot by fromSlot, with every other's and with the one the
/// chosen configure commands give; and a replica that is not a voter (`status.isVoter`) must
/// never send a promise, an accepted or a heartbeat acknowledgement.
struct SimMembershipTracker {
    /// The first membership, every replica's bootstrap.
    let bootstrap: Membership
    /// Configure commands known chosen, by the slot that chose them.
    var configures: [Slot: Membership] = [:]
    /// The configures that take effect (each the successor of the one before, in slot order),
    /// over the contiguous chosen prefix.
    var chosen: [Slot: Membership] = [:]
    /// Memberships a leader proposed whose slot is not known chosen yet.
    var proposed: [Slot: Membership] = [:]
    /// The schedule as replicas hold it, by first slot governed: the first replica to hold a
    /// `fromSlot` sets it, every other must agree.
    var schedule: [Slot: Membership] = [:]
    /// The successor named by the last hand-over, until the next election.
    var handOverSuccessor: ReplicaID?
    /// Planned replacements asked for before the disk is swapped
    /// (`SimConfiguration.replaceBeforeSwap`): the incarnation the new disk will have, by node.
    var pendingSwaps: [ReplicaID: Incarnation] = [:]
    /// Slots chosen recently, for the broken-quorum trigger (`Simulation+QuorumWatch.swift`).
    var watched: [Slot] = []
    /// Every slot through this one is known chosen (with `SimConfiguration.cutAtBrokenQuorum`).
    var chosenFrontier: Slot = .zero

    init(bootstrap: Membership) {
        self.bootstrap = bootstrap
        schedule[Slot(1)] = bootstrap
    }

    /// The newest chosen membership and the slot that chose it (zero for the bootstrap).
    var latest: (slot: Slot, membership: Membership) {
        chosen.max { $0.key < $1.key }.map { ($0.key, $0.value) } ?? (.zero, bootstrap)
    }
}

/// What the operator did and saw in one run.
public struct SimulationMembershipStats: Hashable, Sendable {
    public var requested = 0
    public var proposed = 0
    public var refused = 0
    /// Configure commands chosen, and those that took effect (the changes made; a stale one,
    /// computed from an older membership, changes nothing).
    public var chosen = 0
    public var applied = 0
    public var diskLosses = 0
    /// Hand-overs sent by leaders leaving the voters (one per leader, not per message), and
    /// those after which the named successor led next.
    public var handOvers = 0
    public var handOversTaken = 0
    public init() {}
}

extension Simulation {
    static func freshIncarnation(using random: inout SeededGenerator) -> Incarnation {
        Incarnation(UInt64.random(in: 2...UInt64.max, using: &random))
    }

    func trace(_ line: @autoclosure () -> String) {
        if traceMembership { print("t=\(now) \(line())") }
    }

    /// Every replica's view, for `traceMembership` at the end of a run.
    func traceReplicas() {
        guard traceMembership else { return }
        for index in replicas.indices {
            guard let replica = replicas[index].replica else {
                trace("\(name(index)) down, disk applied \(replicas[index].disk.stateMachine.appliedThrough)")
                continue
            }
            let status = replica.status
            trace("\(name(index)) \(status.role) inc=\(status.incarnation) voter=\(status.isVoter) promised=\(status.promised) "
                  + "chosen=\(status.chosenThrough) applied=\(status.appliedThrough) leader=\(status.leader.map { "\($0)" } ?? "-") "
                  + "schedule=\(replica.memberships.map { "\($0.fromSlot):\($0.membership)" })")
        }
    }

    /// The extra time a run with disk loss or reconfiguration gets after the heal: a full
    /// catch-up of every slot chosen so far, a message of `maxEntriesPerMessage` commands per
    /// round trip. Zero without either, so other runs keep their bound.
    var catchUpGraceUnits: UInt64 {
        guard configuration.reconfigure || configuration.diskLoss else { return 0 }
        let messages = groups[0].highestChosen.rawValue / UInt64(configuration.knobs.maxEntriesPerMessage) + 1
        return messages * (2 * configuration.maxDelayUnits + configuration.knobs.retransmitTicks * configuration.tickUnits)
    }

    func nextChangeGap() -> UInt64 {
        UInt64.random(in: 1...(2 * configuration.meanChangeGapUnits), using: &random)
    }

    /// The operator's turn: a repair if one is due, else (with `reconfigure`, before the heal) a
    /// random change. Stops when clients stop invoking, so the cluster can settle.
    func operatorNext() {
        guard now < stopInvoking else { return }
        if let repair = neededRepair() {
            ask(repair)
            schedule(.membershipChange, after: min(nextChangeGap(), 50))
            return
        }
        schedule(.membershipChange, after: nextChangeGap())
        let hasty = configuration.plantedBug == .applyMembershipImmediately
        guard configuration.reconfigure, !healed, hasty || allMembersCaughtUp else { return }
        let latest = membership.latest.membership
        if hasty {
            // The planted bug's operator only makes planned disk replacements (`Simulation.init`).
            if let voter = latest.voters.randomElement(using: &random) { replaceDisk(of: voter.id) }
            return
        }
        var choices: [() -> Void] = []
        let outsiders = (1...configuration.nodes).map { ReplicaID(UInt32($0)) }.filter { latest.member($0) == nil }
        if let newcomer = outsiders.randomElement(using: &random) { choices.append { self.addLearner(newcomer) } }
        let promotable = latest.learners.filter { isCurrentDisk($0) }
        if let learner = promotable.randomElement(using: &random) { choices.append { self.ask(.promote(learner.id)) } }
        if let leaving = latest.ids.randomElement(using: &random) { choices.append { self.askRemove(leaving) } }
        if let leader = currentLeaderNode().map({ ReplicaID(UInt32($0 + 1)) }), latest.isVoter(leader) {
            choices.append { self.askRemove(leader) }
        }
        if let voter = latest.voters.randomElement(using: &random) { choices.append { self.replaceDisk(of: voter.id) } }
        choices.randomElement(using: &random)?()
    }

    /// A voter whose disk is not the one its membership names gets its new incarnation; a
    /// learner in that state is removed (it is re-added as a newcomer later).
    func neededRepair() -> MembershipChange? {
        let latest = membership.latest.membership
        if let stale = latest.voters.first(where: { !isCurrentDisk($0) }) {
            return .replaceIncarnation(Member(id: stale.id, incarnation: replicas[replicaIndex(group: 0, id: stale.id)].databaseIncarnation))
        }
        if let stale = latest.learners.first(where: { !isCurrentDisk($0) }) { return .remove(stale.id) }
        return nil
    }

    /// True when `member`'s node runs the disk the membership names.
    func isCurrentDisk(_ member: Member) -> Bool {
        replicas[replicaIndex(group: 0, id: member.id)].databaseIncarnation == member.incarnation
    }

    /// True when every member of the newest membership, up or down, has applied the slot that
    /// chose it (so knows every replica a leader can be).
    var allMembersCaughtUp: Bool {
        let (slot, latest) = membership.latest
        return latest.ids.allSatisfy { replicas[replicaIndex(group: 0, id: $0)].disk.stateMachine.appliedThrough >= slot }
    }

    /// The memberships that govern or may come to: every one governing a slot above the lowest
    /// applied slot among the newest membership's voters on their listed disks, and every
    /// proposal not decided yet. Not the highest slot known chosen: a slot whose chosen
    /// knowledge lived only on a lost disk must be recovered by phase 1 under its membership.
    var liveMemberships: [Membership] {
        let latest = membership.latest.membership
        let frontier = latest.voters.filter(isCurrentDisk)
            .map { replicas[replicaIndex(group: 0, id: $0.id)].disk.stateMachine.appliedThrough }.min() ?? .zero
        let distance = configuration.plantedBug == .applyMembershipImmediately ? 1 : Membership.activationDistance
        var result = [membership.bootstrap]
        for (slot, chosen) in membership.chosen.sorted(by: { $0.key < $1.key }) {
            if slot.rawValue + distance <= frontier.rawValue + 1 { result = [chosen] } else { result.append(chosen) }
        }
        return result + membership.proposed.values
    }

    /// True when `candidate` (and every live membership) keeps a majority of voters on their
    /// listed disks if `losing` loses its disk.
    func staysLive(_ candidate: Membership? = nil, losing: ReplicaID? = nil) -> Bool {
        (liveMemberships + (candidate.map { [$0] } ?? [])).allSatisfy { membership in
            membership.voters.filter { $0.id != losing && isCurrentDisk($0) }.count >= membership.majority
        }
    }

    /// Asks for `change` at the replica believed to lead (a random up one if none does).
    func ask(_ change: MembershipChange) {
        let up = replicas.indices.filter { replicas[$0].isUp }
        let target = currentLeaderNode() ?? up.randomElement(using: &random)
        guard let target else { return }
        stats.membership.requested += 1
        trace("operator asks \(name(target)): \(change)")
        step(target, .changeMembership(change))
    }

    func askRemove(_ id: ReplicaID) {
        let change = MembershipChange.remove(id)
        guard let next = try? change.applied(to: membership.latest.membership), staysLive(next) else { return }
        ask(change)
    }

    /// Adds a non-member as a learner: a removed replica keeps its disk half the time, else (and
    /// always for a spare that never joined) it gets a fresh one, as a newly installed node.
    func addLearner(_ id: ReplicaID) {
        let index = replicaIndex(group: 0, id: id)
        // A removed voter may still be needed: slots its old membership governs may wait for
        // phase 1 there.
        if replicas[index].disk.stateMachine.appliedThrough > .zero, Bool.random(using: &random), staysLive(losing: id) {
            loseDisk(index)
        }
        ask(.addLearner(Member(id: id, incarnation: replicas[index].databaseIncarnation)))
    }

    /// A planned disk replacement: the voter's disk is lost, then its new incarnation is asked for.
    func replaceDisk(of id: ReplicaID) {
        guard staysLive(losing: id) else { return }
        if configuration.replaceBeforeSwap {
            let next = Self.freshIncarnation(using: &random)
            membership.pendingSwaps[id] = next
            ask(.replaceIncarnation(Member(id: id, incarnation: next)))
            return
        }
        loseDisk(replicaIndex(group: 0, id: id))
        if let repair = neededRepair() { ask(repair) }
    }

    /// A planned replacement's change was chosen: the old disk goes, the new one (with the
    /// incarnation the change names) comes up empty. Skipped when losing the old disk now would
    /// leave a live membership without a majority; the operator's repair takes over then.
    func swapDisk(of id: ReplicaID) {
        guard let next = membership.pendingSwaps.removeValue(forKey: id), staysLive(losing: id) else { return }
        loseDisk(replicaIndex(group: 0, id: id), incarnation: next)
    }

    /// The nemesis' disk loss: a random node whose loss keeps every live membership live.
    func loseRandomDisk() {
        let eligible = (1...configuration.nodes).map { ReplicaID(UInt32($0)) }.filter { staysLive(losing: $0) }
        guard let victim = eligible.randomElement(using: &random) else { return }
        loseDisk(replicaIndex(group: 0, id: victim))
    }

    /// The replica restarts with an empty disk and (unless the simulator's bug keeps the old
    /// one) a new incarnation.
    func loseDisk(_ index: Int, incarnation: Incarnation? = nil) {
        crash(replica: index)
        replicas[index].disk = SimDisk(sessionExpirySlots: configuration.sessionExpirySlots, plantedBug: configuration.stateMachineBug)
        if configuration.simulatorBug != .emptyDiskVotes {
            replicas[index].databaseIncarnation = incarnation ?? Self.freshIncarnation(using: &random)
        }
        stats.membership.diskLosses += 1
        trace("\(name(index)) lost its disk; incarnation now \(replicas[index].databaseIncarnation)")
        start(replica: index)
    }

    func noteProposed(_ change: MembershipChange, membership proposed: Membership, slot: Slot) {
        stats.membership.proposed += 1
        trace("proposed in slot \(slot): \(proposed)")
        if groups[0].chosen[slot] == nil { membership.proposed[slot] = proposed }
    }

    func noteRefused(_ change: MembershipChange, _ reason: MembershipRefusal) {
        stats.membership.refused += 1
        trace("refused \(change): \(reason)")
    }

    /// Called when a slot is first known chosen: settles a proposal, records a configure.
    func noteChosenMembership(_ slot: Slot, _ command: Command) {
        membership.proposed[slot] = nil
        guard let chosen = command.membership else { return }
        membership.configures[slot] = chosen
        stats.membership.chosen += 1
        // What every replica makes of the chosen configures, in slot order: one computed from an
        // older membership than the newest is a stale proposal and changes nothing (the core's
        // `scheduleMembership`). Slots are learned out of order, so the chain is rebuilt.
        var effective: [Slot: Membership] = [:]
        var epoch = membership.bootstrap.epoch
        for (slot, configure) in membership.configures.sorted(by: { $0.key < $1.key }) where configure.epoch == epoch + 1 {
            effective[slot] = configure
            epoch += 1
        }
        membership.chosen = effective
        stats.membership.applied = effective.count
        trace("chosen in slot \(slot): \(chosen)\(effective[slot] == nil ? " (stale, or after a hole)" : "")")
        for (id, next) in membership.pendingSwaps where chosen.voters.contains(Member(id: id, incarnation: next)) {
            // Swapped in an event of its own: this runs inside another replica's step.
            schedule(.swapDisk(id: id), after: 1)
        }
        let distance = configuration.plantedBug == .applyMembershipImmediately ? 1 : Membership.activationDistance
        for (slot, effective) in effective.sorted(by: { $0.key < $1.key }) {
            if let known = membership.schedule[Slot(slot.rawValue + distance)], known != effective {
                fail("membership schedule: a replica holds \(known) from slot \(slot.rawValue + distance), but slot \(slot) chose \(effective)")
            }
        }
    }

    /// Membership checkers, after each step of replica `index` (`wasVoter`: its status before).
    func checkMemberships(_ index: Int, _ replica: Replica, wasVoter: Bool, _ input: Input, _ actions: [Action]) {
        for scheduled in replica.memberships {
            if let known = membership.schedule[scheduled.fromSlot] {
                if known != scheduled.membership {
                    fail("membership schedule: \(name(index)) has \(scheduled.membership) from slot \(scheduled.fromSlot), "
                         + "another replica has \(known)")
                    return
                }
            } else {
                membership.schedule[scheduled.fromSlot] = scheduled.membership
            }
        }
        let votes = actions.compactMap { action -> String? in
            guard case .send(let to, let message) = action else { return nil }
            switch message {
            case .promise, .accepted, .heartbeatAck: return "\(message.kind) to \(to)"
            default: return nil
            }
        }
        // Not a voter before the step nor after it: a step may end a replica's last membership
        // (the frontier passes its last slot) after it answered as a voter.
        if !votes.isEmpty && !wasVoter && !replica.status.isVoter {
            fail("membership: \(name(index)), not a voter (incarnation \(replica.configuration.incarnation), "
                 + "\(replica.status.latestMembership)), sent \(votes.joined(separator: ", ")) in a step for \(input)")
        }
    }
}
