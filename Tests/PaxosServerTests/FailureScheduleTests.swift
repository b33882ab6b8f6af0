// Method: drive paxosd's `--fail-rate` simulator (`FailureSchedule`) with ticks at plain
// millisecond times, as GroupNode does, and check the steps it asks for: when the group fails,
// for how long, that it reloads exactly once and stays failed until the reload lands, and that
// a seed replays the very draws the node made before the schedule was a value.
import PaxosCore
import PaxosShell
import Testing

@Suite("server: when the failure simulator fails a group and brings it back")
struct FailureScheduleTests {
    /// Ticks `schedule` once per `tickMilliseconds` from `start` until it steps; returns the step
    /// and its time, or nil after `maxTicks`.
    static func tickUntilStep(_ schedule: inout FailureSchedule, from start: UInt64, tickMilliseconds: UInt64,
                              maxTicks: Int) -> (step: FailureSchedule.Step, now: UInt64, ticks: Int)? {
        var now = start
        for tick in 1...maxTicks {
            let step = schedule.tick(now: now)
            if step != .none { return (step, now, tick) }
            now += tickMilliseconds
        }
        return nil
    }

    @Test("ticks per second come from the tick length; a tick of a second or more draws every tick",
          arguments: [(1, 1_000), (3, 333), (7, 142), (10, 100), (250, 4), (999, 1), (1_000, 1), (5_000, 1)]
              as [(UInt64, Int)])
    func ticksPerSecond(_ tickMilliseconds: UInt64, _ expected: Int) {
        #expect(FailureSchedule.ticksPerSecond(tickMilliseconds: tickMilliseconds) == expected)
        let schedule = FailureSchedule(rate: 0.5, tickMilliseconds: tickMilliseconds, random: SeededGenerator(seed: 1))
        #expect(schedule.ticksPerSecond == expected)
    }

    @Test("rate 0: never fails, whatever the seed and however long it runs", arguments: [0, 1, 42, .max] as [UInt64])
    func rateZeroNeverFails(_ seed: UInt64) {
        var schedule = FailureSchedule(rate: 0, tickMilliseconds: 10, random: SeededGenerator(seed: seed))
        #expect(Self.tickUntilStep(&schedule, from: 0, tickMilliseconds: 10, maxTicks: 100_000) == nil)
        #expect(!schedule.isFailed)
        #expect(schedule.state == .up)
    }

