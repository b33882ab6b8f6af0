// Method: the scripts redis-py 8.2's Lock sends (their exact texts, copied here) are
// recognised, load under the SHA-1 redis-py computes, and compile into the key operations of
// docs/design/coordination-api.md §1.4 "Known scripts"; an unknown SHA answers NOSCRIPT and any
// other script is refused at load. What the key operations do is tested in TTLTests.
import Foundation
import PaxosCore
import Testing

@testable import PaxosServer

@Suite("known scripts: redis-py Lock")
struct KnownScriptsTests {
    static let release = "\n        local token = redis.call('get', KEYS[1])\n        if not token or token ~= ARGV[1] then\n            return 0\n        end\n        redis.call('del', KEYS[1])\n        return 1\n    "
    static let extend = "\n        local token = redis.call('get', KEYS[1])\n        if not token or token ~= ARGV[1] then\n            return 0\n        end\n        local expiration = redis.call('pttl', KEYS[1])\n        if not expiration then\n            expiration = 0\n        end\n        if expiration < 0 then\n            return 0\n        end\n\n        local newttl = ARGV[2]\n        if ARGV[3] == \"0\" then\n            newttl = ARGV[2] + expiration\n        end\n        if tonumber(newttl) <= 0 then\n            return 1\n        end\n        redis.call('pexpire', KEYS[1], newttl)\n        return 1\n    "
    static let reacquire = "\n        local token = redis.call('get', KEYS[1])\n        if not token or token ~= ARGV[1] then\n            return 0\n        end\n        if tonumber(ARGV[2]) > 0 then\n            redis.call('pexpire', KEYS[1], ARGV[2])\n        end\n        return 1\n    "
    static func b(_ text: String) -> Bytes { Array(text.utf8) }
    static let lock = b("lock")
    static let token = b("tok")

    static func parse(_ name: String, _ arguments: [String]) throws(ClientCommandError) -> ClientCommand {
        try ClientCommand.parse(name: name, arguments: arguments.map(b), maxKeyBytes: 1_024, maxValueBytes: 1 << 20)
    }

    @Test("known scripts: redis-py's texts are recognised whatever the whitespace; others are not")
    func recognised() {
        #expect(KnownScript.recognise(Self.b(Self.release)) == .release)
        #expect(KnownScript.recognise(Self.b(Self.extend)) == .extend)
        #expect(KnownScript.recognise(Self.b(Self.reacquire)) == .reacquire)
        #expect(KnownScript.recognise(Self.b("  " + Self.release.replacingOccurrences(of: "\n", with: " \t "))) == .release)
        #expect(KnownScript.recognise(Self.b(Self.release.replacingOccurrences(of: "return 1", with: "return 2"))) == nil)
        #expect(KnownScript.recognise(Self.b("return redis.call('get', KEYS[1])")) == nil)
    }

    @Test("known scripts: SCRIPT LOAD answers the SHA-1 redis-py computes; EVALSHA of it compiles, an unknown SHA is NOSCRIPT")
    func loadAndEvalsha() throws {
        // hashlib.sha1(b"abc").hexdigest()
        #expect(KnownScript.sha1(Self.b("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        let sha = KnownScript.sha1(Self.b(Self.reacquire))
        #expect(try Self.parse("SCRIPT", ["load", Self.reacquire]) == .compatibility(.bulk(Self.b(sha))))
        #expect(try Self.parse("EVALSHA", [sha.uppercased(), "1", "lock", "tok", "2000"])
                == .data(.write(.expire(key: Self.lock, .after(milliseconds: 2_000), .always, ifEquals: Self.token),
                                rendering: .expiry(command: "evalsha"))))
        #expect(throws: ClientCommandError("NOSCRIPT No matching script. Please use EVAL.")) {
            try Self.parse("EVALSHA", [String(repeating: "0", count: 40), "1", "lock", "tok"])
        }
        #expect(throws: ClientCommandError("ERR PaxosKV does not run Lua scripts; it recognises only redis-py's Lock scripts")) {
            try Self.parse("SCRIPT", ["LOAD", "return 1"])
        }
        #expect(throws: ClientCommandError("ERR PaxosKV does not run Lua scripts; it recognises only redis-py's Lock scripts")) {
            try Self.parse("EVAL", ["return 1", "0"])
        }
    }

    @Test("known scripts: EVAL compiles release, extend (add or replace) and reacquire into key operations")
    func compiles() throws {
        #expect(try Self.parse("EVAL", [Self.release, "1", "lock", "tok"]) == .data(.write(.delete(keys: [Self.lock], ifEquals: Self.token), rendering: .reply)))
        #expect(try Self.parse("EVAL", [Self.extend, "1", "lock", "tok", "1500", "0"])
                == .data(.write(.expire(key: Self.lock, .extend(milliseconds: 1_500), .ifHasDeadline, ifEquals: Self.token),
                                rendering: .expiry(command: "evalsha"))))
        #expect(try Self.parse("EVAL", [Self.extend, "1", "lock", "tok", "1500", "1"])
                == .data(.write(.expire(key: Self.lock, .after(milliseconds: 1_500), .ifHasDeadline, ifEquals: Self.token),
                                rendering: .expiry(command: "evalsha"))))
        #expect(try Self.parse("EVAL", [Self.extend, "1", "lock", "tok", "0", "1"])
                == .data(.write(.expire(key: Self.lock, .keep, .ifHasDeadline, ifEquals: Self.token), rendering: .expiry(command: "evalsha"))),
                "a non-positive time changes nothing, and still answers 1 for the holder")
        // EVAL recorded the SHA as SCRIPT LOAD would.
        #expect(throws: Never.self) { try Self.parse("EVALSHA", [KnownScript.sha1(Self.b(Self.release)), "1", "lock", "tok"]) }
        #expect(throws: ClientCommandError("ERR Number of keys can't be greater than number of args")) {
            try Self.parse("EVAL", [Self.release, "3", "lock"])
        }
        #expect(throws: ClientCommandError("ERR redis-py's Lock release script takes 1 key and 1 arguments")) {
            try Self.parse("EVAL", [Self.release, "0", "lock"])
        }
    }

    @Test("known scripts: the holder's token decides release and extend at apply")
    func apply() {
        var machine = KVStateMachine()
        func run(_ op: KeyOp, slot: UInt64, time: UInt64) -> OperationResult? {
            machine.apply(slot: Slot(slot), command: .timedBatch(time: LeaderTime(rawValue: time), requests: [
                ClientRequest(client: ClientID(1), sequence: slot, operation: .key(op))])).first?.result
        }
        _ = run(.set(key: Self.lock, value: Self.token, SetOptions(condition: .ifAbsent, expiry: .after(milliseconds: 2_000))), slot: 1, time: 1_000)
        #expect(run(.expire(key: Self.lock, .extend(milliseconds: 500), .ifHasDeadline, ifEquals: Self.b("other")), slot: 2, time: 1_100) == .reply(.integer(0)))
        #expect(run(.expire(key: Self.lock, .extend(milliseconds: 500), .ifHasDeadline, ifEquals: Self.token), slot: 3, time: 1_100) == .reply(.integer(1)))
        #expect(machine.row(Self.lock)?.deadline == LeaderTime(rawValue: 3_500))
        #expect(run(.delete(keys: [Self.lock], ifEquals: Self.b("other")), slot: 4, time: 1_200) == .reply(.integer(0)))
        #expect(run(.delete(keys: [Self.lock], ifEquals: Self.token), slot: 5, time: 1_200) == .reply(.integer(1)))
        #expect(machine.row(Self.lock) == nil)
    }
}
