// Method: the simulated clients' operations on families of keys (docs/design/coordination-api.md
// §8): with `coordinationOps`, clients issue MSET, MSETNX, MGET, DEL and WATCH-then-EXEC on two or
// three keys of one group, and the linearizability checker judges each family with
// `FamilyModel`. Plain runs with them must pass and must get every kind of answer (EXECs that
// succeed and EXECs that fail, MSETNX both ways), so the model is exercised, not bypassed; the
// planted apply-rule bug `StateMachineBug.applyFailedWatch` (a transaction ignores its
// compares) must be caught by the linearizability checker within a bounded seed range, replay
// from its seed, and the same seed must pass with the correct rule.
// PAXOS_SEED=<n> with `paxos-sim --seed <n> --state-machine-bug apply-failed-watch` replays one.
import PaxosCore
import PaxosTestKit
import Testing

@Suite("simulation with families of keys")
struct FamilySimulationTests {
    @Test("families: runs with MSET, MSETNX, MGET and WATCH/EXEC pass, and every answer kind occurs", arguments: [1, 3])
    func plainRunsPass(groups: Int) {
        var answers: [String: Int] = [:]
        for seed in UInt64(92_001)...92_006 {
            let report = Simulation(seed: seed, groups: groups, coordinationOps: true).run()
            #expect(report.passed, "\(report)")
            answers.merge(report.stats.keyOperationAnswers, uniquingKeysWith: +)
        }
        for answer in ["mset array", "msetnx succeeded", "msetnx failed", "exec succeeded", "exec failed",
                       "mget answer", "watch answer"] {
            #expect(answers[answer, default: 0] > 0, "no '\(answer)' answer in six runs: \(answers)")
        }
        #expect(answers.keys.contains { $0.hasPrefix("del ") && $0 != "del 0" }, "no DEL of a family deleted a key: \(answers)")
    }

    @Test("families: catches an apply rule that runs a failed EXEC, and the fixed rule passes", arguments: [1, 3])
    func catchesApplyFailedWatch(groups: Int) {
        for seed in UInt64(1)...10 {
            let report = Simulation(seed: seed, groups: groups, stateMachineBug: .applyFailedWatch).run()
            guard let violation = report.violations.first else { continue }
            #expect(violation.contains("linearizability"), "the history checker must be the one to catch it: \(violation)")
            #expect(Simulation(seed: seed, groups: groups, stateMachineBug: .applyFailedWatch).run().violations == report.violations,
                    "seed \(seed) must replay its failure")
            #expect(report.description.contains("--state-machine-bug apply-failed-watch"), "\(report)")
            let fixed = Simulation(seed: seed, groups: groups, stateMachineBug: .applyFailedWatch, stateMachineBugFixed: true).run()
            #expect(fixed.passed, "seed \(seed) must pass with the correct rule: \(fixed)")
            return
        }
        Issue.record("apply-failed-watch survived seeds 1...10 with \(groups) groups: the checker does not see a failed EXEC applied")
    }
}
