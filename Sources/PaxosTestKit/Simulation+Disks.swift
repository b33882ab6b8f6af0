public import PaxosCore

extension Simulation {
    /// What each replica's disk holds once a run is over, in replica id order: its promise, every
    /// durable log entry and its applied slot. Tests write these into real databases to check
    /// tools such as `paxos-inspect` on histories only a faulty cluster produces (holes,
    /// superseded votes, slots learned by catch-up).
    public var durableStates: [(replica: ReplicaID, state: DurableState)] {
        nodes.map { ($0.id, $0.disk.durableState) }
    }
}
