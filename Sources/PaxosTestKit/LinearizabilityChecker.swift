import PaxosCore

/// Checks that a recorded key-value history is linearizable (Herlihy & Wing 1990): that every
/// operation can be given an instant between its invocation and its completion such that the
/// operations, applied one at a time in that order to a single key-value map, return what
/// the clients saw.
///
/// **Compositionality.** Linearizability is local: a history is linearizable exactly when
/// each object's sub-history is (Herlihy & Wing 1990, "locality"; Horn & Kroening 2015,
/// "Faster linearizability checking via P-compositionality"). Every operation touches one
/// key, so the history is split by key and each key is checked on its own as a register
/// (`RegisterModel`), or, if it has INCRs or conditional writes, as a register with those
/// operations (`CounterRegisterModel`), or, if it has SET PX or PEXPIRE, with the expiries they
/// schedule and their windows (`TTLRegisterModel`, `TTLWindow`).
/// This turns one search over the product of all keys' states into many small ones.
///
/// **Search.** Each key is checked with Wing & Gong's backtracking search with Lowe's
/// memoisation of (linearized set, state) pairs (Wing & Gong 1993; Lowe 2017, "Testing for
/// linearizability"), the algorithm of Porcupine and Knossos; see `LinearizationSearch`.
///
/// **Unknown outcomes.** A put or delete whose client never heard back may take effect at
/// any instant after its invocation, or never. As in Porcupine and Knossos it is given a
/// completion time of +∞: it can be linearized at any point after its call, or after every
/// other operation, where it is invisible. A get with an unknown outcome observed nothing
/// and is dropped. Two refinements keep many timed-out writes from blowing up the search
/// without changing the verdict: an unknown put whose (unique) value some get returned is
/// bounded by that get, and the remaining such writes are only placed directly before an
/// operation they make possible, earliest-invoked first (see `KeyHistory`). Recorders
/// SHOULD write a distinct value with every put; the checker is correct either way, but
/// distinct values make it faster and its reports sharper.
///
/// **Budget.** The search is exponential in the worst case, so each key gets at most
/// `maxStatesPerKey` memoised states; a key that needs more makes the result
/// `.inconclusive` rather than hanging the test. A violation on any key still wins.
///
/// Operations touching at equal times are treated as concurrent (see `EventList`).
public struct LinearizabilityChecker: Sendable {
    /// The most distinct (linearized set, state) pairs explored for one key before giving up.
    public var maxStatesPerKey: Int
    /// How far the leaders' clocks may disagree with real time between them, in history time
    /// units: the slack of every TTL window (`TTLWindow`).
    public var expirySlackUnits: UInt64 = 0

    /// - Precondition: `maxStatesPerKey > 0`.
    public init(maxStatesPerKey: Int = 1_000_000) {
        precondition(maxStatesPerKey > 0, "linearizability checker: budget \(maxStatesPerKey) must be positive")
        self.maxStatesPerKey = maxStatesPerKey
    }

    /// Checks `history`, key by key in byte order, and reports the first key that violates
    /// linearizability, or why the check gave up.
    public func check(_ history: History) -> LinearizabilityResult {
        // Keys that multi-key operations tie together are checked as families (FamilyHistory).
        let (byKey, families) = FamilyHistory.partition(history.operations)
        var inconclusiveReasons: [String] = []
        for family in families {
            switch check(KeyHistory<FamilyModel>(key: family.key, operations: family.operations)) {
            case .linearizable: continue
            case .violation(let violation): return .violation(violation)
            case .inconclusive(let reason): inconclusiveReasons.append(reason)
            }
        }
        let expiryIDBase = (history.operations.map(\.id.rawValue).max() ?? -1) + 1
        for key in byKey.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let operations = byKey[key] ?? []
            // Plain keys keep the plain register, whose unknown writes may float (faster).
            let verdict = operations.allSatisfy(\.kind.isRegisterOperation)
                ? check(KeyHistory<RegisterModel>(key: key, operations: operations))
                : operations.contains(where: \.kind.schedulesExpiry) ? check(KeyHistory<TTLRegisterModel>(key: key,
                    operations: operations + TTLWindow.expiries(of: operations, slackUnits: expirySlackUnits, idBase: expiryIDBase)))
                : check(KeyHistory<CounterRegisterModel>(key: key, operations: operations))
            switch verdict {
            case .linearizable: continue
            case .violation(let violation): return .violation(violation)
            case .inconclusive(let reason): inconclusiveReasons.append(reason)
            }
        }
        if inconclusiveReasons.isEmpty { return .linearizable }
        return .inconclusive(reason: inconclusiveReasons.joined(separator: "; "))
    }

    /// One key's verdict under `Model`.
    private func check<Model: SequentialSpec>(_ keyHistory: KeyHistory<Model>) -> LinearizabilityResult {
        var search = LinearizationSearch(keyHistory, maxStates: maxStatesPerKey)
        switch search.run() {
        case .linearizable:
            return .linearizable
        case .violation(let diagnosis):
            return .violation(LinearizabilityViolation(keyHistory, diagnosis))
        case .budgetExceeded(let exploredStates):
            return .inconclusive(reason: "key \(BytesFormat.render(keyHistory.key)): search budget exceeded after "
                + "\(exploredStates) states over \(keyHistory.operations.count) operations")
        }
    }
}

/// The verdict on one history.
public enum LinearizabilityResult: Hashable, Sendable, CustomStringConvertible {
    /// Every key's operations have a linearization.
    case linearizable
    /// Some key's operations have none.
    case violation(LinearizabilityViolation)
    /// No violation was found, but the search gave up on at least one key.
    case inconclusive(reason: String)

    public var isLinearizable: Bool { self == .linearizable }

    public var description: String {
        switch self {
        case .linearizable: "linearizable"
        case .violation(let violation): violation.description
        case .inconclusive(let reason): "inconclusive: \(reason)"
        }
    }
}
