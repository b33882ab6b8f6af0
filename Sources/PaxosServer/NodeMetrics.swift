import CoreMetrics
import NIOCore

/// Every metric the node exports, defined once (STYLE.md §9). Names use underscores because
/// Prometheus, the exporter, does not accept dots; dimensions stay low-cardinality.
public struct NodeMetrics: Sendable {
    let proposals: Counter
    let elections: Counter
    let chosen: Gauge
    let applied: Gauge
    let peerMessages: Counter
    let peerWireErrors: Counter
    let peersConnected: Gauge
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
    private let prefix: String

    public init(prefix: String = "paxos") {
        self.prefix = prefix
        proposals = Counter(label: "\(prefix)_proposals")
        elections = Counter(label: "\(prefix)_elections")
        chosen = Gauge(label: "\(prefix)_slot_chosen")
        applied = Gauge(label: "\(prefix)_slot_applied")
        peerMessages = Counter(label: "\(prefix)_peer_messages")
        peerWireErrors = Counter(label: "\(prefix)_peer_wire_errors")
        peersConnected = Gauge(label: "\(prefix)_peers_connected")
        simulatedFailures = Counter(label: "\(prefix)_simulated_failures")
        storageCommitDuration = Timer(label: "storage_sqlite_commit_duration")
        storageBatchJobs = Recorder(label: "storage_sqlite_batch_jobs")
        snapshotsSent = Counter(label: "\(prefix)_snapshots_sent")
        snapshotsReceived = Counter(label: "\(prefix)_snapshots_received")
        snapshotsInstalled = Counter(label: "\(prefix)_snapshots_installed")
        snapshotTransfersAborted = Counter(label: "\(prefix)_snapshot_transfers_aborted")
        compactions = Counter(label: "\(prefix)_compactions")
        snapshotSlot = Gauge(label: "\(prefix)_slot_snapshot")
        databaseBytes = Gauge(label: "storage_database_bytes")
    }

    /// Client request latency by command name (a closed set: unknown names are grouped).
    func recordRequest(_ name: String, since start: NIODeadline) {
        let known: Set<String> = ["GET", "SET", "PUT", "DEL", "DELETE", "EXISTS", "PING", "INFO", "BACKUP"]
        let method = known.contains(name) ? name.lowercased() : "other"
        let elapsed = NIODeadline.now() - start
        Timer(label: "rpc_server_duration", dimensions: [("rpc_method", method)])
            .recordNanoseconds(elapsed.nanoseconds)
    }
}
