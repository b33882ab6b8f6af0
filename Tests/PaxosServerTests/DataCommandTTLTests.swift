// Method: table tests of the TTL commands of docs/design/coordination-api.md §1.1 and §3 as
// values: each RESP command line compiles to the key operation and rendering it should, or is
// refused at parse with Redis's text (the edge cases Redis documents: EX 0, a negative time,
// seconds overflowing as milliseconds, conflicting options), and replies render as Redis's
// (TTL rounds milliseconds to seconds, EXPIRETIME truncates, -1 and -2 stay).
import PaxosAuth
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("data commands: TTLs")
struct DataCommandTTLTests {
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static let k = b("k")
    static func set(_ expiry: Expiry, _ condition: SetCondition = .always, get: Bool = false, as name: String = "set") -> ClientCommand {
        .data(.write(.set(key: k, value: b("v"), SetOptions(condition: condition, returnsOld: get, expiry: expiry)),
                     rendering: .expiry(command: name)))
    }
    static func expire(_ expiry: Expiry, _ condition: ExpireCondition = .always, as name: String) -> ClientCommand {
        .data(.write(.expire(key: k, expiry, condition, ifEquals: nil), rendering: .expiry(command: name)))
    }
    static func at(_ ms: UInt64) -> Expiry { .at(LeaderTime(rawValue: ms)) }

    static let compiled: [(String, ClientCommand)] = [
        ("SET k v EX 10", set(.after(milliseconds: 10_000))),
        ("SET k v px 1500", set(.after(milliseconds: 1_500))),
        ("SET k v EXAT 1733545200", set(at(1_733_545_200_000))),
        ("SET k v PXAT 1733545200123", set(at(1_733_545_200_123))),
        ("SET k v KEEPTTL", set(.keep)),
        ("SET k v NX PX 30000 GET", set(.after(milliseconds: 30_000), .ifAbsent, get: true)),
        ("SET k v PX 100 XX", set(.after(milliseconds: 100), .ifPresent)),
        ("SETEX k 10 v", set(.after(milliseconds: 10_000), as: "setex")),
        ("PSETEX k 250 v", set(.after(milliseconds: 250), as: "psetex")),
        ("GETEX k", .data(.write(.getExpire(key: k, .keep), rendering: .expiry(command: "getex")))),
        ("GETEX k EX 5", .data(.write(.getExpire(key: k, .after(milliseconds: 5_000)), rendering: .expiry(command: "getex")))),
        ("GETEX k PXAT 77", .data(.write(.getExpire(key: k, at(77)), rendering: .expiry(command: "getex")))),
        ("GETEX k persist", .data(.write(.getExpire(key: k, .clear), rendering: .expiry(command: "getex")))),
        ("EXPIRE k 10", expire(.after(milliseconds: 10_000), as: "expire")),
        ("EXPIRE k 0", expire(.after(milliseconds: 0), as: "expire")),
        ("EXPIRE k -5", expire(.after(milliseconds: -5_000), as: "expire")),
        ("PEXPIRE k 10 nx", expire(.after(milliseconds: 10), .ifNoDeadline, as: "pexpire")),
        ("EXPIRE k 10 XX", expire(.after(milliseconds: 10_000), .ifHasDeadline, as: "expire")),
        ("EXPIRE k 10 GT", expire(.after(milliseconds: 10_000), .ifGreater, as: "expire")),
        ("EXPIRE k 10 XX GT", expire(.after(milliseconds: 10_000), .ifGreater, as: "expire")),
        ("EXPIRE k 10 LT", expire(.after(milliseconds: 10_000), .ifLess, as: "expire")),
        ("EXPIRE k 10 LT XX", expire(.after(milliseconds: 10_000), .ifLessWithDeadline, as: "expire")),
        ("EXPIREAT k 1733545200", expire(at(1_733_545_200_000), as: "expireat")),
        ("PEXPIREAT k 1733545200123", expire(at(1_733_545_200_123), as: "pexpireat")),
        ("EXPIREAT k -1", expire(at(0), as: "expireat")),
        ("PERSIST k", expire(.clear, as: "persist")),
        ("TTL k", .data(.write(.deadline(key: k, remaining: true), rendering: .seconds(rounded: true)))),
        ("PTTL k", .data(.write(.deadline(key: k, remaining: true), rendering: .expiry(command: "pttl")))),
        ("EXPIRETIME k", .data(.write(.deadline(key: k, remaining: false), rendering: .seconds(rounded: false)))),
        ("PEXPIRETIME k", .data(.write(.deadline(key: k, remaining: false), rendering: .expiry(command: "pexpiretime")))),
    ]

