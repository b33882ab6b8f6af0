// Method: deterministic simulation with one group's peer messages corrupted after
// authentication during the chaos phase (`Simulation(corruptMessages: true)`, paxos-sim
// --corrupt-messages; see Simulation+Corruption.swift for what is and is not modelled). Every
// checker — agreement, applied prefix, replica invariants, snapshots, convergence, liveness
// and the linearizable history — must stay green, and the corruption must actually reach the
// replicas and be refused, so the sweep is not vacuous. Set PAXOS_SEED=<n> to replay one seed,
// PAXOS_SIM_CORRUPT_SEEDS=<n> to change how many seeds the sweep runs (the release soak runs
// thousands).
import Foundation
import PaxosCore
import PaxosTestKit
import Testing

@Suite("simulation with corrupted peer messages")
struct CorruptMessagesSimulationTests {
    static let sweepSeeds: UInt64 = ProcessInfo.processInfo.environment["PAXOS_SIM_CORRUPT_SEEDS"].flatMap(UInt64.init) ?? 100
    static let chunks = 4

    static func seeds(chunk: Int) -> [UInt64] {
        if let only = ProcessInfo.processInfo.environment["PAXOS_SEED"].flatMap(UInt64.init) {
            return chunk == 0 ? [only] : []
        }
        return (1...sweepSeeds).map { 70_000 + $0 }.filter { Int($0 % UInt64(chunks)) == chunk }
    }

    @Test("corruption: every seed passes every checker while one group's messages are corrupted", arguments: 0..<chunks)
    func sweep(chunk: Int) {
        var corrupted = 0
        var refused: Set<RefusalReason> = []
        for seed in Self.seeds(chunk: chunk) {
            let report = Simulation(seed: seed, corruptMessages: true).run()
            #expect(report.passed, "\(report)")
            corrupted += report.stats.corruptedMessages
            refused.formUnion(report.stats.refusalsByReason.keys)
        }
        guard ProcessInfo.processInfo.environment["PAXOS_SEED"] == nil else { return }
        #expect(corrupted > 0)
        // The bounds and ownership checks fire in every chunk; solicitation ones depend on timing.
        #expect(refused.isSuperset(of: [.ballotOutOfRange, .slotOutOfRange, .ballotNotOwnedBySender, .ballotNotOurs]), "\(refused)")
    }

    @Test("corruption: several groups, one of them corrupted, pass every checker", arguments: [80_001, 80_002] as [UInt64])
    func groups(seed: UInt64) {
        let report = Simulation(seed: seed, replicas: 3, groups: 3, corruptMessages: true).run()
        #expect(report.passed, "\(report)")
        #expect(report.stats.corruptedMessages > 0)
    }

    @Test("corruption: a seed replays the same corrupted run exactly")
    func replay() {
        let first = Simulation(seed: 70_007, corruptMessages: true).run()
        let second = Simulation(seed: 70_007, corruptMessages: true).run()
        #expect(first.trace == second.trace)
        #expect(first.stats == second.stats)
        #expect(Simulation(seed: 70_007).run().trace != first.trace)
    }

    @Test("corruption: forged catch-up replies from peers not asked are refused, never applied")
    func forgedCatchUpRefused() {
        var refused = 0
        for seed in UInt64(70_101)...70_103 {
            let report = Simulation(seed: seed, corruptMessages: true).run()
            #expect(report.passed, "\(report)")
            refused += report.stats.refusalsByReason[.catchUpNotAsked, default: 0]
                + report.stats.refusalsByReason[.catchUpOutsideRequest, default: 0]
        }
        #expect(refused > 0)
    }
}
