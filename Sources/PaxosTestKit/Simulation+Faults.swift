import PaxosCore

/// The nemesis: crashes, restarts, power losses and partitions during the chaos phase, then
/// healing.
///
/// Crashes and partitions are node-level: they hit every group's replica on the node, or every
/// group's traffic on the link. With several groups the nemesis also crashes and restarts one
/// group's replica alone, as if that group's storage thread died, so groups diverge.
extension Simulation {
    /// With power losses, the nemesis looks this many times as often for the moment a power
    /// loss would hurt (`nodesHoldingUnsyncedChosenVote`), and makes an ordinary fault at one look in
    /// this many, so ordinary faults keep their rate.
    static let powerLossLooks: UInt64 = 4

    func nextFaultGap() -> UInt64 {
        var mean = configuration.flapping ? max(configuration.meanFaultGapUnits / 5, 10) : configuration.meanFaultGapUnits
        if configuration.powerLosses { mean = max(mean / Self.powerLossLooks, 5) }
        return UInt64.random(in: 1...(2 * mean), using: &random)
    }

    func injectFault() {
        guard !healed else { return }
        if configuration.powerLosses {
            if let holders = nodesHoldingUnsyncedChosenVote() {
                // The moment a power loss is worth most, and the nodes that still hold the
                // value boot last.
                stats.faults += 1
                losePower(late: holders)
                return schedule(.fault, after: nextFaultGap())
            }
            if UInt64.random(in: 0..<Self.powerLossLooks, using: &random) != 0 { return schedule(.fault, after: nextFaultGap()) }
        }
        var choices: [() -> Void] = []
        if configuration.crashes {
            let nodes = 0..<configuration.nodes
            let up = nodes.filter { node in replicaIndices(onNode: node).contains { replicas[$0].isUp } }
            let down = nodes.filter { node in replicaIndices(onNode: node).contains { !replicas[$0].isUp } }
            if let victim = up.randomElement(using: &random) { choices.append { self.crash(node: victim) } }
            if let leader = currentLeaderNode() { choices.append { self.crash(node: leader) } }
            if let back = down.randomElement(using: &random) {
                choices.append { self.start(node: back) }
                choices.append { self.start(node: back) }
            }
            if groups.count > 1 { appendGroupCrashes(to: &choices) }
            if configuration.diskLoss { choices.append { self.loseRandomDisk() } }
        }
        if configuration.powerLosses {
            let late = Array((0..<configuration.nodes).shuffled(using: &random).prefix(Int.random(in: 0...(configuration.replicas - 1) / 2, using: &random)))
            choices.append { self.losePower(late: late) }
        }
        if configuration.partitions {
            choices.append { self.splitRandomly() }
            choices.append { self.isolateLeader() }
            choices.append { self.cut = [] }
            if configuration.partitionPatterns { appendPartitionPatterns(to: &choices) }
        }
        if let choice = choices.randomElement(using: &random) {
            stats.faults += 1
            choice()
        }
        schedule(.fault, after: nextFaultGap())
    }

    /// One group's replica crashes or comes back while the rest of its node runs on.
    func appendGroupCrashes(to choices: inout [() -> Void]) {
        if let victim = replicas.indices.filter({ replicas[$0].isUp }).randomElement(using: &random) {
            choices.append {
                self.groups[self.replicas[victim].group].stats.replicaCrashes += 1
                self.crash(replica: victim)
            }
        }
        if let back = replicas.indices.filter({ !replicas[$0].isUp }).randomElement(using: &random) {
            choices.append { self.start(replica: back) }
        }
    }

    /// A node crash: every group's replica on it dies at once.
    func crash(node: Int) {
        let victims = replicaIndices(onNode: node).filter { replicas[$0].isUp }
        guard !victims.isEmpty else { return }
        for index in victims { crash(replica: index) }
        stats.crashes += 1
    }

