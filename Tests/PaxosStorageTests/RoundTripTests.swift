// Method: write through SQLiteLogStore, close, reopen, and compare what `loadDurableState`,
// `entry(at:)`, `keyValueTable` and `get` return with what was written. Applies are checked
// differentially against PaxosCore's in-memory `KVStateMachine`, the specification the store
// MUST match (ARCHITECTURE.md "Storage": Apply; Schema.swift "Transactions and what they
// guarantee"), over seeded random batches with retried and stale client sequences; a failing
// seed is printed as PAXOS_SEED=<n>. Group commit is checked by running one script both call by
// call and inside one `transaction {}` and comparing the two databases.

import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: round trips")
struct RoundTripTests {
    @Test("storage: a promise and entries persisted over several transactions come back after reopen")
    func promiseAndEntriesSurviveReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var store = try Fixture.open(path)
            try store.persist([Fixture.record(1, promised: Fixture.ballot(1, 2))])
            try store.persist([
                Fixture.record(2, (1...3).map { Fixture.entry($0, ballot: Fixture.ballot(1, 2)) }),
                Fixture.record(3, promised: Fixture.ballot(2, 3), [Fixture.entry(4, ballot: Fixture.ballot(2, 3))]),
            ])
            // A higher ballot's proposal replaces the row for slot 2; slot 1 is then learned chosen
            // with the very ballot and command the acceptor holds (the flag-only path).
            let replaced = Fixture.entry(2, ballot: Fixture.ballot(2, 3), value: "replaced")
            try store.persist([Fixture.record(4, [replaced])])
            try store.persist([Fixture.record(5, [Fixture.entry(1, ballot: Fixture.ballot(1, 2), chosen: true)])])
            store.close()

