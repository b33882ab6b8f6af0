import PaxosCore

/// The nemesis: crashes, restarts and partitions during the chaos phase, then healing.
extension Simulation {
    func nextFaultGap() -> UInt64 {
        let mean = configuration.flapping ? max(configuration.meanFaultGapUnits / 5, 10) : configuration.meanFaultGapUnits
        return UInt64.random(in: 1...(2 * mean), using: &random)
    }

    func injectFault() {
        guard !healed else { return }
        var choices: [() -> Void] = []
        if configuration.crashes {
            let up = nodes.indices.filter { nodes[$0].isUp }
            let down = nodes.indices.filter { !nodes[$0].isUp }
            if let victim = up.randomElement(using: &random) { choices.append { self.crash(node: victim) } }
            if let leader = currentLeaderIndex() { choices.append { self.crash(node: leader) } }
            if let back = down.randomElement(using: &random) {
                choices.append { self.start(node: back) }
                choices.append { self.start(node: back) }
            }
        }
        if configuration.partitions {
            choices.append { self.splitRandomly() }
            choices.append { self.isolateLeader() }
            choices.append { self.cut = [] }
        }
        if let choice = choices.randomElement(using: &random) {
            stats.faults += 1
            choice()
        }
        schedule(.fault, after: nextFaultGap())
    }

    /// The lowest-numbered replica that believes it leads, if any is up.
    func currentLeaderIndex() -> Int? {
        nodes.indices.first { nodes[$0].replica?.status.role == "leader" }
    }

    func splitRandomly() {
        let ids = nodes.map(\.id.rawValue).shuffled(using: &random)
        let size = Int.random(in: 1..<ids.count, using: &random)
        cutBetween(Array(ids.prefix(size)), Array(ids.dropFirst(size)))
    }

    /// Cuts the leader (and, sometimes, one follower with it) off from the majority.
    func isolateLeader() {
        guard let leader = currentLeaderIndex() else { return splitRandomly() }
        var minority = [nodes[leader].id.rawValue]
        let others = nodes.map(\.id.rawValue).filter { $0 != minority[0] }.shuffled(using: &random)
        if others.count > 3 && Bool.random(using: &random) { minority.append(others[0]) }
        cutBetween(minority, others.filter { !minority.contains($0) })
    }

    func cutBetween(_ a: [UInt32], _ b: [UInt32]) {
        cut = []
        for x in a {
            for y in b { cut.insert([min(x, y), max(x, y)]) }
        }
    }

    /// Ends the chaos: every node up, no partition, no loss or duplication.
    func heal() {
        healed = true
        healedAt = now
        cut = []
        dropRate = 0
        duplicateRate = 0
        for index in nodes.indices where !nodes[index].isUp { start(node: index) }
    }
}
