/// An acceptor's record for one slot: the command it accepted and the ballot it accepted it in.
///
/// - Invariant: once `chosen` is true the command never changes (at most one command is chosen
///   per slot); `ballot` is then only informational.
public struct LogEntry: Hashable, Sendable, CustomStringConvertible {
    public var slot: Slot
    public var ballot: Ballot
    public var command: Command
    public var chosen: Bool

    public init(slot: Slot, ballot: Ballot, command: Command, chosen: Bool) {
        self.slot = slot
        self.ballot = ballot
        self.command = command
        self.chosen = chosen
    }

    public var description: String { "slot \(slot)@\(ballot)\(chosen ? " chosen" : "")" }
}
