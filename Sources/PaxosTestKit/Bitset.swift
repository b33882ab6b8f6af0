/// A fixed-capacity set of small integers, packed 64 to a word.
///
/// The linearizability search keys its memo on "which operations are linearized", so this
/// type is hashed and compared once per explored state; a packed `[UInt64]` makes that a few
/// word operations rather than a hash of a `Set<Int>`.
///
/// - Invariant: `words.count == (capacity + 63) / 64`, fixed at init, so two bitsets of one
///   search compare equal exactly when they hold the same members.
struct Bitset: Hashable, Sendable {
    private var words: [UInt64]

    init(capacity: Int) {
        precondition(capacity >= 0, "bitset: negative capacity \(capacity)")
        self.words = Array(repeating: 0, count: (capacity + 63) / 64)
    }

    func contains(_ member: Int) -> Bool {
        words[member >> 6] & (1 << UInt64(member & 63)) != 0
    }

    mutating func insert(_ member: Int) {
        words[member >> 6] |= 1 << UInt64(member & 63)
    }

    mutating func remove(_ member: Int) {
        words[member >> 6] &= ~(1 << UInt64(member & 63))
    }

    /// Returns a copy with `member` added; the search's memo needs the new set before it
    /// commits to it.
    func inserting(_ member: Int) -> Bitset {
        var copy = self
        copy.insert(member)
        return copy
    }

    var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}
