import PaxosWire

/// `INFO [section …]` as Redis lays it out: `# Server`, `# Clients`, `# Memory`, `# Persistence`,
/// `# Stats`, `# Replication`, `# CPU`, `# Keyspace`, each of `key:value` lines ending in CRLF
/// and separated by an empty line (issue 20: every section used to answer the same replication
/// text, so `redis-cli --stat` showed nonsense). Only what the node knows is reported; a field
/// Redis has and PaxosKV cannot fill is left out rather than made up.
///
/// `# Replication` (and `# Groups` with several groups) is `NodeInfo.infoText`, PaxosKV's own
/// fields that paxosctl and tools/cluster parse; `INFO paxos` asks for it by its own name.
struct INFOSections {
    /// What the node reports, gathered by `Node.info(sections:respond:)`.
    struct Snapshot {
        var replication: NodeInfo
        var processID: Int32
        var clientPort: Int
        var uptimeSeconds: UInt64
        var serverTimeMicroseconds: UInt64
        var tickMilliseconds: Int64
        var executable: String
        var connectedClients: Int
        var maxClients: Int
        var usedMemoryBytes: UInt64
        var residentBytes: UInt64
        var totalConnectionsReceived: Int64
        var totalCommandsProcessed: UInt64
        var rejectedConnections: UInt64
        var cpuSystemSeconds: Double
        var cpuUserSeconds: Double
        /// Live keys in this node's applied state, per group (nil: not asked for).
        var keys: [UInt64]?
        /// Keyspace-notification subscriptions on this node (`PubSubRegistry`): channels and
        /// patterns with at least one subscriber, and connections subscribed to any.
        var pubsubChannels = 0
        var pubsubPatterns = 0
        var pubsubClients = 0
    }

    /// Every section INFO knows, in Redis's order; `paxos` names the replication section too.
    static let allSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "keyspace"]

    /// The sections asked for: none, `default`, `all` or `everything` mean all of them; names are
    /// case-insensitive; unknown names select nothing, as in Redis.
    static func selected(_ requested: [String]) -> [String] {
        let names = Set(requested.map { $0.lowercased() == "paxos" ? "replication" : $0.lowercased() })
        if names.isEmpty || !names.isDisjoint(with: ["default", "all", "everything"]) { return allSections }
        return allSections.filter(names.contains)
    }

    static func render(_ sections: [String], _ s: Snapshot) -> String {
        sections.map { section(named: $0, s) }.joined(separator: "\r\n")
    }

    static func section(named name: String, _ s: Snapshot) -> String {
        let fields: [(String, String)]
        switch name {
        case "server":
            fields = [
                // The Redis version whose commands and replies PaxosKV follows, for clients that
                // gate features on it; paxoskv_version is PaxosKV's own.
                ("redis_version", "7.2.0"), ("paxoskv_version", NodeInfo.serverVersion), ("redis_mode", "standalone"),
                ("arch_bits", "\(MemoryLayout<Int>.size * 8)"), ("process_id", "\(s.processID)"), ("tcp_port", "\(s.clientPort)"),
                ("server_time_usec", "\(s.serverTimeMicroseconds)"), ("uptime_in_seconds", "\(s.uptimeSeconds)"),
                ("uptime_in_days", "\(s.uptimeSeconds / 86_400)"), ("hz", "\(1_000 / max(s.tickMilliseconds, 1))"),
                ("executable", s.executable),
            ]
        case "clients":
            // No command blocks a connection (no BLPOP, no WAIT): none is ever blocked.
            fields = [("connected_clients", "\(s.connectedClients)"), ("maxclients", "\(s.maxClients)"), ("blocked_clients", "0"),
                      ("pubsub_clients", "\(s.pubsubClients)")]
        case "memory":
            fields = [
                ("used_memory", "\(s.usedMemoryBytes)"), ("used_memory_human", human(s.usedMemoryBytes)),
                ("used_memory_rss", "\(s.residentBytes)"), ("used_memory_rss_human", human(s.residentBytes)),
                ("maxmemory", "0"), ("maxmemory_human", "0B"), ("maxmemory_policy", "noeviction"),
            ]
        case "persistence":
            // Every write is durable in the log before it is answered (CONFIG GET appendonly).
            fields = [("loading", "0"), ("aof_enabled", "1"), ("paxos_database_bytes", "\(s.replication.databaseBytes)"),
                      ("paxos_synchronous", s.replication.synchronous.rawValue)]
        case "stats":
            fields = [("total_connections_received", "\(s.totalConnectionsReceived)"),
                      ("total_commands_processed", "\(s.totalCommandsProcessed)"),
                      ("rejected_connections", "\(s.rejectedConnections)"),
                      ("pubsub_channels", "\(s.pubsubChannels)"), ("pubsub_patterns", "\(s.pubsubPatterns)")]
        case "replication":
            return s.replication.infoText
        case "cpu":
            fields = [("used_cpu_sys", String(format6(s.cpuSystemSeconds))), ("used_cpu_user", String(format6(s.cpuUserSeconds)))]
        case "keyspace":
            // Keys of this node's applied state (a follower's may trail the leader's by a few
            // slots). Deadlines are not counted yet, so Redis's expires and avg_ttl are left out.
            let keys = s.keys?.reduce(0, +) ?? 0
            fields = keys > 0 ? [("db0", "keys=\(keys)")] : []
        default:
            return ""
        }
        let title = name == "cpu" ? "CPU" : name.prefix(1).uppercased() + name.dropFirst()
        return "# \(title)\r\n" + fields.map { "\($0.0):\($0.1)\r\n" }.joined()
    }

    /// Redis's `…_human`: `1.50M`, `812.00K`, `12B`.
    static func human(_ bytes: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 40, "T"), (1 << 30, "G"), (1 << 20, "M"), (1 << 10, "K")]
        for (size, unit) in units where bytes >= size {
            return format2(Double(bytes) / Double(size)) + unit
        }
        return "\(bytes)B"
    }

    private static func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100)." + String(format2Digits(hundredths % 100))
    }

    private static func format2Digits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    private static func format6(_ value: Double) -> String {
        let micros = Int64((value * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