    /// A power loss across the cluster: every node goes down at the same instant, each of its
    /// disks keeps exactly what was fsynced (the unsynced commits and the write buffer are all
    /// lost, no lucky prefix reaches the platter), and every node but the `late` ones (node
    /// indices, a minority) boots again at once; those come back with later restarts.
    ///
    /// One crash at a time rarely catches the window that matters for durability: a replica
    /// that answered before its write was synced is one vote of a quorum, and the leader (or
    /// another acceptor) still holds the value. A power loss takes every replica's unsynced
    /// tail in the same instant, so a promise or vote that was sent but not yet durable is
    /// forgotten on every replica that gave it, while the checkers remember what was chosen
    /// and answered. Correct replicas survive it: nothing they answered depends on an unsynced
    /// write, and what was only written (learned commands) is learned again.
    func losePower(late: [Int]) {
        for index in replicas.indices where replicas[index].isUp {
            replicas[index].disk.crash(survivors: 0)
            crash(replica: index)
        }
        stats.crashes += 1
        for node in 0..<configuration.nodes where !late.contains(node) { start(node: node) }
    }

    /// The nodes that hold a value durably, when a power loss now would leave a slot known
    /// chosen with its command on fewer than a majority of its group's disks: some replica's
    /// vote for it is still unsynced (in the write buffer or an unsynced commit), and too few
    /// others hold the command durably (a synced vote, or applied). A correct cluster never
    /// gets here, since a slot is chosen only by votes already durable on a majority; a replica
    /// that answers before its write is durable gets here in the few units between the answer
    /// and the fsync, which a fault at a random time rarely hits.
    func nodesHoldingUnsyncedChosenVote() -> [Int]? {
        let majority = configuration.replicas / 2 + 1
        for replica in replicas where replica.isUp {
            for record in replica.disk.volatileRecords {
                for entry in record.entries where !entry.chosen && groups[replica.group].chosen[entry.slot] == entry.command {
                    let holders = durableHolders(of: entry, group: replica.group)
                    if holders.count < majority { return holders.map { Int($0.rawValue) - 1 } }
                }
            }
        }
        return nil
    }

    /// The nodes whose disks in `group` keep `entry`'s command for its slot through a power loss.
    func durableHolders(of entry: LogEntry, group: Int) -> [ReplicaID] {
        replicas.filter { replica in
            replica.group == group && (replica.disk.stateMachine.appliedThrough >= entry.slot
                || replica.disk.entries[entry.slot]?.command == entry.command)
        }.map(\.id)
    }

    /// A node restart: every group's replica on it that is down boots from its own disk.
    func start(node: Int) {
        for index in replicaIndices(onNode: node) where !replicas[index].isUp { start(replica: index) }
    }

    /// The node of the lowest-numbered replica that believes it leads a group, if any is up:
    /// with several groups, of a group drawn at random.
    func currentLeaderNode() -> Int? {
        let group = groups.count > 1 ? Int.random(in: 0..<groups.count, using: &random) : 0
        return (0..<configuration.nodes).first { node in
            replicas[group * configuration.replicas + node].replica?.role == .leader
        }
    }

    func splitRandomly() {
        let ids = (1...configuration.nodes).map { UInt32($0) }.shuffled(using: &random)
        let size = Int.random(in: 1..<ids.count, using: &random)
        cutBetween(Array(ids.prefix(size)), Array(ids.dropFirst(size)))
    }

    /// Cuts the leader (and, sometimes, one follower with it) off from the majority.
    func isolateLeader() {
        guard let leader = currentLeaderNode() else { return splitRandomly() }
        var minority = [UInt32(leader + 1)]
        let others = (1...configuration.nodes).map { UInt32($0) }.filter { $0 != minority[0] }.shuffled(using: &random)
        if others.count > 3 && Bool.random(using: &random) { minority.append(others[0]) }
        cutBetween(minority, others.filter { !minority.contains($0) })
    }

    func cutBetween(_ a: [UInt32], _ b: [UInt32]) {
        cut = []
        for x in a {
            for y in b { cut.insert([min(x, y), max(x, y)]) }
        }
    }

    /// Ends the chaos: every replica up, no partition, no loss or duplication in any group.
    func heal() {
        healed = true
        healedAt = now
        cut = []
        for group in groups.indices {
            groups[group].weather.dropRate = 0
            groups[group].weather.duplicateRate = 0
        }
        for index in replicas.indices where !replicas[index].isUp { start(replica: index) }
    }
}


