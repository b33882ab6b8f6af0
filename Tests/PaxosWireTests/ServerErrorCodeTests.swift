// Method: the table of paxosd's error codes and the text of a multi-key write that fails part
// way. A reply MUST NOT promise "not applied" (BUSY, UNAVAILABLE) once some keys were applied.

import PaxosCore
import PaxosWire
import Testing

@Suite("server error codes")
struct ServerErrorCodeTests {
    @Test("codes: what each says about a write's outcome, and which may succeed on a retry")
    func codes() {
        let unknown = Set(ServerErrorCode.known.filter(\.outcomeUnknown).map(\.rawValue))
        let transient = Set(ServerErrorCode.known.filter(\.transient).map(\.rawValue))
        #expect(unknown == ["NOLEADER", "TIMEOUT", "SHUTDOWN", "PARTIAL"])
        #expect(transient == ["NOLEADER", "TIMEOUT", "SHUTDOWN", "PARTIAL", "BUSY", "UNAVAILABLE"])
        #expect(!ServerErrorCode.err.transient)
    }

    @Test("codes: the first word of an error text, known or not, round-trips")
    func parsing() {
        for code in ServerErrorCode.known {
            #expect(ServerErrorCode(errorText: code.text("why")) == code)
            #expect(ServerErrorCode(rawValue: code.rawValue) == code)
        }
        let newer = ServerErrorCode(errorText: "MOVED 3999 127.0.0.1:6381")
        #expect(newer == .unrecognized("MOVED") && newer.rawValue == "MOVED")
        #expect(!newer.transient && !newer.outcomeUnknown)
        #expect(ServerErrorCode(errorText: "TIMEOUT") == .timeout)
        #expect(RESPValue.error(.noAuth, "Authentication required.") == .error("NOAUTH Authentication required."))
    }

    @Test("multi-key failure: with nothing applied, the failure as it came")
    func nothingApplied() {
        #expect(ServerErrorCode.multiKeyFailure(code: .busy, message: "the leader's queue is full", applied: 0, of: 3)
            == "BUSY the leader's queue is full")
    }

    @Test("multi-key failure: a 'not applied' code after some keys were applied becomes PARTIAL")
    func notAppliedBecomesPartial() {
        for code in [ServerErrorCode.busy, .unavailable, .err] {
            let text = ServerErrorCode.multiKeyFailure(code: code, message: "why", applied: 2, of: 5)
            #expect(text == "PARTIAL after 2 of 5 keys were applied, the next failed: \(code) why")
        }
    }

    @Test("multi-key failure: an unknown-outcome code keeps its code and gains the count")
    func unknownStays() {
        #expect(ServerErrorCode.multiKeyFailure(code: .timeout, message: "no answer in time", applied: 1, of: 2)
            == "TIMEOUT no answer in time (after 1 of 2 keys were applied)")
    }
}
