import CoreMetrics
import Logging
import NIOCore
import PaxosCore

/// The leader's view of its own clock against the log's (docs/design/coordination-api.md §3,
/// "Clock steps and leader change"). A leader whose wall clock is behind the log clock stamps
/// at the log clock, so TTLs run long until its clock catches up; one ahead moves the log clock
/// forward for good, expiring keys early. Neither is prevented; both are measured here.
extension GroupNode {
    /// Records `paxos_log_clock_lead_seconds` and warns when this leader's wall clock is
    /// more than a second behind the log clock (it is skewed, or the previous leader was).
    func noteLogClock() {
        guard replica.role == .leader, logClock.rawValue > 0 else { return }
        let lead = Int64(clamping: logClock.rawValue) - Int64(clamping: Self.wallTime.rawValue)
        metrics.logClockLead.record(Double(lead) / 1_000)
        guard lead > 1_000 else { return }
        let (log, suppressed) = clockBehindLog.shouldLog(now: .now())
        guard log else { return }
        logger.warning("this leader's wall clock is behind the log clock: TTLs run long until it catches up; check the clocks",
                       metadata: ["paxos.clock_lead_ms": "\(lead)", "paxos.suppressed": "\(suppressed)"])
    }
}
