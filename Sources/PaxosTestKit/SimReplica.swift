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
    /// A snapshot received from a peer, waiting for the core's `installSnapshot` (memory only,
    /// like the real node's staging table, which is cleared at start-up).
    var stagedSnapshot: (stateMachine: KVStateMachine, memberships: [ScheduledMembership])?

    var isUp: Bool { replica != nil }

    init(id: ReplicaID, group: Int, disk: SimDisk, shell: ShellSettings) {
        self.id = id
        self.group = group
        self.disk = disk
        self.shell = GroupShell(settings: shell, firstToken: 1)
    }
}
