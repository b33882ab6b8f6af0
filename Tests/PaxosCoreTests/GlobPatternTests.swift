// Method: table tests of GlobPattern against Redis's documented KEYS examples and the edge
// cases of `stringmatchlen` (escapes, classes, unclosed brackets, many stars), and of the SCAN
// cursor's encoding. What it must guarantee: KEYS and SCAN MATCH select exactly the keys Redis
// would, and a hostile pattern cannot take exponential time.
import PaxosCore
import Testing

@Suite("glob patterns and scan cursors")
struct GlobPatternTests {
    static func matches(_ pattern: String, _ key: String) -> Bool {
        GlobPattern(Array(pattern.utf8)).matches(Array(key.utf8))
    }

    @Test("glob: Redis's KEYS documentation examples", arguments: [
        ("h?llo", "hello", true), ("h?llo", "hallo", true), ("h?llo", "hxllo", true), ("h?llo", "hllo", false),
        ("h*llo", "hllo", true), ("h*llo", "heeeello", true), ("h*llo", "hellx", false),
        ("h[ae]llo", "hello", true), ("h[ae]llo", "hallo", true), ("h[ae]llo", "hillo", false),
        ("h[^e]llo", "hallo", true), ("h[^e]llo", "hbllo", true), ("h[^e]llo", "hello", false),
        ("h[a-b]llo", "hallo", true), ("h[a-b]llo", "hbllo", true), ("h[a-b]llo", "hcllo", false),
    ])
    func documented(pattern: String, key: String, expected: Bool) {
        #expect(Self.matches(pattern, key) == expected)
    }

    // Two quirks kept on purpose: "*" does not match the empty key in the matcher (KEYS and SCAN
    // skip matching for exactly "*", as Redis's do), and "[a-]" is the range ']'..'a' reaching
    // past the class's end, as in Redis.
    @Test("glob: stars, escapes, classes and their edges as stringmatchlen has them", arguments: [
        ("*", "", false), ("*", "anything", true), ("**", "x", true), ("", "", true), ("", "x", false),
        ("a*", "a", true), ("*a", "ba", true), ("*a", "ab", false), ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false),
        ("user:*", "user:1", true), ("user:*", "users:1", false), ("?", "", false), ("??", "ab", true),
        ("\\*", "*", true), ("\\*", "a", false), ("a\\?b", "a?b", true), ("a\\?b", "axb", false), ("a\\", "a\\", true),
        ("[a-c]", "b", true), ("[c-a]", "b", true), ("[\\]]", "]", true), ("[\\-]", "-", true), ("[a-]", "-", false), ("[a-]", "^", true),
        ("[^a-c]", "d", true), ("[^a-c]", "b", false), ("[abc", "a", true), ("[abc", "ab", false), ("x[", "x", false),
        ("*[0-9]", "key9", true), ("*[0-9]", "key", false), ("{user1}:*", "{user1}:a", true),
    ])
    func edges(pattern: String, key: String, expected: Bool) {
        #expect(Self.matches(pattern, key) == expected, "'\(pattern)' on '\(key)'")
    }

    @Test("glob: bytes, not characters; case-sensitive")
    func bytes() {
        #expect(GlobPattern([0xFF, UInt8(ascii: "?")]).matches([0xFF, 0x00]))
        #expect(GlobPattern(Array("[\u{00}-\u{7F}]".utf8)).matches([0x41]))
        #expect(!Self.matches("KEY", "key"))
        #expect(GlobPattern(Array("*".utf8)).matchesEverything)
        #expect(!GlobPattern(Array("**".utf8)).matchesEverything && !GlobPattern(Array("*a".utf8)).matchesEverything)
    }

    @Test("glob: a pattern of many stars against a long key finishes, without a match")
    func pathological() {
        let pattern = String(repeating: "a*", count: 40) + "b"
        let key = String(repeating: "a", count: 4_000)
        let started = ContinuousClock.now
        #expect(!Self.matches(pattern, key))
        #expect(ContinuousClock.now - started < .seconds(5), "backtracking is bounded")
        // Deeper than Redis's 1,000 nested stars: no match, and no stack overflow.
        #expect(!Self.matches(String(repeating: "*a", count: 2_000), String(repeating: "a", count: 2_000)))
    }

    @Test("cursor: group in the top byte, position below; 0 starts; advancing walks hashes, then groups, then ends")
    func cursor() throws {
        #expect(ScanCursor.start.rawValue == 0)
        let cursor = try #require(ScanCursor(rawValue: 2 << 56 | 12_345, groups: 4))
        #expect(cursor.group == 2 && cursor.position == 12_345 && cursor.rawValue == 2 << 56 | 12_345)
        #expect(ScanCursor(rawValue: 4 << 56, groups: 4) == nil, "a group the node does not have")
        #expect(cursor.advanced(pastHash: 99_999, groups: 4) == ScanCursor(group: 2, position: 100_000))
        #expect(cursor.advanced(pastHash: nil, groups: 4) == ScanCursor(group: 3, position: 0))
        #expect(ScanCursor(group: 3, position: 7).advanced(pastHash: nil, groups: 4) == nil)
        #expect(ScanCursor(group: 0, position: 0).advanced(pastHash: ScanCursor.positionLimit - 1, groups: 2) == ScanCursor(group: 1, position: 0),
                "the last hash of a group ends the group")
    }

    @Test("scan hash: FNV-1a-64 without its low byte, pinned")
    func scanHash() {
        // FNV-1a-64("") = 0xcbf29ce484222325, ("a") = 0xaf63dc4c8601ec8c (published test vectors).
        #expect(ScanHash.of([]) == 0xCBF2_9CE4_8422_2325 >> 8)
        #expect(ScanHash.of(Array("a".utf8)) == 0xAF63_DC4C_8601_EC8C >> 8)
        #expect(ScanHash.of(Array("a".utf8)) < ScanCursor.positionLimit)
    }
}
