// Method: the table of paxosd's error codes and the text of a multi-key write that fails part
// way. A reply MUST NOT promise "not applied" (BUSY, UNAVAILABLE) once some keys were applied.

import PaxosWire
import Testing

@Suite("server error codes")
struct ServerErrorCodeTests {
    @Test("codes: what each says about a write's outcome, and which may succeed on a retry")
    func codes() {
        #expect(ServerErrorCode.outcomeUnknown == ["NOLEADER", "TIMEOUT", "SHUTDOWN", "PARTIAL"])
        #expect(ServerErrorCode.transient == ["NOLEADER", "TIMEOUT", "SHUTDOWN", "PARTIAL", "BUSY", "UNAVAILABLE"])
        #expect(!ServerErrorCode.transient.contains("ERR"))
    }

    @Test("multi-key failure: with nothing applied, the failure as it came")
    func nothingApplied() {
        #expect(ServerErrorCode.multiKeyFailure(code: "BUSY", message: "the leader's queue is full", applied: 0, of: 3)
            == "BUSY the leader's queue is full")
    }

    @Test("multi-key failure: a 'not applied' code after some keys were applied becomes PARTIAL")
    func notAppliedBecomesPartial() {
        for code in ["BUSY", "UNAVAILABLE", "ERR"] {
            let text = ServerErrorCode.multiKeyFailure(code: code, message: "why", applied: 2, of: 5)
            #expect(text == "PARTIAL after 2 of 5 keys were applied, the next failed: \(code) why")
        }
    }

    @Test("multi-key failure: an unknown-outcome code keeps its code and gains the count")
    func unknownStays() {
        #expect(ServerErrorCode.multiKeyFailure(code: "TIMEOUT", message: "no answer in time", applied: 1, of: 2)
            == "TIMEOUT no answer in time (after 1 of 2 keys were applied)")
    }
}
