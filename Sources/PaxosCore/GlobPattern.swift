/// A Redis glob pattern, as KEYS and SCAN's MATCH take it, matched by Redis's own rules
/// (`stringmatchlen` in Redis's util.c), byte for byte, case-sensitive:
///
/// - `*` any run of bytes (also none); `?` any one byte;
/// - `[abc]` one of the bytes, `[^abc]` none of them, `[a-z]` a range (reversed ends are
///   swapped), `\x` inside a class the byte x; an unclosed `[` ends the class at the pattern's end;
/// - `\x` the byte x literally; a trailing `\` is itself.
///
/// Matching is recursive only at `*`, and as Redis does it gives up on longer matches once a
/// shorter one failed for the rest of the string (so `a*a*a*…b` cannot take exponential time),
/// and refuses to nest deeper than 1,000 stars (no match), so a hostile pattern costs at most
/// O(pattern × key) steps and bounded stack.
public struct GlobPattern: Hashable, Sendable {
    public let bytes: Bytes

    public init(_ bytes: Bytes) { self.bytes = bytes }

    /// Whether the pattern is exactly `*`: KEYS and SCAN then skip matching and return every
    /// key, the empty key included (which the matcher itself, as Redis's, does not match).
    public var matchesEverything: Bool { bytes == [UInt8(ascii: "*")] }

    public func matches(_ key: Bytes) -> Bool {
        var skipLongerMatches = false
        return bytes.withUnsafeBufferPointer { pattern in
            key.withUnsafeBufferPointer { string in
                Self.match(pattern[...], string[...], skipLongerMatches: &skipLongerMatches, nesting: 0)
            }
        }
    }

    private static let star = UInt8(ascii: "*"), question = UInt8(ascii: "?"), open = UInt8(ascii: "["),
                       close = UInt8(ascii: "]"), backslash = UInt8(ascii: "\\"), caret = UInt8(ascii: "^"),
                       dash = UInt8(ascii: "-")

    /// Redis's `stringmatchlen_impl` over slices; `p` and `s` advance as its pointers do.
    private static func match(_ pattern: Slice<UnsafeBufferPointer<UInt8>>, _ string: Slice<UnsafeBufferPointer<UInt8>>,
                              skipLongerMatches: inout Bool, nesting: Int) -> Bool {
        // Redis protects itself against a pattern with very many stars the same way.
        guard nesting <= 1_000 else { return false }
        var p = pattern.startIndex, s = string.startIndex
        let pEnd = pattern.endIndex, sEnd = string.endIndex
        while p < pEnd && s < sEnd {
            switch pattern[p] {
            case star:
                while p + 1 < pEnd && pattern[p + 1] == star { p += 1 }
                if p + 1 == pEnd { return true }
                while s < sEnd {
                    if match(pattern[(p + 1)...], string[s...], skipLongerMatches: &skipLongerMatches, nesting: nesting + 1) {
                        return true
                    }
                    if skipLongerMatches { return false }
                    s += 1
                }
                skipLongerMatches = true
                return false
            case question:
                s += 1
            case open:
                p += 1
                let negated = p < pEnd && pattern[p] == caret
                if negated { p += 1 }
                var matched = false
                let c = string[s]
                while true {
                    if p == pEnd {
                        // An unclosed class: Redis steps back so that the step below ends the pattern.
                        p -= 1
                        break
                    } else if pattern[p] == backslash && pEnd - p >= 2 {
                        p += 1
                        if pattern[p] == c { matched = true }
                    } else if pattern[p] == close {
                        break
                    } else if pEnd - p >= 3 && pattern[p + 1] == dash {
                        var low = pattern[p], high = pattern[p + 2]
                        if low > high { swap(&low, &high) }
                        p += 2
                        if c >= low && c <= high { matched = true }
                    } else if pattern[p] == c {
                        matched = true
                    }
                    p += 1
                }
                if negated { matched.toggle() }
                guard matched else { return false }
                s += 1
            case backslash where pEnd - p >= 2:
                p += 1
                guard pattern[p] == string[s] else { return false }
                s += 1
            default:
                guard pattern[p] == string[s] else { return false }
                s += 1
            }
            p += 1
            if s == sEnd {
                while p < pEnd && pattern[p] == star { p += 1 }
                break
            }
        }
        return p == pEnd && s == sEnd
    }
}
