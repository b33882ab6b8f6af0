// Method: the simulated clients' key operations (docs/design/coordination-api.md §8): with
// `coordinationOps`, clients issue INCRBY, SET NX/XX/IFEQ, GETSET, DELIFEQ and GETDEL beside
// puts, deletes and gets, and the linearizability checker judges those keys with
// `CounterRegisterModel`. Plain runs with them must pass and must get every kind of answer
// (so the model is exercised, not bypassed); the planted apply-rule bug
// `StateMachineBug.incrWithoutSession` (a retried INCR counts twice) must be caught by the
// linearizability checker within a bounded seed range, replay from its seed, and the same
// seed must pass with the correct rule.
// PAXOS_SEED=<n> with `paxos-sim --seed <n> --state-machine-bug incr-without-session` replays one.
import PaxosCore
import PaxosTestKit
import Testing

@Suite("simulation with key operations")
struct CoordinationSimulationTests {
    @Test("coordination: runs with key operations pass, and INCR, SET NX/XX/IFEQ, GETSET, DELIFEQ and GETDEL are answered")
    func plainRunsPass() {
        var answers: [String: Int] = [:]
        for seed in UInt64(91_001)...91_004 {
            let report = Simulation(seed: seed, coordinationOps: true).run()
            #expect(report.passed, "\(report)")
            answers.merge(report.stats.keyOperationAnswers, uniquingKeysWith: +)
        }
        for answer in ["incr integer", "incr notInteger", "set-nx ok", "set-nx nil", "set-xx ok", "set-ifeq ok", "set-ifeq nil",
                       "getset value", "delifeq 1", "delifeq 0", "getdel value", "getdel nil"] {
            #expect(answers[answer, default: 0] > 0, "no '\(answer)' answer in four runs: \(answers)")
        }
    }

    @Test("coordination: a run without key operations draws none, and its replay is exact")
    func offMeansOff() {
        let report = Simulation(seed: 91_001, coordinationOps: false).run()
        #expect(report.stats.keyOperationAnswers.isEmpty)
        #expect(Simulation(seed: 91_001, coordinationOps: false).run().trace == report.trace)
    }

    @Test("coordination: catches an apply rule that lets a retried INCR count twice, and the fixed rule passes")
    func catchesIncrWithoutSession() {
        // Measured (release paxos-sim, seeds 1...200): caught in most seeds; the range is short.
        for seed in UInt64(1)...10 {
            let report = Simulation(seed: seed, stateMachineBug: .incrWithoutSession).run()
            guard let violation = report.violations.first else { continue }
            #expect(violation.contains("linearizability"), "the history checker must be the one to catch it: \(violation)")
            #expect(Simulation(seed: seed, stateMachineBug: .incrWithoutSession).run().violations == report.violations,
                    "seed \(seed) must replay its failure")
            #expect(report.description.contains("--state-machine-bug incr-without-session"), "\(report)")
            let fixed = Simulation(seed: seed, stateMachineBug: .incrWithoutSession, stateMachineBugFixed: true).run()
            #expect(fixed.passed, "seed \(seed) must pass with the correct rule: \(fixed)")
            return
        }
        Issue.record("incr-without-session survived seeds 1...10: the checker does not see a double count")
    }
}
