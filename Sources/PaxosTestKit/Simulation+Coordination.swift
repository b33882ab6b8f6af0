import PaxosCore

/// Key operations by the simulated clients (docs/design/coordination-api.md §8): with
/// `SimConfiguration.coordinationOps`, some writes the clients draw become INCRBY, SET NX,
/// XX or IFEQ, GETSET, DELIFEQ or GETDEL on the same few keys, so the linearizability checker
/// (`CounterRegisterModel`) judges them, and exactly-once is tested where it matters most: a
/// retried INCR that counted twice shows in every later INCR's answer.
///
/// **Replay.** The main stream draws each operation's key and whether it is a write, a delete
/// or a get exactly as without coordination; what a write becomes is drawn from this stream of
/// its own. A run with coordination thus makes the main stream's draws of the same run
/// without it, and a run without coordination is the run its seed always gave.
///
/// **Counters.** INCR on a key that holds a value that is not an integer answers
/// `.error(.notInteger)`. So that most INCRs count, about half the keys (drawn per run) are
/// *counters*: their writes are INCRs, their deletes DEL, GETDEL or DELIFEQ of the last number
/// seen. The other keys get SET with conditions, GETSET and an occasional INCR, whose "not an
/// integer" answer the model predicts too. Values written stay unique per client and sequence.
struct SimCoordination {
    var random: SeededGenerator
    let counterKeys: Set<Bytes>
    /// The last value the simulation saw written to or read from each key: what IFEQ and
    /// DELIFEQ compare with, so that their conditions often hold.
    var recentValue: [Bytes: Bytes] = [:]
    /// Keys grouped into families, and WATCHes waiting for their EXEC (Simulation+Families.swift).
    var families: SimFamilies

    init(random: SeededGenerator, keyspace: [Bytes], groupMap: GroupMap, alwaysFamilies: Bool = false) {
        var random = random
        self.counterKeys = Set(keyspace.filter { _ in Bool.random(using: &random) })
        self.families = SimFamilies(keyspace: keyspace, groupMap: groupMap, always: alwaysFamilies, using: &random)
        self.random = random
    }

    /// What the write or delete `kind`, drawn by the main stream, becomes.
    mutating func substitute(_ kind: SimOperationKind) -> SimOperationKind {
        if let family = families.family(of: kind.key) { return families.substitute(kind, on: family, using: &random) }
        let roll = Int.random(in: 0..<20, using: &random)
        switch kind {
        case .put(let key, _) where counterKeys.contains(key):
            // Two increments only: unknown INCRs of one amount are interchangeable, which keeps
            // the checker's search small (`KeyHistory.predecessor`); a second amount still tells
            // apart which of two INCRs counted twice.
            return .incrementBy(key: key, by: Bool.random(using: &random) ? 1 : 2)
        case .put(let key, let value):
            let recent = recentValue[key] ?? value
            switch roll {
            case ..<6: return kind
            case ..<8: return .setIf(key: key, value: value, .ifAbsent)
            case ..<10: return .setIf(key: key, value: value, .ifPresent)
            case ..<14: return .setIf(key: key, value: value, .ifEquals(recent))
            case ..<18: return .getSet(key: key, value: value)
            default: return .incrementBy(key: key, by: 1)
            }
        case .delete(let key):
            switch roll {
            case ..<8: return kind
            case ..<14: return .deleteIfEquals(key: key, value: recentValue[key] ?? Array("never".utf8))
            default: return .getDelete(key: key)
            }
        default:
            return kind
        }
    }

    /// Remembers the value `kind` writes, when it is invoked.
    mutating func noteInvoked(_ kind: SimOperationKind) {
        if let value = kind.historyKind.writtenValue { recentValue[kind.key] = value }
    }

    /// Remembers the value an answer showed.
    mutating func noteAnswered(_ kind: SimOperationKind, _ outcome: SimOutcome) {
        switch (kind, outcome) {
        case (_, .value(let value?)), (_, .reply(.bulk(let value))): recentValue[kind.key] = value
        case (.incrementBy, .reply(.integer(let sum))): recentValue[kind.key] = RedisInteger.bytes(sum)
        default: break
        }
    }
}

