/// Minimal big-endian byte writer and reader shared by the on-disk command format
/// (PaxosStorage) and the peer wire format (PaxosWire). Pure value types, no Foundation.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    public mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    public mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// A length-prefixed (UInt32) byte string.
    /// - Precondition: `value.count <= UInt32.max`.
    public mutating func writeLengthPrefixed(_ value: [UInt8]) {
        precondition(value.count <= Int(UInt32.max), "byte string of \(value.count) bytes is too long to encode")
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func writeRaw(_ value: [UInt8]) { bytes.append(contentsOf: value) }
}

/// Reads what `ByteWriter` wrote. Every read checks bounds and throws instead of trapping, because
/// its input comes from disks and networks.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func readUInt8() throws(DecodingError) -> UInt8 {
        guard remaining >= 1 else { throw DecodingError.truncated(needed: 1, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16() throws(DecodingError) -> UInt16 {
        guard remaining >= 2 else { throw DecodingError.truncated(needed: 2, offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32() throws(DecodingError) -> UInt32 {
        guard remaining >= 4 else { throw DecodingError.truncated(needed: 4, offset: offset) }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return value
    }

    public mutating func readUInt64() throws(DecodingError) -> UInt64 {
        guard remaining >= 8 else { throw DecodingError.truncated(needed: 8, offset: offset) }
        var value: UInt64 = 0
        for i in 0..<8 { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return value
    }

    /// - Parameter limit: the longest string the caller accepts, so a corrupt length cannot
    ///   make it allocate gigabytes.
    public mutating func readLengthPrefixed(limit: Int) throws(DecodingError) -> [UInt8] {
        let length = Int(try readUInt32())
        guard length <= limit else { throw DecodingError.tooLong(length: length, limit: limit, offset: offset) }
        return try readRaw(count: length)
    }

    public mutating func readRaw(count: Int) throws(DecodingError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw DecodingError.truncated(needed: count, offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Throws if anything is left over: trailing garbage means the input is not what we think.
    public func expectEnd() throws(DecodingError) {
        guard isAtEnd else { throw DecodingError.trailingBytes(count: remaining) }
    }
}

/// Why some bytes could not be decoded. Each case names where it went wrong.
public enum DecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    case truncated(needed: Int, offset: Int)
    case tooLong(length: Int, limit: Int, offset: Int)
    case unknownTag(what: String, tag: UInt8)
    case trailingBytes(count: Int)
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated(let needed, let offset): "truncated input: needed \(needed) more bytes at offset \(offset)"
        case .tooLong(let length, let limit, let offset): "length \(length) at offset \(offset) exceeds the limit of \(limit)"
        case .unknownTag(let what, let tag): "unknown \(what) tag \(tag)"
        case .trailingBytes(let count): "\(count) unexpected trailing bytes"
        case .invalid(let reason): reason
        }
    }
}
