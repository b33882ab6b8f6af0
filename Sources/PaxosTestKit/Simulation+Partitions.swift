import PaxosCore

/// Partition shapes beyond a clean split (`partitionPatterns`), the ones that made a rejoining
/// node depose healthy leaders in the partition tests of real clusters:
/// - **bridge**: one node sees everyone, the others split into two sides that do not see each
///   other (A–B–C: B sees both, A and C do not see each other);
/// - **ring**: nodes in a random cyclic order, each seeing only its two neighbours;
/// - **flapping link**: one link toggles, cut or restored, at every such fault (with `flapping`
///   the faults come five times as often, so the link flaps);
/// - **majority/minority split** and **isolate the leader** are `splitRandomly` and
///   `isolateLeader`, which every run with partitions has.
///
/// Each replaces the partition in force (like a split), except the flapping link, which toggles
/// one link of it. Every choice draws from the run's generator, so seeds replay.
extension Simulation {
    func appendPartitionPatterns(to choices: inout [() -> Void]) {
        choices.append { self.bridge() }
        choices.append { self.ring() }
        choices.append { self.flapLink() }
        choices.append { self.flapLink() }
        // Splits and leader isolation once more, counted by shape.
        choices.append { self.countPattern("split"); self.splitRandomly() }
        choices.append { self.countPattern("isolate-leader"); self.isolateLeader() }
    }

    func countPattern(_ pattern: String) {
        stats.partitionsByPattern[pattern, default: 0] += 1
    }

    var nodeIDs: [UInt32] { (1...configuration.replicas).map { UInt32($0) } }

    /// One node sees everyone; the rest split into two non-empty sides that do not see each
    /// other. With fewer than three nodes there is no bridge: a split instead.
    func bridge() {
        countPattern("bridge")
        let ids = nodeIDs.shuffled(using: &random)
        guard ids.count >= 3 else { return splitRandomly() }
        let others = Array(ids.dropFirst())
        let size = Int.random(in: 1..<others.count, using: &random)
        cutBetween(Array(others.prefix(size)), Array(others.dropFirst(size)))
    }

    /// Each node sees only its two neighbours in a random cyclic order (with three nodes that is
    /// everyone: no cut).
    func ring() {
        countPattern("ring")
        let order = nodeIDs.shuffled(using: &random)
        cut = []
        let n = order.count
        for i in 0..<n {
            for j in (i + 1)..<n {
                let distance = min(j - i, n - (j - i))
                if distance > 1 { cut.insert([min(order[i], order[j]), max(order[i], order[j])]) }
            }
        }
    }

    /// Cuts one random link, or restores it if it is cut.
    func flapLink() {
        countPattern("flap")
        let ids = nodeIDs.shuffled(using: &random)
        guard ids.count >= 2 else { return }
        let link = [min(ids[0], ids[1]), max(ids[0], ids[1])]
        if cut.contains(link) { cut.remove(link) } else { cut.insert(link) }
    }
}
