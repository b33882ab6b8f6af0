/// Splits one shell line into arguments the way redis-cli does (its `sdssplitargs`), so the same
/// quoting works in both tools.
///
/// - Arguments are separated by spaces or tabs.
/// - `"double quotes"` keep spaces and understand `\n \r \t \b \a \\ \"` and `\xHH` (any byte).
/// - `'single quotes'` keep everything literally except `\'`.
/// - A closing quote must end the argument: `"a"b` is an error, not `ab`.
/// - Arguments are bytes, not text: `"\xff"` is one byte, which is not valid UTF-8.
///
/// An unbalanced quote is an error, never a silently truncated value.
package enum ShellLine {
    /// The arguments of `line`; an empty list for a blank line.
    /// - Throws: `.usage` with the reason for a line that cannot be split.
    package static func split(_ line: String) throws(PaxosCtlError) -> [[UInt8]] {
        var scanner = Scanner(bytes: Array(line.utf8))
        var arguments: [[UInt8]] = []
        while true {
            scanner.skipBlanks()
            guard !scanner.isAtEnd else { return arguments }
            arguments.append(try scanner.argument())
        }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        var isAtEnd: Bool { position >= bytes.count }

        func peek(_ offset: Int = 0) -> UInt8? {
            position + offset < bytes.count ? bytes[position + offset] : nil
        }

        mutating func skipBlanks() {
            while let byte = peek(), isBlank(byte) { position += 1 }
        }

        /// One argument, quoted parts included; stops after the blank that ends it.
        mutating func argument() throws(PaxosCtlError) -> [UInt8] {
            var current: [UInt8] = []
            while let byte = peek(), !isBlank(byte) {
                position += 1
                switch byte {
                case UInt8(ascii: "\""): try doubleQuoted(into: &current)
                case UInt8(ascii: "'"): try singleQuoted(into: &current)
                default: current.append(byte)
                }
            }
            return current
        }

        /// The rest of a `"…"` part; the opening quote is consumed.
        mutating func doubleQuoted(into current: inout [UInt8]) throws(PaxosCtlError) {
            while let byte = peek() {
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try expectEndOfArgument()
                case UInt8(ascii: "\\"):
                    current.append(escaped())
                default:
                    current.append(byte)
                }
            }
            throw .usage("unbalanced quotes: a \" is never closed")
        }

        /// The byte a backslash escape inside double quotes stands for; the backslash is consumed.
        mutating func escaped() -> UInt8 {
            guard let next = peek() else { return UInt8(ascii: "\\") }
            if next == UInt8(ascii: "x"), let high = peek(1).flatMap(hexValue), let low = peek(2).flatMap(hexValue) {
                position += 3
                return high << 4 | low
            }
            position += 1
            switch next {
            case UInt8(ascii: "n"): return UInt8(ascii: "\n")
            case UInt8(ascii: "r"): return UInt8(ascii: "\r")
            case UInt8(ascii: "t"): return UInt8(ascii: "\t")
            case UInt8(ascii: "b"): return 0x08
            case UInt8(ascii: "a"): return 0x07
            default: return next
            }
        }

        /// The rest of a `'…'` part; the opening quote is consumed.
        mutating func singleQuoted(into current: inout [UInt8]) throws(PaxosCtlError) {
            while let byte = peek() {
                position += 1
                if byte == UInt8(ascii: "\\"), peek() == UInt8(ascii: "'") {
                    position += 1
                    current.append(UInt8(ascii: "'"))
                } else if byte == UInt8(ascii: "'") {
                    return try expectEndOfArgument()
                } else {
                    current.append(byte)
                }
            }
            throw .usage("unbalanced quotes: a ' is never closed")
        }

        func expectEndOfArgument() throws(PaxosCtlError) {
            if let next = peek(), !isBlank(next) {
                throw .usage("a closing quote must be followed by a space or the end of the line")
            }
        }

        func isBlank(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r")
        }

        func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
    }
}
