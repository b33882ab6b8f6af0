/// Wing & Gong's linearizability search with Lowe's memoisation, for one key.
///
/// The search builds a linearization one operation at a time. Walking the event list from
/// the head, every call before the first return is a *minimal* operation: one that may take
/// effect next without breaking real-time order. It tries each minimal operation against the
/// register; if the register accepts the recorded outcome it linearizes the operation
/// (unlinking its events), pushes the choice, and restarts from the head. Reaching a return
/// means that operation had to take effect already and no choice made it possible, so the
/// search pops the last choice and tries its next option, or the next minimal operation.
/// Linearizing every operation is success; an empty stack at a return is a violation
/// (Wing & Gong 1993, "Testing and verifying concurrent objects").
///
/// Lowe's improvement (Lowe 2017, "Testing for linearizability") caches every pair
/// (set of linearized operations, register state) reached: two paths that reach the same
/// pair have the same futures, so the second is pruned. This is what makes histories of
/// hundreds of operations with a handful of concurrent clients tractable; Porcupine
/// (anishathalye/porcupine, `checker.go`) and Knossos use the same scheme.
///
/// **Deviation: floating writes.** Porcupine leaves an unknown-outcome write pending to +∞,
/// so the search may linearize it at every step, and k of them multiply the states by up to
/// 2^k. Here a floating write (see `KeyHistory`) is never a choice of its own. When a
/// minimal operation is rejected by the register, the search also tries it *enabled*: right
/// after the earliest unused, minimal floating write of some class, if that makes the
/// register accept it. Floating writes never used are taken to have never happened, so the
/// search succeeds once every other operation is linearized. `KeyHistory` explains why this
/// loses no linearization.
///
/// The search is generic over the key's `SequentialSpec` (`RegisterModel`, or
/// `CounterRegisterModel` for keys with INCR and conditional writes); "register" below means
/// that model. Floating writes exist only for models whose unknown steps may float.
///
/// - Invariant: `linearized` holds exactly the operations and enablers of the choices on
///   `stack`, and `state` is the register after applying them in stack order.
/// - Invariant: the used members of each symmetry class are its first `classUsed[class]`.
struct LinearizationSearch<Model: SequentialSpec> {
    /// The deepest point the search reached before getting stuck, for a failure report.
    struct Diagnosis {
        /// Operation indices in linearization order, enablers included.
        var linearization: [Int]
        var state: Model.State
        /// The operation whose return the search hit: it had to take effect by then.
        var blocking: Int
        /// The minimal operations at that point, all of which the register rejected.
        var candidates: [Int]
    }

    enum Outcome {
        case linearizable
        case violation(Diagnosis)
        case budgetExceeded(exploredStates: Int)
    }

    private struct MemoKey: Hashable {
        var linearized: Bitset
        var state: Model.State
    }

    /// One way to linearize an operation next: alone, or right after a floating write.
    private struct Option {
        var enabler: Int?
        var state: Model.State
    }

    /// A decision on the stack: which call node was linearized, with which option.
    private struct Choice {
        var node: Int
        var option: Int
        var enabler: Int?
        var stateBefore: Model.State
    }

    private let history: KeyHistory<Model>
    private let maxStates: Int
    private var list: EventList
    private var memo: Set<MemoKey> = []
    private var stack: [Choice] = []
    private var linearized: Bitset
    private var state = Model.initial
    private var classUsed: [Int]
    private var deepest: Diagnosis?

    /// - Precondition: `maxStates > 0`.
    init(_ history: KeyHistory<Model>, maxStates: Int) {
        precondition(maxStates > 0, "linearizability search: budget \(maxStates) must be positive")
        self.history = history
        self.maxStates = maxStates
        self.linearized = Bitset(capacity: history.operations.count)
        self.classUsed = Array(repeating: 0, count: history.classMembers.count)
        self.list = EventList(callTimes: history.operations.map(\.invokedAt), returnTimes: history.returnTimes)
    }

