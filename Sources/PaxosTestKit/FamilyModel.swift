import PaxosCore

/// The sequential specification of a *family*: a few keys that MSET, MSETNX, MGET and
/// WATCH/EXEC touch together (`FamilyHistory`), checked as one object by `LinearizationSearch`.
/// The rules are `SequentialFamily`'s, restated over a compact, hashable state:
/// - single-key operations on a member key do what `SequentialKey` says;
/// - MSET writes every key; MSETNX writes every key iff none exists, and answers whether;
/// - MGET reads every key at one instant: an MGET that sees part of an MSET has no place;
/// - WATCH is a read (it must see the values it answered) that opens a *watch*: per key,
///   whether it was absent, and whether it has been written since; its EXEC, a separate
///   operation with its own window, writes iff every watched key is as the WATCH saw it, and
///   its answer (`.transaction(succeeded:)`) must say so.
///
/// **"Written since" as revisions.** The real revisions are not visible to the model (a client
/// cannot know the revision its own write got), but an EXEC's compare only asks whether a key
/// present at the WATCH was written since (a new revision), or whether a key absent then is
/// absent now (`Revision.none` on both sides). So an open watch keeps one flag per key, cleared
/// by any write to the key, instead of a count of writes (`SequentialFamily`'s generations,
/// which the tests compare with): two paths that differ only in how many writes came after a
/// watch reach one state, and memoisation merges them. The state is a function of the
/// linearized operations and their order, so memoisation on (linearized set, state) is sound.
///
/// **Unknown outcomes.** Every operation of unknown outcome steps without a recorded answer
/// and stays pending to +∞ (Porcupine's treatment); none floats (`floats`), since what an
/// MSETNX or EXEC does depends on the state before. Unknown reads observed nothing and are
/// dropped. Families are small and few operations are unknown, so no symmetry shortcut is
/// taken beyond `KeyHistory.predecessor`'s.
///
/// - Invariant: after the first step, `State.values` has one entry per family key (`keys`);
///   `State.watches` is sorted by WATCH id; a watch's `intact` is true for every key it saw
///   absent (only presence matters for those).
struct FamilyModel: SequentialSpec {
    struct State: Hashable {
        var values: [Bytes?]
        var watches: [OpenWatch]
    }

    /// A WATCH linearized whose EXEC is not yet: per watched key, whether it was absent, and
    /// whether it is unwritten since.
    struct OpenWatch: Hashable {
        var id: Int
        var keys: [Int]
        var sawAbsent: [Bool]
        var intact: [Bool]
    }

    /// One operation, its keys as indices into `keys`; a nil outcome is unknown.
    enum Step: Hashable {
        case single(key: Int, kind: HistoryOperation.Kind, outcome: HistoryOperation.Outcome?)
        case write(keys: [Int], values: [Bytes], ifNoneExist: Bool, succeeded: Bool?)
        /// DEL of several keys; `removed` is how many existed.
        case remove(keys: [Int], removed: Int64?)
        /// MGET, or a WATCH (`watch` is its id if an EXEC uses it).
        case read(keys: [Int], values: [Bytes?], watch: Int?)
        /// `watch`: the id of the WATCH whose answer the EXEC compares with.
        case exec(watch: Int?, keys: [Int], values: [Bytes], succeeded: Bool?)
    }

    static let initial = State(values: [], watches: [])

    /// The family's keys in byte order.
    let keys: [Bytes]
    private let indexOfKey: [Bytes: Int]
    private let watchOfExec: [HistoryOperation.ID: HistoryOperation.ID]
    private let watchesUsed: Set<HistoryOperation.ID>

    init(operations: [HistoryOperation]) {
        let keys = Set(operations.flatMap(\.kind.keys)).sorted { $0.lexicographicallyPrecedes($1) }
        self.keys = keys
        self.indexOfKey = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        self.watchOfExec = FamilyHistory.watchOfExec(in: operations)
        self.watchesUsed = Set(watchOfExec.values)
    }

    mutating func step(for operation: HistoryOperation) -> Step? {
        let outcome: HistoryOperation.Outcome? = operation.outcome == .unknown ? nil : operation.outcome
        let indices = operation.kind.keys.map { key in
            guard let index = indexOfKey[key] else { preconditionFailure("family model: \(operation) names a key outside the family") }
            return index
        }
        switch operation.kind {
        case .mset(_, let values, let ifNoneExist):
            return .write(keys: indices, values: values, ifNoneExist: ifNoneExist, succeeded: outcome.map(Self.succeeded))
        case .mdelete:
            guard case .reply(.integer(let removed))? = outcome else { return .remove(keys: indices, removed: nil) }
            return .remove(keys: indices, removed: removed)
        case .mget, .watch:
            guard case .reply(let reply)? = outcome else { return nil }
            // A reply of the wrong shape matches no state: the read is rejected everywhere.
            let values = reply.readValues ?? []
            let watch = watchesUsed.contains(operation.id) ? operation.id.rawValue : nil
            return .read(keys: indices, values: values, watch: watch)
        case .exec(_, let values):
            return .exec(watch: watchOfExec[operation.id]?.rawValue, keys: indices, values: values,
                         succeeded: outcome.map(Self.succeeded))
        case .get where outcome == nil:
            return nil
        default:
            return .single(key: indices[0], kind: operation.kind, outcome: outcome)
        }
    }

