/// The mod revision of a key: the slot of the command that last wrote it and the position of
/// the writing request in that command.
///
/// Revisions are what a client compares to tell one write of a key from another (WATCH,
/// SETIFREV in later slices), so every replica MUST assign the same revision to the same
/// write: both stores get theirs from `OperationExecutor`, the one place that decides.
/// Ordered lexicographically (slot, then position), so a later write of a key always has a
/// higher revision.
///
/// Positions of legacy batches (`Command.batch`, tags 0x01/0x04) are always 0: see
/// `OperationExecutor.position(ofRequest:in:)` for why.
/// - Invariant: `slot < Revision.slotLimit`, so `rawValue` fits in an Int64 (a Redis integer).
public struct Revision: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let slot: Slot
    public let position: UInt16

    /// "Absent": no write has this revision (slots start at 1). Compares and WATCH of a missing
    /// key use it.
    public static let none = Revision(slot: .zero, position: 0)

    /// Slots at or above this have no revision: `rawValue` would not fit in an Int64. At
    /// 10,000 slots a second a group reaches it after 450 years.
    public static let slotLimit = Slot(1 << 47)

    /// - Precondition: `slot < Revision.slotLimit` (the apply path never gets there; readers
    ///   of stored or received rows use `init?(checking:position:)` instead).
    public init(slot: Slot, position: UInt16) {
        precondition(slot < Self.slotLimit, "slot \(slot) is beyond the last slot a revision can name (\(Self.slotLimit))")
        self.slot = slot
        self.position = position
    }

    /// A revision read from a file or a peer, or nil when its slot is out of range.
    public init?(checking slot: Slot, position: UInt16) {
        guard slot < Self.slotLimit else { return nil }
        self.init(slot: slot, position: position)
    }

    /// The client-visible integer: slot × 2^16 + position.
    public var rawValue: UInt64 { slot.rawValue << 16 | UInt64(position) }

    public static func < (lhs: Revision, rhs: Revision) -> Bool {
        (lhs.slot, lhs.position) < (rhs.slot, rhs.position)
    }

    /// `slot.position`, as `paxos-inspect` shows it.
    public var description: String { "\(slot).\(position)" }
}
