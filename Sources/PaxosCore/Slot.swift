/// A position in the replicated log.
///
/// Slots start at 1. `Slot.zero` means "no slot", so "chosen through zero" is the empty prefix.
public struct Slot: RawRepresentable, Hashable, Comparable, Strideable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static let zero = Slot(0)

    /// No slot is higher. 2^62 slots take a cluster choosing a slot every nanosecond 146 years
    /// to use up, and leave arithmetic such as `from + maxEntriesPerMessage - 1` far from
    /// `UInt64.max`: a replica refuses every peer message naming a higher slot and refuses to
    /// start from a database that holds one.
    public static let max = Slot(1 << 62)

    /// Whether this is a slot a replica takes in: at most `Slot.max` (zero is allowed where a
    /// message means "no slot", as in a chosen frontier).
    public var isInRange: Bool { rawValue <= Slot.max.rawValue }

    public static func < (lhs: Slot, rhs: Slot) -> Bool { lhs.rawValue < rhs.rawValue }

    public func distance(to other: Slot) -> Int64 { Int64(bitPattern: other.rawValue &- rawValue) }
    public func advanced(by n: Int64) -> Slot { Slot(UInt64(bitPattern: Int64(bitPattern: rawValue) &+ n)) }

    /// The slot after this one.
    /// The core never calls this above `Slot.max` (peer messages and stored state beyond it
    /// are refused), so it cannot overflow there; tools reading damaged files may go higher.
    public var next: Slot { Slot(rawValue + 1) }
    /// The slot before this one. - Precondition: `self > .zero`.
    public var previous: Slot {
        precondition(rawValue > 0, "slot 0 has no predecessor")
        return Slot(rawValue - 1)
    }

    public var description: String { "\(rawValue)" }
}
