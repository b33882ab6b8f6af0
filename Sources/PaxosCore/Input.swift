/// Everything that can happen to a replica. The shell turns events into inputs and feeds them
/// to `Replica.step(_:)` one at a time.
public enum Input: Hashable, Sendable {
    /// One unit of logical time passed. The shell decides how long a tick is.
    case tick
    /// A peer's message arrived.
    case message(from: ReplicaID, Message)
    /// Client writes to order. A shell should pass everything it read in one go, so they can
    /// share a slot.
    case propose([ClientRequest])
    /// A client wants a linearizable read.
    case read(ReadID)
    /// Every `PersistRecord` with an id ≤ this one is durable.
    case persisted(upTo: PersistID)
}
