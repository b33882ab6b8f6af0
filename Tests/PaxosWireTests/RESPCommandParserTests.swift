// Method: table-driven tests of the server-side RESP parser against the Redis protocol spec
// (https://redis.io/docs/latest/develop/reference/protocol-spec/) and Redis's own behaviour for
// inline commands (sdssplitargs). Each input is parsed whole and again split at every byte
// boundary, which must give the same commands: partial input waits, it never errors. Malformed
// input and exceeded limits must give the matching RESPError, decided from the header alone
// when the header is enough.

import NIOCore
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: RESP command parser")
struct RESPCommandParserTests {
    static func command(_ name: String, _ arguments: String...) -> RESPCommand {
        RESPCommand(name: name, arguments: arguments.map { Array($0.utf8) })
    }

    static let valid: [Named<(String, [RESPCommand])>] = [
        Named(name: "array PING", value: ("*1\r\n$4\r\nPING\r\n", [command("PING")])),
        Named(
            name: "array SET, lowercase name",
            value: ("*3\r\n$3\r\nset\r\n$1\r\nk\r\n$1\r\nv\r\n", [command("SET", "k", "v")])),
        Named(name: "empty bulk argument", value: ("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", [command("GET", "")])),
        Named(
            name: "binary-safe value with CRLF inside",
            value: ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\r\n\r\n", [command("SET", "k", "a\r\nb\r\n")])),
        Named(name: "inline PING", value: ("PING\r\n", [command("PING")])),
        Named(name: "inline with bare LF", value: ("get k\n", [command("GET", "k")])),
        Named(name: "inline with extra spaces", value: ("  SET  k \t v  \r\n", [command("SET", "k", "v")])),
        Named(name: "inline double quotes", value: ("SET k \"a b\"\r\n", [command("SET", "k", "a b")])),
        Named(name: "inline escapes", value: ("SET k \"\\x41\\n\\\"\\\\\"\r\n", [command("SET", "k", "A\n\"\\")])),
        Named(name: "inline single quotes", value: ("SET k 'it\\'s \"x\"'\r\n", [command("SET", "k", "it's \"x\"")])),
        Named(name: "inline empty quotes", value: ("SET k \"\"\r\n", [command("SET", "k", "")])),
        Named(name: "empty lines are skipped", value: ("\r\n\n   \r\nPING\r\n", [command("PING")])),
        Named(
            name: "empty and null arrays are skipped", value: ("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", [command("PING")])),
        Named(
            name: "pipelined mix",
            value: (
                "PING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nEXISTS a b\r\n*3\r\n$3\r\nDEL\r\n$1\r\nx\r\n$1\r\ny\r\n",
                [command("PING"), command("GET", "k"), command("EXISTS", "a", "b"), command("DEL", "x", "y")]
            )),
    ]

    @Test("wire: valid requests parse whole", arguments: valid)
    func parsesWhole(testCase: Named<(String, [RESPCommand])>) throws {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(string: testCase.value.0)
        #expect(try drain(&parser, &buffer) == testCase.value.1)
        #expect(buffer.readableBytes == 0)
    }

    @Test("wire: valid requests parse the same when split at every byte", arguments: valid)
    func parsesSplit(testCase: Named<(String, [RESPCommand])>) throws {
        let bytes = Array(testCase.value.0.utf8)
        for cut in 0...bytes.count {
            var parser = RESPCommandParser()
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            var commands = try drain(&parser, &buffer)
            buffer.writeBytes(bytes[cut...])
            commands += try drain(&parser, &buffer)
            #expect(commands == testCase.value.1, "cut at \(cut)")
        }
    }

    @Test("wire: a large binary value drip-fed in chunks parses once, whole")
    func largeValueInChunks() throws {
        let value = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let bytes = Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$\(value.count)\r\n".utf8) + value + Array("\r\n".utf8)
        var parser = RESPCommandParser()
        var buffer = ByteBuffer()
        var commands: [RESPCommand] = []
        for chunk in stride(from: 0, to: bytes.count, by: 4096) {
            buffer.writeBytes(bytes[chunk..<min(chunk + 4096, bytes.count)])
            commands += try drain(&parser, &buffer)
        }
        #expect(commands == [RESPCommand(name: "SET", arguments: [Array("k".utf8), value])])
    }

    static let small = RESPLimits(maxBulkBytes: 8, maxArrayCount: 3, maxInlineBytes: 16, maxCommandBytes: 12)

    static let malformed: [Named<(String, RESPError)>] = [
        Named(name: "negative count", value: ("*-5\r\n", .invalidMultibulkLength)),
        Named(name: "non-numeric count", value: ("*abc\r\n", .invalidMultibulkLength)),
        Named(name: "empty count", value: ("*\r\n", .invalidMultibulkLength)),
        Named(name: "plus-signed count", value: ("*+1\r\n", .invalidMultibulkLength)),
        Named(name: "non-numeric bulk length", value: ("*1\r\n$abc\r\n", .invalidBulkLength)),
        Named(name: "null bulk as argument", value: ("*1\r\n$-1\r\n", .invalidBulkLength)),
        Named(name: "overflowing bulk length", value: ("*1\r\n$99999999999999999999\r\n", .invalidBulkLength)),
        Named(name: "non-bulk element", value: ("*1\r\n+PING\r\n", .expectedBulkString)),
        Named(name: "integer element", value: ("*1\r\n:1\r\n", .expectedBulkString)),
        Named(name: "bulk not followed by CRLF", value: ("*1\r\n$4\r\nPINGXX", .missingCRLF)),
        Named(name: "header with bare LF", value: ("*1\n", .missingCRLF)),
        Named(name: "header without line end", value: ("*" + String(repeating: "1", count: 40), .lineTooLong)),
        Named(name: "unterminated double quote", value: ("SET k \"abc\r\n", .unbalancedQuotes)),
        Named(name: "unterminated single quote", value: ("SET k 'abc\r\n", .unbalancedQuotes)),
        Named(name: "text after closing quote", value: ("SET k \"a\"b\r\n", .unbalancedQuotes)),
    ]

    @Test("wire: malformed requests are typed errors", arguments: malformed)
    func rejectsMalformed(testCase: Named<(String, RESPError)>) {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(string: testCase.value.0)
        #expect(throws: testCase.value.1) { try drain(&parser, &buffer) }
    }

    static let overLimits: [Named<(String, RESPError)>] = [
        Named(name: "array over the limit", value: ("*4\r\n", .arrayTooLong)),
        Named(name: "inline line over the limit", value: (String(repeating: "A", count: 18), .lineTooLong)),
        Named(
            name: "inline line over the limit with LF", value: (String(repeating: "A", count: 17) + "\n", .lineTooLong)),
    ]

    @Test("wire: exceeded limits are typed errors", arguments: overLimits)
    func rejectsOverLimits(testCase: Named<(String, RESPError)>) {
        var parser = RESPCommandParser(limits: Self.small)
        var buffer = ByteBuffer(string: testCase.value.0)
        #expect(throws: testCase.value.1) { try drain(&parser, &buffer) }
    }

    @Test("wire: inputs exactly at the limits are accepted")
    func atLimits() throws {
        var parser = RESPCommandParser(limits: Self.small)
        var buffer = ByteBuffer(
            string: "*3\r\n$8\r\n12345678\r\n$4\r\n1234\r\n$0\r\n\r\n" + String(repeating: "A", count: 16) + "\r\n")
        let commands = try drain(&parser, &buffer)
        #expect(commands.count == 2)
    }

    @Test("wire: the default limits refuse a 4 GiB bulk before any data arrives, and keep none of it")
    func hugeBulkHeader() throws {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nSET\r\n$4294967296\r\nabcdef")
        #expect(try drain(&parser, &buffer).isEmpty)
        #expect(buffer.readableBytes == 0)
    }

    static let skippable: [Named<(String, RESPError)>] = [
        Named(name: "bulk over the limit", value: ("*2\r\n$3\r\nSET\r\n$9\r\n123456789\r\n", .bulkTooLong)),
        Named(name: "bulk over the limit, then more arguments",
              value: ("*3\r\n$3\r\nSET\r\n$9\r\n123456789\r\n$2\r\nab\r\n", .bulkTooLong)),
        Named(name: "arguments over the command limit",
              value: ("*3\r\n$3\r\nSET\r\n$8\r\n12345678\r\n$5\r\n12345\r\n", .commandTooLarge)),
    ]

    @Test("wire: an oversized argument is skipped and refused; the next command parses", arguments: skippable)
    func skipsOversized(testCase: Named<(String, RESPError)>) throws {
        var parser = RESPCommandParser(limits: Self.small)
        var buffer = ByteBuffer(string: testCase.value.0 + "PING\r\n")
        let commands = try drain(&parser, &buffer)
        #expect(commands.count == 2)
        #expect(commands.first?.refusal == testCase.value.1)
        #expect(commands.first?.name == "SET")
        #expect(commands.first?.arguments == [])
        #expect(commands.last == Self.command("PING"))
    }

    @Test("wire: an oversized bulk arriving byte by byte is skipped as it comes")
    func skipsOversizedPiecewise() throws {
        var parser = RESPCommandParser(limits: Self.small)
        var commands: [RESPCommand] = []
        var buffer = ByteBuffer()
        for byte in "*2\r\n$3\r\nSET\r\n$9\r\n123456789\r\n*1\r\n$4\r\nPING\r\n".utf8 {
            buffer.writeInteger(byte)
            commands += try drain(&parser, &buffer)
        }
        #expect(buffer.readableBytes == 0)
        #expect(commands.map(\.refusal) == [.bulkTooLong, nil])
    }

    @Test("wire: a skipped bulk not followed by CRLF still ends the stream")
    func skippedBulkNeedsCRLF() {
        var parser = RESPCommandParser(limits: Self.small)
        var buffer = ByteBuffer(string: "*2\r\n$3\r\nSET\r\n$9\r\n123456789xx")
        #expect(throws: RESPError.missingCRLF) { try drain(&parser, &buffer) }
    }

    @Test("wire: command names are uppercased, arguments are not")
    func uppercasing() throws {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(string: "sEt Key vAlue\r\nünï\r\n")
        let commands = try drain(&parser, &buffer)
        #expect(commands == [Self.command("SET", "Key", "vAlue"), RESPCommand(name: "üNï", arguments: [])])
    }

    @Test("wire: protocol errors read like Redis's")
    func description() {
        var parser = RESPCommandParser()
        var buffer = ByteBuffer(string: "*1\r\n+PING\r\n")
        let error = #expect(throws: RESPError.expectedBulkString) { try drain(&parser, &buffer) }
        #expect(error?.description == "expected '$' (got '+')")
    }

    @Test("wire: seeded random garbage never crashes the command parser", arguments: 0..<10 as Range<UInt64>)
    func fuzz(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let alphabet = Array("*$+-:\r\n0123456789-\"' \\xabPING".utf8)
        for _ in 0..<2000 {
            var parser = RESPCommandParser(limits: Self.small)
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
            }
            var buffer = ByteBuffer(bytes: bytes)
            do {
                _ = try drain(&parser, &buffer)
            } catch {
                // A typed RESPError is the only acceptable failure; the type system guarantees it.
            }
        }
    }

    /// Every command currently available in `buffer`.
    private func drain(_ parser: inout RESPCommandParser, _ buffer: inout ByteBuffer) throws(RESPError) -> [RESPCommand]
    {
        var commands: [RESPCommand] = []
        while let command = try parser.next(from: &buffer) { commands.append(command) }
        return commands
    }
}
