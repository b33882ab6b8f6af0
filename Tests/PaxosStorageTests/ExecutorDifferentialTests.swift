// Method: differential testing (STYLE §8). One seeded random stream of commands — puts and
// deletes over a small key space, retries of a client's last request, stale copies of older
// ones, requests with and without origins, copies landing beyond the session window, no-ops —
// is applied to KVStateMachine (the simulator's state) and to SQLiteLogStore (a node's), both
// through OperationExecutor. After every slot the results, the rows (value and revision) and the
// sessions must be equal; the store is reopened now and then, so rows and sessions also come
// back from disk. Covers docs/design/coordination-api.md §1.3 ("one decision function") and §2
// (revisions), and ARCHITECTURE.md "Client sessions expire through the log".
import PaxosCore
@testable import PaxosStorage
import Testing

@Suite("storage: one executor, two stores")
struct ExecutorDifferentialTests {
    /// Short, so sessions expire and are pruned within a run.
    static let window: UInt64 = 40

    @Test("executor: KVStateMachine and SQLiteLogStore give equal results, rows and sessions after every slot",
          arguments: [(1, false), (2, false), (3, false), (4, true), (5, true), (6, true)] as [(UInt64, Bool)])
    func storesAgree(seed: UInt64, timed: Bool) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var options = SQLiteLogStore.Options()
            options.sessionExpirySlots = Self.window
            func open() throws -> SQLiteLogStore {
                try SQLiteLogStore.open(path: path, clusterID: Fixture.clusterID, replicaID: Fixture.replicaID, options: options)
            }
            var store = try open()
            defer { store.close() }
            var machine = KVStateMachine(sessionExpirySlots: Self.window)
            var stream = CommandStream(seed: seed, window: Self.window, timed: timed)
            // Past one prune (ClientSession.pruneInterval) so pruning is compared too.
            let slots = ClientSession.pruneInterval + 200
            var idleAtPrune = 0
            var deadlinesSeen = 0
            var changesSeen = 0
            for number in 1...slots {
                let slot = Slot(number)
                if ClientSession.prunes(after: slot) {
                    idleAtPrune = machine.sessions.values.count { !$0.isLive(at: slot, expirySlots: Self.window) }
                }
                if number % 300 == 0 {
                    store.close()
                    store = try open()
                }
                let command = stream.command(at: slot)
                let (expected, expectedChanges) = machine.applyRecordingChanges(slot: slot, command: command)
                let (actual, actualChanges) = try store.applyRecordingChanges(slot: slot, command: command)
                let context = "PAXOS_SEED=\(seed) slot \(slot): \(command)"
                try #require(actualChanges == expectedChanges, "\(context)")
                if !expectedChanges.isEmpty { changesSeen += 1 }
                try #require(actual.map(\.request) == expected.map(\.request), "\(context)")
                try #require(actual.map(\.result) == expected.map(\.result), "\(context)")
                try #require(try Self.rows(store) == Self.rows(machine), "\(context)")
                try #require(try Self.sessions(store) == Self.sessions(machine), "\(context)")
                try #require(store.logClock == machine.clock, "\(context)")
                try #require(try store.nextDeadline() == machine.nextDeadline, "\(context)")
                if command.time != nil {
                    // 16 keys, well under a sweep: a timed batch leaves no expired row stored.
                    try #require(machine.rows.values.allSatisfy { $0.isLive(at: machine.clock) }, "\(context)")
                    if machine.rows.values.contains(where: { $0.deadline != nil }) { deadlinesSeen += 1 }
                }
                stream.record(expected)
            }
            // The stream did what it is for: every kind of decision, and pruning.
            // Timed streams spend half their key operations on TTLs, so an overflow (INCRBY near
            // the limit) is only required of the untimed ones.
            #expect(stream.seen.isSuperset(of: ["ok", "deleted existed", "deleted absent", "superseded", "expired", "duplicate",
                                                "reply ok", "reply null", "reply integer", "reply bulk",
                                                "reply error notInteger", "reply error notFloat",
                                                "reply array", "reply transaction true", "reply transaction false"]
                                               + (timed ? [] : ["reply error overflow"])),
                    "PAXOS_SEED=\(seed): \(stream.seen.sorted())")
            #expect(idleAtPrune > 0, "PAXOS_SEED=\(seed): the prune at slot \(ClientSession.pruneInterval) had sessions to delete")
            if timed {
                #expect(stream.seen.isSuperset(of: ["reply integer -2", "reply integer -1", "reply integer 1", "reply integer 0",
                                                    "reply error invalidExpireTime"]), "PAXOS_SEED=\(seed): \(stream.seen.sorted())")
                #expect(machine.clock > LeaderTime(rawValue: 1_000_000))
                #expect(deadlinesSeen > 100, "PAXOS_SEED=\(seed): rows with deadlines were compared")
            }
            #expect(machine.rows.values.contains { $0.revision.slot > Slot(ClientSession.pruneInterval) })
            #expect(changesSeen > Int(slots) / 4, "PAXOS_SEED=\(seed): slots with changes were compared")
        }
    }

    @Test("executor: a write's revision is its slot and position 0 for a legacy batch, in both stores")
    func revisionsOfLegacyBatches() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            var machine = KVStateMachine()
            let batch = Command.batch([Fixture.put(1, 1, "a", "1"), Fixture.put(2, 1, "b", "2"), Fixture.put(3, 1, "a", "3")])
            _ = machine.apply(slot: Slot(1), command: batch)
            _ = try store.apply(slot: Slot(1), command: batch)
            _ = machine.apply(slot: Slot(2), command: .batch([Fixture.put(4, 1, "b", "4")]))
            _ = try store.apply(slot: Slot(2), command: .batch([Fixture.put(4, 1, "b", "4")]))
            let expected = [Array("a".utf8): KVRow(value: Array("3".utf8), revision: Revision(slot: Slot(1), position: 0)),
                            Array("b".utf8): KVRow(value: Array("4".utf8), revision: Revision(slot: Slot(2), position: 0))]
            #expect(machine.rows == expected)
            #expect(try Self.rows(store) == Self.rows(machine))
            #expect(try store.row(Array("b".utf8))?.revision.rawValue == 2 << 16)
        }
    }

    static func rows(_ store: SQLiteLogStore) throws -> [Bytes: KVRow] {
        Dictionary(uniqueKeysWithValues: try store.keyValueRows().map { ($0.key, $0.row) })
    }

    static func rows(_ machine: KVStateMachine) -> [Bytes: KVRow] { machine.rows }

    /// Sessions as the store keeps them: client, sequence, result code and slot.
    static func sessions(_ store: SQLiteLogStore) throws -> [String] {
        try store.sessionTable().map { "\($0.client.rawValue) \($0.lastSequence) \($0.resultCode) \($0.slot) \($0.reply ?? [])" }
    }

    static func sessions(_ machine: KVStateMachine) -> [String] {
        machine.sessions.sorted { $0.key < $1.key }.map {
            "\($0.key.rawValue) \($0.value.lastSequence) \(StoredResult.code($0.value.lastResult)) \($0.value.slot) \(StoredResult.reply($0.value.lastResult) ?? [])"
        }
    }
}