    private static func succeeded(_ outcome: HistoryOperation.Outcome) -> Bool {
        if case .reply(.transaction(let succeeded, _)) = outcome { succeeded } else { true }
    }

    func apply(_ step: Step, to state: State) -> State? {
        var next = state
        if next.values.count < keys.count {
            next.values += Array(repeating: nil, count: keys.count - next.values.count)
        }
        switch step {
        case .single(let key, let kind, let outcome):
            let before = next.values[key]
            let (after, answer) = SequentialKey.apply(kind, to: before)
            if let outcome, outcome != answer { return nil }
            if SequentialFamily.writes(kind, before: before, answer: answer) { next.noteWritten(key) }
            next.values[key] = after
        case .write(let indices, let values, let ifNoneExist, let succeeded):
            let holds = !ifNoneExist || indices.allSatisfy { next.values[$0] == nil }
            if let succeeded, succeeded != holds { return nil }
            if holds { next.write(indices, values) }
        case .remove(let indices, let removed):
            let present = indices.filter { next.values[$0] != nil }
            if let removed, removed != Int64(present.count) { return nil }
            for index in present {
                next.values[index] = nil
                next.noteWritten(index)
            }
        case .read(let indices, let values, let watch):
            guard indices.map({ next.values[$0] }) == values else { return nil }
            if let watch {
                let sawAbsent = indices.map { next.values[$0] == nil }
                next.watches.append(OpenWatch(id: watch, keys: indices, sawAbsent: sawAbsent, intact: indices.map { _ in true }))
                next.watches.sort { $0.id < $1.id }
            }
        case .exec(let watch, let indices, let values, let succeeded):
            let position = next.watches.firstIndex { $0.id == watch }
            let holds = position.map { next.unchanged(since: next.watches[$0]) } ?? false
            if let succeeded, succeeded != holds { return nil }
            if let position { next.watches.remove(at: position) }
            if holds { next.write(indices, values) }
        }
        return next
    }

    /// No step floats: see the type's comment.
    func floats(_ step: Step) -> Bool { false }

    func render(_ state: State) -> String {
        let values = keys.indices.map { index in
            "\(BytesFormat.render(keys[index]))=\(BytesFormat.render(index < state.values.count ? state.values[index] : nil))"
        }
        let watches = state.watches.map { watch in
            "#\(watch.id) saw " + zip(watch.sawAbsent, watch.intact).map { absent, intact in
                absent ? "absent" : intact ? "unwritten" : "written since" }.joined(separator: "/")
        }
        return "{" + values.joined(separator: ", ") + "}"
            + (watches.isEmpty ? "" : ", open watches: " + watches.joined(separator: "; "))
    }

    func explain(_ step: Step, in state: State) -> String {
        let holding = "the family holds \(render(state))"
        guard apply(step, to: state) == nil else {
            return "could take effect here, but every order of the remaining operations fails"
        }
        switch step {
        case .single(_, _, let outcome):
            return "answered \(outcome.map(\.description) ?? "unknown") but \(holding)"
        case .write(_, _, _, let succeeded):
            return "reported written=\(succeeded.map { "\($0)" } ?? "unknown") but \(holding)"
        case .remove(_, let removed):
            return "reported \(removed.map { "\($0)" } ?? "unknown") keys deleted but \(holding)"
        case .read(_, let values, _):
            return "read \(values.map { BytesFormat.render($0) }.joined(separator: ", ")) but \(holding)"
        case .exec(let watch, _, _, let succeeded):
            let open = state.watches.contains { $0.id == watch }
            return "EXEC reported succeeded=\(succeeded.map { "\($0)" } ?? "unknown") but \(holding)"
                + (open ? "" : ", and its WATCH #\(watch.map { "\($0)" } ?? "?") is not open")
        }
    }
}

extension FamilyModel.State {
    fileprivate mutating func write(_ indices: [Int], _ written: [Bytes]) {
        for (index, value) in zip(indices, written) {
            values[index] = value
            noteWritten(index)
        }
    }

    /// Clears the flag of `index` in every open watch that saw it present.
    fileprivate mutating func noteWritten(_ index: Int) {
        for watch in watches.indices {
            for position in watches[watch].keys.indices
            where watches[watch].keys[position] == index && !watches[watch].sawAbsent[position] {
                watches[watch].intact[position] = false
            }
        }
    }

    /// Whether every key `watch` saw is as it saw it: present and unwritten since, or still
    /// absent (the executor's `Revision.none` compare).
    fileprivate func unchanged(since watch: FamilyModel.OpenWatch) -> Bool {
        watch.keys.indices.allSatisfy { position in
            watch.sawAbsent[position] ? values[watch.keys[position]] == nil : watch.intact[position]
        }
    }
}
