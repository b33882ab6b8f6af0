public import NIOCore

/// Parses client requests, the server side of RESP: arrays of bulk strings (what every client
/// library and `redis-cli` send) and inline commands (`PING`, `SET k "a b"` typed into telnet).
///
/// The parser is incremental and keeps the arguments of a half-received array between reads, so a
/// command with many arguments arriving in small pieces costs linear time, not a re-parse of the
/// whole array per read. A partially received argument is left in the buffer until it is whole.
/// Every length is checked against `limits` before anything is reserved or waited for.
///
/// Deliberate Redis compatibility: `*0` and `*-1` are skipped like empty inline lines (no
/// command, no reply), and inline lines may end in a bare LF. Stricter than Redis: a bulk string
/// must be followed by CRLF (Redis skips two bytes unchecked), and any count below -1 is an error.
///
/// Kinder than Redis: a bulk string over `maxBulkBytes`, or arguments adding up to more than
/// `maxCommandBytes`, do not end the connection. Their lengths are known, so the parser skips
/// exactly those bytes as they arrive (keeping none of them) and the rest of that command's
/// arguments, then returns the command with `refusal` set for the server to answer with an
/// error. Only malformed framing, which leaves no way to find the next command, throws.
public struct RESPCommandParser: Sendable {
    public let limits: RESPLimits

    /// Arguments expected for the array being received; 0 when between commands.
    private var expectedCount = 0
    private var arguments: [[UInt8]] = []
    private var argumentBytes = 0
    /// Why the command being received will be refused; its arguments are then skipped.
    private var refusal: RESPError?
    /// Body bytes of an oversized bulk string still to be skipped, then its CRLF.
    /// - Invariant: `skipBytes > 0` only while `refusal != nil`.
    private var skipBytes = 0
    private var skippingBulk = false

    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    /// Takes the next complete command off the front of `buffer`, or returns nil when it has not
    /// fully arrived (bytes of a partial array may have been consumed and are kept by the parser).
    /// After an error the connection MUST be closed: the stream is no longer aligned.
    public mutating func next(from buffer: inout ByteBuffer) throws(RESPError) -> RESPCommand? {
        while expectedCount == 0 {
            guard let first = buffer.firstReadableByte else { return nil }
            if first == UInt8(ascii: "*") {
                guard try readArrayHeader(from: &buffer) else { return nil }
            } else {
                guard
                    let line = try buffer.readRESPLine(
                        limit: limits.maxInlineBytes, requireCR: false, what: "inline request")
                else { return nil }
                let words = try RESPInlineSplitter.split(line)
                if !words.isEmpty { return RESPCommand(words: words) }
            }
        }
        while arguments.count < expectedCount {
            if skippingBulk {
                guard try skipBulk(from: &buffer) else { return nil }
                arguments.append([])
                continue
            }
            guard let argument = try readArgument(from: &buffer) else {
                if skippingBulk { continue }
                return nil
            }
            // Once refused, arguments are counted but not kept.
            arguments.append(refusal == nil ? argument : [])
        }
        defer {
            expectedCount = 0
            arguments = []
            argumentBytes = 0
            refusal = nil
        }
        if let refusal {
            let name = arguments[0].isEmpty ? "" : RESPCommand(words: [arguments[0]]).name
            return RESPCommand(name: name, arguments: [], refusal: refusal)
        }
        return RESPCommand(words: arguments)
    }

    /// Drops what has arrived of an oversized bulk string; true once its body and CRLF are gone.
    private mutating func skipBulk(from buffer: inout ByteBuffer) throws(RESPError) -> Bool {
        let dropped = Swift.min(skipBytes, buffer.readableBytes)
        buffer.moveReaderIndex(forwardBy: dropped)
        skipBytes -= dropped
        guard skipBytes == 0, buffer.readableBytes >= 2 else { return false }
        guard
            buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == .cr,
            buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) == .lf
        else { throw RESPError.missingCRLF.with("after a skipped bulk string") }
        buffer.moveReaderIndex(forwardBy: 2)
        skippingBulk = false
        return true
    }

    /// Reads `*n\r\n`; returns false if the line has not arrived. `*0` and `*-1` leave the parser
    /// between commands, so the caller moves on to the next request.
    private mutating func readArrayHeader(from buffer: inout ByteBuffer) throws(RESPError) -> Bool {
        guard
            let line = try buffer.readRESPLine(
                limit: ByteBuffer.respHeaderLineBytes, requireCR: true, what: "multibulk count")
        else { return false }
        guard let count = RESPInteger.parse(line.dropFirst()), count >= -1 else {
            throw RESPError.invalidMultibulkLength.with("'\(String(decoding: line.dropFirst(), as: UTF8.self))'")
        }
        guard count <= limits.maxArrayCount else {
            throw RESPError.arrayTooLong.with("\(count) arguments, the limit is \(limits.maxArrayCount)")
        }
        if count > 0 {
            expectedCount = Int(count)
            arguments.reserveCapacity(Swift.min(expectedCount, 1024))
        }
        return true
    }

    /// Reads one `$n\r\n<bytes>\r\n` argument, consuming nothing until all of it has arrived.
    private mutating func readArgument(from buffer: inout ByteBuffer) throws(RESPError) -> [UInt8]? {
        guard let first = buffer.firstReadableByte else { return nil }
        guard first == UInt8(ascii: "$") else {
            throw RESPError.expectedBulkString.with("got \(first.respPrintable)")
        }
        var peek = buffer
        guard
            let line = try peek.readRESPLine(
                limit: ByteBuffer.respHeaderLineBytes, requireCR: true, what: "bulk length")
        else { return nil }
        guard let length = RESPInteger.parse(line.dropFirst()), length >= 0 else {
            throw RESPError.invalidBulkLength.with("'\(String(decoding: line.dropFirst(), as: UTF8.self))'")
        }
        let tooLarge: RESPError? =
            if length > limits.maxBulkBytes {
                RESPError.bulkTooLong.with("\(length) bytes, the limit is \(limits.maxBulkBytes)")
            } else if argumentBytes + Int(length) > limits.maxCommandBytes {
                RESPError.commandTooLarge.with("over \(limits.maxCommandBytes) bytes of arguments")
            } else {
                nil
            }
        if let tooLarge {
            // The length is known, so skip the body as it arrives instead of giving up the stream.
            buffer = peek
            if refusal == nil { refusal = tooLarge }
            skipBytes = Int(length)
            skippingBulk = true
            return nil
        }
        if refusal != nil, peek.readableBytes < Int(length) + 2 {
            // A later argument of a refused command: skip it too rather than buffer it.
            buffer = peek
            skipBytes = Int(length)
            skippingBulk = true
            return nil
        }
        guard let body = try peek.readRESPBulkBody(length: Int(length)) else { return nil }
        buffer = peek
        argumentBytes += body.count
        return body
    }
}
