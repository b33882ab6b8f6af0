/// The binary form of an `Operation` and of an `OpReply`, part of the command format
/// (`Command+Encoding.swift`) and, for replies, of sessions, snapshots and forwarded outcomes.
///
/// ```
/// operation := 0x01 key:bytes value:bytes            -- put (unchanged)
///            | 0x02 key:bytes                        -- delete (unchanged)
///            | 0x03 keyop
/// keyop     := 0x01 key:bytes value:bytes condition flag:u8(returnsOld) expiry   -- set
///            | 0x02 count:u32 key:bytes*count flag:u8 [ifEquals:bytes]          -- delete
///            | 0x03 key:bytes                                                   -- getDelete
///            | 0x04 key:bytes by:i64                                            -- incrementBy
///            | 0x05 key:bytes bits:u64                                          -- incrementByFloat
///            | 0x06 key:bytes value:bytes                                       -- append
///            | 0x08 key:bytes expiry condition:u8 flag:u8 [ifEquals:bytes]      -- expire
///            | 0x09 key:bytes expiry                                            -- getExpire
///            | 0x0A key:bytes flag:u8(remaining)                                -- deadline
/// condition := 0 | 1 | 2 | 3 old:bytes               -- always, NX, XX, IFEQ
/// expiry    := 0 | 1 | 2 ms:i64 | 3 time:u64 | 4 ms:i64   -- clear, keep, after, at, extend
///                                                    (time ≤ 2^63-1; condition: ExpireCondition)
/// reply     := 0 | 1 | 2 value:i64 | 3 value:bytes | 4 error:u8 | 5
///                                                    -- ok, null, integer, bulk, error, notRemembered
/// flag      := 0 | 1
/// ```
/// Integers are big-endian, i64 in two's complement. Decoding never traps: every length is
/// bounded, every tag and flag checked.
extension Operation {
    /// Most keys in one `KeyOp.delete` (a multi-key DEL of one group).
    public static let maxKeysPerOperation = 100_000

    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .put(let key, let value):
            writer.write(UInt8(1))
            writer.writeLengthPrefixed(key)
            writer.writeLengthPrefixed(value)
        case .delete(let key):
            writer.write(UInt8(2))
            writer.writeLengthPrefixed(key)
        case .key(let op):
            writer.write(UInt8(3))
            op.encode(into: &writer)
        }
    }

    public static func decode(from reader: inout ByteReader) throws(DecodingError) -> Operation {
        switch try reader.readUInt8() {
        case 1:
            let key = try reader.readLengthPrefixed(limit: Command.maxKeyBytes)
            let value = try reader.readLengthPrefixed(limit: Command.maxValueBytes)
            return .put(key: key, value: value)
        case 2:
            return .delete(key: try reader.readLengthPrefixed(limit: Command.maxKeyBytes))
        case 3:
            return .key(try KeyOp.decode(from: &reader))
        case let tag:
            throw .unknownTag(what: "operation", tag: tag)
        }
    }
}

