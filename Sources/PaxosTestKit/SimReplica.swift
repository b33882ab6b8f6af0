import PaxosCore

/// One group's replica on one simulated server: the replica (absent while crashed), its disk,
/// and the shell-side bookkeeping a real node keeps for the group, namely who waits for which
/// write and which read. A node hosts one of these per group, each with its own disk, as paxosd
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
    /// Writes waiting for their apply, by client: the sequence and the client op id.
    var waitingWrites: [ClientID: (sequence: UInt64, op: Int)] = [:]
    /// Reads waiting for `readReady`.
    var waitingReads: [ReadID: (client: Int, op: Int, key: Bytes)] = [:]
    var nextReadID: UInt64 = 1
    /// A snapshot received from a peer, waiting for the core's `installSnapshot` (memory only,
    /// like the real node's staging table, which is cleared at start-up).
    var stagedSnapshot: (stateMachine: KVStateMachine, memberships: [ScheduledMembership])?

    var isUp: Bool { replica != nil }

    init(id: ReplicaID, group: Int, disk: SimDisk) {
        self.id = id
        self.group = group
        self.disk = disk
    }
}
