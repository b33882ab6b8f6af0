import PaxosCore

/// The links one episode cuts, once the leader at its start is known.
struct PartitionShape: Sendable, CustomStringConvertible {
    /// Node pairs `[a, b]` with `a < b`, cut both ways for the whole hold. For flapping: the one
    /// link, cut at the start and toggled after each of `flapDelaysMilliseconds`.
    var cuts: [[Int]]
    /// Flapping only: the delays between toggles of the link; they add up to the hold.
    var flapDelaysMilliseconds: [Int] = []
    /// The shape in words, with node ids: "minority [2, 5] (with leader 5) | majority [1, 3, 4]".
    var summary: String

    var description: String { summary }
}

extension PartitionSchedule.Episode {
    /// Sub-second to second: the flapping link's state lasts this long between toggles.
    static let flapIntervalMilliseconds = 200...1_200

    /// The cuts this episode makes on nodes `ids` when `leader` leads (nil: none known; a node
    /// drawn from the seed stands in for it). Pure: the same episode, leader and ids give the same
    /// shape.
    func shape(leader: Int?, ids: [Int]) -> PartitionShape {
        var random = SeededGenerator(seed: nodeSeed)
        let pivot = leader ?? ids[Int.random(in: 0..<ids.count, using: &random)]
        let pivotName = leader == nil ? "node \(pivot) (no leader known)" : "leader \(pivot)"
        let others = ids.filter { $0 != pivot }.shuffled(using: &random)
        switch kind {
        case .isolateLeader:
            return PartitionShape(cuts: Self.crossCuts([pivot], others), summary: "\(pivotName) isolated")
        case .split:
            // A minority of 1...(n-1)/2 nodes; half the time the leader is in it.
            let size = Int.random(in: 1...(ids.count - 1) / 2, using: &random)
            let withLeader = Bool.random(using: &random)
            let minority = withLeader ? [pivot] + Array(others.prefix(size - 1)) : Array(others.prefix(size))
            let majority = ids.filter { !minority.contains($0) }
            return PartitionShape(
                cuts: Self.crossCuts(minority, majority),
                summary: "minority \(minority.sorted()) \(withLeader ? "with" : "without") \(pivotName) | majority \(majority)")
        case .bridge:
            // The leader is the bridge a third of the time, else on a side.
            let bridge = Int.random(in: 0..<3, using: &random) == 0 ? pivot : others[0]
            let sided = ids.filter { $0 != bridge }.shuffled(using: &random)
            let size = Int.random(in: 1..<sided.count, using: &random)
            let (left, right) = (Array(sided.prefix(size)).sorted(), Array(sided.dropFirst(size)).sorted())
            return PartitionShape(
                cuts: Self.crossCuts(left, right),
                summary: "bridge \(bridge) between \(left) and \(right) (\(pivotName))")
        case .ring:
            let order = ids.shuffled(using: &random)
            return PartitionShape(cuts: Self.ringCuts(order), summary: "ring \(order) (\(pivotName))")
        case .flapping:
            // Half the time the link is the leader's.
            let first = Bool.random(using: &random) ? pivot : others[0]
            let second = others.first { $0 != first }!
            var delays: [Int] = []
            while delays.reduce(0, +) < holdMilliseconds {
                delays.append(Int.random(in: Self.flapIntervalMilliseconds, using: &random))
            }
            return PartitionShape(
                cuts: [[min(first, second), max(first, second)]], flapDelaysMilliseconds: delays,
                summary: "link \(min(first, second))–\(max(first, second)) flaps \(delays.count) times (\(pivotName))")
        }
    }

    /// Every pair with one node in `a` and one in `b`.
    static func crossCuts(_ a: [Int], _ b: [Int]) -> [[Int]] {
        a.flatMap { x in b.map { y in [min(x, y), max(x, y)] } }.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// Every pair that is not adjacent in the cyclic `order`.
    static func ringCuts(_ order: [Int]) -> [[Int]] {
        let n = order.count
        var cuts: [[Int]] = []
        for i in 0..<n {
            for j in (i + 1)..<n where min(j - i, n - (j - i)) > 1 {
                cuts.append([min(order[i], order[j]), max(order[i], order[j])])
            }
        }
        return cuts.sorted { $0.lexicographicallyPrecedes($1) }
    }
}