    @Test("TTL commands: each compiles to its key operation", arguments: compiled)
    func compiles(_ line: String, _ expected: ClientCommand) throws {
        #expect(try DataCommandTests.parse(line) == expected)
    }

    static let refused: [(String, String)] = [
        ("SET k v EX 0", "ERR invalid expire time in 'set' command"),
        ("SET k v PX -1", "ERR invalid expire time in 'set' command"),
        ("SET k v EX 9223372036854775807", "ERR invalid expire time in 'set' command"),
        ("SET k v EXAT 0", "ERR invalid expire time in 'set' command"),
        ("SET k v EX abc", "ERR value is not an integer or out of range"),
        ("SET k v EX", "ERR syntax error"),
        ("SET k v EX 10 PX 10", "ERR syntax error"),
        ("SET k v EX 10 KEEPTTL", "ERR syntax error"),
        ("SETEX k 0 v", "ERR invalid expire time in 'setex' command"),
        ("PSETEX k -3 v", "ERR invalid expire time in 'psetex' command"),
        ("SETEX k v", "ERR wrong number of arguments for 'setex' command"),
        ("GETEX k EX 0", "ERR invalid expire time in 'getex' command"),
        ("GETEX k EX 1 PX 2", "ERR syntax error"),
        ("GETEX k PERSIST EX 1", "ERR syntax error"),
        ("GETEX k EX", "ERR syntax error"),
        ("EXPIRE k abc", "ERR value is not an integer or out of range"),
        ("EXPIRE k 9223372036854775807", "ERR invalid expire time in 'expire' command"),
        ("EXPIRE k 10 NX XX", "ERR NX and XX, GT or LT options at the same time are not compatible"),
        ("EXPIRE k 10 GT LT", "ERR GT and LT options at the same time are not compatible"),
        ("EXPIRE k 10 BOGUS", "ERR Unsupported option BOGUS"),
        ("EXPIRE k", "ERR wrong number of arguments for 'expire' command"),
        ("PERSIST k x", "ERR wrong number of arguments for 'persist' command"),
        ("TTL", "ERR wrong number of arguments for 'ttl' command"),
    ]

    @Test("TTL commands: arguments checkable without the state are refused at parse with Redis's text", arguments: refused)
    func refusals(_ line: String, _ message: String) {
        #expect(throws: ClientCommandError(message)) { try DataCommandTests.parse(line) }
    }

    static let rendered: [(DataCommand.Rendering, OpReply, RESPValue)] = [
        (.seconds(rounded: true), .integer(-2), .integer(-2)),
        (.seconds(rounded: true), .integer(-1), .integer(-1)),
        (.seconds(rounded: true), .integer(1_499), .integer(1)),
        (.seconds(rounded: true), .integer(1_500), .integer(2)),
        (.seconds(rounded: false), .integer(1_733_545_200_999), .integer(1_733_545_200)),
        (.expiry(command: "pttl"), .integer(1_499), .integer(1_499)),
        (.expiry(command: "set"), .ok, .simpleString("OK")),
        (.expiry(command: "set"), .error(.invalidExpireTime), .error("ERR invalid expire time in 'set' command")),
        (.expiry(command: "expire"), .error(.invalidExpireTime), .error("ERR invalid expire time in 'expire' command")),
        (.expiry(command: "getex"), .bulk(b("v")), .bulkString(b("v"))),
    ]

    @Test("TTL commands: replies render as Redis's", arguments: rendered)
    func renders(_ rendering: DataCommand.Rendering, _ reply: OpReply, _ expected: RESPValue) {
        #expect(rendering.render(reply) == expected)
    }

    @Test("TTL commands: TTL reads need readOnly, EXPIRE readWrite")
    func access() throws {
        #expect(try DataCommandTests.parse("TTL k").access == .role(.readOnly))
        #expect(try DataCommandTests.parse("PEXPIRETIME k").access == .role(.readOnly))
        #expect(try DataCommandTests.parse("EXPIRE k 1").access == .role(.readWrite))
        #expect(try DataCommandTests.parse("SET k v EX 1").access == .role(.readWrite))
    }
}
