public import NIOCore

/// Parses server replies, the client side of RESP: any `RESPValue`, incrementally.
///
/// Unlike `RESPCommandParser` it keeps no state between calls and re-reads a partial reply from
/// its start when more bytes arrive. Replies come from a server we chose to talk to and are
/// mostly small; the limits still apply, so a confused or hostile server cannot make the client
/// allocate by announcing a huge length or recurse without bound.
public struct RESPReplyParser: Sendable {
    public let limits: RESPLimits

    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    /// Takes the next complete reply off the front of `buffer`, or returns nil and consumes nothing
    /// if it has not fully arrived. After an error the connection MUST be closed.
    public func next(from buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var peek = buffer
        guard let value = try parseValue(from: &peek, depth: 1) else { return nil }
        buffer = peek
        return value
    }

    private func parseValue(from buffer: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard let type = buffer.firstReadableByte else { return nil }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard
                let line = try buffer.readRESPLine(
                    limit: limits.maxInlineBytes + 1, requireCR: true, what: "reply line")
            else { return nil }
            let text = String(decoding: line.dropFirst(), as: UTF8.self)
            return type == UInt8(ascii: "+") ? .simpleString(text) : .error(text)
        case UInt8(ascii: ":"):
            guard let value = try readHeader(from: &buffer, what: "integer", invalid: .invalidInteger) else {
                return nil
            }
            return .integer(value)
        case UInt8(ascii: "$"):
            return try parseBulk(from: &buffer)
        case UInt8(ascii: "*"):
            return try parseArray(from: &buffer, depth: depth)
        default:
            throw RESPError.unknownType.with("type byte \(type.respPrintable)")
        }
    }

    private func parseBulk(from buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        guard let length = try readHeader(from: &buffer, what: "bulk length", invalid: .invalidBulkLength) else {
            return nil
        }
        guard length >= -1 else { throw RESPError.invalidBulkLength.with("\(length)") }
        guard length >= 0 else { return .bulkString(nil) }
        guard length <= limits.maxBulkBytes else {
            throw RESPError.bulkTooLong.with("\(length) bytes, the limit is \(limits.maxBulkBytes)")
        }
        guard let body = try buffer.readRESPBulkBody(length: Int(length)) else { return nil }
        return .bulkString(body)
    }

    private func parseArray(from buffer: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard let count = try readHeader(from: &buffer, what: "multibulk count", invalid: .invalidMultibulkLength)
        else { return nil }
        guard count >= -1 else { throw RESPError.invalidMultibulkLength.with("\(count)") }
        guard count >= 0 else { return .array(nil) }
        guard count <= limits.maxArrayCount else {
            throw RESPError.arrayTooLong.with("\(count) elements, the limit is \(limits.maxArrayCount)")
        }
        guard depth <= limits.maxNestingDepth else {
            throw RESPError.nestingTooDeep.with("deeper than \(limits.maxNestingDepth)")
        }
        // Every element takes at least 3 bytes ("+\r\n"), so this never reserves for bytes
        // that have not arrived.
        var elements: [RESPValue] = []
        elements.reserveCapacity(Swift.min(Int(count), buffer.readableBytes / 3))
        for _ in 0..<count {
            guard let element = try parseValue(from: &buffer, depth: depth + 1) else { return nil }
            elements.append(element)
        }
        return .array(elements)
    }

    /// Reads a `<type><integer>\r\n` line.
    private func readHeader(
        from buffer: inout ByteBuffer, what: String, invalid: RESPError
    ) throws(RESPError) -> Int64? {
        guard let line = try buffer.readRESPLine(limit: ByteBuffer.respHeaderLineBytes, requireCR: true, what: what)
        else { return nil }
        guard let value = RESPInteger.parse(line.dropFirst()) else {
            throw invalid.with("'\(String(decoding: line.dropFirst(), as: UTF8.self))'")
        }
        return value
    }
}
