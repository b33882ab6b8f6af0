// Method: deterministic whole-cluster simulation with leaders stamping their proposals with the
// simulated time (`SimConfiguration.leaderClocks`, docs/design/coordination-api.md §3), during
// the usual crashes, partitions, message loss, compaction and snapshot transfers: every slot a
// leader cuts is a timed batch, background expiry's clock slots run, and every checker (one
// value per slot, common applied prefix, linearizable history, converged tables) must pass.
// Plain runs stay untimed: their recorded digests are checked in MultiGroupSimulationTests.
// PAXOS_SEED=<n> replays one seed.
import Foundation
import PaxosCore
import Testing

@testable import PaxosTestKit

@Suite("leader clock simulation")
struct LeaderClockSimulationTests {
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["PAXOS_SEED"].flatMap(UInt64.init).map { [$0] }
        ?? Array(1...6)

    @Test("leader clocks: with timed batches every checker passes, and every replica's log clock ran")
    func timedRunsPass() {
        var snapshots = 0
        for seed in Self.seeds {
            let simulation = Simulation(seed: seed, leaderClocks: true)
            let report = simulation.run()
            #expect(report.passed, "PAXOS_SEED=\(seed) leaderClocks: \(report)")
            snapshots += report.stats.snapshotsInstalled
            // Replicas that applied the whole log hold one clock, past 0; spares that never
            // joined, or replicas removed, have applied less.
            let machines = simulation.replicas.filter(\.isUp).map(\.disk.stateMachine)
            let top = machines.map(\.appliedThrough).max() ?? .zero
            let clocks = Set(machines.filter { $0.appliedThrough == top }.map(\.clock))
            #expect(clocks.count == 1 && clocks.allSatisfy { $0 > LeaderTime(rawValue: 0) }, "PAXOS_SEED=\(seed): clocks \(clocks)")
            #expect(machines.allSatisfy { $0.appliedThrough == .zero || $0.clock > LeaderTime(rawValue: 0) })
            let plain = Simulation(seed: seed)
            _ = plain.run()
            #expect(plain.replicas.allSatisfy { $0.disk.stateMachine.clock == LeaderTime(rawValue: 0) }, "plain runs stay untimed")
        }
        #expect(Simulation(seed: 7, leaderClocks: true).run().trace == Simulation(seed: 7, leaderClocks: true).run().trace,
                "a timed run replays exactly")
        guard Self.seeds.count > 1 else { return }
        #expect(snapshots > 0, "no snapshot was installed: the clock's transfer is not exercised")
    }
}
