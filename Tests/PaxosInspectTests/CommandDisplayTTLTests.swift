// Method: the `log` listing's lines for timed batches and TTL operations
// (docs/design/coordination-api.md §2 "paxos-inspect"): each command renders as the Redis
// command a client would have sent, after the batch's leader time.
import PaxosCore
import PaxosInspectKit
import Testing

@Suite("inspect: timed batches and TTL operations")
struct CommandDisplayTTLTests {
    static let k = Array("k".utf8)

    @Test("log: a timed batch shows its leader time, a clock slot says so, TTL operations read as Redis commands")
    func lines() {
        let set = ClientRequest(client: ClientID(7), sequence: 2,
                                operation: .key(.set(key: Self.k, value: [0x76], SetOptions(condition: .ifAbsent, expiry: .after(milliseconds: 30_000)))))
        #expect(CommandDisplay.describe(.timedBatch(time: LeaderTime(rawValue: 1_733_545_200_123), requests: [set]))
                == "@1733545200123 c7#2 SET \"k\" = \"v\" (1 B) NX PX 30000")
        #expect(CommandDisplay.describe(.timedBatch(time: LeaderTime(rawValue: 5), requests: [])) == "@5 clock slot")
        #expect(CommandDisplay.describe(.expire(key: Self.k, .after(milliseconds: 5), .ifGreater, ifEquals: nil)) == "EXPIRE \"k\" PX 5 GT")
        #expect(CommandDisplay.describe(.expire(key: Self.k, .extend(milliseconds: 5), .ifHasDeadline, ifEquals: [0x74]))
                == "EXPIRE \"k\" EXTEND 5 XX IFEQ \"t\"")
        #expect(CommandDisplay.describe(.expire(key: Self.k, .clear, .always, ifEquals: nil)) == "PERSIST \"k\"")
        #expect(CommandDisplay.describe(.getExpire(key: Self.k, .at(LeaderTime(rawValue: 9)))) == "GETEX \"k\" PXAT 9")
        #expect(CommandDisplay.describe(.deadline(key: Self.k, remaining: true)) == "PTTL \"k\"")
    }
}
