public import PaxosCore
import Foundation

/// `CONFIG GET pattern…`, `CONFIG SET`, `CONFIG HELP`: Redis clients read a few parameters at
/// start-up (redis-benchmark reads `save` and `appendonly`; redis-py's `config_get("*")` reads
/// them all). GET answers the parameters PaxosKV has, from paxosd's own settings, under Redis's
/// names where one means the same thing; SET is refused with a sentence saying where the setting
/// lives (issue 20: `CONFIG SET maxmemory 1` used to answer an empty array, as if it had worked).
/// The one parameter SET changes is `notify-keyspace-events` (per node, not replicated, and
/// lost on restart, as Redis's is without CONFIG REWRITE).
public enum ConfigCommand: Hashable, Sendable {
    case get(patterns: [Bytes])
    /// Parameter names lower-cased, in the order given; Redis 7 sets several at once.
    case set([Setting])
    case help

    public struct Setting: Hashable, Sendable {
        public var parameter: String
        public var value: String
        public init(_ parameter: String, _ value: String) { (self.parameter, self.value) = (parameter, value) }
    }

    /// The parameters CONFIG SET changes.
    static let settable: Set<String> = ["notify-keyspace-events"]

    static func parse(_ arguments: [Bytes]) throws(ClientCommandError) -> ConfigCommand {
        guard let first = arguments.first else {
            throw ClientCommandError("ERR wrong number of arguments for 'config' command")
        }
        let name = String(decoding: first, as: UTF8.self).uppercased()
        switch name {
        case "GET":
            guard arguments.count >= 2 else { throw ClientCommandError("ERR wrong number of arguments for 'config|get' command") }
            return .get(patterns: Array(arguments.dropFirst()))
        case "SET":
            guard arguments.count >= 3, arguments.count.isMultiple(of: 2) == false else {
                throw ClientCommandError("ERR wrong number of arguments for 'config|set' command")
            }
            let words = arguments.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            let settings = stride(from: 0, to: words.count, by: 2).map { Setting(words[$0].lowercased(), words[$0 + 1]) }
            if let unsupported = settings.first(where: { !settable.contains($0.parameter) }) {
                throw ClientCommandError("ERR CONFIG SET is not supported for '\(unsupported.parameter)': PaxosKV's settings are paxosd flags and the cluster file (paxosd --help); CONFIG GET shows them. Only notify-keyspace-events can be set")
            }
            guard Set(settings.map(\.parameter)).count == settings.count else {
                throw ClientCommandError("ERR CONFIG SET failed - duplicate parameter")
            }
            return .set(settings)
        case "HELP":
            return .help
        case "RESETSTAT", "REWRITE":
            throw ClientCommandError("ERR PaxosKV does not support CONFIG \(name): its settings are paxosd's flags and configuration file, and its counters are Prometheus counters (they never reset)")
        default:
            throw ClientCommandError("ERR unknown subcommand '\(String(decoding: first, as: UTF8.self))'. Try CONFIG HELP.")
        }
    }

    static let helpLines = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern> [<pattern> ...]", "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value> [<directive> <value> ...]",
        "    Set notify-keyspace-events on this node; other settings are paxosd flags (paxosd --help) and the cluster file.",
        "HELP", "    Print this help.",
    ]

    /// The parameters CONFIG GET knows, in a fixed order, with their values on this node.
    /// Each means what it means in Redis, or is PaxosKV's own (`paxos-…`).
    static func parameters(_ settings: NodeSettings, keyspaceEvents: KeyspaceEventFlags = []) -> [(name: String, value: String)] {
        [
            ("bind", settings.clientListenHost),
            ("port", String(settings.clientPort)),
            ("databases", "1"),
            ("maxclients", String(settings.maxClients)),
            ("timeout", String(settings.clientIdleTimeoutSeconds)),
            ("proto-max-bulk-len", String(settings.maxValueBytes)),
            ("client-query-buffer-limit", String(settings.clientQueueMaxBytes)),
            // Every write is in the log, fsynced on a majority before it is answered: Redis's
            // append-only file with fsync always is the nearest meaning; there are no RDB saves.
            ("appendonly", "yes"),
            ("appendfsync", settings.synchronousFull ? "always" : "no"),
            ("save", ""),
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            // This node's own setting (CONFIG SET), in Redis's canonical letters.
            ("notify-keyspace-events", keyspaceEvents.redisText),
            ("protected-mode", settings.protectedMode ? "yes" : "no"),
            ("dir", settings.nodeDirectory),
            ("dbfilename", (settings.databasePath as NSString).lastPathComponent),
            ("paxos-replica-id", String(settings.id.rawValue)),
            ("paxos-groups", String(settings.groups)),
            ("paxos-tick-ms", String(settings.tickMilliseconds)),
            ("paxos-lease-ms", String(settings.leaseMilliseconds)),
            ("paxos-request-timeout-ms", String(settings.requestTimeoutMilliseconds)),
            ("paxos-fail-rate", String(settings.failRate)),
            ("paxos-retain-slots", String(settings.retainSlots)),
            ("paxos-retain-bytes", String(settings.retainBytes)),
            ("paxos-max-key-bytes", String(settings.maxKeyBytes)),
        ]
    }

    /// CONFIG GET's pairs: each parameter once, in table order, if any pattern matches its name
    /// (patterns are Redis globs and case-insensitive, as parameter names are).
    static func matching(_ patterns: [Bytes], in parameters: [(name: String, value: String)]) -> [(name: String, value: String)] {
        let globs = patterns.map { GlobPattern(Array(String(decoding: $0, as: UTF8.self).lowercased().utf8)) }
        return parameters.filter { parameter in globs.contains { $0.matches(Array(parameter.name.utf8)) } }
    }
}

extension ConfigCommand {
    /// The keyspace-event flags a SET leaves, or Redis's refusal for a bad value; nil when the
    /// SET does not name `notify-keyspace-events`.
    static func keyspaceEvents(_ settings: [Setting]) -> Result<KeyspaceEventFlags, ClientCommandError>? {
        guard let setting = settings.first(where: { $0.parameter == "notify-keyspace-events" }) else { return nil }
        guard let flags = KeyspaceEventFlags(parsing: setting.value) else {
            return .failure(ClientCommandError("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - \(KeyspaceEventFlags.invalidText)"))
        }
        return .success(flags)
    }
}
