import PaxosCore

/// One simulated server: a replica (absent while crashed), its disk, and the shell-side
/// bookkeeping a real node keeps, namely who waits for which write and which read.
struct SimNode {
    let id: ReplicaID
    var replica: Replica?
    var disk = SimDisk()
    /// Bumped at every restart, so events scheduled for a previous life are ignored.
    var incarnation = 0
    /// Writes waiting for their apply, by client: the sequence and the client op id.
    var waitingWrites: [ClientID: (sequence: UInt64, op: Int)] = [:]
    /// Reads waiting for `readReady`.
    var waitingReads: [ReadID: (client: Int, op: Int, key: Bytes)] = [:]
    var nextReadID: UInt64 = 1
    /// A snapshot received from a peer, waiting for the core's `installSnapshot` (memory only,
    /// like the real node's staging table, which is cleared at start-up).
    var stagedSnapshot: KVStateMachine?

    var isUp: Bool { replica != nil }

    init(id: ReplicaID) { self.id = id }
}
