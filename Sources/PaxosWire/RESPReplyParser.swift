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
        case UInt8(ascii: "%"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            return try parseRESP3Aggregate(type, from: &buffer, depth: depth)
        case UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: ","), UInt8(ascii: "("):
            return try parseRESP3Line(type, from: &buffer)
        case UInt8(ascii: "="):
            guard let bulk = try parseBulk(from: &buffer) else { return nil }
            guard case .bulkString(let body?) = bulk, body.count >= 4, body[3] == UInt8(ascii: ":") else {
                throw RESPError.invalidBulkLength.with("a verbatim string without its format")
            }
            return .verbatim(format: String(decoding: body[..<3], as: UTF8.self), text: String(decoding: body[4...], as: UTF8.self))
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
        return try parseElements(count, from: &buffer, depth: depth).map { .array($0) }
    }

    /// `count` values after an aggregate's header, within the count and nesting limits; nil
    /// until all have arrived.
    private func parseElements(_ count: Int64, from buffer: inout ByteBuffer, depth: Int) throws(RESPError) -> [RESPValue]? {
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
        return elements
    }

    /// RESP3's one-line types: null, boolean, double, and big number (kept as its digits in a
    /// bulk string: nothing PaxosKV asks for answers one).
    private func parseRESP3Line(_ type: UInt8, from buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        guard let line = try buffer.readRESPLine(limit: limits.maxInlineBytes + 1, requireCR: true, what: "RESP3 value")
        else { return nil }
        let text = String(decoding: line.dropFirst(), as: UTF8.self)
        switch type {
        case UInt8(ascii: "_") where text.isEmpty: return .null
        case UInt8(ascii: "#") where text == "t" || text == "f": return .boolean(text == "t")
        case UInt8(ascii: ","):
            switch text {
            case "inf", "+inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default: if let value = Double(text) { return .double(value) }
            }
        case UInt8(ascii: "(") where !text.isEmpty && text.utf8.dropFirst(text.hasPrefix("-") ? 1 : 0).allSatisfy({ (0x30...0x39).contains($0) }):
            return .bulkString(Array(text.utf8))
        default: break
        }
        throw RESPError.unknownType.with("RESP3 value '\(type.respPrintable)\(text)'")
    }

    /// RESP3's map, set and push: a count, then the elements (a map's count is of pairs).
    private func parseRESP3Aggregate(_ type: UInt8, from buffer: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard let count = try readHeader(from: &buffer, what: "aggregate count", invalid: .invalidMultibulkLength)
        else { return nil }
        guard count >= 0 else { throw RESPError.invalidMultibulkLength.with("\(count)") }
        // A map's count is of pairs: bound it before doubling, so no count can wrap.
        let elementCount = type == UInt8(ascii: "%") ? Swift.min(count, Int64(limits.maxArrayCount) + 1) * 2 : count
        guard let elements = try parseElements(elementCount, from: &buffer, depth: depth) else { return nil }
        switch type {
        case UInt8(ascii: "%"):
            return .map(stride(from: 0, to: elements.count, by: 2).map { RESPValue.Pair(elements[$0], elements[$0 + 1]) })
        case UInt8(ascii: "~"): return .set(elements)
        default: return .push(elements)
        }
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
