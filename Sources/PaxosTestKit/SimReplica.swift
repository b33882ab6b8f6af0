import PaxosCore
import PaxosShell

/// One group's replica on one simulated server: the replica (absent while crashed), its disk,
/// and paxosd's own request shell for the group (`GroupShell`, the very code paxosd runs) with
/// the simulated connections waiting on it. A node hosts one of these per group, each with its own disk, as paxosd
/// gives each group its own database and storage thread.
struct SimReplica {
    let id: ReplicaID
    /// The group this replica belongs to.
    let group: Int
    var replica: Replica?
    var disk: SimDisk
    /// Bumped at every restart, so events scheduled for a previous life are ignored.
    var incarnation = 0
    /// The incarnation of the database on `disk` (`ReplicaConfiguration.incarnation`): `.initial`
    /// for the first members, a random one for spares and for every disk that replaced a lost one.
    var databaseIncarnation = Incarnation.initial
    /// The request shell; rebuilt empty at every start, as a restarted paxosd's is.
    var shell: GroupShell
    /// The simulated client connections waiting on the shell, by its token.
    var waiters: [UInt64: (client: Int, op: Int)] = [:]
    /// paxosd's snapshot-transfer shells (`Simulation+SnapshotTransfer.swift`); new at every
    /// start and crash, as a restarted paxosd's are.
    var snapshotSending: SnapshotSending
    var snapshotReceiving: SnapshotReceiving
    /// Open exports by transfer id: the frozen applied state, cut into chunks (paxosd's read
    /// transactions on the snapshot worker).
    var exports: [UInt64: SimExport] = [:]
    /// What was staged of the transfer being received (paxosd's staging file, which start-up
    /// deletes: memory only here).
    var staging: SimStaging?
    /// When the snapshot worker finishes the jobs queued so far: it runs them one at a time, in order.
    var snapshotWorkerFreeAt: UInt64 = 0
    /// When the last snapshot frame sent to each peer arrives: frames on a link arrive in the
    /// order sent, as on paxosd's TCP links. Kept across restarts, so a new life's frames never
    /// overtake an old one's.
    var snapshotLinkFreeAt: [ReplicaID: UInt64] = [:]
    /// When to compact (`CompactionSchedule`, as paxosd's `GroupNode` holds one); nil when the
    /// run keeps every log entry.
    var compaction: CompactionSchedule?

    var isUp: Bool { replica != nil }

    init(id: ReplicaID, group: Int, disk: SimDisk, shell: ShellSettings, snapshotTimeoutMilliseconds: UInt64) {
        self.id = id
        self.group = group
        self.disk = disk
        self.shell = GroupShell(settings: shell, firstToken: 1)
        self.snapshotSending = SnapshotSending(windowChunks: 4, timeoutMilliseconds: snapshotTimeoutMilliseconds)
        self.snapshotReceiving = SnapshotReceiving(me: id, timeoutMilliseconds: snapshotTimeoutMilliseconds,
                                                   plantedBug: shell.plantedBug)
    }

    /// Forgets every transfer, as a restarted paxosd does: new shells, no exports, no staging.
    mutating func resetSnapshotTransfers() {
        snapshotSending = SnapshotSending(windowChunks: snapshotSending.windowChunks,
                                          timeoutMilliseconds: snapshotSending.timeoutMilliseconds)
        snapshotReceiving = SnapshotReceiving(me: id, timeoutMilliseconds: snapshotReceiving.timeoutMilliseconds,
                                              plantedBug: snapshotReceiving.plantedBug)
        exports = [:]
        staging = nil
    }
}
