import CoreMetrics
import PaxosCore

/// One consensus group's metrics, made from `MetricCatalog`. With several groups per node each
/// carries a `group` dimension (at most 64 values); with one group there is none, so a one-group
/// node exports the same series as an unsharded one. (Prometheus refuses a labelled series next
/// to an unlabelled one of the same name, so the choice is all or nothing per node.)
struct GroupMetrics: Sendable {
    let proposals: Counter
    let leasedReads: Counter
    let elections: Counter
    let leaderChanges: Counter
    let isLeader: Gauge
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
    /// On the leader, after each apply: the log clock less the leader's wall clock (seconds;
    /// positive when this leader's clock is behind the log's: it is skewed, or the previous
    /// leader was).
    let logClockLead: Gauge
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory

    init(group: GroupID?, factory: any MetricsFactory = MetricsSystem.factory) {
        let dimensions = group.map { [("group", "\($0)")] } ?? []
        self.dimensions = dimensions
        self.factory = factory
        typealias M = MetricCatalog
        proposals = M.proposals.counter(dimensions, factory: factory)
        leasedReads = M.leasedReads.counter(dimensions, factory: factory)
        elections = M.elections.counter(dimensions, factory: factory)
        leaderChanges = M.leaderChanges.counter(dimensions, factory: factory)
        isLeader = M.isLeader.gauge(dimensions, factory: factory)
        chosen = M.slotChosen.gauge(dimensions, factory: factory)
        applied = M.slotApplied.gauge(dimensions, factory: factory)
        peerMessages = M.peerMessages.counter(dimensions, factory: factory)
        peerMessagesRefused = Dictionary(uniqueKeysWithValues: RefusalReason.allCases.map { reason in
            (reason, M.peerMessagesRefused.counter(dimensions + [("reason", reason.rawValue)], factory: factory))
        })
        simulatedFailures = M.simulatedFailures.counter(dimensions, factory: factory)
        storageCommitDuration = M.storageCommitDuration.timer(dimensions, factory: factory)
        storageBatchJobs = M.storageBatchJobs.histogram(dimensions, factory: factory)
        snapshotsSent = M.snapshotsSent.counter(dimensions, factory: factory)
        snapshotsReceived = M.snapshotsReceived.counter(dimensions, factory: factory)
        snapshotsInstalled = M.snapshotsInstalled.counter(dimensions, factory: factory)
        snapshotTransfersAborted = M.snapshotTransfersAborted.counter(dimensions, factory: factory)
        compactions = M.compactions.counter(dimensions, factory: factory)
        snapshotSlot = M.slotSnapshot.gauge(dimensions, factory: factory)
        databaseBytes = M.databaseBytes.gauge(dimensions, factory: factory)
        logClockLead = M.logClockLead.gauge(dimensions, factory: factory)
    }

    /// The leader's view of how far `peer` is behind (`GroupNode+PeerLag.swift`).
    func peerLag(_ peer: ReplicaID) -> Gauge {
        MetricCatalog.peerLag.gauge(dimensions + [("peer", "\(peer)")], factory: factory)
    }
}
