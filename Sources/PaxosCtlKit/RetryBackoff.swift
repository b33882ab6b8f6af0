/// How long a paxosctl loop pauses before it tries a node again that did not answer: `initial`,
/// doubling per consecutive failure up to `max`, and `initial` again once an attempt gets an
/// answer. A refused connection fails in microseconds, so without it a loop over a dead node (a
/// bench client or subscriber, `member` over a cluster that is down) redials as fast as the kernel
/// refuses.
///
/// No jitter, unlike the peer links' `ReconnectBackoff`: the loops that retry together are
/// threads of one short-lived process aimed at one node, and a restarted node has them back
/// within `max`.
///
/// - Invariant: `.zero < initial <= max`.
package struct RetryBackoff: Sendable {
    package let initial: Duration
    package let max: Duration
    /// Consecutive failed attempts.
    package private(set) var failures = 0

    /// - Precondition: `.zero < initial <= max`.
    package init(initial: Duration, max: Duration) {
        precondition(initial > .zero && initial <= max, "back-off from \(initial) to \(max)")
        self.initial = initial
        self.max = max
    }

    /// An attempt failed: how long to pause before the next.
    package mutating func pause() -> Duration {
        var pause = initial
        // Doubling stops at `max`: a few dozen steps at most, however long the node is down.
        for _ in 0..<Swift.min(failures, 64) where pause < max { pause *= 2 }
        failures += 1
        return Swift.min(pause, max)
    }

    /// An attempt got an answer: the next failure pauses `initial` again.
    package mutating func succeeded() { failures = 0 }
}
