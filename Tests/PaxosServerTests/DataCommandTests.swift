// Method: table tests of the data commands of docs/design/coordination-api.md §1.4 ("PR 2") as
// values: each RESP command line parses to the key operation it compiles to (or is refused at
// parse with Redis's text, so it is never logged), and each reply renders as Redis renders it,
// error texts included.
import PaxosAuth
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("data commands")
struct DataCommandTests {
    static func parse(_ line: String) throws(ClientCommandError) -> ClientCommand {
        let words = line.split(separator: " ").map(String.init)
        return try ClientCommand.parse(name: words[0].uppercased(), arguments: words.dropFirst().map { Array($0.utf8) },
                                       maxKeyBytes: 1_024, maxValueBytes: 1 << 20)
    }

    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static let k = b("k")

    static let compiled: [(String, ClientCommand)] = [
        ("SET k v", .put(key: k, value: b("v"))),
        ("SET k v NX", .data(.write(.set(key: k, value: b("v"), SetOptions(condition: .ifAbsent)), rendering: .reply))),
        ("SET k v xx get", .data(.write(.set(key: k, value: b("v"), SetOptions(condition: .ifPresent, returnsOld: true)), rendering: .reply))),
        ("SET k v GET IFEQ old", .data(.write(.set(key: k, value: b("v"), SetOptions(condition: .ifEquals(b("old")), returnsOld: true)), rendering: .reply))),
        ("SET k v GET", .data(.write(.set(key: k, value: b("v"), SetOptions(returnsOld: true)), rendering: .reply))),
        ("SETNX k v", .data(.write(.set(key: k, value: b("v"), SetOptions(condition: .ifAbsent)), rendering: .setFlag))),
        ("GETSET k v", .data(.write(.set(key: k, value: b("v"), SetOptions(returnsOld: true)), rendering: .reply))),
        ("GETDEL k", .data(.write(.getDelete(key: k), rendering: .reply))),
        ("DELIFEQ k tok", .data(.write(.delete(keys: [k], ifEquals: b("tok")), rendering: .reply))),
        ("INCR k", .data(.write(.incrementBy(key: k, 1), rendering: .reply))),
        ("DECR k", .data(.write(.incrementBy(key: k, -1), rendering: .reply))),
        ("INCRBY k -5", .data(.write(.incrementBy(key: k, -5), rendering: .reply))),
        ("DECRBY k 9223372036854775807", .data(.write(.incrementBy(key: k, -.max), rendering: .reply))),
        ("INCRBYFLOAT k 0.1", .data(.write(.incrementByFloat(key: k, bits: (0.1).bitPattern), rendering: .reply))),
        ("APPEND k xy", .data(.write(.append(key: k, b("xy")), rendering: .reply))),
        ("STRLEN k", .data(.strlen(key: k))),
    ]

    @Test("data commands: each compiles to its key operation", arguments: compiled)
    func compiles(_ line: String, _ expected: ClientCommand) throws {
        #expect(try Self.parse(line) == expected)
    }

    static let refused: [(String, String)] = [
        ("SET k v NX XX", "ERR syntax error"),
        ("SET k v XX NX", "ERR syntax error"),
        ("SET k v NX IFEQ x", "ERR syntax error"),
        ("SET k v GET GET", "ERR syntax error"),
        ("SET k v IFEQ", "ERR syntax error"),
        ("SET k v BOGUS", "ERR syntax error"),
        ("INCRBY k abc", "ERR value is not an integer or out of range"),
        ("INCRBY k +1", "ERR value is not an integer or out of range"),
        ("INCRBY k 9223372036854775808", "ERR value is not an integer or out of range"),
        ("DECRBY k -9223372036854775808", "ERR decrement would overflow"),
        ("INCRBYFLOAT k abc", "ERR value is not a valid float"),
        ("INCRBYFLOAT k inf", "ERR increment would produce NaN or Infinity"),
        ("INCR", "ERR wrong number of arguments for 'incr' command"),
        ("INCR k 1", "ERR wrong number of arguments for 'incr' command"),
        ("SETNX k", "ERR wrong number of arguments for 'setnx' command"),
        ("GETDEL", "ERR wrong number of arguments for 'getdel' command"),
        ("DELIFEQ k", "ERR wrong number of arguments for 'delifeq' command"),
        ("STRLEN a b", "ERR wrong number of arguments for 'strlen' command"),
    ]

    @Test("data commands: arguments checkable without the state are refused at parse with Redis's text", arguments: refused)
    func refusals(_ line: String, _ message: String) {
        #expect(throws: ClientCommandError(message)) { try Self.parse(line) }
    }

    static let rendered: [(DataCommand.Rendering, OpReply, RESPValue)] = [
        (.reply, .ok, .simpleString("OK")),
        (.reply, .null, .bulkString(nil)),
        (.reply, .integer(-3), .integer(-3)),
        (.reply, .bulk(b("10.6")), .bulkString(b("10.6"))),
        (.setFlag, .ok, .integer(1)),
        (.setFlag, .null, .integer(0)),
        (.reply, .error(.notInteger), .error("ERR value is not an integer or out of range")),
        (.reply, .error(.overflow), .error("ERR increment or decrement would overflow")),
        (.reply, .error(.notFloat), .error("ERR value is not a valid float")),
        (.reply, .error(.nanOrInfinity), .error("ERR increment would produce NaN or Infinity")),
        (.reply, .error(.stringTooLong), .error("ERR string exceeds maximum allowed size")),
    ]

    @Test("data commands: replies render as Redis's", arguments: rendered)
    func renders(_ rendering: DataCommand.Rendering, _ reply: OpReply, _ expected: RESPValue) {
        #expect(rendering.render(reply) == expected)
    }

    @Test("data commands: writes need readWrite, STRLEN readOnly")
    func access() throws {
        #expect(try Self.parse("INCR k").access == .role(.readWrite))
        #expect(try Self.parse("STRLEN k").access == .role(.readOnly))
        #expect(try Self.parse("INCR k").isWrite)
        #expect(try !Self.parse("STRLEN k").isWrite)
    }
}
