// Method: drive RetryBackoff as a value: the pause after each consecutive failure (table), the
// cap, and the reset when an attempt is answered. Covers issue 20's "every reconnect loop with
// back-off" for paxosctl's loops (bench clients and subscribers, `member`).

import PaxosCtlKit
import Testing

@Suite("paxosctl: retry back-off")
struct RetryBackoffTests {
    @Test("back-off: the pause doubles per consecutive failure from 10 ms and stops at 500 ms", arguments: [
        (1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 320), (7, 500), (8, 500), (1_000, 500),
    ])
    func pauses(failures: Int, milliseconds: Int) {
        var backoff = RetryBackoff(initial: .milliseconds(10), max: .milliseconds(500))
        var last = Duration.zero
        for _ in 0..<failures { last = backoff.pause() }
        #expect(last == .milliseconds(milliseconds))
        #expect(backoff.failures == failures)
    }

    @Test("back-off: an answered attempt starts the next failure over from the initial pause")
    func successResets() {
        var backoff = RetryBackoff(initial: .milliseconds(50), max: .seconds(1))
        for _ in 0..<10 { _ = backoff.pause() }
        backoff.succeeded()
        #expect(backoff.failures == 0)
        let next = backoff.pause()
        #expect(next == .milliseconds(50))
    }

    @Test("back-off: a dead node costs a bounded number of attempts per minute")
    func attemptsPerMinute() {
        // The bench client's setting: a node down for a minute is tried about 130 times, not
        // the 6,000 times of the fixed 10 ms pause it replaces (or the millions of none).
        var backoff = RetryBackoff(initial: .milliseconds(10), max: .milliseconds(500))
        var elapsed = Duration.zero
        var attempts = 0
        while elapsed < .seconds(60) {
            attempts += 1
            elapsed += backoff.pause()
        }
        #expect(attempts <= 60 * 2 + 10)
    }
}
