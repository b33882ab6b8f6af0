package import PaxosWire

/// Replies as redis-cli shows them on a terminal, so paxosctl reads like the tool operators know:
/// `OK`, `"value"`, `(nil)`, `(integer) 1`, `(error) ERR …`, numbered array items.
///
/// Bulk strings are quoted and escaped (`"hello\nworld"`, `"\xff"`), which keeps a value with
/// spaces, an empty value and a missing one apart; redis-cli calls this `sdscatrepr`.
package enum ReplyFormat {
    /// The reply in redis-cli's terminal style, without a trailing newline.
    package static func terminal(_ reply: RESPValue) -> String {
        switch reply {
        case .simpleString(let text): text
        case .error(let text): "(error) \(text)"
        case .integer(let number): "(integer) \(number)"
        case .bulkString(nil): "(nil)"
        case .bulkString(let bytes?): quoted(bytes)
        case .array(nil): "(nil)"
        case .array(let items?) where items.isEmpty: "(empty array)"
        case .array(let items?): numbered(items)
        // RESP3 only (paxosctl speaks RESP2, so these come from a server that ignored that).
        case .map(let pairs) where pairs.isEmpty: "(empty hash)"
        case .map(let pairs): numbered(pairs.flatMap { [$0.key, $0.value] })
        case .set(let items) where items.isEmpty, .push(let items) where items.isEmpty: "(empty array)"
        case .set(let items), .push(let items): numbered(items)
        case .double(let value): "(double) \(value)"
        case .boolean(let value): value ? "(true)" : "(false)"
        case .null: "(nil)"
        case .verbatim(_, let text): text
        }
    }

    /// `1) "a"`, `2) "b"`, with nested arrays indented under their number.
    private static func numbered(_ items: [RESPValue]) -> String {
        let width = String(items.count).count
        var lines: [String] = []
        for (index, item) in items.enumerated() {
            let label = String(repeating: " ", count: width - String(index + 1).count) + "\(index + 1)) "
            let body = terminal(item).split(separator: "\n", omittingEmptySubsequences: false)
            let indent = String(repeating: " ", count: label.count)
            for (number, line) in body.enumerated() { lines.append((number == 0 ? label : indent) + line) }
        }
        return lines.joined(separator: "\n")
    }

    /// `bytes` in double quotes with C-style escapes for quotes, backslashes and control bytes,
    /// and `\xHH` for every other byte outside printable ASCII. The inverse of `ShellLine`'s
    /// double-quoted strings, so an answer can be pasted back into the shell.
    package static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"): text += "\\\\"
            case UInt8(ascii: "\""): text += "\\\""
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\r"): text += "\\r"
            case UInt8(ascii: "\t"): text += "\\t"
            case 0x07: text += "\\a"
            case 0x08: text += "\\b"
            case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
            default: text += "\\x" + hex(byte)
            }
        }
        return text + "\""
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
