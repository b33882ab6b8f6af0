internal import NIOCore

/// Line and number primitives shared by the command and reply parsers. Each either consumes a
/// whole item or, when the item has not fully arrived, returns nil and consumes nothing.
extension ByteBuffer {
    /// The longest `*n` / `$n` / `:n` line: a sign and 19 digits fit with room to spare, so a
    /// stream without line endings fails after a few bytes instead of being buffered.
    static let respHeaderLineBytes = 32

    /// The byte at the reader index, if any.
    var firstReadableByte: UInt8? { getInteger(at: readerIndex, as: UInt8.self) }

    /// Reads one line and its ending, returning the line without the ending.
    ///
    /// - Parameters:
    ///   - limit: the longest line accepted, ending excluded.
    ///   - requireCR: RESP lines end in CRLF; inline commands may end in a bare LF, as in Redis,
    ///     so `nc` and telnet users are not punished for their terminal.
    mutating func readRESPLine(limit: Int, requireCR: Bool, what: String) throws(RESPError) -> [UInt8]? {
        let searchBytes = Swift.min(readableBytes, limit + 2)
        let lfOffset = withUnsafeReadableBytes { $0.prefix(searchBytes).firstIndex(of: .lf) }
        guard let lfOffset else {
            guard readableBytes < limit + 2 else {
                throw RESPError.lineTooLong.with("\(what) longer than \(limit) bytes")
            }
            return nil
        }
        var lineBytes = lfOffset
        if lfOffset > 0, getInteger(at: readerIndex + lfOffset - 1, as: UInt8.self) == .cr {
            lineBytes -= 1
        } else if requireCR {
            throw RESPError.missingCRLF.with("\(what) ends in a bare LF")
        }
        guard lineBytes <= limit else { throw RESPError.lineTooLong.with("\(what) longer than \(limit) bytes") }
        let line = getBytes(at: readerIndex, length: lineBytes) ?? []
        moveReaderIndex(forwardBy: lfOffset + 1)
        return line
    }

    /// Reads `length` bytes followed by CRLF: the body of a bulk string.
    mutating func readRESPBulkBody(length: Int) throws(RESPError) -> [UInt8]? {
        guard readableBytes >= length + 2, let body = getBytes(at: readerIndex, length: length) else {
            return nil
        }
        guard
            getInteger(at: readerIndex + length, as: UInt8.self) == .cr,
            getInteger(at: readerIndex + length + 1, as: UInt8.self) == .lf
        else { throw RESPError.missingCRLF.with("after a bulk string of \(length) bytes") }
        moveReaderIndex(forwardBy: length + 2)
        return body
    }
}

enum RESPInteger {
    /// A strict decimal: an optional minus sign and 1 to 19 digits, no spaces, no plus sign, no
    /// overflow. Lengths come from this, so it must never be lenient.
    static func parse(_ digits: ArraySlice<UInt8>) -> Int64? {
        let negative = digits.first == UInt8(ascii: "-")
        let body = negative ? digits.dropFirst() : digits
        guard !body.isEmpty, body.count <= 19 else { return nil }
        var value: Int64 = 0
        for byte in body {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Accumulating with the final sign lets Int64.min parse without overflowing.
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        return value
    }
}
