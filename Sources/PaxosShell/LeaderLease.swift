public import PaxosCore

/// How long a lease is, on each side (`Replica+Lease.swift`): the acceptor's refusal in ticks,
/// and the leader's lease in milliseconds of its monotonic clock, shorter by the drift bound
/// and two ticks.
///
/// Why two ticks: the acceptor's first tick after its acknowledgement may come at once (it was
/// nearly due), so its refusal is only `leaseTicks − 1` full ticks of real time; the second
/// covers rounding of milliseconds.
public struct LeaseTiming: Hashable, Sendable {
    /// How far two nodes' monotonic clocks may disagree in rate, in parts per million: 1 %
    /// (10,000 ppm), a hundred times what a quartz crystal without NTP drifts (~50 ppm).
    public static let defaultDriftBoundPPM: UInt64 = 10_000

    public var leaseTicks: UInt64
    public var tickMilliseconds: UInt64
    public var driftBoundPPM: UInt64

    public init(leaseTicks: UInt64, tickMilliseconds: UInt64, driftBoundPPM: UInt64 = Self.defaultDriftBoundPPM) {
        self.leaseTicks = leaseTicks
        self.tickMilliseconds = tickMilliseconds
        self.driftBoundPPM = driftBoundPPM
    }

    /// The leader's lease from the send of the round: `L · tick · (1 − ε) − 2 · tick`, or 0
    /// (no lease) when that is not positive.
    public var leaderMilliseconds: UInt64 {
        let full = leaseTicks * tickMilliseconds
        let derated = full - full * min(driftBoundPPM, 1_000_000) / 1_000_000
        return derated > 2 * tickMilliseconds ? derated - 2 * tickMilliseconds : 0
    }
}

/// The leader's side of a lease, kept by the shell with its monotonic clock: when each read
/// round of this leadership was first sent, and so until when the newest confirmed one
/// (`Replica.leaseBasis`) lets reads skip their round.
///
/// - Invariant: `sentAt` holds rounds of one ballot only, at most `keptRounds` of them.
public struct LeaderLease: Hashable, Sendable {
    static let keptRounds = 64

    /// The lease's length from a round's send, in the caller's milliseconds; 0: leases off.
    public let milliseconds: UInt64
    /// A planted bug for the simulator's self-test: the lease never runs out.
    let neverExpires: Bool
    /// When each round was first sent, by the ballot in `ballot`.
    private(set) var sentAt: [UInt64: UInt64] = [:]
    private(set) var ballot: Ballot?

    public init(milliseconds: UInt64, neverExpires: Bool = false) {
        self.milliseconds = milliseconds
        self.neverExpires = neverExpires
    }

    /// Notes the read rounds a core step sends. Call with every step's actions, at a time no
    /// later than the sends (before the interpreter writes them to the links).
    public mutating func noteSent(_ actions: [Action], now: UInt64) {
        guard milliseconds > 0 else { return }
        for case .send(_, .heartbeat(let ballot, _, let round)) in actions {
            if ballot != self.ballot {
                // A new leadership: the old one's rounds ground nothing any more.
                self.ballot = ballot
                sentAt = [:]
            }
            if sentAt[round] == nil {
                sentAt[round] = now
                if sentAt.count > Self.keptRounds, let oldest = sentAt.keys.min() { sentAt[oldest] = nil }
            }
        }
    }

    /// Whether a read arriving `now` may be served on the lease `basis` grounds.
    public func covers(_ basis: LeaseBasis?, now: UInt64) -> Bool {
        guard milliseconds > 0, let basis, basis.ballot == ballot, let sent = sentAt[basis.round] else { return false }
        return neverExpires || now < sent + milliseconds
    }
}