    @Test("rate 1: fails on the last tick of the first second of ticks, down 500–3,000 ms",
          arguments: [1, 7, 10, 250, 1_000] as [UInt64])
    func rateOneFailsAfterOneSecond(_ tickMilliseconds: UInt64) throws {
        for seed in 0..<50 as Range<UInt64> {
            var schedule = FailureSchedule(rate: 1, tickMilliseconds: tickMilliseconds, random: SeededGenerator(seed: seed))
            let (step, now, ticks) = try #require(Self.tickUntilStep(&schedule, from: 5_000, tickMilliseconds: tickMilliseconds,
                                                                     maxTicks: 10_000))
            #expect(ticks == schedule.ticksPerSecond)
            guard case .fail(let duration) = step else {
                Issue.record("expected a failure, got \(step)")
                return
            }
            #expect(FailureSchedule.downMilliseconds.contains(duration))
            #expect(schedule.state == .down(untilMilliseconds: now + duration))
            #expect(schedule.isFailed)
        }
    }

    @Test("down: failed until now >= until, then asks for one reload, and stays failed until it lands")
    func downReloadUp() throws {
        var schedule = FailureSchedule(rate: 1, tickMilliseconds: 10, random: SeededGenerator(seed: 7))
        let (step, failedAt, _) = try #require(Self.tickUntilStep(&schedule, from: 0, tickMilliseconds: 10, maxTicks: 100))
        guard case .fail(let duration) = step else {
            Issue.record("expected a failure, got \(step)")
            return
        }
        let until = failedAt + duration
        for now in [failedAt, failedAt + 1, until - 1] {
            #expect(schedule.tick(now: now) == .none)
            #expect(schedule.isFailed)
        }
        #expect(schedule.tick(now: until) == .startReload)
        #expect(schedule.state == .reloading)
        // However long the storage barrier takes, no second reload and no new failure.
        for now in stride(from: until, through: until + 60_000, by: 10) {
            #expect(schedule.tick(now: now) == .none)
        }
        #expect(schedule.isFailed)
        _ = schedule.reloaded()
        #expect(!schedule.isFailed)
        #expect(schedule.state == .up)
        // The next draw is a whole second of ticks after the reload, not sooner.
        let next = try #require(Self.tickUntilStep(&schedule, from: until + 70_000, tickMilliseconds: 10, maxTicks: 1_000))
        #expect(next.ticks == 100)
    }

    @Test("a late tick still reloads: down time is measured by the clock, not by ticks")
    func lateTickReloads() throws {
        var schedule = FailureSchedule(rate: 1, tickMilliseconds: 1_000, random: SeededGenerator(seed: 3))
        #expect(schedule.tick(now: 100) != .none)
        #expect(schedule.tick(now: 100 + 1_000_000) == .startReload)
    }

    /// The draws paxosd made before the schedule was a value, written out: every
    /// `ticksPerSecond` ticks while up, a `Double` in 0..<1 and, on a failure, an `Int64` in
    /// 500...3,000, from the group's failure generator; on reload, that generator forked twice for
    /// the rebuilt replica.
    struct OldDraws {
        var random: SeededGenerator
        mutating func second(rate: Double) -> UInt64? {
            guard Double.random(in: 0..<1, using: &random) < rate else { return nil }
            return UInt64(Int64.random(in: 500...3_000, using: &random))
        }
        mutating func reload() -> SeededGenerator {
            var forked = random.fork()
            return forked.fork()
        }
    }

    // `#require`: the first draw out of step fails the test, rather than every one after it.
    @Test("a seed replays the node's failures: the same draws, durations and rebuilt replicas' generators",
          arguments: [(0, 0.3), (1, 0.05), (99, 0.5), (0xDEAD_BEEF, 0.9)] as [(UInt64, Double)])
    func seedReplays(_ seed: UInt64, _ rate: Double) throws {
        let tickMilliseconds: UInt64 = 10
        var schedule = FailureSchedule(rate: rate, tickMilliseconds: tickMilliseconds, random: SeededGenerator(seed: seed))
        var replay = FailureSchedule(rate: rate, tickMilliseconds: tickMilliseconds, random: SeededGenerator(seed: seed))
        var old = OldDraws(random: SeededGenerator(seed: seed))
        var now: UInt64 = 0
        var failures = 0
        var ticksUp = 0
        for _ in 0..<200_000 {
            now += tickMilliseconds
            let step = schedule.tick(now: now)
            try #require(replay.tick(now: now) == step)
            switch step {
            case .none:
                if !schedule.isFailed {
                    ticksUp += 1
                    // A second of ticks up with no failure is a draw that did not fail.
                    if ticksUp == schedule.ticksPerSecond {
                        try #require(old.second(rate: rate) == nil)
                        ticksUp = 0
                    }
                }
            case .fail(let duration):
                try #require(ticksUp + 1 == schedule.ticksPerSecond)
                try #require(old.second(rate: rate) == duration)
                ticksUp = 0
                failures += 1
            case .startReload:
                // The reload lands at once here, as it may on an idle node.
                let rebuilt = schedule.reloaded()
                try #require(replay.reloaded() == rebuilt)
                try #require(old.reload() == rebuilt)
            }
        }
        #expect(failures > 0)
    }

    @Test("each second fails with probability p; down times spread over 500–3,000 ms")
    func distribution() {
        // rate 1/4 over 20,000 draws: the failure count is 5,000 ± 4 standard deviations (≈ 245).
        var schedule = FailureSchedule(rate: 0.25, tickMilliseconds: 1_000, random: SeededGenerator(seed: 2024))
        var failures = 0
        var durations: [UInt64] = []
        var now: UInt64 = 0
        for _ in 0..<20_000 {
            now += 1_000
            if case .fail(let duration) = schedule.tick(now: now) {
                failures += 1
                durations.append(duration)
                now += duration
                #expect(schedule.tick(now: now) == .startReload)
                _ = schedule.reloaded()
            }
        }
        #expect((4_755...5_245).contains(failures))
        #expect(durations.allSatisfy { FailureSchedule.downMilliseconds.contains($0) })
        #expect(durations.min()! < 520 && durations.max()! > 2_980)
    }
}
