import UnixSignals
import ArgumentParser
import Foundation
import Logging
import Metrics
import PaxosAuth
import PaxosCore
import PaxosServer
import Prometheus
import ServiceLifecycle

/// `paxosd`: one PaxosKV replica. Argument parsing and wiring only; the node lives in PaxosServer.
@main
struct Paxosd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxosd",
        abstract: "Run one PaxosKV replica.",
        discussion: """
            Reads the cluster from --config and serves as replica --id. Clients speak RESP \
            (redis-cli -p <client port>); peers speak PaxosKV's binary protocol; /metrics and \
            /health are served over HTTP on the metrics port. Options override the file.

            Example: paxosd --config data/cluster.json --id 3
            """)

    @Option(help: "Cluster configuration file.")
    var config = "data/cluster.json"

    @Option(help: "This replica's id, as listed in the configuration.")
    var id: UInt32

    @Option(help: "Address to listen on (default: the host in the configuration).")
    var host: String?

    @Option(help: "RESP client port (default: from the configuration, 638<id> in the shipped one).")
    var clientPort: Int?

    @Option(help: "Peer port (default: from the configuration, 738<id> in the shipped one).")
    var peerPort: Int?

    @Option(help: "Metrics/health HTTP port (default: from the configuration, 938<id> in the shipped one).")
    var metricsPort: Int?

    @Option(help: "Directory for node data; the database is <dir>/<id>/paxos.sqlite (default: dataDirectory from the configuration).")
    var dataDir: String?

    @Option(help: ArgumentHelp(
        "Independent Paxos groups on this node (default: groups from the configuration, else 1).",
        discussion: """
            Keys are spread over the groups by their CRC-32C, Fibonacci-hashed, mod groups; each group has its own \
            leader (group g prefers node g mod N), log and database (<dir>/<id>/group-<g>.sqlite; \
            with one group, <dir>/<id>/paxos.sqlite). Every node must run the same number, and a \
            node refuses to start with a number other than the one its databases were created with.
            """))
    var groups: UInt32?

    @Option(help: ArgumentHelp(
        "Pipeline window: most slots a leader has proposed and not yet seen chosen, per group.",
        discussion: "Requests arriving while the window is full share the next slot, so a smaller window makes larger batches under load."))
    var maxInflightSlots = 64

    @Option(help: "Simulated acceptor failures: probability per second that this node's acceptor fails and restarts from disk (0 to 1).")
    var failRate: Double = 0

    @Option(help: "SQLite synchronous mode: full (default, survives power loss) or normal (faster; a power loss can lose acknowledged writes).")
    var sync = "full"

    @Option(help: "Length of one protocol tick in milliseconds (heartbeats every 5 ticks, elections after 30-60).")
    var tickMs: Int64 = 10

    @Option(help: ArgumentHelp(
        "Leader leases: linearizable reads on the leader skip their quorum round while it holds a lease (0: off).",
        discussion: "More than 5 ticks (the heartbeat interval) and at most 30 ticks (the election timeout): 60-300 ms with 10 ms ticks. Safe while nodes' monotonic clocks drift apart by less than 1 %. Every node of a cluster must use the same value."))
    var leaseMs: Int64 = 0

    @Option(help: "Milliseconds a client request may wait before -TIMEOUT or -NOLEADER.")
    var requestTimeoutMs: Int64 = 5_000

    @Option(help: ArgumentHelp(
        "Most client connections at once; more get '-ERR max number of clients reached' and are closed.",
        discussion: "Lowered at start if the descriptor limit (raised to its hard limit when allowed) cannot hold it plus 128 descriptors kept for peers, databases, snapshots and backups.",
        valueName: "n"))
    var maxClients = 10_000

    @Option(help: ArgumentHelp("Close a client connection idle (nothing read or written) this long; 0 never does.", valueName: "seconds"))
    var clientIdleTimeoutSeconds: Int64 = 0

    @Option(help: ArgumentHelp(
        "Refuse to start when the disk holding the node directory has less free space than this; 0 skips the check.",
        discussion: "A full disk stops a running node at its next write (fail-stop, with the cause in the log).",
        valueName: "MiB"))
    var minFreeMib: Int64 = 64

    @Option(help: ArgumentHelp(
        "Run SQLite's quick check at start on databases up to this size; 0 never runs it.",
        discussion: "It reads the whole file: about 1.8 s per GiB from the page cache, 10 s per GiB from a cold disk "
            + "(measured on the CI machine). A damaged database is refused at start; without the check a damaged page "
            + "stops the node at its first read.",
        valueName: "MiB"))
    var integrityCheckMaxMib: Int64 = 256

    @Option(help: ArgumentHelp(
        "Replies a client has not read, in MiB, after which it is disconnected (Redis's client-output-buffer-limit hard limit).",
        discussion: "Above --client-output-soft-mib (default 1) the node stops reading that client's commands until it catches up.",
        valueName: "MiB"))
    var clientOutputHardMib = 64

    @Option(help: ArgumentHelp("Replies a client has not read, in MiB, above which the node stops reading its commands.", valueName: "MiB"))
    var clientOutputSoftMib = 1

    @Option(help: ArgumentHelp("Commands one client connection runs per event-loop turn before yielding to others.", valueName: "n"))
    var clientCommandsPerTurn = 128

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Log line format on standard error: text (timestamp, level, metadata, message) or json (one object per line). Timestamps are UTC with milliseconds.")
    var logFormat = "text"

    @Option(help: "Seed for election timeouts (default: random).")
    var seed: UInt64?

    @Option(help: ArgumentHelp(
        "Applied slots to keep in the log; older ones are compacted away (at least 1).",
        discussion: """
            A peer at most this many slots behind catches up by replaying commands; one further \
            behind (down for long, or new) receives a snapshot of the KV table instead. The log \
            is compacted once it holds max(100, retain/10) slots beyond this.
            """))
    var retainSlots: UInt64 = 10_000

    @Option(help: ArgumentHelp(
        "MiB of keys and values of applied slots to keep in the log at most, whatever --retain-slots says (at least 1).",
        discussion: "The node holds the log above its snapshot in memory, so large values are compacted by size long before the slot count is reached; a peer further behind receives a snapshot."))
    var retainMib: Int64 = 16

    @Option(help: ArgumentHelp(
        "Create this node's databases from a backup (the path BACKUP <name> answered: a file with one group, a directory with several), then start.",
        discussion: """
            Only when the node has no database yet; paxosd refuses to start otherwise. Restore the \
            same file on every node of a new cluster, each with its own --id: all start at the \
            backup's applied slot with an empty log. See docs/ARCHITECTURE.md, "Backup and restore".
            """,
        valueName: "backup"))
    var restore: String?

    @Option(help: ArgumentHelp(
        "Cluster secret file peers authenticate with (default: secretFile from the configuration, else cluster.secret next to it).",
        discussion: "The same file on every node, mode 0600; make one with `umask 077; openssl rand -hex 32 > cluster.secret`.",
        valueName: "path"))
    var secretFile: String?

    @Option(help: ArgumentHelp(
        "Where TLS is on: none, clients, peers or all (default: the cluster file's tls object, else none).",
        valueName: "where"))
    var tls: String?

    @Option(help: ArgumentHelp("This node's TLS certificate (PEM); overrides the cluster file's. {id} becomes --id.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("This node's TLS private key (PEM); overrides the cluster file's.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("The CA that signed every node's certificate (PEM); overrides the cluster file's.", valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp(
        "Users file: clients must AUTH as one of its users and are limited to its role (default: usersFile in the configuration, relative to its directory).",
        discussion: "Write it with `paxosctl user add <file> <name> --role admin|read-write|read-only`; paxosd refuses a file that is unreadable, malformed, writable by others or without an admin.",
        valueName: "path"))
    var usersFile: String?

    @Option(help: ArgumentHelp(
        "yes (default): with no users file, serve clients on loopback only, whatever --host says. no: serve --host unauthenticated.",
        valueName: "yes|no"))
    var protectedMode = "yes"

    @Option(help: ArgumentHelp(
        "Directory BACKUP <name> writes into (default: <data directory>/../backups, e.g. data/backups).",
        discussion: "It must not be, or be inside, a node's directory, nor be writable by other users.",
        valueName: "dir"))
    var backupDir: String?

    func validate() throws {
        if let tls, !["none", "clients", "peers", "all"].contains(tls) {
            throw ValidationError("--tls must be none, clients, peers or all, got '\(tls)'")
        }
        guard maxClients >= 1 else { throw ValidationError("--max-clients must be at least 1, got \(maxClients)") }
        guard minFreeMib >= 0 else { throw ValidationError("--min-free-mib must be 0 (no check) or more, got \(minFreeMib)") }
        guard integrityCheckMaxMib >= 0, integrityCheckMaxMib < 1 << 40 else {
            throw ValidationError("--integrity-check-max-mib must be 0 (no check) or more, got \(integrityCheckMaxMib)")
        }
        guard clientIdleTimeoutSeconds >= 0 else { throw ValidationError("--client-idle-timeout-seconds must be 0 (off) or more, got \(clientIdleTimeoutSeconds)") }
        guard clientOutputSoftMib >= 1, clientOutputHardMib >= clientOutputSoftMib else {
            throw ValidationError("--client-output-soft-mib must be at least 1 and at most --client-output-hard-mib")
        }
        guard clientCommandsPerTurn >= 1 else { throw ValidationError("--client-commands-per-turn must be at least 1") }
        guard ["yes", "no"].contains(protectedMode) else { throw ValidationError("--protected-mode must be 'yes' or 'no', got '\(protectedMode)'") }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be between 0 and 1, got \(failRate)") }
        guard ["full", "normal"].contains(sync) else { throw ValidationError("--sync must be 'full' or 'normal', got '\(sync)'") }
        guard (1...1_000).contains(tickMs) else { throw ValidationError("--tick-ms must be between 1 and 1000") }
        guard NodeSettings.leaseFits(milliseconds: leaseMs, tickMilliseconds: tickMs) else {
            let (low, high) = (Int64(NodeSettings.heartbeatIntervalTicks), Int64(NodeSettings.electionTimeoutTicks))
            throw ValidationError("--lease-ms must be 0 (off) or more than \(low) ticks and at most \(high) ticks "
                + "(\((low + 1) * tickMs)-\((high + 1) * tickMs - 1) ms with --tick-ms \(tickMs)), got \(leaseMs)")
        }
        guard requestTimeoutMs >= 100 else { throw ValidationError("--request-timeout-ms must be at least 100") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        guard PaxosLogHandler.Format(rawValue: logFormat) != nil else {
            throw ValidationError("--log-format must be 'text' or 'json', got '\(logFormat)'")
        }
        if let groups, !(1...GroupMap.maxGroups).contains(groups) {
            throw ValidationError("--groups must be between 1 and \(GroupMap.maxGroups), got \(groups)")
        }
        guard (1...4_096).contains(maxInflightSlots) else { throw ValidationError("--max-inflight-slots must be between 1 and 4096") }
        guard retainSlots >= 1 else { throw ValidationError("--retain-slots must be at least 1") }
        guard retainMib >= 1, retainMib <= 1 << 20 else { throw ValidationError("--retain-mib must be between 1 and 1048576, got \(retainMib)") }
        if let restore, !FileManager.default.fileExists(atPath: restore) {
            throw ValidationError("--restore: no such file or directory: \(restore)")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let format = PaxosLogHandler.Format(rawValue: logFormat) ?? .text
        LoggingSystem.bootstrap { label in
            var handler = PaxosLogHandler(label: label, format: format)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "paxosd")
        logger[metadataKey: "paxos.replica"] = "\(id)"
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = MetricCatalog.durationBuckets
        MetricsSystem.bootstrap(factory)

        let settings: NodeSettings
        do {
            settings = try resolveSettings()
        } catch {
            FileHandle.standardError.write(Data("paxosd: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if !settings.synchronousFull {
            logger.warning("--sync normal: a power loss (not a process crash) can lose acknowledged writes")
        }
        let service = NodeService(settings: settings, logger: logger) { registry.emitToBuffer() }
        let group = ServiceGroup(configuration: .init(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("paxosd stopped: \(error)")
            throw ExitCode(1)
        }
    }

    func resolveSettings() throws -> NodeSettings {
        let cluster = try ClusterConfiguration.load(path: config)
        guard let address = cluster.address(of: ReplicaID(id)) else {
            throw ClusterConfigurationError("replica \(id) is not in \(config); its ids are \(cluster.members.map(\.rawValue))")
        }
        let directory = dataDir ?? cluster.dataDirectory
        var settings = NodeSettings(
            cluster: cluster, id: ReplicaID(id), host: host ?? address.host,
            clientPort: clientPort ?? address.clientPort, peerPort: peerPort ?? address.peerPort,
            metricsPort: metricsPort ?? address.metricsPort,
            databasePath: "\(directory)/\(id)/paxos.sqlite",
            seed: seed ?? UInt64.random(in: 0...UInt64.max))
        settings.groups = groups ?? cluster.groups ?? 1
        settings.maxInflightSlots = maxInflightSlots
        settings.failRate = failRate
        settings.synchronousFull = sync == "full"
        settings.tickMilliseconds = tickMs
        settings.leaseMilliseconds = leaseMs
        settings.requestTimeoutMilliseconds = requestTimeoutMs
        settings.retainSlots = retainSlots
        settings.retainBytes = retainMib << 20
        settings.restoreFrom = restore
        settings.secret = try ClusterSecret.load(path: secretFile ?? cluster.secretPath(configurationPath: config))
        settings.tls = try resolveTLS(cluster: cluster)
        settings.protectedMode = protectedMode == "yes"
        settings.maxClients = maxClients
        settings.clientIdleTimeoutSeconds = clientIdleTimeoutSeconds
        settings.minFreeDiskBytes = minFreeMib << 20
        settings.integrityCheckMaxBytes = integrityCheckMaxMib << 20
        settings.clientOutputSoftBytes = clientOutputSoftMib << 20
        settings.clientOutputHardBytes = clientOutputHardMib << 20
        settings.clientCommandsPerTurn = clientCommandsPerTurn
        if let backupDir { settings.backupDirectory = backupDir }
        if let path = usersFile ?? cluster.usersFile.map({ ClusterConfiguration.resolve($0, relativeToFileAt: config) }) {
            try settings.loadUsers(path: path)
        }
        return settings
    }

    /// TLS from the cluster file's `tls` object, overridden by --tls and the --tls-* files.
    func resolveTLS(cluster: ClusterConfiguration) throws -> NodeTLS? {
        var resolved = cluster.tls?.resolved(id: id, configurationPath: config)
        if let where_ = tls {
            if where_ == "none" { return nil }
            guard let cert = tlsCert ?? resolved?.certificateFile, let key = tlsKey ?? resolved?.keyFile,
                  let ca = tlsCa ?? resolved?.caFile else {
                throw ClusterConfigurationError("--tls \(where_) needs --tls-cert, --tls-key and --tls-ca (or a tls object in \(config))")
            }
            resolved = NodeTLS(certificateFile: NodeTLS.expand(cert, id: id), keyFile: NodeTLS.expand(key, id: id),
                               caFile: ca, clients: where_ != "peers", peers: where_ != "clients")
        } else if var file = resolved {
            if let tlsCert { file.certificateFile = NodeTLS.expand(tlsCert, id: id) }
            if let tlsKey { file.keyFile = NodeTLS.expand(tlsKey, id: id) }
            if let tlsCa { file.caFile = tlsCa }
            resolved = file
        } else if tlsCert != nil || tlsKey != nil || tlsCa != nil {
            throw ClusterConfigurationError("--tls-cert, --tls-key and --tls-ca need --tls clients|peers|all (or a tls object in \(config))")
        }
        return resolved
    }
}
