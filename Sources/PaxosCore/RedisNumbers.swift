/// Redis's rules for the numbers its string commands read and write, so INCR and INCRBYFLOAT
/// accept, refuse and print what Redis does.
public enum RedisInteger {
    /// Parses by Redis's `string2ll`: an optional `-`, then digits with no leading zero (except
    /// the single value `0`), at most 20 characters in all, within Int64. No `+`, no spaces,
    /// no `-0`. Nil if the bytes are not such an integer.
    public static func parse(_ bytes: some Collection<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        if bytes.count == 1, bytes.first == UInt8(ascii: "0") { return 0 }
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard let first = digits.first, first >= UInt8(ascii: "1"), first <= UInt8(ascii: "9") else { return nil }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    public static func bytes(_ value: Int64) -> Bytes { Array(String(value).utf8) }
}

/// INCRBYFLOAT's numbers.
///
/// Redis computes in `long double` (80-bit on x86) and prints `%.17Lf` with trailing zeros
/// removed. PaxosKV computes in `Double`, identical on every platform we build for (a replica
/// on another CPU must compute the same bytes), and prints the shortest digits that read back
/// as the same Double, positionally, with no exponent and no trailing `.0` or zeros; `-0`
/// prints `0`, as in Redis. The two agree on everyday values (`10.5` + `0.1` is `10.6` in
/// both); they can differ in the last digits of values that need 17 significant digits, and
/// Redis's long double keeps precision that a Double does not.
public enum DecimalText {
    /// Longest value text parsed as a float, as Redis's `MAX_LONG_DOUBLE_CHARS`.
    public static let maxParsedBytes = 5 * 1024

    /// Parses a stored value or an argument as Redis's `string2ld` does: no leading space,
    /// nothing trailing, not NaN. Nil if it is not a valid float. (`inf` parses, as with
    /// `strtold`; INCRBYFLOAT then refuses the infinite result.)
    public static func parse(_ bytes: Bytes) -> Double? {
        guard !bytes.isEmpty, bytes.count <= maxParsedBytes, let first = bytes.first,
              first != UInt8(ascii: " "), !(9...13).contains(first),
              let value = Double(String(decoding: bytes, as: UTF8.self)), !value.isNaN else { return nil }
        return value
    }

    /// The positional shortest round-trip text of a finite Double.
    /// - Precondition: `value.isFinite`.
    public static func format(_ value: Double) -> String {
        precondition(value.isFinite, "formatting the non-finite value \(value)")
        if value == 0 { return "0" }
        // Swift's description is the shortest round-trip digits, positional or with an exponent.
        var text = Substring(value.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integerPart = String(parts[0])
        let fractionPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = integerPart + fractionPart
        var pointAt = integerPart.count + exponent   // digits before the decimal point
        let leadingZeros = digits.prefix { $0 == "0" }.count
        digits.removeFirst(leadingZeros)
        pointAt -= leadingZeros
        while digits.last == "0" { digits.removeLast() }
        let body: String
        if pointAt <= 0 {
            body = "0." + String(repeating: "0", count: -pointAt) + digits
        } else if pointAt >= digits.count {
            body = digits + String(repeating: "0", count: pointAt - digits.count)
        } else {
            let split = digits.index(digits.startIndex, offsetBy: pointAt)
            body = digits[..<split] + "." + digits[split...]
        }
        return (value < 0 ? "-" : "") + body
    }
}
