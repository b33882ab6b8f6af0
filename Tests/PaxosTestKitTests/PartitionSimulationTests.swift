// Method: deterministic whole-cluster simulation with partitions of every shape (bridge, ring,
// a flapping link, majority/minority splits, an isolated leader) and the leadership checker
// after the final heal: each group settles on one leader followed by a majority within a bound,
// and keeps it while nothing fails. The old election (no pre-prepare, a leader steps down on any
// higher reject) is planted to prove the checker fails on a rejoining node that deposes a
// healthy leader. PAXOS_SEED=<n> replays one seed (with --partition-patterns in paxos-sim).
import Foundation
import PaxosCore
import PaxosTestKit
import Testing

@Suite("partition patterns")
struct PartitionSimulationTests {
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["PAXOS_SEED"].flatMap(UInt64.init).map { [$0] }
        ?? Array(1...16)

    @Test("partitions: every pattern passes every checker, leadership after the heal included")
    func patternsPass() {
        for seed in Self.seeds {
            let report = Simulation(seed: seed, partitionPatterns: true).run()
            #expect(report.passed, "\(report)")
        }
    }

    @Test("partitions: the same seed replays the same run exactly")
    func replay() {
        let first = Simulation(seed: 5, partitionPatterns: true).run()
        let second = Simulation(seed: 5, partitionPatterns: true).run()
        #expect(first.trace == second.trace)
        #expect(first.stats == second.stats)
    }

    @Test("partitions: the leadership checker catches a rejoining node that deposes a healthy leader")
    func catchesStepDownOnAnyReject() {
        for seed in UInt64(1)...16 {
            let report = Simulation(seed: seed, plantedBug: .stepDownOnAnyReject, partitionPatterns: true).run()
            guard !report.passed else { continue }
            #expect(report.violations.first?.contains("leadership") == true, "\(report)")
            let replay = Simulation(seed: seed, plantedBug: .stepDownOnAnyReject, partitionPatterns: true).run()
            #expect(replay.violations == report.violations, "seed \(seed) must replay its failure")
            #expect(Simulation(seed: seed, partitionPatterns: true).run().passed, "the real election passes seed \(seed)")
            return
        }
        Issue.record("the old election survived 16 seeds: the leadership checker is too weak")
    }
}
