#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's CPU time so far (`getrusage(RUSAGE_SELF)`), to tell whether a benchmark's load
/// generator, rather than the cluster, was the bottleneck.
package struct ProcessCPU: Sendable, Hashable {
    package var user: Duration
    package var system: Duration

    package init(user: Duration, system: Duration) {
        self.user = user
        self.system = system
    }

    package static var now: ProcessCPU {
        var usage = rusage()
        // getrusage(RUSAGE_SELF) cannot fail with a valid pointer; zeros would only understate.
        #if canImport(Glibc)
        _ = getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        _ = getrusage(RUSAGE_SELF, &usage)
        #endif
        return ProcessCPU(user: Duration(usage.ru_utime), system: Duration(usage.ru_stime))
    }

    package static func - (lhs: ProcessCPU, rhs: ProcessCPU) -> ProcessCPU {
        ProcessCPU(user: lhs.user - rhs.user, system: lhs.system - rhs.system)
    }

    package var total: Duration { user + system }

    /// Online CPUs, for "n % of one core out of m".
    package static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

extension Duration {
    init(_ time: timeval) {
        self = .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec))
    }

    /// Seconds as a Double, for rates and reports.
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
