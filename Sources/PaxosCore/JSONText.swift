/// JSON string literals (RFC 8259): quote, backslash and control characters escaped, everything
/// else as it is. Shared by paxosd's JSON log lines (`PaxosLogHandler`) and paxos-inspect's
/// reports (`InspectionJSON`), which write JSON by hand for a fixed key order.
package enum JSONText {
    /// Appends `text` as a JSON string literal, quotes included.
    package static func appendString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
