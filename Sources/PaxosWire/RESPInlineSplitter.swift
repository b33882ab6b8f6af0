/// Splits an inline command line into words the way Redis's `sdssplitargs` does, so what works
/// in `redis-cli` or telnet against Redis works here:
///
/// - words are separated by spaces, tabs, CR, LF, NUL;
/// - `"double quotes"` allow spaces and the escapes `\n \r \t \b \a \\ \"` and `\xHH`;
/// - `'single quotes'` are literal except for `\'`;
/// - a closing quote must be followed by a separator or the end of the line.
enum RESPInlineSplitter {
    static func split(_ line: [UInt8]) throws(RESPError) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var index = 0
        while true {
            while index < line.count, isSeparator(line[index]) { index += 1 }
            guard index < line.count else { return words }
            var word: [UInt8] = []
            while index < line.count, !isSeparator(line[index]) {
                switch line[index] {
                case UInt8(ascii: "\""):
                    index = try readDoubleQuoted(line, from: index + 1, into: &word)
                case UInt8(ascii: "'"):
                    index = try readSingleQuoted(line, from: index + 1, into: &word)
                default:
                    word.append(line[index])
                    index += 1
                }
            }
            words.append(word)
        }
    }

    /// Reads up to and including the closing `"`; returns the index after it.
    private static func readDoubleQuoted(
        _ line: [UInt8], from start: Int, into word: inout [UInt8]
    ) throws(RESPError) -> Int {
        var index = start
        while index < line.count {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                return try closed(line, at: index + 1)
            } else if byte == UInt8(ascii: "\\"), index + 3 < line.count, line[index + 1] == UInt8(ascii: "x"),
                let high = hexValue(line[index + 2]), let low = hexValue(line[index + 3])
            {
                word.append(high << 4 | low)
                index += 4
            } else if byte == UInt8(ascii: "\\"), index + 1 < line.count {
                word.append(unescaped(line[index + 1]))
                index += 2
            } else {
                word.append(byte)
                index += 1
            }
        }
        throw RESPError.unbalancedQuotes.with("unterminated double quote")
    }

    /// Reads up to and including the closing `'`; returns the index after it.
    private static func readSingleQuoted(
        _ line: [UInt8], from start: Int, into word: inout [UInt8]
    ) throws(RESPError) -> Int {
        var index = start
        while index < line.count {
            let byte = line[index]
            if byte == UInt8(ascii: "\\"), index + 1 < line.count, line[index + 1] == UInt8(ascii: "'") {
                word.append(UInt8(ascii: "'"))
                index += 2
            } else if byte == UInt8(ascii: "'") {
                return try closed(line, at: index + 1)
            } else {
                word.append(byte)
                index += 1
            }
        }
        throw RESPError.unbalancedQuotes.with("unterminated single quote")
    }

    /// A closing quote must end the word: `"a"b` is an error in Redis too.
    private static func closed(_ line: [UInt8], at index: Int) throws(RESPError) -> Int {
        guard index == line.count || isSeparator(line[index]) else {
            throw RESPError.unbalancedQuotes.with("closing quote followed by \(line[index].respPrintable)")
        }
        return index
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == .cr || byte == .lf || byte == 0
    }

    private static func unescaped(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "n"): .lf
        case UInt8(ascii: "r"): .cr
        case UInt8(ascii: "t"): UInt8(ascii: "\t")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "a"): 0x07
        default: byte
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
