// Method: the glob `paxosctl scan --prefix` sends, run through the server's own matcher
// (GlobPattern). What it must guarantee: exactly the keys with the prefix match, whatever glob
// characters the prefix holds.
import PaxosClient
import PaxosCore
import Testing

@Suite("scan by prefix")
struct ScanPrefixTests {
    @Test("prefix glob: exactly the keys starting with the prefix, glob characters in it taken literally", arguments: [
        ("user:", ["user:", "user:1", "user:*"], ["use", "user", "xuser:1"]),
        ("a*b", ["a*b", "a*bc"], ["ab", "axb", "a*"]),
        ("[x]?\\", ["[x]?\\", "[x]?\\tail"], ["x", "[x]a\\", "[x]?"]),
        ("", ["", "anything"], []),
    ])
    func prefix(prefix: String, matching: [String], notMatching: [String]) {
        let pattern = GlobPattern(PaxosClient.globMatchingPrefix(Array(prefix.utf8)))
        for key in matching { #expect(pattern.matches(Array(key.utf8)) || (key.isEmpty && pattern.bytes == Array("*".utf8)), "'\(key)'") }
        for key in notMatching { #expect(!pattern.matches(Array(key.utf8)), "'\(key)'") }
    }
}
