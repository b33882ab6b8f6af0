public import PaxosCore
import Foundation

/// `CONFIG GET pattern…`, `CONFIG SET`, `CONFIG HELP`: Redis clients read a few parameters at
/// start-up (redis-benchmark reads `save` and `appendonly`; redis-py's `config_get("*")` reads
/// them all). GET answers the parameters PaxosKV has, from paxosd's own settings, under Redis's
/// names where one means the same thing; SET is refused with a sentence saying where the setting
/// lives (issue 20: `CONFIG SET maxmemory 1` used to answer an empty array, as if it had worked).
public enum ConfigCommand: Hashable, Sendable {
    case get(patterns: [Bytes])
    case set(parameter: String)
    case help

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
            return .set(parameter: String(decoding: arguments[1], as: UTF8.self).lowercased())
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
        "SET <directive> <value>", "    Refused: PaxosKV's settings are paxosd flags (paxosd --help) and the cluster file.",
        "HELP", "    Print this help.",
    ]

    /// The parameters CONFIG GET knows, in a fixed order, with their values on this node.
    /// Each means what it means in Redis, or is PaxosKV's own (`paxos-…`).
    static func parameters(_ settings: NodeSettings) -> [(name: String, value: String)] {
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
            // Keyspace notifications are not published yet (issue 20's watch slice).
            ("notify-keyspace-events", ""),
            ("protected-mode", settings.protectedMode ? "yes" : "no"),
            ("dir", settings.nodeDirectory),
            ("dbfilename", (settings.databasePath as NSString).lastPathComponent),
            ("paxos-replica-id", String(settings.id.rawValue)),
            ("paxos-groups", String(settings.groups)),
            ("paxos-tick-ms", String(settings.tickMilliseconds)),
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
