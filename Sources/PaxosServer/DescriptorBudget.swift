#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Fits `maxClients` into the process's descriptor limit, keeping some for everything that is
/// not a client: peer links (in and out), the databases with their WAL and shared memory,
/// snapshot files, backups, the metrics listener. Without the reserve, a node full of clients
/// could not accept a restarted peer, open a snapshot or write a backup.
enum DescriptorBudget {
    /// Raises the soft RLIMIT_NOFILE to the hard limit when it can, then returns how many
    /// clients fit: `maxClients`, or fewer (at least 1) when the limit minus `reserved` is
    /// smaller. Logs what it chose, once, at start.
    static func admit(maxClients: Int, reserved: Int, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(Self.resource, &limit) == 0 else {
            logger.warning("cannot read the descriptor limit; serving up to --max-clients clients",
                           metadata: ["client.max": "\(maxClients)"])
            return maxClients
        }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Self.resource, &raised) == 0 { limit = raised }
        }
        let available = Int(clamping: limit.rlim_cur)  // RLIM_INFINITY is the largest rlim_t: Int.max
        let fitting = Self.clients(maxClients: maxClients, descriptors: available, reserved: reserved)
        if fitting < maxClients {
            logger.warning("--max-clients lowered to fit the descriptor limit", metadata: [
                "client.max": "\(fitting)", "client.max_requested": "\(maxClients)",
                "process.descriptors": "\(available)", "process.descriptors_reserved": "\(reserved)",
            ])
        } else {
            logger.info("client limit", metadata: [
                "client.max": "\(fitting)", "process.descriptors": "\(available)",
                "process.descriptors_reserved": "\(reserved)",
            ])
        }
        return fitting
    }

    /// Clients that fit in `descriptors` with `reserved` kept back; at least 1.
    static func clients(maxClients: Int, descriptors: Int, reserved: Int) -> Int {
        max(1, min(maxClients, descriptors - reserved))
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
