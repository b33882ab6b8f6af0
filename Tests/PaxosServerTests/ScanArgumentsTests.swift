// Method: table tests of SCAN's argument parsing against Redis's behaviour: options in any
// order and case, the last of a repeated option winning, Redis's error texts for a bad cursor,
// COUNT or option. What it must guarantee: what redis-cli --scan and redis-py's scan_iter send
// parses, and nothing else does.
import PaxosCore
import Testing

@testable import PaxosServer

@Suite("scan arguments")
struct ScanArgumentsTests {
    static func parse(_ line: String) throws(ClientCommandError) -> ScanArguments {
        try ScanArguments.parse(line.split(separator: " ").map { Array($0.utf8) })
    }

    @Test("scan: what redis-cli and redis-py send parses")
    func parses() throws {
        #expect(try Self.parse("0") == ScanArguments(cursor: 0, match: nil, count: 10, type: nil))
        #expect(try Self.parse("0 MATCH user:* COUNT 100") ==
                ScanArguments(cursor: 0, match: GlobPattern(Array("user:*".utf8)), count: 100, type: nil))
        #expect(try Self.parse("18446744073709551615 count 5 match a* type string") ==
                ScanArguments(cursor: .max, match: GlobPattern(Array("a*".utf8)), count: 5, type: "string"))
        #expect(try Self.parse("7 MATCH *").match == nil, "MATCH * is no filter")
        #expect(try Self.parse("0 COUNT 1 COUNT 3").count == 3, "the last wins, as in Redis")
        #expect(try Self.parse("0 COUNT 999999999").count == ScanArguments.maxCount)
        #expect(try Self.parse("0 TYPE string").typeMatchesStrings && !Self.parse("0 TYPE hash").typeMatchesStrings)
    }

    @Test("scan: Redis's errors", arguments: [
        ("-1", "ERR invalid cursor"), ("abc", "ERR invalid cursor"), ("18446744073709551616", "ERR invalid cursor"),
        ("+1", "ERR invalid cursor"), ("0 COUNT 0", "ERR syntax error"), ("0 COUNT x", "ERR value is not an integer or out of range"),
        ("0 MATCH", "ERR syntax error"), ("0 LIMIT 5", "ERR syntax error"),
    ])
    func errors(line: String, message: String) {
        #expect(throws: ClientCommandError(message)) { try Self.parse(line) }
    }
}
