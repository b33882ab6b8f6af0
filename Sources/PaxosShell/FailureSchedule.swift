public import PaxosCore

/// When paxosd's `--fail-rate p` acceptor failure simulator fails the group and when it brings it
/// back: the schedule as a value, driven by ticks carrying plain-millisecond time, so it is
/// tested (and replayed from a seed) without a node.
///
/// Once a second of ticks the schedule draws: with probability `rate` the group fails and stays
/// down for a uniform 500–3,000 ms. When that time is up it asks, once, for a reload: the node
/// lets the storage thread finish what the dead replica queued and rebuilds the replica from the
/// database. The group stays failed until `reloaded()` reports that reload landed, because a
/// replica serving between the two would act on state the restarted one does not have.
///
/// A second is counted in ticks (`ticksPerSecond`), not by the clock, and only while up, as the
/// node always did: a slow loop draws less often, and the down time is never a draw's second.
///
/// The node interprets the steps (`GroupNode+FailureSimulation.swift`): on `.fail` it answers
/// the waiting clients, abandons snapshot transfers and counts the failure; on `.startReload` it
/// runs the storage barrier. Everything else only asks `isFailed`.
public struct FailureSchedule: Sendable {
    /// Where the group is in the failure cycle.
    public enum State: Hashable, Sendable {
        case up
        /// Failed; asks for a reload at the first tick with `now >= untilMilliseconds`.
        case down(untilMilliseconds: UInt64)
        /// Failed, with the reload asked for and not yet landed.
        case reloading
    }

    /// What the node must do after a tick.
    public enum Step: Hashable, Sendable {
        case none
        /// The group has just failed, for `durationMilliseconds`.
        case fail(durationMilliseconds: UInt64)
        /// The down time is over: reload the replica from storage, then call `reloaded()`.
        case startReload
    }

    /// Chance of failing in each second of ticks, 0...1.
    public let rate: Double
    /// Ticks between draws: one second of ticks.
    /// - Invariant: ticksPerSecond >= 1
    public let ticksPerSecond: Int
    public private(set) var state: State = .up
    /// Ticks counted towards the next draw.
    /// - Invariant: 0 <= ticksSinceDraw < ticksPerSecond, and 0 unless `state == .up`
    private(set) var ticksSinceDraw = 0
    /// Every draw of the schedule, and the rebuilt replicas' generators, come from this one
    /// generator, so a node's seed replays its failures.
    private var random: SeededGenerator

    /// The down time of one failure, uniform.
    public static let downMilliseconds: ClosedRange<UInt64> = 500...3_000

    /// - Precondition: `rate` is in 0...1 and `tickMilliseconds` is at least 1.
    public init(rate: Double, tickMilliseconds: UInt64, random: SeededGenerator) {
        precondition((0...1).contains(rate), "failure schedule: rate \(rate) is not in 0...1")
        self.rate = rate
        self.ticksPerSecond = Self.ticksPerSecond(tickMilliseconds: tickMilliseconds)
        self.random = random
    }

    /// How many ticks of `tickMilliseconds` make a second; a tick longer than a second draws each tick.
    /// - Precondition: tickMilliseconds >= 1
    public static func ticksPerSecond(tickMilliseconds: UInt64) -> Int {
        precondition(tickMilliseconds >= 1, "failure schedule: a tick of 0 ms")
        return max(1, Int(1_000 / tickMilliseconds))
    }

    /// True from a failure until its reload has landed: the group MUST NOT send, serve or accept
    /// anything meanwhile, as a crashed process would not.
    public var isFailed: Bool { state != .up }

    /// One node tick at `now` (milliseconds of a monotonic clock).
    public mutating func tick(now: UInt64) -> Step {
        switch state {
        case .reloading:
            return .none
        case .down(let until):
            guard now >= until else { return .none }
            state = .reloading
            return .startReload
        case .up:
            guard rate > 0 else { return .none }
            ticksSinceDraw += 1
            guard ticksSinceDraw >= ticksPerSecond else { return .none }
            ticksSinceDraw = 0
            // A Double, then an integer in range, in this order: the draws paxosd always made, so
            // a seed gives the failures it always gave (an integer range draws the same from
            // `Int64` and `UInt64`: both take `next(upperBound:)` of the same width).
            guard Double.random(in: 0..<1, using: &random) < rate else { return .none }
            let duration = UInt64.random(in: Self.downMilliseconds, using: &random)
            state = .down(untilMilliseconds: now + duration)
            return .fail(durationMilliseconds: duration)
        }
    }

    /// The reload asked for by `.startReload` has landed: the group is up again.
    /// - Returns: the generator for the rebuilt replica's own draws (election timeouts).
    /// - Precondition: `state == .reloading`
    public mutating func reloaded() -> SeededGenerator {
        precondition(state == .reloading, "failure schedule: reloaded while \(state)")
        state = .up
        var replicaRandom = random.fork()
        return replicaRandom.fork()
    }
}
