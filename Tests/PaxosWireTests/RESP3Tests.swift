// Method: golden bytes of RESP3's types against the protocol spec's examples, the RESP2 forms
// `forProtocol(2)` turns them into (as Redis answers RESP2 clients: a map as a flat array, a
// double as its text, true as 1), RESP3's null for RESP2's two nulls under `forProtocol(3)`,
// and serializer → reply parser round trips of every RESP3 type, nested.
import NIOCore
import PaxosWire
import Testing

@Suite("wire: RESP3 replies")
struct RESP3Tests {
    static func bytes(_ value: RESPValue) -> String {
        var buffer = ByteBuffer()
        value.write(to: &buffer)
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    static let golden: [Named<(RESPValue, String)>] = [
        Named(name: "map", value: (.map(["first": .integer(1), "second": .bulkString("x")]), "%2\r\n$5\r\nfirst\r\n:1\r\n$6\r\nsecond\r\n$1\r\nx\r\n")),
        Named(name: "empty map", value: (.map([RESPValue.Pair]()), "%0\r\n")),
        Named(name: "set", value: (.set([.bulkString("a"), .integer(2)]), "~2\r\n$1\r\na\r\n:2\r\n")),
        Named(name: "double", value: (.double(1.23), ",1.23\r\n")),
        Named(name: "integral double", value: (.double(10), ",10\r\n")),
        Named(name: "infinite double", value: (.double(-.infinity), ",-inf\r\n")),
        Named(name: "nan", value: (.double(.nan), ",nan\r\n")),
        Named(name: "true", value: (.boolean(true), "#t\r\n")),
        Named(name: "false", value: (.boolean(false), "#f\r\n")),
        Named(name: "null", value: (.null, "_\r\n")),
        Named(name: "verbatim", value: (.verbatim(format: "txt", text: "Some string"), "=15\r\ntxt:Some string\r\n")),
        Named(name: "verbatim with a bad format falls back to txt", value: (.verbatim(format: "toolong", text: "a"), "=5\r\ntxt:a\r\n")),
        Named(name: "push", value: (.push([.bulkString("message"), .bulkString("ch")]), ">2\r\n$7\r\nmessage\r\n$2\r\nch\r\n")),
    ]

    @Test("RESP3 types: the spec's bytes", arguments: golden)
    func goldenBytes(_ named: Named<(RESPValue, String)>) {
        #expect(Self.bytes(named.value.0) == named.value.1)
    }

    @Test("RESP2 connections get RESP2 forms; RESP3 connections RESP3's null; plain values are not touched")
    func protocolForms() {
        let hello = RESPValue.map(["proto": .integer(2), "modules": .array([])])
        #expect(hello.forProtocol(2) == .array([.bulkString("proto"), .integer(2), .bulkString("modules"), .array([])]))
        #expect(hello.forProtocol(3) == hello)
        #expect(RESPValue.set([.bulkString("a")]).forProtocol(2) == .array([.bulkString("a")]))
        #expect(RESPValue.push([.bulkString("a")]).forProtocol(2) == .array([.bulkString("a")]))
        #expect(RESPValue.double(1.5).forProtocol(2) == .bulkString("1.5"))
        #expect(RESPValue.double(.infinity).forProtocol(2) == .bulkString("inf"))
        #expect(RESPValue.boolean(true).forProtocol(2) == .integer(1))
        #expect(RESPValue.null.forProtocol(2) == .bulkString(nil))
        #expect(RESPValue.verbatim(format: "txt", text: "id=1\n").forProtocol(2) == .bulkString("id=1\n"))
        #expect(RESPValue.bulkString(nil).forProtocol(3) == .null)
        #expect(RESPValue.array(nil).forProtocol(3) == .null, "EXEC after a WATCH conflict")
        #expect(RESPValue.array([.bulkString("v"), .bulkString(nil)]).forProtocol(3) == .array([.bulkString("v"), .null]), "MGET")
        #expect(RESPValue.array([.bulkString("v"), .bulkString(nil)]).forProtocol(2) == .array([.bulkString("v"), .bulkString(nil)]))
        #expect(RESPValue.map(["k": .bulkString(nil)]).forProtocol(3) == .map(["k": .null]))
        for plain: RESPValue in [.simpleString("OK"), .integer(3), .bulkString("x"), .error("ERR x"), .array([.bulkString("a")])] {
            #expect(plain.forProtocol(2) == plain)
            #expect(plain.forProtocol(3) == plain)
        }
    }

    @Test("RESP3 types round-trip through the reply parser, nested")
    func roundTrip() throws {
        let values: [RESPValue] = [
            .map(["a": .set([.integer(1), .boolean(false)]), "b": .map(["c": .null])]),
            .push([.bulkString("pmessage"), .double(-2.5), .verbatim(format: "mkd", text: "# x\r\ny")]),
            .double(1e300), .boolean(true), .null, .set([]),
        ]
        for value in values {
            var buffer = ByteBuffer()
            value.write(to: &buffer)
            let parsed = try RESPReplyParser().next(from: &buffer)
            #expect(parsed == value)
            #expect(buffer.readableBytes == 0)
        }
        var nan = ByteBuffer(string: ",nan\r\n")
        guard case .double(let parsed)? = try RESPReplyParser().next(from: &nan) else { Issue.record("nan"); return }
        #expect(parsed.isNaN)
        var big = ByteBuffer(string: "(3492890328409238509324850943850943825024385\r\n")
        #expect(try RESPReplyParser().next(from: &big) == .bulkString("3492890328409238509324850943850943825024385"))
    }

    @Test("malformed RESP3 values are refused; a partial one waits", arguments: ["#x\r\n", "_1\r\n", ",abc\r\n", "%-1\r\n", "=3\r\nabc\r\n", "(12a\r\n"])
    func malformed(_ text: String) {
        var buffer = ByteBuffer(string: text)
        #expect(throws: RESPError.self) { _ = try RESPReplyParser().next(from: &buffer) }
    }

    @Test("RESP3 aggregates over the count limit are refused before anything is read or reserved, a map's count of pairs included")
    func oversized() {
        let limits = RESPLimits()
        for text in ["%\(limits.maxArrayCount / 2 + 1)\r\n", "%9223372036854775807\r\n", "~\(limits.maxArrayCount + 1)\r\n",
                     ">9223372036854775807\r\n"] {
            var buffer = ByteBuffer(string: text)
            #expect(throws: RESPError.self) { _ = try RESPReplyParser(limits: limits).next(from: &buffer) }
        }
    }

    @Test("a RESP3 aggregate cut short waits for the rest")
    func partial() throws {
        let full = Self.bytes(.map(["k": .set([.double(1.5)])]))
        for cut in 0..<full.utf8.count {
            var buffer = ByteBuffer(string: String(full.utf8.prefix(cut))!)
            #expect(try RESPReplyParser().next(from: &buffer) == nil, "cut at \(cut)")
            #expect(buffer.readableBytes == cut)
        }
    }
}
