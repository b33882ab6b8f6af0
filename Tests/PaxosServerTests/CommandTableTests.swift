// Method: the command table against the parser (every name in the table is a command the parser
// knows, and commands PaxosKV refuses are not in it), COMMAND's replies from the table, and the
// syntax reader against hand-built argument trees of Redis's own documentation for SET and MSET.
import PaxosCore
@testable import PaxosServer
import PaxosWire
import Testing

@Suite("server: COMMAND and the command table")
struct CommandTableTests {
    static func parse(_ words: [String]) throws(ClientCommandError) -> ClientCommand {
        try ClientCommand.parse(name: words[0].uppercased(), arguments: words.dropFirst().map { Array($0.utf8) },
                                maxKeyBytes: 1_024, maxValueBytes: 1 << 20)
    }

    @Test("every command in the table is one the parser knows; refused commands are not in the table")
    func tableMatchesParser() {
        #expect(CommandTable.byName.count == CommandTable.entries.count, "names are unique")
        for spec in CommandTable.entries {
            // Arguments of the right count; their values may still be refused, but never as unknown.
            let words = [spec.name] + Array(repeating: "1", count: max(abs(spec.arity) - 1, 0))
            do {
                _ = try Self.parse(words)
            } catch {
                #expect(!error.description.contains("unknown command"), "\(spec.name): \(error)")
            }
            #expect(spec.arity != 0 && spec.step >= 0 && spec.firstKey >= 0, "\(spec.name)")
        }
        for refused in ["lpush", "hset", "publish", "flushall", "zadd", "ssubscribe"] {
            #expect(CommandTable.byName[refused] == nil)
            #expect(throws: ClientCommandError.self) { _ = try Self.parse([refused, "k", "v"]) }
        }
    }

    @Test("COMMAND COUNT, LIST, INFO and DOCS answer from the table; unknown names get nil or are left out")
    func replies() throws {
        #expect(try CommandQuery.parse([]) == .all)
        #expect(CommandQuery.count.reply == .integer(Int64(CommandTable.entries.count)))
        guard case .array(let names?) = CommandQuery.list.reply else { Issue.record("LIST"); return }
        #expect(names.count == CommandTable.entries.count && names.contains(.bulkString("getrev")))
        #expect(try CommandQuery.parse(["info", "GET", "nosuch"].map { Array($0.utf8) }).reply
                == .array([.array([.bulkString("get"), .integer(2), .set([.simpleString("readonly"), .simpleString("fast")]),
                                   .integer(1), .integer(1), .integer(1), .set([]), .set([]), .array([]), .array([])]),
                           .array(nil)]))
        guard case .map(let docs) = try CommandQuery.parse(["DOCS", "getrev", "nosuch"].map { Array($0.utf8) }).reply else { Issue.record("DOCS"); return }
        #expect(docs.map { $0.key } == [RESPValue.bulkString("getrev")])
        guard case .map(let fields) = docs[0].value else { Issue.record("DOCS entry"); return }
        #expect(fields.first == RESPValue.Pair(.bulkString("summary"), .bulkString(CommandTable.byName["getrev"]!.summary)))
        #expect(throws: ClientCommandError("ERR PaxosKV does not support COMMAND GETKEYS")) { _ = try CommandQuery.parse([Array("getkeys".utf8)]) }
        #expect(throws: ClientCommandError.self) { _ = try CommandQuery.parse([Array("count".utf8), Array("x".utf8)]) }
    }

    typealias Argument = CommandSyntax.Argument

    @Test("syntax: SET's arguments as Redis documents them")
    func setSyntax() {
        let arguments = CommandSyntax.arguments(CommandTable.byName["set"]!.syntax)
        #expect(arguments.count == 5)
        #expect(arguments[0] == Argument(name: "key", type: "key"))
        #expect(arguments[1] == Argument(name: "value", type: "string"))
        #expect(arguments[2] == Argument(name: "nx-or-xx-or-comparison-value", type: "oneof", optional: true, children: [
            Argument(name: "nx", type: "pure-token", token: "NX"), Argument(name: "xx", type: "pure-token", token: "XX"),
            Argument(name: "comparison-value", type: "string", token: "IFEQ"),
        ]))
        #expect(arguments[3] == Argument(name: "get", type: "pure-token", token: "GET", optional: true))
        #expect(arguments[4].type == "oneof" && arguments[4].optional && arguments[4].children.count == 5)
        #expect(arguments[4].children[0] == Argument(name: "seconds", type: "integer", token: "EX"))
        #expect(arguments[4].children[2] == Argument(name: "unix-time-seconds", type: "unix-time", token: "EXAT"))
    }

    @Test("syntax: repetition — MSET's pairs and MGET's keys are multiple")
    func repetition() {
        #expect(CommandSyntax.arguments("key [key ...]") == [Argument(name: "key", type: "key", multiple: true)])
        #expect(CommandSyntax.arguments("key value [key value ...]") == [
            Argument(name: "key", type: "key"), Argument(name: "value", type: "string"),
            Argument(name: "key-value", type: "block", optional: true, children: [
                Argument(name: "key", type: "key", multiple: true), Argument(name: "value", type: "string", multiple: true),
            ]),
        ])
        #expect(CommandSyntax.arguments("") == [])
    }
}
