// Method: the stored form of a slot's changes (`KVChangeEncoding`) round-trips every event and
// key shape, and refuses every damage a reader could meet (another version, a cut, trailing
// bytes, an unknown event, a count larger than the bytes); the apply rule records the changes
// of executed requests only, at their revisions (`OperationExecutor.apply(…recording:)`).
import PaxosCore
import Testing

@Suite("core: the resumable watch's changes")
struct KVChangeTests {
    static func b(_ s: String) -> Bytes { Array(s.utf8) }

    @Test("encoding: every event, empty, binary and long keys round-trip")
    func roundTrip() throws {
        let slot = Slot(77)
        let keys: [Bytes] = [[], Self.b("k"), [0, 255, 10, 13], Bytes(repeating: 0x61, count: Command.maxKeyBytes)]
        var changes: [KVChange] = []
        for (index, name) in KVEvent.Name.allCases.enumerated() {
            for key in keys { changes.append(KVChange(Revision(slot: slot, position: UInt16(index * 1_000)), KVEvent(name, key))) }
        }
        let bytes = KVChangeEncoding.encode(changes)
        #expect(try KVChangeEncoding.decode(bytes, slot: slot) == changes)
        #expect(try KVChangeEncoding.decode(KVChangeEncoding.encode([]), slot: slot) == [])
    }

    @Test("decoding refuses what encode never writes")
    func refusals() {
        let slot = Slot(3)
        let good = KVChangeEncoding.encode([KVChange(Revision(slot: slot, position: 1), KVEvent(.set, Self.b("key")))])
        var otherVersion = good
        otherVersion[0] = 2
        var unknownEvent = good
        unknownEvent[7] = 99
        var hugeCount = good
        hugeCount.replaceSubrange(1..<5, with: [0xFF, 0xFF, 0xFF, 0xFF])
        let cases: [(String, Bytes)] = [
            ("empty", []), ("another version", otherVersion), ("cut short", Array(good.dropLast())), ("trailing byte", good + [0]),
            ("unknown event", unknownEvent), ("count beyond the bytes", hugeCount),
        ]
        for (name, bytes) in cases {
            #expect(throws: DecodingError.self, "\(name)") { _ = try KVChangeEncoding.decode(bytes, slot: slot) }
        }
        #expect(throws: DecodingError.self, "slot 0 has no revisions") { _ = try KVChangeEncoding.decode(good, slot: .zero) }
    }

    @Test("recording: executed requests at their positions; a duplicate, a superseded retry and an error record nothing")
    func recording() {
        var machine = KVStateMachine()
        let first = ClientRequest(client: ClientID(1), sequence: 2, operation: .put(key: Self.b("a"), value: Self.b("1")))
        _ = machine.applyRecordingChanges(slot: Slot(1), command: .timedBatch(time: LeaderTime(rawValue: 10), requests: [first]))
        let requests = [
            first,  // the same request chosen again: answered from the session
            ClientRequest(client: ClientID(1), sequence: 1, operation: .put(key: Self.b("old"), value: Self.b("x"))),  // superseded
            ClientRequest(client: ClientID(2), sequence: 1, operation: .all([.put(key: Self.b("m1"), value: []), .put(key: Self.b("m2"), value: [])])),
            ClientRequest(client: ClientID(3), sequence: 1, operation: .key(.incrementBy(key: Self.b("a"), 1))),
            ClientRequest(client: ClientID(4), sequence: 1, operation: .key(.append(key: Self.b("a"), Self.b("!")))),
            ClientRequest(client: ClientID(5), sequence: 1, operation: .delete(key: Self.b("missing"))),
        ]
        let (results, changes) = machine.applyRecordingChanges(slot: Slot(2), command: .timedBatch(time: LeaderTime(rawValue: 20), requests: requests))
        #expect(results.map(\.result) == [.ok, .superseded, .reply(.array([.ok, .ok])), .reply(.integer(2)), .reply(.integer(2)),
                                          .deleted(existed: false)])
        #expect(changes.map(\.description) == ["2.2 set m1", "2.2 set m2", "2.3 incrby a", "2.4 append a"])
        // A legacy batch's requests all write position 0, and so record it.
        let (_, legacy) = machine.applyRecordingChanges(slot: Slot(3), command: .batch([
            ClientRequest(client: ClientID(6), sequence: 1, operation: .put(key: Self.b("x"), value: [])),
            ClientRequest(client: ClientID(7), sequence: 1, operation: .put(key: Self.b("y"), value: []))]))
        #expect(legacy.map(\.description) == ["3.0 set x", "3.0 set y"])
        // No-ops and memberships change nothing.
        #expect(machine.applyRecordingChanges(slot: Slot(4), command: .noop).changes == [])
    }
}