/// A seeded stream of commands that exercises every branch of the apply rule.
struct CommandStream {
    private var random: SeededGenerator
    private let window: UInt64
    /// Per client: its next sequence number and the requests it sent (for retries and stale copies).
    private var clients: [UInt64: (next: UInt64, sent: [ClientRequest])] = [:]
    /// Kinds of decisions seen so far.
    private(set) var seen: Set<String> = []
    /// Requests executed so far: a later result for one of them is a duplicate's.
    private var executed: Set<ClientRequest> = []

    /// Timed batches and TTL operations (docs/design/coordination-api.md §3); untimed streams
    /// draw exactly the random numbers they drew before TTLs existed.
    private let timed: Bool
    /// The last stamp given: it moves forward by up to 60 ms a slot and now and then back,
    /// as a new leader behind the old one would stamp.
    private var time: UInt64 = 1_000_000

    init(seed: UInt64, window: UInt64, timed: Bool = false) {
        random = SeededGenerator(seed: seed)
        self.window = window
        self.timed = timed
    }

    mutating func command(at slot: Slot) -> Command {
        if Int.random(in: 0..<20, using: &random) == 0 { return .noop }
        let count = Int.random(in: 1...6, using: &random)
        guard timed else { return .batch((0..<count).map { _ in request(at: slot) }) }
        time = Int.random(in: 0..<15, using: &random) == 0 ? time - UInt64.random(in: 0...500, using: &random)
            : time + UInt64.random(in: 0...60, using: &random)
        if Int.random(in: 0..<10, using: &random) == 0 { return .timedBatch(time: LeaderTime(rawValue: time), requests: []) }
        return .timedBatch(time: LeaderTime(rawValue: time), requests: (0..<count).map { _ in request(at: slot) })
    }