    /// Runs the search to completion or until `maxStates` distinct states were explored.
    /// - Precondition: called once.
    mutating func run() -> Outcome {
        precondition(stack.isEmpty && memo.isEmpty, "linearizability search: run() called twice")
        var node = list.first
        var firstOption = 0
        while stack.count < history.boundedCount {
            precondition(node != EventList.none, "linearizability search: walked past the last event")
            guard list.isCall(node) else {
                noteStuck(at: node)
                guard let choice = stack.popLast() else {
                    guard let deepest else { preconditionFailure("linearizability search: stuck without a diagnosis") }
                    return .violation(deepest)
                }
                undo(choice)
                node = choice.node
                firstOption = choice.option + 1
                continue
            }
            if history.symmetryClass[list.operation[node]] == nil, takeOption(of: node, from: firstOption) {
                guard memo.count < maxStates else { return .budgetExceeded(exploredStates: memo.count) }
                node = list.first
            } else {
                node = list.next[node]
            }
            firstOption = 0
        }
        return .linearizable
    }

    /// Linearizes the operation of call `node` with its first option from `first` on whose
    /// resulting (set, state) pair is new; returns whether there was one.
    private mutating func takeOption(of node: Int, from first: Int) -> Bool {
        let operation = list.operation[node]
        // Interchangeable pending operations are used in invocation order (`KeyHistory.predecessor`).
        if let predecessor = history.predecessor[operation], !linearized.contains(predecessor) { return false }
        let options = self.options(for: operation)
        guard first < options.count else { return false }
        for index in first..<options.count {
            let option = options[index]
            var next = linearized.inserting(operation)
            if let enabler = option.enabler { next.insert(enabler) }
            guard memo.insert(MemoKey(linearized: next, state: option.state)).inserted else { continue }
            stack.append(Choice(node: node, option: index, enabler: option.enabler, stateBefore: state))
            linearized = next
            state = option.state
            if let enabler = option.enabler, let symmetry = history.symmetryClass[enabler] { classUsed[symmetry] += 1 }
            list.lift(node)
            return true
        }
        return false
    }

    private mutating func undo(_ choice: Choice) {
        list.unlift(choice.node)
        state = choice.stateBefore
        linearized.remove(list.operation[choice.node])
        if let enabler = choice.enabler, let symmetry = history.symmetryClass[enabler] {
            linearized.remove(enabler)
            classUsed[symmetry] -= 1
        }
    }

    /// The ways `operation` can be linearized in the current state, in a fixed order. An
    /// operation the register accepts has just one: enabled, it would reach the same state
    /// (a write's or a get's outcome fixes the state after it) with an enabler used up.
    private func options(for operation: Int) -> [Option] {
        let step = history.steps[operation]
        if let next = history.model.apply(step, to: state) { return [Option(enabler: nil, state: next)] }
        if history.classMembers.isEmpty { return [] }
        let firstReturn = list.firstReturn
        var options: [Option] = []
        for (symmetry, members) in history.classMembers.enumerated() where classUsed[symmetry] < members.count {
            let enabler = members[classUsed[symmetry]]
            // The enabler takes effect just before `operation`, so it must be minimal too.
            guard list.callNode[enabler] < firstReturn,
                let enabled = history.model.apply(history.steps[enabler], to: state),
                let next = history.model.apply(step, to: enabled)
            else { continue }
            options.append(Option(enabler: enabler, state: next))
        }
        return options
    }

    /// Records the stuck point if it is the deepest so far. Only strictly deeper points copy
    /// the stack, so this costs O(n) at most n times.
    private mutating func noteStuck(at returnNode: Int) {
        if let deepest, deepest.linearization.count >= linearized.count { return }
        var candidates: [Int] = []
        var node = list.first
        while node != returnNode, node != EventList.none {
            if list.isCall(node), history.symmetryClass[list.operation[node]] == nil {
                candidates.append(list.operation[node])
            }
            node = list.next[node]
        }
        deepest = Diagnosis(
            linearization: stack.flatMap { choice in [choice.enabler, list.operation[choice.node]].compactMap { $0 } },
            state: state,
            blocking: list.operation[returnNode],
            candidates: candidates
        )
    }
}
