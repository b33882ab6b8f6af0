// Method: apply hand-built commands to the pure KV state machine, and round-trip the command
// encoding over table-driven and garbage inputs. Covers DESIGN.md §2 "Exactly-once" and the
// on-disk command format.
import PaxosCore
import Testing

@Suite("state machine")
struct StateMachineTests {
    @Test("state machine: a retried request is applied once and answered with the remembered result")
    func exactlyOnce() {
        var machine = KVStateMachine()
        let delete = ClientRequest(client: ClientID(1), sequence: 2, operation: .delete(key: Array("k".utf8)))
        _ = machine.apply(slot: Slot(1), command: .batch([put(1, 1, "k", "v")]))
        let first = machine.apply(slot: Slot(2), command: .batch([delete]))
        _ = machine.apply(slot: Slot(3), command: .batch([put(2, 1, "k", "again")]))
        let retry = machine.apply(slot: Slot(4), command: .batch([delete]))
        #expect(first.map(\.result) == [.deleted(existed: true)])
        #expect(retry.map(\.result) == [.deleted(existed: true)], "the retry gets the first answer")
        #expect(machine.get(Array("k".utf8)) == Array("again".utf8), "the retry did not delete again")
        let old = machine.apply(slot: Slot(5), command: .batch([put(1, 1, "k", "stale")]))
        #expect(old.map(\.result) == [.superseded])
        #expect(machine.get(Array("k".utf8)) == Array("again".utf8))
    }

    @Test("state machine: delete reports whether the key existed")
    func deleteReportsExistence() {
        var machine = KVStateMachine()
        let results = machine.apply(slot: Slot(1), command: .batch([
            ClientRequest(client: ClientID(1), sequence: 1, operation: .delete(key: [1])),
            put(2, 1, "\u{1}", "x"),
            ClientRequest(client: ClientID(3), sequence: 1, operation: .delete(key: [1])),
        ]))
        #expect(results.map(\.result) == [.deleted(existed: false), .ok, .deleted(existed: true)])
    }

    static let commands: [Command] = [
        .noop,
        .batch([]),
        .batch([put(1, 1, "", "")]),
        .batch([put(UInt64.max, UInt64.max, "key", String(repeating: "v", count: 3000)),
                ClientRequest(client: ClientID(7), sequence: 9, operation: .delete(key: [0, 13, 10, 255]))]),
    ]

    @Test("command encoding: round-trips", arguments: commands)
    func roundTrip(command: Command) throws {
        #expect(try Command.decode(command.encoded()) == command)
    }

    @Test("command encoding: rejects truncated, trailing and unknown input", arguments: [
        [UInt8](), [2], [1, 0, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9],
        [0, 0], [1, 255, 255, 255, 255],
    ])
    func rejectsGarbage(bytes: [UInt8]) {
        #expect(throws: DecodingError.self) { try Command.decode(bytes) }
    }

    @Test("command encoding: every truncation of a valid command is rejected, never a crash")
    func truncations() {
        // A batch, and a configure that records a member's address (tag 0x03).
        let withAddress = Command.configure(Membership(
            epoch: 2, voters: [Member(id: ReplicaID(1), incarnation: Incarnation(7))],
            learners: [Member(id: ReplicaID(4), incarnation: Incarnation(9))],
            addresses: [ReplicaID(4): MemberAddress(host: "10.0.0.4", clientPort: 6379, peerPort: 7379, metricsPort: 9379)]))
        for command in [Self.commands[3], withAddress] {
            let bytes = command.encoded()
            #expect(throws: Never.self) { try Command.decode(bytes) }
            for length in 0..<bytes.count {
                #expect(throws: DecodingError.self) { try Command.decode(Array(bytes.prefix(length))) }
            }
        }
    }
}
