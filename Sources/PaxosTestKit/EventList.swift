/// The call and return events of one key's operations as a doubly linked list in real-time
/// order, which the search unlinks from and relinks into as it linearizes and backtracks
/// (Lowe 2017; Porcupine's `lift`/`unlift`).
///
/// Node `0` is a head sentinel; every other node is one event. Events at equal times put
/// calls before returns, so operations that merely touch are treated as concurrent: a
/// recorder's clock cannot order them, and rejecting on a tie would be a false alarm.
/// A return with an unknown outcome is at +∞, after every real event.
///
/// - Invariant: a call node precedes its return node (`match`) while both are linked.
struct EventList {
    static let none = -1

    private(set) var next: [Int]
    private var prev: [Int]
    /// The operation of each node; `none` for the head.
    let operation: [Int]
    /// For a call node, its return node; `none` for return nodes and the head.
    let match: [Int]
    /// The call node of each operation. Node numbers follow event order, so comparing two
    /// nodes' numbers compares their times.
    let callNode: [Int]

    /// `returnTimes[i] == nil` places operation `i`'s return at +∞.
    init(callTimes: [UInt64], returnTimes: [UInt64?]) {
        precondition(callTimes.count == returnTimes.count, "event list: \(callTimes.count) calls, \(returnTimes.count) returns")
        // Sorting on (infinite, time, isReturn, operation) orders events as described above;
        // the operation breaks the remaining ties so the search order is deterministic.
        typealias Event = (infinite: Int, time: UInt64, isReturn: Int, operation: Int)
        var events: [Event] = callTimes.indices.map { (0, callTimes[$0], 0, $0) }
        events += returnTimes.indices.map { (returnTimes[$0] == nil ? 1 : 0, returnTimes[$0] ?? 0, 1, $0) }
        events.sort { ($0.infinite, $0.time, $0.isReturn, $0.operation) < ($1.infinite, $1.time, $1.isReturn, $1.operation) }

        let nodeCount = events.count + 1
        var returnNode = Array(repeating: Self.none, count: callTimes.count)
        var callNode = Array(repeating: Self.none, count: callTimes.count)
        for (position, event) in events.enumerated() {
            if event.isReturn == 1 { returnNode[event.operation] = position + 1 } else { callNode[event.operation] = position + 1 }
        }
        self.callNode = callNode
        self.operation = [Self.none] + events.map { $0.operation }
        self.match = [Self.none] + events.map { $0.isReturn == 1 ? Self.none : returnNode[$0.operation] }
        self.next = (0..<nodeCount).map { $0 + 1 < nodeCount ? $0 + 1 : Self.none }
        self.prev = (0..<nodeCount).map { $0 - 1 }
    }

    var first: Int { next[0] }
    var isEmpty: Bool { next[0] == Self.none }

    func isCall(_ node: Int) -> Bool { match[node] != Self.none }

    /// The first linked return node, or `none`: calls before it are the minimal operations.
    var firstReturn: Int {
        var node = first
        while node != Self.none, isCall(node) { node = next[node] }
        return node
    }

    /// Unlinks a call and its return: the operation is linearized.
    mutating func lift(_ call: Int) {
        unlink(call)
        unlink(match[call])
    }

    /// Relinks what `lift(call)` unlinked, in reverse order so each node's neighbours are
    /// the ones it had when it was unlinked.
    mutating func unlift(_ call: Int) {
        relink(match[call])
        relink(call)
    }

    private mutating func unlink(_ node: Int) {
        next[prev[node]] = next[node]
        if next[node] != Self.none { prev[next[node]] = prev[node] }
    }

    private mutating func relink(_ node: Int) {
        next[prev[node]] = node
        if next[node] != Self.none { prev[next[node]] = node }
    }
}
