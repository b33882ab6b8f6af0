import NIOCore

/// Logs a repeated event at most once per `interval`, with how many there were since the last
/// line: a client guessing passwords or never reading its replies must not be able to flood the
/// log. Callers count every event in a metric regardless.
struct LogThrottle: Sendable {
    var interval: TimeAmount = .seconds(10)
    private var lastLogged: NIODeadline?
    private var suppressed = 0

    /// Whether to log this event now, and how many earlier ones went unlogged.
    mutating func shouldLog(now: NIODeadline) -> (log: Bool, suppressed: Int) {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return (false, suppressed)
        }
        defer { suppressed = 0 }
        lastLogged = now
        return (true, suppressed)
    }
}
