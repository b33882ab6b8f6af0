// Method: transcripts of MULTI/EXEC/DISCARD/WATCH/UNWATCH (docs/design/coordination-api.md §4,
// "PR 4") through the connection's `TransactionState`, byte for byte in RESP. Each line is
// parsed as the node parses it; the state's steps are carried out against an in-memory state
// machine exactly as `ClientHandler+Transactions.swift` carries them out against the cluster
// (a WATCH reads revisions, EXEC sends one request, other commands run as one request each),
// so the replies are the bytes a client receives and the table is what the log applied.
import NIOCore
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("transactions: MULTI/EXEC/WATCH transcripts")
struct TransactionStateTests {
    /// One connection (or several, sharing the state machine) of a test.
    struct Connection {
        var state = TransactionState()
        let client: UInt64
        var sequence: UInt64 = 0
        var groupOf: @Sendable (Bytes) -> GroupID = { _ in 0 }

        init(client: UInt64) { self.client = client }

        /// The RESP bytes the client receives for `line`.
        mutating func send(_ line: String, to machine: inout KVStateMachine) -> String {
            let words = line.split(separator: " ").map(String.init)
            let name = words[0].uppercased()
            let command: ClientCommand
            do {
                command = try ClientCommand.parse(name: name, arguments: words.dropFirst().map { Array($0.utf8) },
                                                  maxKeyBytes: 1_024, maxValueBytes: 1 << 20)
            } catch {
                state.refused()
                return Self.resp(.error(error.description))
            }
            switch state.step(command, size: line.utf8.count, groupOf: groupOf) {
            case .reply(let value):
                return Self.resp(value)
            case .watch(let keys):
                state.watched(keys, machine.answer(.keys(keys, fields: .revision)))
                return Self.resp(.simpleString("OK"))
            case .exec(let operation, let queued):
                return Self.resp(TransactionState.renderExec(apply(operation, to: &machine), queued: queued))
            case .run:
                // Outside MULTI, the commands of these transcripts are one request each.
                guard let compiled = try? command.queued(), let operation = compiled.operation else { return "(not run)" }
                return Self.resp(compiled.render(apply(operation, to: &machine)))
            }
        }

        mutating func apply(_ operation: Operation, to machine: inout KVStateMachine) -> OpReply {
            sequence += 1
            let slot = machine.appliedThrough.next
            let results = machine.apply(slot: slot, command: .batch([ClientRequest(client: ClientID(client), sequence: sequence, operation: operation)]))
            guard case .reply(let reply)? = results.first?.result else { return OperationExecutor.reply(of: results[0].result) }
            return reply
        }

        static func resp(_ value: RESPValue) -> String {
            var buffer = ByteBuffer()
            value.write(to: &buffer)
            return String(decoding: buffer.readableBytesView, as: UTF8.self)
        }
    }

    static func run(_ lines: [String], machine: inout KVStateMachine, connection: inout Connection) -> [String] {
        lines.map { connection.send($0, to: &machine) }
    }

    static func value(_ machine: KVStateMachine, _ key: String) -> String? {
        machine.get(Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("MULTI/EXEC: queued commands answer +QUEUED, EXEC answers each one's own reply, in one request")
    func execRepliesInOrder() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        let replies = Self.run(["MULTI", "SET a 1", "INCR a", "GET a", "SETNX a x", "MSET b 2 c 3", "EXISTS a b z a", "PING", "EXEC"],
                               machine: &machine, connection: &c)
        #expect(replies.joined() == "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                + "*7\r\n+OK\r\n:2\r\n$1\r\n2\r\n:0\r\n+OK\r\n:3\r\n+PONG\r\n")
        #expect(machine.appliedThrough == Slot(1), "the whole queue was one request")
        #expect(Self.value(machine, "c") == "3")
        #expect(c.state.inMulti == false)
    }

    @Test("EXECABORT: a command refused while queueing (redis-py's pipeline with a bad command) applies nothing")
    func execAbort() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        let replies = Self.run(["MULTI", "SET k v", "NOSUCHCOMMAND x", "SET k2 v", "INCRBY k notanumber", "EXEC", "GET k"],
                               machine: &machine, connection: &c)
        #expect(replies[0...1] == ["+OK\r\n", "+QUEUED\r\n"])
        #expect(replies[2].hasPrefix("-ERR unknown command 'nosuchcommand'"))
        #expect(replies[3] == "+QUEUED\r\n")
        #expect(replies[4] == "-ERR value is not an integer or out of range\r\n")
        #expect(replies[5] == "-EXECABORT Transaction discarded because of previous errors.\r\n")
        #expect(replies[6] == "$-1\r\n")
        #expect(machine.table.isEmpty)
    }

