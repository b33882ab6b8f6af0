// Method: table tests of CHANGES's parsing (what a watcher and paxosctl send parses; every
// malformed, oversized or repeated argument a client can send is refused with a sentence, never
// a crash) and of its rendering, byte for byte: the page as `[next, [[revision, event, key]…]]`
// and COMPACTED as its own error code ending with the revision to resume from, which the client
// library reads back (`PaxosClient.compactedResumeRevision`, checked end to end in WatchTests).
import NIOCore
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("changes command")
struct ChangesCommandTests {
    static func parse(_ words: [String]) throws(ClientCommandError) -> ChangesCommand {
        try ChangesCommand.parse(words.map { Array($0.utf8) })
    }

    @Test("changes: what paxosctl watch sends parses, options in any order and case")
    func parses() throws {
        #expect(try Self.parse(["0"]) == ChangesCommand(query: ChangesQuery(from: 0), blockMilliseconds: 0, group: nil))
        #expect(try Self.parse(["$"]).query.from == nil)
        let full = try Self.parse(["4259841", "count", "10", "PREFIX", "user:", "Block", "2000", "GROUP", "3"])
        #expect(full == ChangesCommand(query: ChangesQuery(from: 4_259_841, prefix: Array("user:".utf8), maxChanges: 10),
                                       blockMilliseconds: 2_000, group: GroupID(rawValue: 3)))
        #expect(try Self.parse(["18446744073709551615"]).query.from == .max)
        #expect(try Self.parse(["0", "PREFIX", ""]).query.prefix == [])
        #expect(try Self.parse(["0", "COUNT", "100000", "BLOCK", "60000"]).query.maxChanges == 100_000)
    }

    @Test("changes: malformed input is refused with a sentence", arguments: [
        ([String](), "ERR wrong number of arguments for 'changes' command"),
        (["-1"], "ERR the revision must be a non-negative integer or $, not '-1'"),
        (["18446744073709551616"], "ERR the revision must be a non-negative integer or $, not '18446744073709551616'"),
        (["x"], "ERR the revision must be a non-negative integer or $, not 'x'"),
        (["0", "COUNT", "0"], "ERR COUNT must be 1 to 100000, not '0'"),
        (["0", "COUNT", "100001"], "ERR COUNT must be 1 to 100000, not '100001'"),
        (["0", "BLOCK", "-5"], "ERR BLOCK must be 0 to 60000 milliseconds, not '-5'"),
        (["0", "BLOCK", "60001"], "ERR BLOCK must be 0 to 60000 milliseconds, not '60001'"),
        (["0", "GROUP", "-1"], "ERR GROUP needs a group number, not '-1'"),
        (["0", "COUNT"], ChangesCommand.usage),
        (["0", "COUNT", "1", "COUNT", "2"], ChangesCommand.usage),
        (["0", "LIMIT", "5"], ChangesCommand.usage),
    ])
    func refusals(words: [String], message: String) {
        #expect(throws: ClientCommandError(message)) { try Self.parse(words) }
    }

    @Test("changes: a prefix longer than a key is refused")
    func longPrefix() {
        let long = Bytes(repeating: 0x61, count: ChangesCommand.maxPrefixBytes + 1)
        #expect(throws: ClientCommandError.self) { try ChangesCommand.parse([Array("0".utf8), Array("PREFIX".utf8), long]) }
    }

    @Test("changes: the page and the COMPACTED error, as a client reads them")
    func rendering() {
        let change = KVChange(Revision(slot: Slot(65), position: 2), KVEvent(.set, Array("k".utf8)))
        var bytes = ByteBuffer()
        ChangesCommand.render(.page(changes: [change], next: 66 << 16)).write(to: &bytes)
        #expect(String(buffer: bytes) == "*2\r\n:\(66 << 16)\r\n*1\r\n*3\r\n:\((65 << 16) + 2)\r\n$3\r\nset\r\n$1\r\nk\r\n")
        guard case .error(let text) = ChangesCommand.render(.compacted(resumeFrom: 123 << 16)) else {
            Issue.record("COMPACTED is an error")
            return
        }
        #expect(ServerErrorCode(errorText: text) == .compacted)
        #expect(!ServerErrorCode.compacted.transient && !ServerErrorCode.compacted.outcomeUnknown, "a client must not retry it elsewhere")
        #expect(text.hasSuffix("resume from revision \(123 << 16)"))
    }
}