extension SimOperationKind {
    /// The operation a write sends; nil for a get, which is a read.
    var operation: Operation? {
        switch self {
        case .put(let key, let value): .put(key: key, value: value)
        case .delete(let key): .delete(key: key)
        case .get: nil
        case .incrementBy(let key, let by): .key(.incrementBy(key: key, by))
        case .setIf(let key, let value, let condition): .key(.set(key: key, value: value, SetOptions(condition: condition)))
        case .getSet(let key, let value): .key(.set(key: key, value: value, SetOptions(returnsOld: true)))
        case .deleteIfEquals(let key, let value): .key(.delete(keys: [key], ifEquals: value))
        case .getDelete(let key): .key(.getDelete(key: key))
        case .mset, .mget, .mdelete, .watch, .exec: familyOperation
        case .setExpiring(let key, let value, let ms): .key(.set(key: key, value: value, SetOptions(expiry: .after(milliseconds: ms))))
        case .expire(let key, let ms): .key(.expire(key: key, .after(milliseconds: ms), .always, ifEquals: nil))
        }
    }

    /// The operation as the history records it.
    var historyKind: HistoryOperation.Kind {
        switch self {
        case .put(let key, let value): .put(key: key, value: value)
        case .delete(let key): .delete(key: key)
        case .get(let key): .get(key: key)
        case .incrementBy(let key, let by): .incrementBy(key: key, by: by)
        case .setIf(let key, let value, let condition): .setIf(key: key, value: value, condition: condition)
        case .getSet(let key, let value): .getSet(key: key, value: value)
        case .deleteIfEquals(let key, let value): .deleteIfEquals(key: key, value: value)
        case .getDelete(let key): .getDelete(key: key)
        case .mset, .mget, .mdelete, .watch, .exec: familyHistoryKind
        case .setExpiring(let key, let value, let ms): .setExpiring(key: key, value: value, milliseconds: ms)
        case .expire(let key, let ms): .expire(key: key, milliseconds: ms)
        }
    }

    /// Names the operation and the shape of its answer, for `SimulationStats.keyOperationAnswers`.
    func answerLabel(_ reply: OpReply) -> String {
        let operation = switch self {
        case .put, .delete, .get: "register"
        case .incrementBy: "incr"
        case .setIf(_, _, .ifAbsent): "set-nx"
        case .setIf(_, _, .ifPresent): "set-xx"
        case .setIf: "set-ifeq"
        case .getSet: "getset"
        case .deleteIfEquals: "delifeq"
        case .getDelete: "getdel"
        case .mset(_, _, false): "mset"
        case .mset(_, _, true): "msetnx"
        case .mget: "mget"
        case .mdelete: "del"
        case .watch: "watch"
        case .exec: "exec"
        case .setExpiring: "set-px"
        case .expire: "pexpire"
        }
        let answer = switch reply {
        case .ok: "ok"
        case .null: "nil"
        case .integer(let value): operation == "incr" ? "integer" : "\(value)"
        case .bulk: "value"
        case .error(let error): "\(error)"
        case .notRemembered: "not-remembered"
        case .array: "array"
        // MSETNX and EXEC (Simulation+Families.swift): whether the writes happened.
        case .transaction(let succeeded, _): succeeded ? "succeeded" : "failed"
        }
        return "\(operation) \(answer)"
    }

    /// Whether `outcome` is an answer this operation can get; another is some other
    /// request's answer.
    func accepts(_ outcome: SimOutcome) -> Bool {
        HistoryOperation.outcome(outcome.historyOutcome, fits: historyKind)
    }
}

extension SimOutcome {
    var historyOutcome: HistoryOperation.Outcome {
        switch self {
        case .ok: .ok
        case .deleted(let existed): .deleted(existed: existed)
        case .value(let value): .value(value)
        case .reply(let reply): .reply(reply)
        case .answer(let answer): .reply(.readReply(answer.entries.map { $0?.value }))
        }
    }
}
