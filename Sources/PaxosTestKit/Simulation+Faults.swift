import PaxosCore

/// The nemesis: crashes, restarts and partitions during the chaos phase, then healing.
///
/// Crashes and partitions are node-level: they hit every group's replica on the node, or every
/// group's traffic on the link. With several groups the nemesis also crashes and restarts one
/// group's replica alone, as if that group's storage thread died, so groups diverge.
extension Simulation {
    func nextFaultGap() -> UInt64 {
        let mean = configuration.flapping ? max(configuration.meanFaultGapUnits / 5, 10) : configuration.meanFaultGapUnits
        return UInt64.random(in: 1...(2 * mean), using: &random)
    }

    func injectFault() {
        guard !healed else { return }
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
