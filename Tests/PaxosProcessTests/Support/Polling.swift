import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the harness gave up: a deadline passed, a process died, a file was missing.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` every `interval` until it holds, or throws once `timeout` has passed.
///
/// The process tests never sleep and then assert: they wait for a state with a deadline, and
/// the deadline only bounds a wait that normally ends much sooner. A condition that throws
/// counts as "not yet" (a node still starting refuses connections); the last error is in the
/// message if time runs out.
func waitUntil(
    _ what: @autoclosure () -> String, timeout: Duration = .seconds(10), interval: Duration = .milliseconds(50),
    _ condition: () throws -> Bool
) throws {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while true {
        do {
            if try condition() { return }
            lastError = nil
        } catch {
            lastError = error
        }
        guard ContinuousClock.now < deadline else {
            let reason = lastError.map { "; last error: \($0)" } ?? ""
            throw HarnessError("timed out after \(timeout) waiting until \(what())\(reason)")
        }
        pause(interval)
    }
}

/// Blocks the calling thread. Used only between polls and by client retry loops, never as a
/// stand-in for waiting on a condition.
func pause(_ duration: Duration) {
    let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
    usleep(useconds_t(clamping: max(0, microseconds)))
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }

    /// "612 ms", for reports.
    var roundedMilliseconds: String { "\(Int(milliseconds.rounded())) ms" }
}

/// Nanoseconds from `origin` to now: the one monotonic time base of a recorded history, shared
/// by every client thread of a test.
func nanoseconds(since origin: ContinuousClock.Instant) -> UInt64 {
    let elapsed = ContinuousClock.now - origin
    return UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
}