    mutating func record(_ results: [(request: ClientRequest, result: OperationResult)]) {
        for (request, result) in results {
            switch result {
            case .ok, .deleted:
                guard executed.insert(request).inserted else {
                    seen.insert("duplicate")
                    continue
                }
                seen.insert(result == .ok ? "ok" : result == .deleted(existed: true) ? "deleted existed" : "deleted absent")
            case .reply(let reply):
                guard executed.insert(request).inserted else {
                    seen.insert("duplicate")
                    continue
                }
                seen.insert(Self.kind(of: reply))
            case .superseded: seen.insert("superseded")
            case .expired: seen.insert("expired")
            }
        }
    }

    /// A random key operation; values are often numbers, so INCR and INCRBYFLOAT both succeed
    /// and fail, and conditions both hold and fail.
    private mutating func keyOp(key: Bytes, value: Bytes) -> KeyOp {
        if timed, Int.random(in: 0..<2, using: &random) == 0 { return ttlOp(key: key, value: value) }
        let number = Array(String(Int.random(in: -5...5, using: &random)).utf8)
        let setValue = Bool.random(using: &random) ? number : value
        switch Int.random(in: 0..<9, using: &random) {
        case 0:
            let conditions: [SetCondition] = [.always, .ifAbsent, .ifPresent, .ifEquals(number)]
            return .set(key: key, value: setValue, SetOptions(condition: conditions.randomElement(using: &random)!,
                                                              returnsOld: Bool.random(using: &random),
                                                              expiry: Bool.random(using: &random) ? .clear : .keep))
        case 1: return .delete(keys: [key, Array("key-\(Int.random(in: 0..<16, using: &random))".utf8)], ifEquals: nil)
        case 2: return .delete(keys: [key], ifEquals: number)
        case 3: return .getDelete(key: key)
        case 4: return .incrementBy(key: key, Int64.random(in: -3...3, using: &random))
        case 5: return .incrementBy(key: key, Bool.random(using: &random) ? .max : .min)
        case 6: return .incrementByFloat(key: key, bits: (Double(Int.random(in: -20...20, using: &random)) / 8).bitPattern)
        case 7: return .append(key: key, Array("\(Int.random(in: 0...9, using: &random))".utf8))
        default: return .set(key: key, value: setValue, SetOptions())
        }
    }

    /// An `all` or a `txn` of a few operations (one of them maybe an `all` itself, as EXEC of a
    /// queued MSET), with compares that hold about as often as not.
    private mutating func composite(key: Bytes, value: Bytes, slot: Slot) -> Operation {
        func other() -> Bytes { Array("key-\(Int.random(in: 0..<16, using: &random))".utf8) }
        func leaf() -> Operation {
            let k = other()
            return switch Int.random(in: 0..<4, using: &random) {
            case 0: .put(key: k, value: value)
            case 1: .delete(key: k)
            case 2: .key(.read(ReadOp.allCases.randomElement(using: &random)!, key: k))
            default: .key(keyOp(key: k, value: value))
            }
        }
        var operations = (0..<Int.random(in: 0...3, using: &random)).map { _ in leaf() }
        if Int.random(in: 0..<4, using: &random) == 0 { operations.append(.all([leaf(), leaf()])) }
        guard Bool.random(using: &random) else { return .all(operations) }
        let compares = (0..<Int.random(in: 0...2, using: &random)).map { _ in
            let k = Bool.random(using: &random) ? key : other()
            let recent = Slot(slot.rawValue - UInt64.random(in: 0...min(3, slot.rawValue), using: &random))
            let targets: [Compare.Target] = [.exists(Bool.random(using: &random)), .value(equals: Array("1".utf8)),
                                             .revision(.none), .revision(Revision(slot: recent, position: 0))]
            return Compare(key: k, targets.randomElement(using: &random)!)
        }
        return .txn(Transaction(compares: compares, success: operations, failure: Bool.random(using: &random) ? [leaf()] : []))
    }

