// Method: feed the store the edges of its input domain (keys and values at and beyond the
// command format's limits, empty keys, values and batches, no-ops, extreme identifiers) and
// check each call either round-trips through a reopen exactly or is refused with
// `.invalidArgument`; nothing may crash, and nothing may be stored that cannot be read back
// (STYLE.md §6: validate a record before the write and again after reading it back).

import PaxosCore
import PaxosStorage
import Testing

@Suite("storage: bad input")
struct BadInputTests {
    @Test("storage: keys and values at the command format's limits round-trip through a reopen")
    func largestKeysAndValues() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let key = Bytes(repeating: 0x6B, count: Command.maxKeyBytes)
            let value = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let command = Command.batch([ClientRequest(client: ClientID(1), sequence: 1, operation: .put(key: key, value: value))])
            let entry = LogEntry(slot: Slot(1), ballot: Fixture.ballot(1, 1), command: command, chosen: true)
            var store = try Fixture.open(path)
            try store.persist([Fixture.record(1, [entry])])
            _ = try store.apply(slot: Slot(1), command: command)
            store.close()
            store = try Fixture.open(path)
            defer { store.close() }
            #expect(try store.entry(at: Slot(1)) == entry)
            #expect(try store.get(key: key) == value)
            #expect(try store.verifyLog() == 1)
        }
    }

    @Test("storage: a key longer than the command format allows is refused, not stored unreadable")
    func oversizedKey() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let key = Bytes(repeating: 0x6B, count: Command.maxKeyBytes + 1)
            let command = Command.batch([ClientRequest(client: ClientID(1), sequence: 1, operation: .put(key: key, value: [1]))])
            let store = try Fixture.open(path)
            defer { store.close() }
            let persistError = storeError { () throws(LogStoreError) in
                try store.persist([Fixture.record(1, [LogEntry(slot: Slot(1), ballot: Fixture.ballot(1, 1), command: command, chosen: false)])])
            }
            #expect(persistError?.kind == .invalidArgument, "\(String(describing: persistError))")
            let applyError = storeError { () throws(LogStoreError) in try store.apply(slot: Slot(1), command: command) }
            #expect(applyError?.kind == .invalidArgument, "\(String(describing: applyError))")
            #expect(try store.loadDurableState() == .empty)
            #expect(try store.verifyLog() == 0)
            #expect(store.appliedThrough == .zero)
        }
    }

    @Test("storage: no-ops, empty batches, empty keys and empty values apply like the state machine")
    func emptyThings() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let commands: [Command] = [
                .noop,
                .batch([]),
                .batch([ClientRequest(client: ClientID(1), sequence: 1, operation: .put(key: [], value: []))]),
                .batch([ClientRequest(client: ClientID(2), sequence: 1, operation: .put(key: [0], value: [])),
                        ClientRequest(client: ClientID(3), sequence: 1, operation: .delete(key: [9]))]),
                .batch([ClientRequest(client: ClientID(1), sequence: 2, operation: .delete(key: []))]),
                .batch([ClientRequest(client: ClientID(1), sequence: 3, operation: .put(key: [], value: [0]))]),
            ]
            var machine = KVStateMachine()
            var store = try Fixture.open(path)
            let entries = commands.enumerated().map { LogEntry(slot: Slot(UInt64($0.offset + 1)), ballot: Fixture.ballot(1, 1), command: $0.element, chosen: false) }
            try store.persist([Fixture.record(1, entries)])
            for (index, command) in commands.enumerated() {
                let slot = Slot(UInt64(index + 1))
                let expected = machine.apply(slot: slot, command: command).map(\.result)
                #expect(try store.apply(slot: slot, command: command).map(\.result) == expected, "slot \(slot)")
                #expect(try Fixture.table(store) == machine.table, "slot \(slot)")
            }
            store.close()
            store = try Fixture.open(path)
            defer { store.close() }
            #expect(try store.get(key: [0]) == [], "an empty value is a value, not an absent key")
            #expect(try store.get(key: []) == [0])
            #expect(try store.get(key: [9]) == nil)
            var chosenEntries = entries
            for index in chosenEntries.indices { chosenEntries[index].chosen = true }
            #expect(try store.loadDurableState().entries == chosenEntries)
        }
    }

    @Test("storage: extreme client ids, sequences, ballots and slots round-trip")
    func extremeNumbers() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("node.sqlite")
            let request = ClientRequest(client: ClientID(.max), sequence: .max, operation: .put(key: [1], value: [2]))
            let promise = Ballot(round: .max, replica: ReplicaID(.max))
            let entries = [
                LogEntry(slot: Slot(1), ballot: promise, command: .batch([request]), chosen: true),
                LogEntry(slot: Slot(1 << 62), ballot: Fixture.ballot(1 << 63, 1), command: .noop, chosen: false),
            ]
            var store = try Fixture.open(path)
            try store.persist([Fixture.record(.max, promised: promise, entries)])
            #expect(try store.apply(slot: Slot(1), command: .batch([request])).map(\.result) == [.ok])
            store.close()
            store = try Fixture.open(path)
            defer { store.close() }
            #expect(try store.loadStoredState() == DurableState(promised: promise, entries: entries, appliedThrough: Slot(1)))
            // Stored faithfully, but beyond the bounds a replica works in: no replica starts from it.
            #expect(storeError { () throws(LogStoreError) in try store.loadDurableState() }?.kind == .corrupt)
            // The same request again is a duplicate even at the largest sequence.
            let retry = try store.apply(slot: Slot(2), command: .batch([request]))
            #expect(retry.map(\.result) == [.ok])
        }
    }

    @Test("storage: a slot SQLite cannot store in order is refused, not stored negative")
    func slotBeyondInt64() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            let entry = LogEntry(slot: Slot(UInt64(Int64.max) + 1), ballot: Fixture.ballot(1, 1), command: .noop, chosen: false)
            #expect(throws: LogStoreError.self) { try store.persist([Fixture.record(1, [entry])]) }
            #expect(try store.loadDurableState() == .empty)
        }
    }

    @Test("storage: empty persists and records without content change nothing")
    func emptyPersists() throws {
        try withTemporaryDirectory { directory in
            let store = try Fixture.open(directory.path("node.sqlite"))
            defer { store.close() }
            try store.persist([])
            try store.persist([Fixture.record(1), Fixture.record(2)])
            try store.transaction { () throws(LogStoreError) in }
            #expect(try store.loadDurableState() == .empty)
            #expect(try store.verifyLog() == 0)
        }
    }
}
