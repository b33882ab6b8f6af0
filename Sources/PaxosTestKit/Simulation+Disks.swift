public import PaxosCore

extension Simulation {
    /// What each replica's disk holds once a run is over, in replica id order: its promise, every
    /// durable log entry and its applied slot. Tests write these into real databases to check
    /// tools such as `paxos-inspect` on histories only a faulty cluster produces (holes,
    /// superseded votes, slots learned by catch-up). With several groups, group 0's.
    public var durableStates: [(replica: ReplicaID, state: DurableState)] {
        durableStates(group: 0)
    }

    /// What each of `group`'s replicas holds on disk once the run is over, in replica id order.
    public func durableStates(group: Int) -> [(replica: ReplicaID, state: DurableState)] {
        let start = group * configuration.replicas
        return replicas[start..<start + configuration.replicas].map { ($0.id, $0.disk.durableState) }
    }
}
