// Method: drive ReconnectBackoff as a value with a seeded generator and explicit times: the
// ceiling per failure count and kind (table), the jittered delay inside [ceiling/2, ceiling],
// the reset on success, and early dials (a peer connected to us) spaced 2 s apart without
// resetting the failure count. Covers issue 20 slice 3's reconnect back-off.

import NIOCore
import PaxosCore
import Testing

@testable import PaxosServer

@Suite("server: peer reconnect back-off")
struct ReconnectBackoffTests {
    @Test("back-off: ceiling doubles from 50 ms to 250 ms (unreachable) or 2 s (refused handshake)", arguments: [
        (0, ReconnectBackoff.Failure.unreachable, 50), (1, .unreachable, 100), (2, .unreachable, 200),
        (3, .unreachable, 250), (20, .unreachable, 250),
        (0, .refused, 50), (3, .refused, 400), (5, .refused, 1_600), (6, .refused, 2_000), (1_000, .refused, 2_000),
    ])
    func ceiling(failures: Int, failure: ReconnectBackoff.Failure, milliseconds: Int64) {
        #expect(ReconnectBackoff.ceiling(failures: failures, failure) == .milliseconds(milliseconds))
    }

    @Test("back-off: each delay is jittered within [ceiling/2, ceiling] and the jitter is not constant")
    func jitter() {
        var random = SeededGenerator(seed: 20)
        var delays: Set<Int64> = []
        for _ in 0..<200 {
            var backoff = ReconnectBackoff()
            for step in 0..<8 {
                let ceiling = ReconnectBackoff.ceiling(failures: step, .refused).nanoseconds
                let delay = backoff.delay(after: .refused, using: &random).nanoseconds
                #expect(delay >= ceiling / 2 && delay <= ceiling, "step \(step): \(delay) ns")
                if step == 7 { delays.insert(delay) }
            }
            #expect(backoff.failures == 8)
        }
        // Links that failed together must not redial in lockstep.
        #expect(delays.count > 100)
    }

    @Test("back-off: an authenticated link starts over from 50 ms")
    func successResets() {
        var random = SeededGenerator(seed: 1)
        var backoff = ReconnectBackoff()
        for _ in 0..<6 { _ = backoff.delay(after: .refused, using: &random) }
        backoff.succeeded()
        #expect(backoff.failures == 0)
        let next = backoff.delay(after: .refused, using: &random)
        #expect(next <= .milliseconds(50))
    }

    @Test("back-off: a peer connecting in allows one early dial per 2 s and keeps the failure count")
    func earlyDials() {
        var random = SeededGenerator(seed: 2)
        var backoff = ReconnectBackoff()
        for _ in 0..<5 { _ = backoff.delay(after: .refused, using: &random) }
        let start = NIODeadline.uptimeNanoseconds(10_000_000_000)
        // #expect cannot call a mutating method, so each answer is taken first.
        let first = backoff.mayDialEarly(now: start)
        #expect(first)
        // The storm: inbound connections 55 times a second must not each force a dial.
        var storm: [Bool] = []
        for i in 1..<110 { storm.append(backoff.mayDialEarly(now: start + .milliseconds(Int64(i) * 18))) }
        #expect(!storm.contains(true))
        let later = backoff.mayDialEarly(now: start + .seconds(2))
        #expect(later)
        #expect(backoff.failures == 5)
        let next = backoff.delay(after: .refused, using: &random)
        #expect(next >= .milliseconds(800))
    }
}
