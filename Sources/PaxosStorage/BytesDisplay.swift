package import PaxosCore

/// How keys and values, which are arbitrary bytes, are shown to people: printable ASCII as is,
/// anything else escaped or in hex, long values cut short. Never logs.
///
/// It lives here, not with `paxos-inspect` in PaxosInspectKit, because storage's own messages
/// name keys with it too (`StoredKVRow.verified`, which the node and the tool both report),
/// and a key MUST read the same in both.
package enum BytesDisplay {
    /// How many bytes of a value a preview shows.
    package static let previewBytes = 32

    /// `"user:1"`: printable ASCII as is, `\"` and `\\` escaped, other bytes as `\xNN`, and
    /// `…` after the first `limit` bytes when there are more.
    package static func quoted(_ bytes: Bytes, limit: Int? = nil) -> String {
        let shown = limit.map { bytes.prefix($0) } ?? bytes[...]
        var text = "\""
        for byte in shown {
            switch byte {
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\\"): text += "\\\\"
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\t"): text += "\\t"
            case UInt8(ascii: "\r"): text += "\\r"
            default: text += "\\x" + hexByte(byte)
            }
        }
        return text + "\"" + (shown.count < bytes.count ? "…" : "")
    }

    /// A short form of a value: quoted text when at least three quarters of its first bytes are
    /// printable, `0x…` hex otherwise; at most `previewBytes` bytes, then `…`.
    package static func preview(_ bytes: Bytes, limit: Int = previewBytes) -> String {
        let shown = bytes.prefix(limit)
        let printable = shown.filter { (0x20...0x7E).contains($0) || $0 == 0x0A || $0 == 0x09 }.count
        if printable * 4 >= shown.count * 3 { return quoted(bytes, limit: limit) }
        return "0x" + hex(Array(shown)) + (shown.count < bytes.count ? "…" : "")
    }

    /// Lowercase hex, two digits per byte.
    package static func hex(_ bytes: Bytes) -> String {
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes { text += hexByte(byte) }
        return text
    }

    private static let hexDigits = Array("0123456789abcdef")

    private static func hexByte(_ byte: UInt8) -> String {
        String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0x0F)])
    }

    /// `1536 B`, `4.0 KiB`, `12.3 MiB`: sizes for people.
    package static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
