// Method: golden-bytes tests of the RESP serializer against the protocol spec's examples, then
// serializer → client-side reply parser round trips over a table and over seeded random values
// (nested arrays, nulls, binary bulk strings, extreme integers). Partial replies, cut at every
// byte, must wait without consuming anything; malformed replies and exceeded limits must throw
// the matching RESPError.

import NIOCore
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: RESP replies")
struct RESPReplyTests {
    static let golden: [Named<(RESPValue, String)>] = [
        Named(name: "simple string", value: (.simpleString("OK"), "+OK\r\n")),
        Named(name: "error", value: (.error("ERR unknown command 'FOO'"), "-ERR unknown command 'FOO'\r\n")),
        Named(name: "error with CRLF is flattened", value: (.error("ERR bad\r\narg"), "-ERR bad  arg\r\n")),
        Named(name: "simple string with LF is flattened", value: (.simpleString("a\nb"), "+a b\r\n")),
        Named(name: "integer", value: (.integer(1000), ":1000\r\n")),
        Named(name: "negative integer", value: (.integer(-1), ":-1\r\n")),
        Named(name: "bulk string", value: (.bulkString("hello"), "$5\r\nhello\r\n")),
        Named(name: "empty bulk string", value: (.bulkString([]), "$0\r\n\r\n")),
        Named(name: "null bulk string", value: (.bulkString(nil), "$-1\r\n")),
        Named(name: "empty array", value: (.array([]), "*0\r\n")),
        Named(name: "null array", value: (.array(nil), "*-1\r\n")),
        Named(
            name: "nested array",
            value: (
                .array([.integer(1), .array([.bulkString("a"), .bulkString(nil)]), .simpleString("x")]),
                "*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n"
            )),
        Named(
            name: "command", value: (.command([Array("GET".utf8), Array("k".utf8)]), "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")),
    ]

    @Test("wire: RESP serializer writes the spec's bytes", arguments: golden)
    func serializes(testCase: Named<(RESPValue, String)>) {
        var buffer = ByteBuffer()
        testCase.value.0.write(to: &buffer)
        #expect(String(buffer: buffer) == testCase.value.1)
    }

    static let values: [Named<RESPValue>] =
        [
            Named(name: "integer max", value: .integer(.max)),
            Named(name: "integer min", value: .integer(.min)),
            Named(name: "binary bulk", value: .bulkString([0, 13, 10, 255, 13, 10])),
            Named(name: "unicode simple string", value: .simpleString("héllo ✓")),
        ] + golden.filter { !$0.name.contains("flattened") }.map { Named(name: $0.name, value: $0.value.0) }

    @Test("wire: replies round-trip and wait while partial", arguments: values)
    func roundTrip(value: Named<RESPValue>) throws {
        var encoded = ByteBuffer()
        value.value.write(to: &encoded)
        let bytes = Array(encoded.readableBytesView)
        let parser = RESPReplyParser()
        for cut in 0..<bytes.count {
            var partial = ByteBuffer(bytes: bytes[..<cut])
            #expect(try parser.next(from: &partial) == nil, "cut at \(cut)")
            #expect(partial.readableBytes == cut, "nothing consumed at cut \(cut)")
        }
        var whole = ByteBuffer(bytes: bytes + Array("+next\r\n".utf8))
        #expect(try parser.next(from: &whole) == value.value)
        #expect(try parser.next(from: &whole) == .simpleString("next"))
    }

    @Test("wire: seeded random replies round-trip", arguments: 0..<10 as Range<UInt64>)
    func randomRoundTrip(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let values = (0..<100).map { _ in random.respValue() }
        var buffer = ByteBuffer()
        for value in values { value.write(to: &buffer) }
        let parser = RESPReplyParser()
        for value in values { #expect(try parser.next(from: &buffer) == value, "PAXOS_SEED=\(seed)") }
        #expect(buffer.readableBytes == 0)
    }

    static let malformed: [Named<(String, RESPError)>] = [
        Named(name: "unknown type byte", value: ("?x\r\n", .unknownType)),
        Named(name: "RESP3 attribute (not parsed)", value: ("|1\r\n", .unknownType)),
        Named(name: "RESP3 boolean that is neither", value: ("#x\r\n", .unknownType)),
        Named(name: "bad integer", value: (":12a\r\n", .invalidInteger)),
        Named(name: "integer overflow", value: (":9223372036854775808\r\n", .invalidInteger)),
        Named(name: "bulk length below -1", value: ("$-2\r\n", .invalidBulkLength)),
        Named(name: "bulk length not a number", value: ("$x\r\n", .invalidBulkLength)),
        Named(name: "array count below -1", value: ("*-5\r\n", .invalidMultibulkLength)),
        Named(name: "bulk without CRLF", value: ("$2\r\nabcd", .missingCRLF)),
        Named(name: "line with bare LF", value: ("+OK\n", .missingCRLF)),
        Named(name: "bulk over the limit", value: ("$9\r\n", .bulkTooLong)),
        Named(name: "array over the limit", value: ("*4\r\n", .arrayTooLong)),
        Named(name: "nesting over the limit", value: ("*1\r\n*1\r\n*1\r\n*0\r\n", .nestingTooDeep)),
        Named(name: "status line over the limit", value: ("+" + String(repeating: "a", count: 40), .lineTooLong)),
    ]

    @Test("wire: malformed replies are typed errors", arguments: malformed)
    func rejectsMalformed(testCase: Named<(String, RESPError)>) {
        let parser = RESPReplyParser(
            limits: RESPLimits(maxBulkBytes: 8, maxArrayCount: 3, maxInlineBytes: 16, maxNestingDepth: 3))
        var buffer = ByteBuffer(string: testCase.value.0)
        #expect(throws: testCase.value.1) { try parser.next(from: &buffer) }
    }

    @Test("wire: arrays nested exactly to the limit are accepted")
    func nestingAtLimit() throws {
        let parser = RESPReplyParser(limits: RESPLimits(maxNestingDepth: 3))
        var buffer = ByteBuffer(string: "*1\r\n*1\r\n*0\r\n")
        #expect(try parser.next(from: &buffer) == .array([.array([.array([])])]))
    }

    @Test("wire: seeded random garbage never crashes the reply parser", arguments: 0..<10 as Range<UInt64>)
    func fuzz(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let alphabet = Array("*$+-:\r\n0123456789-ab%".utf8)
        let parser = RESPReplyParser(
            limits: RESPLimits(maxBulkBytes: 16, maxArrayCount: 4, maxInlineBytes: 16, maxNestingDepth: 4))
        for _ in 0..<2000 {
            var buffer = ByteBuffer(
                bytes: (0..<Int.random(in: 0...40, using: &random)).map { _ in
                    alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
                })
            do {
                while try parser.next(from: &buffer) != nil {}
            } catch {
                // A typed RESPError is the only acceptable failure; the type system guarantees it.
            }
        }
    }
}
