import PaxosCore

/// The nodes' wall clocks with `SimConfiguration.leaderClocks` (docs/design/coordination-api.md
/// §8 "Leader clocks"): node `n` reads `epoch + now + offsets[n]`, where its offset is a skew
/// drawn once per run in ±`skewMaxUnits` plus every step the nemesis gave its clock since
/// (`Simulation.stepClock`). Every group's replica on a node reads the node's clock.
///
/// The epoch keeps readings positive through every skew and backward step (a reading clamped
/// at 0 would run fast, outside the bounds the TTL check is given); the log's clock starts at 0
/// and takes the first stamp whatever its size, so it changes nothing else.
///
/// Draws come from the clock stream only, never the main one, so turning clocks on changes a
/// run's events only through what the stamps decide.
///
/// - Invariant: `lowest <= offsets[n] <= highest` for every node, now and at every earlier
///   time of the run: the TTL window's slack is `spreadUnits` (`TTLWindow`).
struct SimClocks {
    /// How far one step moves a clock, forward or back (an NTP step after a long drift, a VM
    /// resumed, an operator's `date -s`).
    static let stepUnits: Int64 = 2_000
    /// Steps stop after this many, so a run's slack stays smaller than its TTLs sometimes.
    static let stepsMax = 3
    static let epoch: Int64 = 1_000_000

    let skewMaxUnits: UInt64
    private(set) var offsets: [Int64]
    private(set) var lowest: Int64
    private(set) var highest: Int64
    private(set) var steps: [(node: Int, by: Int64)] = []
    /// What steps draw from: when, which node and which way.
    var random: SeededGenerator

    init(nodes: Int, skewMaxUnits: UInt64, random: SeededGenerator) {
        var random = random
        let bound = Int64(skewMaxUnits)
        let offsets = (0..<nodes).map { _ in Int64.random(in: -bound...bound, using: &random) }
        self.skewMaxUnits = skewMaxUnits
        self.offsets = offsets
        self.lowest = offsets.min() ?? 0
        self.highest = offsets.max() ?? 0
        self.random = random
    }

    /// What node `node`'s clock reads at simulated time `now`.
    func reading(node: Int, at now: UInt64) -> LeaderTime {
        let value = Self.epoch + Int64(now) + offsets[node]
        precondition(value > 0, "clocks: node \(node + 1) reads \(value) at t=\(now): the epoch is too small")
        return LeaderTime(rawValue: UInt64(value))
    }

    /// The most two clock readings, or one reading and the real time, can disagree by over the
    /// whole run (skews and steps): the slack of every TTL window.
    var spreadUnits: UInt64 { UInt64(highest - lowest) }

    /// Whether another step may come.
    var stepsLeft: Bool { steps.count < Self.stepsMax }

    /// Steps one node's clock by ±`stepUnits`, drawn. - Returns: the node and the step.
    mutating func step() -> (node: Int, by: Int64) {
        let node = Int.random(in: 0..<offsets.count, using: &random)
        let by = Bool.random(using: &random) ? Self.stepUnits : -Self.stepUnits
        offsets[node] += by
        lowest = min(lowest, offsets[node])
        highest = max(highest, offsets[node])
        steps.append((node, by))
        return (node, by)
    }
}