extension KeyOp {
    /// Why `decode` would refuse this operation once encoded (a key or value over the limits,
    /// a delete of no keys or too many, a conditional delete of several), or nil if it would not.
    public var encodingProblem: String? {
        let values: [Bytes]
        switch self {
        case .set(_, let value, let options):
            if case .ifEquals(let old) = options.condition { values = [value, old] } else { values = [value] }
        case .delete(let keys, let ifEquals):
            guard (1...Operation.maxKeysPerOperation).contains(keys.count) else { return "a delete of \(keys.count) keys" }
            guard ifEquals == nil || keys.count == 1 else { return "a conditional delete of \(keys.count) keys" }
            values = ifEquals.map { [$0] } ?? []
        case .append(_, let value): values = [value]
        case .expire(_, _, _, let ifEquals): values = ifEquals.map { [$0] } ?? []
        case .getDelete, .incrementBy, .incrementByFloat, .getExpire, .deadline: values = []
        }
        if let key = keys.first(where: { $0.count > Command.maxKeyBytes }) {
            return "a \(key.count)-byte key is over the limit of \(Command.maxKeyBytes)"
        }
        if let value = values.first(where: { $0.count > Command.maxValueBytes }) {
            return "a \(value.count)-byte value is over the limit of \(Command.maxValueBytes)"
        }
        return nil
    }

    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .set(let key, let value, let options):
            writer.write(UInt8(1))
            writer.writeLengthPrefixed(key)
            writer.writeLengthPrefixed(value)
            switch options.condition {
            case .always: writer.write(UInt8(0))
            case .ifAbsent: writer.write(UInt8(1))
            case .ifPresent: writer.write(UInt8(2))
            case .ifEquals(let old):
                writer.write(UInt8(3))
                writer.writeLengthPrefixed(old)
            }
            writer.write(UInt8(options.returnsOld ? 1 : 0))
            options.expiry.encode(into: &writer)
        case .delete(let keys, let ifEquals):
            writer.write(UInt8(2))
            writer.write(UInt32(keys.count))
            for key in keys { writer.writeLengthPrefixed(key) }
            writer.write(UInt8(ifEquals == nil ? 0 : 1))
            if let ifEquals { writer.writeLengthPrefixed(ifEquals) }
        case .getDelete(let key):
            writer.write(UInt8(3))
            writer.writeLengthPrefixed(key)
        case .incrementBy(let key, let by):
            writer.write(UInt8(4))
            writer.writeLengthPrefixed(key)
            writer.write(UInt64(bitPattern: by))
        case .incrementByFloat(let key, let bits):
            writer.write(UInt8(5))
            writer.writeLengthPrefixed(key)
            writer.write(bits)
        case .append(let key, let value):
            writer.write(UInt8(6))
            writer.writeLengthPrefixed(key)
            writer.writeLengthPrefixed(value)
        case .expire(let key, let expiry, let condition, let ifEquals):
            writer.write(UInt8(8))
            writer.writeLengthPrefixed(key)
            expiry.encode(into: &writer)
            writer.write(condition.rawValue)
            writer.write(UInt8(ifEquals == nil ? 0 : 1))
            if let ifEquals { writer.writeLengthPrefixed(ifEquals) }
        case .getExpire(let key, let expiry):
            writer.write(UInt8(9))
            writer.writeLengthPrefixed(key)
            expiry.encode(into: &writer)
        case .deadline(let key, let remaining):
            writer.write(UInt8(10))
            writer.writeLengthPrefixed(key)
            writer.write(UInt8(remaining ? 1 : 0))
        }
    }

    public static func decode(from reader: inout ByteReader) throws(DecodingError) -> KeyOp {
        func key(_ reader: inout ByteReader) throws(DecodingError) -> Bytes { try reader.readLengthPrefixed(limit: Command.maxKeyBytes) }
        func value(_ reader: inout ByteReader) throws(DecodingError) -> Bytes { try reader.readLengthPrefixed(limit: Command.maxValueBytes) }
        switch try reader.readUInt8() {
        case 1:
            let k = try key(&reader), v = try value(&reader)
            let condition: SetCondition
            switch try reader.readUInt8() {
            case 0: condition = .always
            case 1: condition = .ifAbsent
            case 2: condition = .ifPresent
            case 3: condition = .ifEquals(try value(&reader))
            case let tag: throw .unknownTag(what: "set condition", tag: tag)
            }
            let returnsOld = try reader.readFlag(what: "set GET flag")
            let expiry = try Expiry.decode(from: &reader)
            return .set(key: k, value: v, SetOptions(condition: condition, returnsOld: returnsOld, expiry: expiry))
        case 2:
            let count = Int(try reader.readUInt32())
            guard count >= 1, count <= Operation.maxKeysPerOperation else {
                throw .invalid("delete of \(count) keys at offset \(reader.offset): 1 to \(Operation.maxKeysPerOperation) allowed")
            }
            var keys: [Bytes] = []
            keys.reserveCapacity(min(count, 1024))
            for _ in 0..<count { keys.append(try key(&reader)) }
            let ifEquals: Bytes? = try reader.readFlag(what: "delete condition flag") ? try value(&reader) : nil
            guard ifEquals == nil || keys.count == 1 else { throw .invalid("conditional delete of \(keys.count) keys") }
            return .delete(keys: keys, ifEquals: ifEquals)
        case 3:
            return .getDelete(key: try key(&reader))
        case 4:
            let k = try key(&reader)
            return .incrementBy(key: k, Int64(bitPattern: try reader.readUInt64()))
        case 5:
            let k = try key(&reader)
            return .incrementByFloat(key: k, bits: try reader.readUInt64())
        case 6:
            let k = try key(&reader)
            return .append(key: k, try value(&reader))
        case 8:
            let k = try key(&reader)
            let expiry = try Expiry.decode(from: &reader)
            let rawCondition = try reader.readUInt8()
            guard let condition = ExpireCondition(rawValue: rawCondition) else { throw .unknownTag(what: "expire condition", tag: rawCondition) }
            let ifEquals: Bytes? = try reader.readFlag(what: "expire condition flag") ? try value(&reader) : nil
            return .expire(key: k, expiry, condition, ifEquals: ifEquals)
        case 9:
            let k = try key(&reader)
            return .getExpire(key: k, try Expiry.decode(from: &reader))
        case 10:
            let k = try key(&reader)
            return .deadline(key: k, remaining: try reader.readFlag(what: "deadline remaining flag"))
        case let tag:
            throw .unknownTag(what: "key operation", tag: tag)
        }
    }
}

extension OpReply {
    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .ok: writer.write(UInt8(0))
        case .null: writer.write(UInt8(1))
        case .integer(let value):
            writer.write(UInt8(2))
            writer.write(UInt64(bitPattern: value))
        case .bulk(let value):
            writer.write(UInt8(3))
            writer.writeLengthPrefixed(value)
        case .error(let error):
            writer.write(UInt8(4))
            writer.write(error.rawValue)
        case .notRemembered: writer.write(UInt8(5))
        }
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: encodedBytes)
        encode(into: &writer)
        return writer.bytes
    }

    /// The length of `encoded()`, computed without encoding.
    public var encodedBytes: Int {
        switch self {
        case .ok, .null, .notRemembered: 1
        case .integer: 9
        case .bulk(let value): 5 + value.count
        case .error: 2
        }
    }

    public static func decode(from reader: inout ByteReader) throws(DecodingError) -> OpReply {
        switch try reader.readUInt8() {
        case 0: return .ok
        case 1: return .null
        case 2: return .integer(Int64(bitPattern: try reader.readUInt64()))
        case 3: return .bulk(try reader.readLengthPrefixed(limit: Command.maxValueBytes))
        case 4:
            let code = try reader.readUInt8()
            guard let error = OpError(rawValue: code) else { throw .unknownTag(what: "reply error", tag: code) }
            return .error(error)
        case 5: return .notRemembered
        case let tag: throw .unknownTag(what: "reply", tag: tag)
        }
    }

    /// Decodes a whole buffer that must hold exactly one reply.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> OpReply {
        var reader = ByteReader(bytes)
        let reply = try decode(from: &reader)
        try reader.expectEnd()
        return reply
    }
}

extension ByteReader {
    /// A byte that MUST be 0 or 1.
    mutating func readFlag(what: String) throws(DecodingError) -> Bool {
        let offset = self.offset
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let byte: throw .invalid("\(what) \(byte) at offset \(offset) is neither 0 nor 1")
        }
    }
}