            store = try Fixture.open(path)
            defer { store.close() }
            let expected = [
                Fixture.entry(1, ballot: Fixture.ballot(1, 2), chosen: true), replaced,
                Fixture.entry(3, ballot: Fixture.ballot(1, 2)), Fixture.entry(4, ballot: Fixture.ballot(2, 3)),
            ]
            #expect(try store.loadDurableState() == DurableState(promised: Fixture.ballot(2, 3), entries: expected, appliedThrough: .zero))
            #expect(store.promised == Fixture.ballot(2, 3))
            #expect(store.chosenThrough == Slot(1))
            #expect(try store.entry(at: Slot(2)) == replaced)
            #expect(try store.entry(at: Slot(5)) == nil)
            #expect(try store.verifyLog() == 4)
        }
    }

    @Test("storage: the chosen frontier moves over contiguous chosen slots only, and survives reopen")
    func chosenFrontier() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var store = try Fixture.open(path)
            try store.persist([Fixture.record(1, (1...6).map { Fixture.entry($0) })])
            try store.persist([Fixture.record(2, [1, 2, 4, 5].map { Fixture.entry($0, chosen: true) })])
            #expect(store.chosenThrough == Slot(2), "slot 3 is not chosen yet")
            // Slot 3 arrives by catch-up with another ballot and command: the row is replaced.
            let caughtUp = Fixture.entry(3, ballot: Fixture.ballot(4, 2), value: "from the leader", chosen: true)
            try store.persist([Fixture.record(3, [caughtUp])])
            #expect(store.chosenThrough == Slot(5))
            store.close()

            store = try Fixture.open(path)
            defer { store.close() }
            #expect(store.chosenThrough == Slot(5))
            let state = try store.loadDurableState()
            #expect(state.entries.map(\.chosen) == [true, true, true, true, true, false])
            #expect(state.entries[2] == caughtUp)
            #expect(try store.verifyLog() == 6)
        }
    }

    @Test("storage: applied slots, their kv writes and the sessions survive reopen")
    func appliedStateSurvivesReopen() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var store = try Fixture.open(path)
            let commands: [Command] = [
                .batch([Fixture.put(1, 1, "a", "1"), Fixture.put(2, 1, "b", "2")]),
                .batch([Fixture.delete(1, 2, "a")]),
                .batch([Fixture.delete(1, 2, "a"), Fixture.put(2, 2, "b", "3")]),
            ]
            let entries = commands.enumerated().map { LogEntry(slot: Slot(UInt64($0.offset + 1)), ballot: Fixture.ballot(1, 1), command: $0.element, chosen: true) }
            try store.persist([Fixture.record(1, entries)])
            _ = try store.apply(slot: Slot(1), command: commands[0])
            _ = try store.apply(slot: Slot(2), command: commands[1])
            store.close()

            store = try Fixture.open(path)
            defer { store.close() }
            #expect(store.appliedThrough == Slot(2))
            #expect(try store.loadDurableState().appliedThrough == Slot(2))
            #expect(try store.get(key: Array("a".utf8)) == nil)
            #expect(try store.get(key: Array("b".utf8)) == Array("2".utf8))
            // The retried delete of client 1 is answered from its session, which had to survive.
            let results = try store.apply(slot: Slot(3), command: commands[2])
            #expect(results.map(\.result) == [.deleted(existed: true), .ok])
            #expect(try store.keyValueTable().map(\.slot) == [Slot(3)])
        }
    }

    @Test("storage: applies give the same results and table as KVStateMachine", arguments: 1...8 as ClosedRange<UInt64>)
    func appliesMatchStateMachine(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            var workload = RandomWorkload(seed: seed)
            var machine = KVStateMachine()
            var applied: [Slot: Command] = [:]
            var store = try Fixture.open(path)
            defer { store.close() }
            for slotNumber in 1...200 as ClosedRange<UInt64> {
                let slot = Slot(slotNumber)
                let command = workload.command()
                if slotNumber % 64 == 0 {
                    // Reopen now and then: sessions and the table must come back from disk.
                    store.close()
                    store = try Fixture.open(path)
                }
                let expected = machine.apply(slot: slot, command: command)
                let actual = try store.apply(slot: slot, command: command)
                applied[slot] = command
                #expect(actual.map(\.request) == expected.map(\.request), "PAXOS_SEED=\(seed) slot \(slot)")
                #expect(actual.map(\.result) == expected.map(\.result), "PAXOS_SEED=\(seed) slot \(slot): \(command)")
                #expect(try Fixture.table(store) == machine.table, "PAXOS_SEED=\(seed) slot \(slot)")
            }
            for key in RandomWorkload.keys {
                #expect(try store.get(key: key) == machine.get(key), "PAXOS_SEED=\(seed) key \(key)")
            }
            // Each row's slot names a command that put exactly this value under this key.
            for row in try store.keyValueTable() {
                let wrote = applied[row.slot]?.requests.contains { $0.operation == .put(key: row.key, value: row.value) } ?? false
                #expect(wrote, "PAXOS_SEED=\(seed): kv row for \(row.key) names slot \(row.slot)")
            }
            #expect(store.appliedThrough == Slot(200) && store.chosenThrough == Slot(200))
            #expect(try store.verifyLog() == 200, "apply keeps every applied command in the log, chosen")
        }
    }

    @Test("storage: one transaction of many persists and applies equals the same calls made one by one",
          arguments: [11, 12, 13] as [UInt64])
    func groupCommitMatchesSeparateCalls(seed: UInt64) throws {
        try withTemporaryDirectory { directory in
            let script = ScriptStep.script(seed: seed, slots: 60)
            let separate = try Fixture.open(directory.path("separate.sqlite"))
            let grouped = try Fixture.open(directory.path("grouped.sqlite"))
            var separateResults: [[OperationResult]] = []
            for step in script { separateResults.append(try step.run(on: separate)) }
            // Three transactions, each covering a third of the script.
            var groupedResults: [[OperationResult]] = []
            for part in stride(from: 0, to: script.count, by: script.count / 3 + 1) {
                let steps = script[part..<min(part + script.count / 3 + 1, script.count)]
                try grouped.transaction { () throws(LogStoreError) in
                    for step in steps { groupedResults.append(try step.run(on: grouped)) }
                }
            }
            #expect(groupedResults == separateResults, "PAXOS_SEED=\(seed)")
            #expect(try separate.loadDurableState() == grouped.loadDurableState(), "PAXOS_SEED=\(seed)")
            #expect(try Fixture.table(separate) == Fixture.table(grouped), "PAXOS_SEED=\(seed)")
            #expect(separate.appliedThrough == grouped.appliedThrough, "PAXOS_SEED=\(seed)")
            #expect(separate.chosenThrough == grouped.chosenThrough, "PAXOS_SEED=\(seed)")
            #expect(separate.promised == grouped.promised, "PAXOS_SEED=\(seed)")
            separate.close()
            grouped.close()
            let reopenedSeparate = try Fixture.open(directory.path("separate.sqlite"))
            let reopenedGrouped = try Fixture.open(directory.path("grouped.sqlite"))
            defer { reopenedSeparate.close(); reopenedGrouped.close() }
            #expect(try reopenedSeparate.loadDurableState() == reopenedGrouped.loadDurableState(), "PAXOS_SEED=\(seed)")
            #expect(try Fixture.table(reopenedSeparate) == Fixture.table(reopenedGrouped), "PAXOS_SEED=\(seed)")
        }
    }

    @Test("storage: a transaction whose body throws leaves neither rows nor cached state behind")
    func failedTransactionRollsBack() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try store.persist([Fixture.record(1, promised: Fixture.ballot(1, 1), [Fixture.entry(1)])])
            let before = try store.loadDurableState()
            let error = storeError { () throws(LogStoreError) in
                try store.transaction { () throws(LogStoreError) in
                    try store.persist([Fixture.record(2, promised: Fixture.ballot(5, 1), [Fixture.entry(1, chosen: true), Fixture.entry(2)])])
                    _ = try store.apply(slot: Slot(1), command: Fixture.entry(1).command)
                    #expect(try store.get(key: Array("k1".utf8)) == Array("v1".utf8), "the transaction sees its own writes")
                    throw LogStoreError.invalidArgument("the caller gave up")
                }
            }
            #expect(error == .invalidArgument("the caller gave up"))
            #expect(try store.loadDurableState() == before)
            #expect(store.promised == Fixture.ballot(1, 1))
            #expect(store.appliedThrough == .zero && store.chosenThrough == .zero)
            #expect(try store.get(key: Array("k1".utf8)) == nil)
            // The store is usable afterwards, from where it was.
            _ = try store.apply(slot: Slot(1), command: Fixture.entry(1).command)
            #expect(store.appliedThrough == Slot(1))
        }
    }

    @Test("storage: close leaves the whole database in the main file, with no WAL beside it")
    func closeCheckpoints() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let store = try Fixture.open(path)
            try store.persist([Fixture.record(1, (1...50).map { Fixture.entry($0) })])
            #expect(FileSurgery.exists(path + "-wal"))
            // Keep the object alive: close() itself, not deallocation, must finish the job.
            withExtendedLifetime(store) {
                store.close()
                #expect(!FileSurgery.exists(path + "-wal"), "the last connection's close checkpoints and removes the WAL")
            }
        }
    }
}

