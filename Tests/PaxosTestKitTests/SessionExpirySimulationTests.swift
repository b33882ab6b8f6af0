// Method: deterministic whole-cluster simulation with a session expiry window short enough that
// sessions expire and long-retried writes are refused within a run (`ClientSession`), during the
// usual crashes, partitions, message loss and compaction. Every checker must pass and writes
// must actually be refused as expired; a simulated shell that gives a retry a fresh origin (the
// mistake the rule depends on the shell not making) must be caught as a linearizability
// violation. PAXOS_SEED=<n> replays one seed (`paxos-sim --seed <n> --session-expiry-slots 5`).
import Foundation
import PaxosCore
import PaxosTestKit
import Testing

@Suite("session expiry simulation")
struct SessionExpirySimulationTests {
    static let window: UInt64 = 5
    static let seeds: [UInt64] = ProcessInfo.processInfo.environment["PAXOS_SEED"].flatMap(UInt64.init).map { [$0] }
        ?? Array(1...8)

    @Test("session expiry: with a 5-slot window every checker passes and writes are refused as expired")
    func shortWindowPasses() {
        var expired = 0
        for seed in Self.seeds {
            let report = Simulation(seed: seed, sessionExpirySlots: Self.window).run()
            #expect(report.passed, "\(report)")
            expired += report.stats.expiredWrites
        }
        guard Self.seeds.count > 1 else { return }
        #expect(expired > 0, "no write was refused as expired: the window does not bite")
    }

    /// The bug's run draws a 5-slot window of its own, with loss and power losses that make
    /// clients retry (SimConfiguration+Targets).
    @Test("session expiry: a shell that gives retries a fresh origin is caught")
    func catchesFreshOriginOnRetry() {
        for seed in 1...UInt64(24) {
            let make = { Simulation(seed: seed, simulatorBug: .freshOriginOnRetry) }
            let report = make().run()
            guard let violation = report.violations.first,
                  violation.contains("exactly-once") || violation.contains("linearizability") else { continue }
            #expect(make().run().violations == report.violations, "seed \(seed) must replay its failure")
            #expect(report.description.contains("--sim-bug fresh-origin-on-retry"))
            print("fresh origin on retry caught: \(report)")
            return
        }
        Issue.record("a fresh origin on every retry survived 24 seeds: the checkers are too weak")
    }
}