    @Test("EXECABORT: commands that are not state changes of one group are refused inside MULTI", arguments: [
        "BACKUP b1", "MEMBER LIST", "AUTH pw", "INFO", "READONLY", "HELLO 2",
    ])
    func notAllowedInMulti(_ line: String) {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        let replies = Self.run(["MULTI", "SET k v", line, "EXEC"], machine: &machine, connection: &c)
        #expect(replies[2] == "-ERR Command not allowed inside a transaction\r\n")
        #expect(replies[3] == "-EXECABORT Transaction discarded because of previous errors.\r\n")
        #expect(machine.table.isEmpty)
    }

    @Test("WATCH: a key written by another client after the WATCH makes EXEC answer the nil array")
    func watchConflict() {
        var machine = KVStateMachine()
        var c = Connection(client: 1), other = Connection(client: 2)
        _ = other.send("SET k 1", to: &machine)
        #expect(c.send("WATCH k", to: &machine) == "+OK\r\n")
        #expect(c.send("GET k", to: &machine) == "$1\r\n1\r\n")
        #expect(other.send("SET k 5", to: &machine) == "+OK\r\n")
        #expect(Self.run(["MULTI", "SET k 2", "EXEC"], machine: &machine, connection: &c) == ["+OK\r\n", "+QUEUED\r\n", "*-1\r\n"])
        #expect(Self.value(machine, "k") == "5")
        // The watch ended with EXEC: the retry of the loop succeeds.
        #expect(Self.run(["WATCH k", "MULTI", "SET k 6", "EXEC"], machine: &machine, connection: &c)
                == ["+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n"])
        #expect(Self.value(machine, "k") == "6")
    }

    @Test("WATCH: an unchanged key, a missing key that stays missing, and a missing key created since")
    func watchMissingKeys() {
        var machine = KVStateMachine()
        var c = Connection(client: 1), other = Connection(client: 2)
        _ = other.send("SET a 1", to: &machine)
        #expect(Self.run(["WATCH a nothing", "MULTI", "INCR a", "EXEC"], machine: &machine, connection: &c)
                == ["+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "*1\r\n:2\r\n"])
        _ = c.send("WATCH created", to: &machine)
        _ = other.send("SET created x", to: &machine)
        #expect(Self.run(["MULTI", "DEL created", "EXEC"], machine: &machine, connection: &c) == ["+OK\r\n", "+QUEUED\r\n", "*-1\r\n"])
        #expect(Self.value(machine, "created") == "x")
    }

    @Test("WATCH: writes of the watching client itself also fail its EXEC (as in Redis), UNWATCH and DISCARD end watches")
    func unwatchAndDiscard() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        #expect(Self.run(["WATCH k", "SET k mine", "MULTI", "SET k 2", "EXEC"], machine: &machine, connection: &c).last == "*-1\r\n")
        #expect(Self.run(["WATCH k", "SET k again", "UNWATCH", "MULTI", "SET k 3", "EXEC"], machine: &machine, connection: &c).last
                == "*1\r\n+OK\r\n")
        #expect(Self.run(["WATCH k", "MULTI", "SET k 4", "DISCARD", "SET k 5", "MULTI", "GET k", "EXEC"], machine: &machine, connection: &c)
                == ["+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "+OK\r\n", "+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "*1\r\n$1\r\n5\r\n"])
    }

    @Test("errors: EXEC and DISCARD without MULTI, nested MULTI and WATCH inside MULTI (which do not abort)")
    func misuse() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        #expect(Self.run(["EXEC", "DISCARD", "MULTI", "MULTI", "WATCH k", "SET k 1", "EXEC", "MULTI", "EXEC"], machine: &machine, connection: &c)
                == ["-ERR EXEC without MULTI\r\n", "-ERR DISCARD without MULTI\r\n", "+OK\r\n", "-ERR MULTI calls can not be nested\r\n",
                    "-ERR WATCH inside MULTI is not allowed\r\n", "+QUEUED\r\n", "*1\r\n+OK\r\n", "+OK\r\n", "*0\r\n"])
        #expect(machine.appliedThrough == Slot(1), "an empty EXEC without watches sends nothing")
    }

    @Test("errors: an INCR of a non-number inside EXEC is an error element; the other commands apply (Redis)")
    func errorInsideExec() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        _ = c.send("SET s abc", to: &machine)
        #expect(Self.run(["MULTI", "INCR s", "SET t 1", "EXEC"], machine: &machine, connection: &c).last
                == "*2\r\n-ERR value is not an integer or out of range\r\n+OK\r\n")
        #expect(Self.value(machine, "t") == "1")
    }

    @Test("multi-key writes inside and outside MULTI: MSETNX, SETIFREV, DELIFREV, GETREV")
    func revisionsAndMsetnx() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        #expect(c.send("MSETNX a 1 b 2", to: &machine) == ":1\r\n")
        #expect(c.send("MSETNX b 3 z 4", to: &machine) == ":0\r\n")
        #expect(Self.value(machine, "z") == nil)
        let revision = machine.row(Array("a".utf8))!.revision.rawValue
        #expect(c.send("GETREV a", to: &machine) == "*2\r\n$1\r\n1\r\n:\(revision)\r\n")
        #expect(c.send("GETREV missing", to: &machine) == "$-1\r\n")
        #expect(c.send("SETIFREV a x \(revision + 1)", to: &machine) == "$-1\r\n")
        #expect(c.send("SETIFREV a x \(revision)", to: &machine) == "+OK\r\n")
        #expect(c.send("SETIFREV new y 0", to: &machine) == "+OK\r\n")
        #expect(c.send("SETIFREV new y 0", to: &machine) == "$-1\r\n")
        let newRevision = machine.row(Array("new".utf8))!.revision.rawValue
        #expect(c.send("DELIFREV new \(revision)", to: &machine) == ":0\r\n")
        #expect(Self.run(["MULTI", "DELIFREV new \(newRevision)", "MSETNX a 1", "MGET a new b", "EXEC"], machine: &machine, connection: &c).last
                == "*3\r\n:1\r\n:0\r\n*3\r\n$1\r\nx\r\n$-1\r\n$1\r\n2\r\n")
        #expect(c.send("SETIFREV a x -1", to: &machine) == "-ERR revision is not a non-negative integer or out of range\r\n")
    }

    @Test("CROSSSLOT: with several groups, WATCH and queued keys must share one group, or EXEC aborts")
    func crossSlot() {
        var machine = KVStateMachine()
        var c = Connection(client: 1)
        c.groupOf = { GroupID(rawValue: UInt32($0.first ?? 0) % 2) }  // "a" (97) → 1, "b" (98) → 0, "c" (99) → 1
        #expect(c.send("WATCH a b", to: &machine) == "-CROSSSLOT Keys in request don't hash to the same group\r\n")
        #expect(Self.run(["WATCH a", "MULTI", "SET c 1", "SET b 1", "EXEC"], machine: &machine, connection: &c)
                == ["+OK\r\n", "+OK\r\n", "+QUEUED\r\n", "-CROSSSLOT Keys in request don't hash to the same group\r\n",
                    "-EXECABORT Transaction discarded because of previous errors.\r\n"])
        #expect(Self.run(["MULTI", "SET b 1", "MSET b 2 d 3", "EXEC"], machine: &machine, connection: &c).last == "*2\r\n+OK\r\n+OK\r\n")
        #expect(Self.value(machine, "d") == "3")
        #expect(machine.table[Array("c".utf8)] == nil)
    }

    @Test("bounds: a queue over the command bound fails the transaction")
    func queueBound() {
        var state = TransactionState()
        _ = state.step(.transaction(.multi), size: 5, groupOf: { _ in 0 })
        for _ in 0..<TransactionState.maxQueuedCommands {
            guard case .reply(.simpleString("QUEUED")) = state.step(.get(key: [1]), size: 5, groupOf: { _ in 0 }) else {
                Issue.record("not queued")
                return
            }
        }
        guard case .reply(.error(let message)) = state.step(.get(key: [1]), size: 5, groupOf: { _ in 0 }) else {
            Issue.record("the command over the bound was queued")
            return
        }
        #expect(message.hasPrefix("ERR transaction too large"))
        guard case .reply(let reply) = state.step(.transaction(.exec), size: 4, groupOf: { _ in 0 }) else {
            Issue.record("EXEC sent a request")
            return
        }
        #expect(reply == TransactionState.execAbort)
        #expect(state.queued.isEmpty && !state.inMulti)
    }
}
