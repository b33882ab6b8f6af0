import PaxosCore
import PaxosShell

/// Leader leases in the simulation (`Replica+Lease.swift`, `LeaderLease`): each node's clock
/// runs at its own rate, off by a drift drawn per run in ±`leaseDriftMaxPPM` parts per million.
/// A node's ticks come every `tickUnits` of its own clock, and its shell reads its own clock,
/// so the acceptors' refusals (in ticks) and the leader's lease (on its shell's clock) are timed
/// by different clocks, as on real machines. The lease allows for a relative drift of
/// `LeaseTiming.defaultDriftBoundPPM` (1 %): node drifts within ±0.5 % keep every pair within
/// it; wider drifts break the assumption, and then the checker may catch a stale read.
///
/// Without leases every node's drift is 0, and the run is the one its seed always gave.
extension Simulation {
    /// Drift per node, drawn from a stream of its own (`seed ^ "leases!!"`).
    static func drawDrifts(seed: UInt64, nodes: Int, maxPPM: UInt64) -> [Int64] {
        var stream = SeededGenerator(seed: seed ^ 0x6c65_6173_6573_2121)
        let bound = Int64(min(maxPPM, 900_000))
        return (0..<nodes).map { _ in Int64.random(in: -bound...bound, using: &stream) }
    }

    /// Node `node`'s monotonic clock at simulated time `time`: `time · (1 + drift)`.
    func localTime(node: Int, at time: UInt64) -> UInt64 {
        let drift = drifts[node]
        guard drift != 0 else { return time }
        return UInt64(Int64(time) + Int64(time) * drift / 1_000_000)
    }

    /// What replica `index`'s shell reads as its clock now.
    func shellNow(_ index: Int) -> UInt64 {
        localTime(node: Int(replicas[index].id.rawValue) - 1, at: now)
    }

    /// Simulated time until replica `index`'s next tick: when its own clock has advanced a
    /// tick's length from now (never less than one unit).
    func tickGap(_ index: Int) -> UInt64 {
        let node = Int(replicas[index].id.rawValue) - 1
        guard drifts[node] != 0 else { return configuration.tickUnits }
        let target = localTime(node: node, at: now) + configuration.tickUnits
        var at = now + max(1, configuration.tickUnits * 1_000_000 / UInt64(1_000_000 + drifts[node]))
        while localTime(node: node, at: at) < target { at += 1 }
        while at - 1 > now, localTime(node: node, at: at - 1) >= target { at -= 1 }
        return at - now
    }
}

extension SimConfiguration {
    /// The acceptors' refusal: a whole election timeout (the longest a lease may be).
    var leaseTicks: UInt64 { leases ? knobs.electionTimeoutTicks : 0 }

    /// The leader's lease in its shell's units (`LeaseTiming`): 0 without leases.
    var leaderLeaseUnits: UInt64 {
        leases ? LeaseTiming(leaseTicks: leaseTicks, tickMilliseconds: tickUnits).leaderMilliseconds : 0
    }

    /// Tilts this configuration toward what exposes a lease that runs too long
    /// (`ShellBug.leaseNeverExpires`, or clocks drifting past the bound): a leader cut off from
    /// the others serves a stale read only between another's election and its own step-down
    /// (check-quorum), and only to a client that asks it then, after a write through the new
    /// leader. Partitions cut leaders off, and readers (`readerClients`) keep asking the node
    /// they are pinned to: a client that writes waits out its timeout at the cut-off leader.
    /// Measured: without readers no seed of 200 caught the planted bug.
    mutating func targetLeases() {
        leases = true
        crashes = true
        partitions = true
        meanFaultGapUnits = min(meanFaultGapUnits, 200)
        keys = min(keys, 2)
        clients = max(clients, 6)
        readerClients = 3
        maxThinkUnits = min(maxThinkUnits, 20)
    }
}
