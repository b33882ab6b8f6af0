/// Every metric a node exports, in one table: name, type, unit, labels and help text.
/// `NodeMetrics` and `GroupMetrics` make their metrics only from these descriptors;
/// docs/metrics.md describes the same table (a test checks that it names every entry), and the
/// Grafana dashboard in docs/grafana may query only these names (checked by a test too).
///
/// Names follow Prometheus's conventions: a `paxos_` prefix, base units last (`_seconds`,
/// `_bytes`), counters end in `_total`. Labels stay low-cardinality (STYLE.md §9): `group` (at
/// most 64 values, present only on a node with several groups), `peer` (one per member),
/// `reason`/`side`/`rpc_method` (closed sets).
public enum MetricCatalog {
    // Node-wide.
    static let peerWireErrors = MetricDescriptor(
        "paxos_peer_wire_errors_total", .counter, formerName: "paxos_peer_wire_errors",
        help: "Peer connections closed because a frame could not be decoded.")
    static let peersConnected = MetricDescriptor(
        "paxos_peers_connected", .gauge,
        help: "Peers this node has an authenticated outbound link to.")
    static let peerHandshakesRefused = MetricDescriptor(
        "paxos_peer_handshakes_refused_total", .counter, labels: ["reason"], formerName: "paxos_peer_handshakes_refused",
        help: "Peer connections refused before they authenticated, by reason.")
    static let peerLinkTimeouts = MetricDescriptor(
        "paxos_peer_link_timeouts_total", .counter, labels: ["side"], formerName: "paxos_peer_link_timeouts",
        help: "Peer connections closed because nothing arrived for the liveness timeout, by the side that noticed (dialer or acceptor).")
    static let peerReconnects = MetricDescriptor(
        "paxos_peer_reconnects_total", .counter, labels: ["peer"],
        help: "Outbound peer connection attempts that failed and were scheduled again with back-off, by peer.")
    static let clientAuthFailures = MetricDescriptor(
        "paxos_client_auth_failures_total", .counter, formerName: "paxos_client_auth_failures",
        help: "Refused client AUTH attempts (wrong password or unknown user).")
    static let clientsConnected = MetricDescriptor(
        "paxos_clients_connected", .gauge,
        help: "Client connections open now.")
    static let clientsRejected = MetricDescriptor(
        "paxos_clients_rejected_total", .counter, labels: ["reason"], formerName: "paxos_clients_rejected",
        help: "Client connections refused at accept, by reason.")
    static let clientsDisconnected = MetricDescriptor(
        "paxos_clients_disconnected_total", .counter, labels: ["reason"], formerName: "paxos_clients_disconnected",
        help: "Client connections closed by the node, by reason (output_buffer, idle).")
    static let clientCommandsDeferred = MetricDescriptor(
        "paxos_client_commands_deferred_total", .counter, formerName: "paxos_client_commands_deferred",
        help: "Times a connection used its commands-per-turn budget with commands left and yielded.")
    static let pipelinedCommands = MetricDescriptor(
        "paxos_client_pipelined_commands_total", .counter,
        help: "Pipelined client commands sent to the cluster together, as one request with the commands queued beside them.")
    static let clientReadsPaused = MetricDescriptor(
        "paxos_client_reads_paused_total", .counter, formerName: "paxos_client_reads_paused",
        help: "Times the node stopped reading a connection because its queue or its output was full.")
    static let rpcServerDuration = MetricDescriptor(
        "paxos_rpc_server_duration_seconds", .histogram, unit: .seconds, labels: ["rpc_method"], formerName: "rpc_server_duration",
        help: "Client request latency on this node, from parse to reply, by command (get, set, del, ..., other).")

