// Method: drive the pure KV state machine with hand-built requests that carry origins, under a
// short expiry window, and check ClientSession's rule: sessions expire by slot, a request landing
// too far above its origin is refused and changes nothing, a late copy of an applied request is
// never applied twice, and the table stays bounded. The command encoding of origins is checked
// like the rest of the on-disk format.
import PaxosCore
import Testing

@Suite("session expiry")
struct SessionExpiryTests {
    static let window: UInt64 = 10

    static func write(_ client: UInt64, _ sequence: UInt64, _ key: String, _ value: String, origin: UInt64?) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence,
                      operation: .put(key: Array(key.utf8), value: Array(value.utf8)), origin: origin.map { Slot($0) })
    }

    /// Applies `requests` at the next slot, filling the slots before `slot` with no-ops.
    static func apply(_ machine: inout KVStateMachine, at slot: UInt64, _ requests: [ClientRequest]) -> [OperationResult] {
        while machine.appliedThrough.next < Slot(slot) { _ = machine.apply(slot: machine.appliedThrough.next, command: .noop) }
        return machine.apply(slot: Slot(slot), command: .batch(requests)).map(\.result)
    }

    @Test("session expiry: a request landing more than the window above its origin is refused and applies nothing")
    func oldOriginRefused() {
        var machine = KVStateMachine(sessionExpirySlots: Self.window)
        #expect(Self.apply(&machine, at: 11, [Self.write(1, 1, "k", "v", origin: 1)]) == [.ok], "10 slots above: still in time")
        #expect(Self.apply(&machine, at: 13, [Self.write(2, 1, "k", "late", origin: 2)]) == [.expired])
        #expect(machine.get(Array("k".utf8)) == Array("v".utf8))
        #expect(machine.sessions[ClientID(2)] == nil, "a refused request opens no session")
        // An origin at or above the slot cannot come from an honest submitter.
        #expect(Self.apply(&machine, at: 14, [Self.write(3, 1, "k", "x", origin: 14)]) == [.expired])
        #expect(Self.apply(&machine, at: 15, [Self.write(3, 1, "k", "x", origin: 99)]) == [.expired])
        #expect(machine.get(Array("k".utf8)) == Array("v".utf8))
    }

    @Test("session expiry: a late copy of an applied write is a duplicate while the session lives and refused after")
    func lateCopyNeverAppliedTwice() {
        var machine = KVStateMachine(sessionExpirySlots: Self.window)
        let first = Self.write(1, 1, "k", "one", origin: 3)
        #expect(Self.apply(&machine, at: 5, [first]) == [.ok])
        #expect(Self.apply(&machine, at: 6, [Self.write(2, 1, "k", "two", origin: 5)]) == [.ok])
        // Within the window the session answers the copy; the value stays "two".
        #expect(Self.apply(&machine, at: 13, [first]) == [.ok])
        #expect(machine.get(Array("k".utf8)) == Array("two".utf8), "the duplicate did not write again")
        // Past its origin's window the session of client 1 has expired, and the copy is refused.
        #expect(Self.apply(&machine, at: 16, [first]) == [.expired])
        #expect(Self.apply(&machine, at: 40, [first]) == [.expired])
        #expect(machine.get(Array("k".utf8)) == Array("two".utf8), "the copy never applied a second time")
    }

    @Test("session expiry: a client idle past the window starts afresh with a new origin")
    func idleClientContinues() {
        var machine = KVStateMachine(sessionExpirySlots: Self.window)
        #expect(Self.apply(&machine, at: 2, [Self.write(1, 5, "k", "a", origin: 1)]) == [.ok])
        // Slot 30: the session (slot 2) is no longer live, so sequence 3 (below 5) is not
        // mistaken for a superseded request: it is a new write from a fresh origin.
        #expect(Self.apply(&machine, at: 30, [Self.write(1, 3, "k", "b", origin: 29)]) == [.ok])
        #expect(machine.get(Array("k".utf8)) == Array("b".utf8))
        #expect(machine.sessions[ClientID(1)] == ClientSession(lastSequence: 3, lastResult: .ok, slot: Slot(30)))
    }

    @Test("session expiry: requests without an origin keep the rule from before expiry")
    func legacyRequests() {
        var machine = KVStateMachine(sessionExpirySlots: Self.window)
        #expect(Self.apply(&machine, at: 1, [Self.write(1, 2, "k", "a", origin: nil)]) == [.ok])
        #expect(Self.apply(&machine, at: 50, [Self.write(1, 2, "k", "a", origin: nil)]) == [.ok], "answered from the old row")
        #expect(Self.apply(&machine, at: 51, [Self.write(1, 1, "k", "z", origin: nil)]) == [.superseded])
        #expect(machine.get(Array("k".utf8)) == Array("a".utf8))
    }

    @Test("session expiry: expired sessions are deleted at every prune slot, so the table is bounded")
    func tableBounded() {
        var machine = KVStateMachine(sessionExpirySlots: Self.window)
        var most = 0
        // A new client every slot, each writing once: without expiry 4,096 sessions.
        for slot in 1...(4 * ClientSession.pruneInterval) {
            _ = machine.apply(slot: Slot(slot), command: .batch([Self.write(slot, 1, "k", "\(slot)", origin: slot - 1)]))
            most = max(most, machine.sessions.count)
            if ClientSession.prunes(after: Slot(slot)) {
                #expect(machine.sessions.count == Int(Self.window) + 1, "after slot \(slot): only live sessions remain")
                #expect(machine.sessions.values.allSatisfy { $0.isLive(at: Slot(slot), expirySlots: Self.window) })
            }
        }
        #expect(most <= Int(ClientSession.pruneInterval + Self.window))
    }

    @Test("command encoding: requests with origins use tag 0x04 and round-trip; without, tag 0x01 as before")
    func originEncoding() throws {
        let plain = Command.batch([Self.write(1, 1, "k", "v", origin: nil)])
        #expect(plain.encoded().first == 1)
        let mixed = Command.batch([Self.write(1, 1, "k", "v", origin: 7), Self.write(2, 1, "k", "w", origin: nil),
                                   Self.write(3, 1, "k", "x", origin: 0)])
        let bytes = mixed.encoded()
        #expect(bytes.first == 4)
        #expect(try Command.decode(bytes) == mixed)
        for length in 0..<bytes.count {
            #expect(throws: DecodingError.self) { try Command.decode(Array(bytes.prefix(length))) }
        }
        // An origin above Slot.max (other than the "none" marker) is refused.
        var forged = Command.batch([Self.write(1, 1, "k", "v", origin: 7)]).encoded()
        let originOffset = 1 + 4 + 8 + 8
        forged.replaceSubrange(originOffset..<originOffset + 8, with: [0x40, 0, 0, 0, 0, 0, 0, 1])
        #expect(throws: DecodingError.self) { try Command.decode(forged) }
    }
}