/// Seeded client traffic for the differential test: a few clients and keys, with retries of
/// the last request (answered from the session), stale sequences (superseded), no-ops, empty
/// batches and empty values.
struct RandomWorkload {
    static let keys: [Bytes] = ["a", "b", "c", "d", "e"].map { Array($0.utf8) }
    private var generator: SeededGenerator
    private var nextSequence: [UInt64] = [1, 1, 1, 1]
    private var lastRequest: [ClientRequest?] = [nil, nil, nil, nil]

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func command() -> Command {
        switch Int.random(in: 0..<10, using: &generator) {
        case 0: return .noop
        case 1: return .batch([])
        default: return .batch((0..<Int.random(in: 1...5, using: &generator)).map { _ in request() })
        }
    }

    private mutating func request() -> ClientRequest {
        let client = Int.random(in: 0..<nextSequence.count, using: &generator)
        let roll = Int.random(in: 0..<10, using: &generator)
        if roll < 2, let last = lastRequest[client] { return last }
        let sequence: UInt64
        if roll < 3, nextSequence[client] > 2 {
            sequence = UInt64.random(in: 1..<nextSequence[client] - 1, using: &generator)
        } else {
            sequence = nextSequence[client]
            nextSequence[client] += 1
        }
        let key = Self.keys.randomElement(using: &generator)!
        let operation: Operation = Bool.random(using: &generator)
            ? .delete(key: key)
            : .put(key: key, value: (0..<Int.random(in: 0...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let request = ClientRequest(client: ClientID(UInt64(client) + 1), sequence: sequence, operation: operation)
        if sequence + 1 == nextSequence[client] { lastRequest[client] = request }
        return request
    }
}

/// One call in a group-commit script.
enum ScriptStep {
    case persist([PersistRecord])
    case apply(Slot, Command)

    func run(on store: SQLiteLogStore) throws(LogStoreError) -> [OperationResult] {
        switch self {
        case .persist(let records):
            try store.persist(records)
            return []
        case .apply(let slot, let command):
            return try store.apply(slot: slot, command: command).map(\.result)
        }
    }

    /// Accept every slot, raise the promise now and then, learn slots chosen a little later
    /// (sometimes out of order) and apply the chosen prefix: the shape of a node's storage traffic.
    static func script(seed: UInt64, slots: UInt64) -> [ScriptStep] {
        var generator = SeededGenerator(seed: seed)
        var workload = RandomWorkload(seed: seed)
        var steps: [ScriptStep] = []
        var entries: [LogEntry] = []
        var round: UInt64 = 1
        var applied: UInt64 = 0
        for slot in 1...slots {
            if Int.random(in: 0..<8, using: &generator) == 0 { round += 1 }
            let entry = LogEntry(slot: Slot(slot), ballot: Fixture.ballot(round, 1), command: workload.command(), chosen: false)
            entries.append(entry)
            steps.append(.persist([Fixture.record(slot, promised: Fixture.ballot(round, 1), [entry])]))
            guard slot > 3, Bool.random(using: &generator) else { continue }
            // Learn a few slots chosen, in shuffled order, then apply the chosen prefix.
            let learnThrough = max(applied, slot - UInt64.random(in: 0...2, using: &generator))
            let learned = entries[Int(applied)..<Int(learnThrough)].map { entry -> LogEntry in
                var chosen = entry
                chosen.chosen = true
                return chosen
            }.shuffled(using: &generator)
            steps.append(.persist([Fixture.record(slot + 10_000, learned)]))
            while applied < learnThrough {
                applied += 1
                steps.append(.apply(Slot(applied), entries[Int(applied) - 1].command))
            }
        }
        return steps
    }
}