    /// A random TTL operation; deadlines within a few slots' time, so keys expire in the run.
    private mutating func ttlOp(key: Bytes, value: Bytes) -> KeyOp {
        let ms = Int64.random(in: -50...400, using: &random)
        let expiries: [Expiry] = [.after(milliseconds: ms), .at(LeaderTime(rawValue: UInt64(Int64(time) + ms))), .extend(milliseconds: ms),
                                  .clear, .keep, .after(milliseconds: Int64.max - Int64.random(in: 0...9, using: &random))]
        let expiry = expiries.randomElement(using: &random)!
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return .set(key: key, value: value, SetOptions(condition: [.always, .ifAbsent].randomElement(using: &random)!, expiry: expiry))
        case 1: return .expire(key: key, expiry, ExpireCondition.allCases.randomElement(using: &random)!,
                               ifEquals: Bool.random(using: &random) ? nil : value)
        case 2: return .getExpire(key: key, expiry)
        default: return .deadline(key: key, remaining: Bool.random(using: &random))
        }
    }

    static func kind(of reply: OpReply) -> String {
        switch reply {
        case .ok: "reply ok"
        case .null: "reply null"
        case .integer(let value) where (-2...1).contains(value): "reply integer \(value)"
        case .integer: "reply integer"
        case .bulk: "reply bulk"
        case .error(let error): "reply error \(error)"
        case .notRemembered: "reply notRemembered"
        case .array: "reply array"
        case .transaction(let succeeded, _): "reply transaction \(succeeded)"
        }
    }

    private mutating func request(at slot: Slot) -> ClientRequest {
        // Busy clients, and many rare ones whose sessions go idle past the window.
        let client = Int.random(in: 0..<5, using: &random) == 0 ? UInt64.random(in: 9...60, using: &random)
            : UInt64.random(in: 1...8, using: &random)
        var state = clients[client] ?? (next: 1, sent: [])
        defer { clients[client] = state }
        // A retry of the last request, or a stale copy of an older one.
        if let last = state.sent.last, Int.random(in: 0..<5, using: &random) == 0 {
            return Int.random(in: 0..<3, using: &random) == 0 ? state.sent.randomElement(using: &random) ?? last : last
        }
        let key = Array("key-\(Int.random(in: 0..<16, using: &random))".utf8)
        let value = Array("v\(slot.rawValue).\(client)".utf8)
        let operation: Operation = switch Int.random(in: 0..<5, using: &random) {
        case 0: .put(key: key, value: value)
        case 1: .delete(key: key)
        case 2: composite(key: key, value: value, slot: slot)
        default: .key(keyOp(key: key, value: value))
        }
        let origin: Slot?
        switch Int.random(in: 0..<10, using: &random) {
        case 0: origin = nil  // logged before sessions expired (tag 0x01)
        case 1: origin = slot.rawValue > window + 1 ? Slot(slot.rawValue - window - 1) : .zero  // lands too late
        default:
            // Recent: the submitter's applied slot a little below this one.
            let lowest = slot.rawValue > window / 2 ? slot.rawValue - window / 2 : 1
            origin = slot.rawValue > 1 ? Slot(UInt64.random(in: lowest...(slot.rawValue - 1), using: &random)) : nil
        }
        let request = ClientRequest(client: ClientID(client), sequence: state.next, operation: operation, origin: origin)
        state.next += 1
        state.sent.append(request)
        if state.sent.count > 8 { state.sent.removeFirst() }
        return request
    }
}
