// Method: table-driven checks of the shell's line splitting against what redis-cli's
// sdssplitargs does with the same input, and of its verb parsing: every verb and alias, case
// insensitivity, arity errors and unknown verbs. Bad input MUST be a PaxosCtlError, never a crash.

import PaxosCtlKit
import Testing

@Suite("shell line")
struct ShellLineTests {
    static func split(_ line: String) throws -> [String] {
        try ShellLine.split(line).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("split: words, quotes and escapes as in redis-cli", arguments: [
        ("GET k", ["GET", "k"]),
        ("  PUT   k\tv  ", ["PUT", "k", "v"]),
        ("PUT k \"hello world\"", ["PUT", "k", "hello world"]),
        ("PUT k 'hello world'", ["PUT", "k", "hello world"]),
        ("PUT k \"a\\\"b\"", ["PUT", "k", "a\"b"]),
        ("PUT k \"line\\nnext\"", ["PUT", "k", "line\nnext"]),
        ("PUT k 'it\\'s'", ["PUT", "k", "it's"]),
        ("PUT k 'no \\n escape'", ["PUT", "k", "no \\n escape"]),
        ("PUT k \"\"", ["PUT", "k", ""]),
        ("PUT k ab\"c d\"", ["PUT", "k", "abc d"]),
        ("", []),
        ("   ", []),
    ])
    func splits(line: String, expected: [String]) throws {
        #expect(try Self.split(line) == expected)
    }

    @Test("split: \\xHH is any byte, including ones that are not UTF-8")
    func hexEscapes() throws {
        #expect(try ShellLine.split("PUT k \"\\xff\\x00A\"") == [Array("PUT".utf8), Array("k".utf8), [0xFF, 0x00, 0x41]])
        // An incomplete \x escape is the letter x, as in redis-cli.
        #expect(try Self.split("PUT k \"\\xZ\"") == ["PUT", "k", "xZ"])
    }

    @Test("split: unbalanced or glued quotes are errors with a reason", arguments: [
        "PUT k \"open", "PUT k 'open", "PUT k \"a\"b", "PUT k 'a'b", "\"", "PUT k \"ends with backslash\\",
    ])
    func rejects(line: String) {
        let error = #expect(throws: PaxosCtlError.self) { try ShellLine.split(line) }
        #expect(error?.isUsage == true)
        #expect(error?.message.contains("quote") == true)
    }

    @Test("parse: every verb and alias, any case", arguments: [
        ("get k", ShellCommand.get(key: Array("k".utf8))),
        ("GET k", .get(key: Array("k".utf8))),
        ("Put k v", .put(key: Array("k".utf8), value: Array("v".utf8))),
        ("set k v", .put(key: Array("k".utf8), value: Array("v".utf8))),
        ("delete k", .delete(key: Array("k".utf8))),
        ("DEL k", .delete(key: Array("k".utf8))),
        ("exists k", .exists(key: Array("k".utf8))),
        ("ping", .ping), ("info", .info), ("status", .status), ("history", .history), ("help", .help),
        ("quit", .quit), ("EXIT", .quit),
    ])
    func parses(line: String, expected: ShellCommand) throws {
        #expect(try ShellCommand.parse(ShellLine.split(line)) == expected)
    }

    @Test("parse: wrong arity names the verb and its usage", arguments: [
        ("GET", "usage: GET <key>"), ("GET a b", "usage: GET <key>"), ("PUT k", "usage: PUT <key> <value>"),
        ("DEL", "usage: DEL <key>"), ("INFO x", "usage: INFO"), ("quit now", "usage: QUIT"),
    ])
    func arity(line: String, usage: String) throws {
        let error = try #require(throws: PaxosCtlError.self) { try ShellCommand.parse(ShellLine.split(line)) }
        #expect(error.message.contains("wrong number of arguments"))
        #expect(error.message.contains(usage))
    }

    @Test("parse: an unquoted value with spaces suggests quoting")
    func suggestsQuoting() throws {
        let error = try #require(throws: PaxosCtlError.self) { try ShellCommand.parse(ShellLine.split("PUT k hello world")) }
        #expect(error.message.contains("quote"))
    }

    @Test("parse: other commands, and SET/DEL/EXISTS with more arguments, go to the server as typed", arguments: [
        "FROB k", "incr counter", "SET k v NX", "DEL a b", "EXISTS a b c", "getset k \"a b\"",
    ])
    func passthrough(line: String) throws {
        let arguments = try ShellLine.split(line)
        let command = try ShellCommand.parse(arguments)
        #expect(command == .raw(arguments))
        #expect(command.request == arguments)
    }

    @Test("help: lists every verb")
    func help() {
        for entry in ShellCommand.verbs {
            for name in entry.names { #expect(ShellCommand.helpText.contains(name)) }
        }
    }
}
