import NIOCore

/// When a peer link dials again after a failed attempt: exponential back-off with jitter,
/// bounded, as a value so the rule is tested without sockets (`ReconnectBackoffTests`).
///
/// The delay after the n-th consecutive failure is drawn uniformly from [b/2, b], where
/// b = 50 ms · 2ⁿ capped by the kind of failure ("equal jitter": never less than half the step,
/// so a dead peer costs a bounded rate of attempts, and links that failed together do not redial
/// in lockstep):
/// - `.unreachable` (refused connect, connect timeout, an established link lost): capped at
///   250 ms. An attempt costs one SYN, and a link matters most right after a partition heals: with
///   a 250 ms connect timeout the next attempt after a heal starts within half a second. (With
///   500 ms, links came back 1.0–1.5 s after a heal on a loaded two-core machine, too late for the
///   2 s sync bound of `PartitionScheduleTests`, seed 593495535.)
/// - `.refused` (TCP connected, the handshake failed: another cluster's secret, a peer that
///   refuses us): capped at 2 s. Waiting does not fix these quickly, and each costs a handshake
///   and a log line on both sides.
///
/// A peer that connects to us is up, so the link may dial at once (`mayDialEarly`) instead of
/// waiting out the back-off, but at most once per 2 s and without resetting the failure count:
/// before, every inbound connection reset the back-off, so a peer whose connections kept coming
/// in while ours kept failing drove a redial loop with no back-off at all.
struct ReconnectBackoff: Sendable {
    enum Failure: Sendable { case unreachable, refused }

    static let initial = TimeAmount.milliseconds(50)
    static let unreachableMax = TimeAmount.milliseconds(250)
    static let refusedMax = TimeAmount.seconds(2)
    /// Early dials (a peer connected to us) are spaced at least this far apart.
    static let earlyDialInterval = TimeAmount.seconds(2)

    /// Failed attempts since the link last authenticated.
    private(set) var failures = 0
    private var lastEarlyDial: NIODeadline?

    /// The upper bound of the delay after `failures` failures of this kind (before jitter).
    static func ceiling(failures: Int, _ failure: Failure) -> TimeAmount {
        let cap = failure == .unreachable ? unreachableMax : refusedMax
        // 2⁶ · 50 ms already passes both caps; the shift stays far from overflow.
        return .nanoseconds(min(initial.nanoseconds << min(failures, 6), cap.nanoseconds))
    }

    /// An attempt failed: how long to wait before the next one.
    mutating func delay(after failure: Failure, using random: inout some RandomNumberGenerator) -> TimeAmount {
        let ceiling = Self.ceiling(failures: failures, failure).nanoseconds
        failures += 1
        return .nanoseconds(Int64.random(in: ceiling / 2...ceiling, using: &random))
    }

    /// The link authenticated: the next failure starts from the initial step.
    mutating func succeeded() { failures = 0 }

    /// The peer connected to us: whether to dial it now instead of waiting for the back-off.
    mutating func mayDialEarly(now: NIODeadline) -> Bool {
        if let lastEarlyDial, now - lastEarlyDial < Self.earlyDialInterval { return false }
        lastEarlyDial = now
        return true
    }
}
