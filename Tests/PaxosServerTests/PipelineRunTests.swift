// Method: table tests of which pipelined commands `PipelineRun` takes into one request and how
// the one reply is split back: a run needs a write and two commands, ends at the command, byte
// and group bounds (the first command always fits) and is cut to about 64 KiB of replies, encodes as one `Operation.all` in command
// order, and renders each command's reply with its own renderer; a reply that is not one per
// command (a duplicate whose reply was not remembered) is every command's.
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("pipeline runs")
struct PipelineRunTests {
    static func b(_ s: String) -> Bytes { Array(s.utf8) }
    static func compiled(_ words: [String]) throws -> (QueuedCommand, Bool) {
        let command = try ClientCommand.parse(name: words[0], arguments: words.dropFirst().map { b($0) }, maxKeyBytes: 1_000, maxValueBytes: 1_000_000)
        return (try command.queued(), command.isWrite)
    }
    static func run(_ lines: [[String]], group: GroupID = GroupID(rawValue: 0)) throws -> PipelineRun {
        var run = PipelineRun()
        for words in lines {
            let (command, isWrite) = try compiled(words)
            do { let added = run.add(command, size: words.reduce(0) { $0 + $1.utf8.count }, group: group, isWrite: isWrite); #expect(added) }
        }
        return run
    }

    @Test("a write and the commands after it: one all, in order, each reply rendered as its command's")
    func coalesced() throws {
        let run = try Self.run([["SET", "k", "1"], ["INCR", "k"], ["GET", "k"], ["DEL", "k", "x"], ["SETNX", "n", "v"]])
        let operation = try #require(run.operation)
        guard case .all(let operations) = operation else { Issue.record("not an all: \(operation)"); return }
        #expect(operations.count == 5)
        #expect(operations.first == .put(key: Self.b("k"), value: Self.b("1")))
        let replies = run.replies(to: .array([.ok, .integer(2), .bulk(Self.b("2")), .integer(1), .integer(1)]))
        #expect(replies == [.simpleString("OK"), .integer(2), .bulkString(Self.b("2")), .integer(1), .integer(1)])
        // An error of one command is that command's reply only.
        let withError = run.replies(to: .array([.ok, .error(.notInteger), .bulk(Self.b("1")), .integer(0), .integer(0)]))
        #expect(withError[0] == .simpleString("OK") && withError[2] == .bulkString(Self.b("1")))
        guard case .error = withError[1] else { Issue.record("INCR's error: \(withError[1])"); return }
    }

    @Test("not worth it: one command, or reads only")
    func notCoalesced() throws {
        #expect(try Self.run([["SET", "k", "1"]]).operation == nil)
        #expect(try Self.run([["GET", "a"], ["GET", "b"], ["EXISTS", "c"]]).operation == nil)
    }

    @Test("bounds: commands, bytes (the first always fits) and one group")
    func bounds() throws {
        var run = PipelineRun()
        let (set, _) = try Self.compiled(["SET", "k", "v"])
        for _ in 0..<PipelineRun.maxCommands { let added = run.add(set, size: 10, group: GroupID(rawValue: 0), isWrite: true); #expect(added) }
        do { let added = run.add(set, size: 10, group: GroupID(rawValue: 0), isWrite: true); #expect(!added, "the 257th starts the next run") }
        #expect(run.operation != nil)

        var big = PipelineRun()
        do { let added = big.add(set, size: PipelineRun.maxBytes + 5, group: GroupID(rawValue: 0), isWrite: true); #expect(added, "a first command of any size") }
        do { let added = big.add(set, size: 1, group: GroupID(rawValue: 0), isWrite: true); #expect(!added) }

        var groups = PipelineRun()
        do { let added = groups.add(set, size: 10, group: GroupID(rawValue: 1), isWrite: true); #expect(added) }
        do { let added = groups.add(set, size: 10, group: GroupID(rawValue: 2), isWrite: true); #expect(!added, "another group's key ends the run") }
        let (ping, _) = try Self.compiled(["PING"])
        do { let added = groups.add(ping, size: 4, group: GroupID(rawValue: 1), isWrite: false); #expect(!added, "a command with no operation ends it") }
    }

    @Test("runs are cut to about 64 KiB of replies, judged by the connection's last run: 1 MiB GETs go one at a time")
    func replyBound() {
        #expect(PipelineRun.commandLimit(replyBytes: 10) == PipelineRun.maxCommands)
        #expect(PipelineRun.commandLimit(replyBytes: 4 << 10) == 16)
        #expect(PipelineRun.commandLimit(replyBytes: 32 << 10) == 2)
        #expect(PipelineRun.commandLimit(replyBytes: 1 << 20) == 1)
        #expect(PipelineRun.replyBytes(of: .bulkString(Bytes(repeating: 1, count: 1 << 20))) >= 1 << 20)
        #expect(PipelineRun.replyBytes(of: .array([.bulkString(Bytes(repeating: 1, count: 1_000)), .simpleString("OK")])) >= 1_000)
        #expect(PipelineRun.replyBytes(of: .simpleString("OK")) < 64)
    }

    @Test("a reply that is not one per command is every command's")
    func unrememberedDuplicate() throws {
        let run = try Self.run([["SET", "a", "1"], ["SET", "b", "2"]])
        let replies = run.replies(to: .notRemembered)
        #expect(replies.count == 2 && replies[0] == replies[1])
        guard case .error = replies[0] else { Issue.record("an error: \(replies[0])"); return }
    }
}