    // Per group.
    static let proposals = MetricDescriptor(
        "paxos_proposals_total", .counter, labels: ["group"], formerName: "paxos_proposals",
        help: "Client write requests this node proposed as leader.")
    static let leasedReads = MetricDescriptor(
        "paxos_reads_leased_total", .counter, labels: ["group"],
        help: "Linearizable reads this node served as leader on its lease (--lease-ms), without a heartbeat round of their own.")
    static let elections = MetricDescriptor(
        "paxos_elections_total", .counter, labels: ["group"], formerName: "paxos_elections",
        help: "Elections this replica started (became a candidate).")
    static let leaderChanges = MetricDescriptor(
        "paxos_leader_changes_total", .counter, labels: ["group"],
        help: "Times the leader this replica follows changed to another replica.")
    static let isLeader = MetricDescriptor(
        "paxos_is_leader", .gauge, labels: ["group"],
        help: "1 while this replica leads the group, else 0.")
    static let slotChosen = MetricDescriptor(
        "paxos_slot_chosen", .gauge, labels: ["group"],
        help: "Highest slot this replica knows to be chosen (with every slot below it).")
    static let slotApplied = MetricDescriptor(
        "paxos_slot_applied", .gauge, labels: ["group"],
        help: "Highest slot applied to this replica's KV table.")
    static let slotSnapshot = MetricDescriptor(
        "paxos_slot_snapshot", .gauge, labels: ["group"],
        help: "Slot through which the log is compacted into the snapshot.")
    static let peerLag = MetricDescriptor(
        "paxos_peer_lag_slots", .gauge, labels: ["group", "peer"],
        help: "On the leader: chosen slots beyond the highest slot the peer acknowledged since this leader took over; 0 on other replicas.")
    static let peerMessages = MetricDescriptor(
        "paxos_peer_messages_total", .counter, labels: ["group"], formerName: "paxos_peer_messages",
        help: "Protocol messages received from peers.")
    static let peerMessagesRefused = MetricDescriptor(
        "paxos_peer_messages_refused_total", .counter, labels: ["group", "reason"], formerName: "paxos_peer_messages_refused",
        help: "Peer messages refused by the protocol's checks, by reason.")
    static let simulatedFailures = MetricDescriptor(
        "paxos_simulated_failures_total", .counter, labels: ["group"], formerName: "paxos_simulated_failures",
        help: "Simulated acceptor failures (--fail-rate).")
    static let storageCommitDuration = MetricDescriptor(
        "paxos_storage_sqlite_commit_duration_seconds", .histogram, unit: .seconds, labels: ["group"],
        formerName: "storage_sqlite_commit_duration",
        help: "Duration of one SQLite group commit (write and fsync) of the storage thread.")
    static let storageBatchJobs = MetricDescriptor(
        "paxos_storage_sqlite_batch_jobs", .histogram, labels: ["group"], formerName: "storage_sqlite_batch_jobs",
        help: "Storage jobs (persists, applies, reads) per SQLite group commit.")
    static let databaseBytes = MetricDescriptor(
        "paxos_storage_database_bytes", .gauge, unit: .bytes, labels: ["group"], formerName: "storage_database_bytes",
        help: "Size of the group's database, WAL, shared-memory and snapshot staging files.")
    static let snapshotsSent = MetricDescriptor(
        "paxos_snapshots_sent_total", .counter, labels: ["group"], formerName: "paxos_snapshots_sent",
        help: "Snapshot transfers this node completed as sender.")
    static let snapshotsReceived = MetricDescriptor(
        "paxos_snapshots_received_total", .counter, labels: ["group"], formerName: "paxos_snapshots_received",
        help: "Snapshot transfers this node received completely.")
    static let snapshotsInstalled = MetricDescriptor(
        "paxos_snapshots_installed_total", .counter, labels: ["group"], formerName: "paxos_snapshots_installed",
        help: "Received snapshots installed in place of the KV table.")
    static let snapshotTransfersAborted = MetricDescriptor(
        "paxos_snapshot_transfers_aborted_total", .counter, labels: ["group"], formerName: "paxos_snapshot_transfers_aborted",
        help: "Snapshot transfers abandoned, sending or receiving (timeout, abort, error).")
    static let compactions = MetricDescriptor(
        "paxos_compactions_total", .counter, labels: ["group"], formerName: "paxos_compactions",
        help: "Log compactions the storage thread finished.")
    static let logClockLead = MetricDescriptor(
        "paxos_log_clock_lead_seconds", .gauge, unit: .seconds, labels: ["group"], formerName: "paxos_log_clock_lead_milliseconds",
        help: "On the leader after each apply: the log clock less the leader's wall clock (positive when this leader's clock is behind the log's).")

    /// The table, in the order docs/metrics.md lists it.
    public static let all: [MetricDescriptor] = [
        peerWireErrors, peersConnected, peerHandshakesRefused, peerLinkTimeouts, peerReconnects,
        clientAuthFailures, clientsConnected, clientsRejected, clientsDisconnected, clientCommandsDeferred, pipelinedCommands,
        clientReadsPaused, rpcServerDuration,
        proposals, leasedReads, elections, leaderChanges, isLeader, slotChosen, slotApplied, slotSnapshot, peerLag,
        peerMessages, peerMessagesRefused, simulatedFailures, storageCommitDuration, storageBatchJobs,
        databaseBytes, snapshotsSent, snapshotsReceived, snapshotsInstalled, snapshotTransfersAborted,
        compactions, logClockLead,
    ]

    private static let byName: [String: MetricDescriptor] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func descriptor(named name: String) -> MetricDescriptor? { byName[name] }

    /// Histogram buckets for durations: sub-millisecond steps, because an SQLite commit or a
    /// local read takes well under swift-prometheus's smallest default (5 ms).
    public static let durationBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]
}
