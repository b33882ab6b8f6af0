/// A position in the replicated log.
///
/// Slots start at 1. `Slot.zero` means "no slot", so "chosen through zero" is the empty prefix.
public struct Slot: RawRepresentable, Hashable, Comparable, Strideable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static let zero = Slot(0)

    public static func < (lhs: Slot, rhs: Slot) -> Bool { lhs.rawValue < rhs.rawValue }

    public func distance(to other: Slot) -> Int64 { Int64(bitPattern: other.rawValue &- rawValue) }
    public func advanced(by n: Int64) -> Slot { Slot(UInt64(bitPattern: Int64(bitPattern: rawValue) &+ n)) }

    /// The slot after this one.
    public var next: Slot { Slot(rawValue + 1) }
    /// The slot before this one. - Precondition: `self > .zero`.
    public var previous: Slot {
        precondition(rawValue > 0, "slot 0 has no predecessor")
        return Slot(rawValue - 1)
    }

    public var description: String { "\(rawValue)" }
}
