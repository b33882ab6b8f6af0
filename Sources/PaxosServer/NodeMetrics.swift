import CoreMetrics
import NIOCore
import PaxosCore

/// Every metric the node exports, defined once (STYLE.md §9). Names use underscores because
/// Prometheus, the exporter, does not accept dots; dimensions stay low-cardinality.
///
/// Node-wide metrics live here; each consensus group's are in `GroupMetrics`.
public struct NodeMetrics: Sendable {
    let peerWireErrors: Counter
    let peersConnected: Gauge
    private let prefix: String
    /// Refused client AUTH attempts (wrong password or unknown user).
    let clientAuthFailures: Counter
    /// Client connections open now (admitted ones; refused ones never count).
    let clientsConnected: Gauge
    /// Connections refused because `maxClients` were open.
    let clientsRejectedMaxClients: Counter
    /// Clients disconnected by the node, by reason (a closed set).
    let clientsDisconnectedOutputBuffer: Counter
    let clientsDisconnectedIdle: Counter
    /// Times a connection used its commands-per-turn budget with commands left and yielded.
    let clientCommandsDeferred: Counter
    /// Times the node stopped reading a connection because its queue or its output was full.
    let clientReadsPaused: Counter

    public init(prefix: String = "paxos") {
        self.prefix = prefix
        peerWireErrors = Counter(label: "\(prefix)_peer_wire_errors")
        peersConnected = Gauge(label: "\(prefix)_peers_connected")
        clientAuthFailures = Counter(label: "\(prefix)_client_auth_failures")
        clientsConnected = Gauge(label: "\(prefix)_clients_connected")
        clientsRejectedMaxClients = Counter(label: "\(prefix)_clients_rejected", dimensions: [("reason", "max_clients")])
        clientsDisconnectedOutputBuffer = Counter(label: "\(prefix)_clients_disconnected", dimensions: [("reason", "output_buffer")])
        clientsDisconnectedIdle = Counter(label: "\(prefix)_clients_disconnected", dimensions: [("reason", "idle")])
        clientCommandsDeferred = Counter(label: "\(prefix)_client_commands_deferred")
        clientReadsPaused = Counter(label: "\(prefix)_client_reads_paused")
    }

    /// A peer connection refused before it authenticated; `reason` is a `PeerRefusal` raw value
    /// (a closed set).
    func recordPeerRefusal(_ reason: String) {
        Counter(label: "\(prefix)_peer_handshakes_refused", dimensions: [("reason", reason)]).increment()
    }

    /// Peer connections closed because nothing arrived on them for the liveness timeout
    /// (`PeerLivenessHandler`), by the side that noticed: `dialer` (our link, redialled at once)
    /// or `acceptor` (a peer's link into us).
    func peerLinkTimeouts(_ side: PeerLivenessHandler.Side) -> Counter {
        Counter(label: "\(prefix)_peer_link_timeouts", dimensions: [("side", side == .dialer ? "dialer" : "acceptor")])
    }

    /// Client request latency by command name (a closed set: unknown names are grouped).
    func recordRequest(_ name: String, since start: NIODeadline) {
        let known: Set<String> = ["GET", "SET", "PUT", "DEL", "DELETE", "EXISTS", "PING", "INFO", "BACKUP", "AUTH"]
        let method = known.contains(name) ? name.lowercased() : "other"
        let elapsed = NIODeadline.now() - start
        Timer(label: "rpc_server_duration", dimensions: [("rpc_method", method)])
            .recordNanoseconds(elapsed.nanoseconds)
    }
}

/// One consensus group's metrics. With several groups per node each carries a `group`
/// dimension (at most 64 values); with one group there is none, so a one-group node exports the same series as an unsharded one.
/// (Prometheus refuses a labelled series next to an unlabelled one of the same name, so the
/// choice is all or nothing per node.)
struct GroupMetrics: Sendable {
    let proposals: Counter
    let elections: Counter
    let chosen: Gauge
    let applied: Gauge
    let peerMessages: Counter
    /// Peer messages refused by the core's checks, by `RefusalReason` (a closed set).
    let peerMessagesRefused: [RefusalReason: Counter]
    let simulatedFailures: Counter
    let storageCommitDuration: Timer
    let storageBatchJobs: Recorder
    let snapshotsSent: Counter
    let snapshotsReceived: Counter
    let snapshotsInstalled: Counter
    let snapshotTransfersAborted: Counter
    let compactions: Counter
    let snapshotSlot: Gauge
    /// Database, WAL, shared-memory and staging files.
    let databaseBytes: Gauge
    /// On the leader, after each apply: the log clock less the leader's wall clock (ms; positive
    /// when this leader's clock is behind the log's: it is skewed, or the previous leader was).
    let logClockLead: Gauge

    init(prefix: String = "paxos", group: GroupID?) {
        let dimensions = group.map { [("group", "\($0)")] } ?? []
        proposals = Counter(label: "\(prefix)_proposals", dimensions: dimensions)
        elections = Counter(label: "\(prefix)_elections", dimensions: dimensions)
        chosen = Gauge(label: "\(prefix)_slot_chosen", dimensions: dimensions)
        applied = Gauge(label: "\(prefix)_slot_applied", dimensions: dimensions)
        peerMessages = Counter(label: "\(prefix)_peer_messages", dimensions: dimensions)
        peerMessagesRefused = Dictionary(uniqueKeysWithValues: RefusalReason.allCases.map { reason in
            (reason, Counter(label: "\(prefix)_peer_messages_refused", dimensions: dimensions + [("reason", reason.rawValue)]))
        })
        simulatedFailures = Counter(label: "\(prefix)_simulated_failures", dimensions: dimensions)
        storageCommitDuration = Timer(label: "storage_sqlite_commit_duration", dimensions: dimensions)
        storageBatchJobs = Recorder(label: "storage_sqlite_batch_jobs", dimensions: dimensions)
        snapshotsSent = Counter(label: "\(prefix)_snapshots_sent", dimensions: dimensions)
        snapshotsReceived = Counter(label: "\(prefix)_snapshots_received", dimensions: dimensions)
        snapshotsInstalled = Counter(label: "\(prefix)_snapshots_installed", dimensions: dimensions)
        snapshotTransfersAborted = Counter(label: "\(prefix)_snapshot_transfers_aborted", dimensions: dimensions)
        compactions = Counter(label: "\(prefix)_compactions", dimensions: dimensions)
        snapshotSlot = Gauge(label: "\(prefix)_slot_snapshot", dimensions: dimensions)
        databaseBytes = Gauge(label: "storage_database_bytes", dimensions: dimensions)
        logClockLead = Gauge(label: "\(prefix)_log_clock_lead_milliseconds", dimensions: dimensions)
    }
}
