/// The binary form of an `Operation` and of an `OpReply`, part of the command format
/// (`Command+Encoding.swift`) and, for replies, of sessions, snapshots and forwarded outcomes.
///
/// ```
/// operation := 0x01 key:bytes value:bytes            -- put (unchanged)
///            | 0x02 key:bytes                        -- delete (unchanged)
///            | 0x03 keyop
///            | 0x04 count:u32 operation*count        -- all
///            | 0x05 txn
/// txn       := count:u32 compare*count count:u32 operation*count count:u32 operation*count
///                                                    -- compares, success, failure
/// compare   := key:bytes (0 flag | 1 value:bytes | 2 slot:u64 position:u16)
///                                                    -- exists, value equals, revision equals
/// keyop     := 0x01 key:bytes value:bytes condition flag:u8(returnsOld) expiry   -- set
///            | 0x02 count:u32 key:bytes*count flag:u8 [ifEquals:bytes]          -- delete
///            | 0x03 key:bytes                                                   -- getDelete
///            | 0x04 key:bytes by:i64                                            -- incrementBy
///            | 0x05 key:bytes bits:u64                                          -- incrementByFloat
///            | 0x06 key:bytes value:bytes                                       -- append
///            | 0x07 read:u8 key:bytes                                           -- read
///            | 0x08 key:bytes expiry condition:u8 flag:u8 [ifEquals:bytes]      -- expire
///            | 0x09 key:bytes expiry                                            -- getExpire
///            | 0x0A key:bytes flag:u8(remaining)                                -- deadline
/// condition := 0 | 1 | 2 | 3 old:bytes               -- always, NX, XX, IFEQ
/// expiry    := 0 | 1 | 2 ms:i64 | 3 time:u64 | 4 ms:i64   -- clear, keep, after, at, extend
///                                                    (time ≤ 2^63-1; condition: ExpireCondition)
/// reply     := 0 | 1 | 2 value:i64 | 3 value:bytes | 4 error:u8 | 5
///            | 6 count:u32 reply*count | 7 flag:u8 count:u32 reply*count
///                                                    -- ok, null, integer, bulk, error, notRemembered,
///                                                       array, transaction(succeeded)
/// flag      := 0 | 1
/// ```
/// Integers are big-endian, i64 in two's complement. Decoding never traps: every length is
/// bounded, every tag and flag checked. Composite operations (`all`, `txn`) and replies
/// (`array`, `transaction`) nest at most `Operation.maxNestingDepth` deep (EXEC's `txn` holding
/// a queued MSET's `all` is the deepest a client produces), and one request holds at most
/// `Command.maxOperationsPerRequest` operations and `Command.maxValueBytes` of payload.
extension Operation {
    /// Most keys in one `KeyOp.delete` (a multi-key DEL of one group).
    public static let maxKeysPerOperation = 100_000

    /// Composite operations inside composite operations: at most this many levels.
    public static let maxNestingDepth = 2

    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .all(let operations):
            writer.write(UInt8(4))
            writer.write(UInt32(operations.count))
            for operation in operations { operation.encode(into: &writer) }
        case .txn(let transaction):
            writer.write(UInt8(5))
            transaction.encode(into: &writer)
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
        var remaining = Command.maxOperationsPerRequest
        let operation = try decode(from: &reader, depth: 0, remaining: &remaining)
        if operation.isComposite, operation.payloadBytes > Command.maxValueBytes {
            throw .invalid("a request of \(operation.payloadBytes) payload bytes is over the limit of \(Command.maxValueBytes)")
        }
        return operation
    }

    /// Whether the operation is `all` or `txn`.
    public var isComposite: Bool {
        switch self {
        case .all, .txn: true
        case .put, .delete, .key: false
        }
    }

    /// How many operations the request holds, itself included.
    public var operationCount: Int {
        switch self {
        case .put, .delete, .key: 1
        case .all(let operations): operations.reduce(1) { $0 + $1.operationCount }
        case .txn(let t): (t.success + t.failure).reduce(1) { $0 + $1.operationCount }
        }
    }

    /// Levels of composite operations: 0 for a plain one.
    public var nestingDepth: Int {
        switch self {
        case .put, .delete, .key: 0
        case .all(let operations): 1 + (operations.map(\.nestingDepth).max() ?? 0)
        case .txn(let t): 1 + ((t.success + t.failure).map(\.nestingDepth).max() ?? 0)
        }
    }

    /// Why `decode` would refuse this operation once encoded, or nil if it would not.
    public var encodingProblem: String? {
        switch self {
        case .put(let key, let value):
            if key.count > Command.maxKeyBytes { return "a \(key.count)-byte key is over the limit of \(Command.maxKeyBytes)" }
            if value.count > Command.maxValueBytes { return "a \(value.count)-byte value is over the limit of \(Command.maxValueBytes)" }
            return nil
        case .delete(let key):
            return key.count > Command.maxKeyBytes ? "a \(key.count)-byte key is over the limit of \(Command.maxKeyBytes)" : nil
        case .key(let op):
            return op.encodingProblem
        case .all, .txn:
            if nestingDepth > Self.maxNestingDepth { return "operations nested \(nestingDepth) deep (at most \(Self.maxNestingDepth))" }
            if operationCount > Command.maxOperationsPerRequest {
                return "\(operationCount) operations in one request (at most \(Command.maxOperationsPerRequest))"
            }
            if payloadBytes > Command.maxValueBytes { return "\(payloadBytes) payload bytes in one request (at most \(Command.maxValueBytes))" }
            if case .txn(let t) = self, let compare = t.compares.first(where: { $0.encodingProblem != nil }) {
                return compare.encodingProblem
            }
            let children: [Operation]
            switch self {
            case .all(let operations): children = operations
            case .txn(let t): children = t.success + t.failure
            default: children = []
            }
            return children.lazy.compactMap(\.encodingProblem).first
        }
    }

    /// - Parameters:
    ///   - depth: composite operations enclosing this one.
    ///   - remaining: operations the request may still hold; every decoded one takes one.
    static func decode(from reader: inout ByteReader, depth: Int, remaining: inout Int) throws(DecodingError) -> Operation {
        remaining -= 1
        guard remaining >= 0 else {
            throw .invalid("more than \(Command.maxOperationsPerRequest) operations in one request at offset \(reader.offset)")
        }
        switch try reader.readUInt8() {
        case let tag where tag == 4 || tag == 5:
            guard depth < maxNestingDepth else {
                throw .invalid("operations nested deeper than \(maxNestingDepth) at offset \(reader.offset)")
            }
            if tag == 5 { return .txn(try Transaction.decode(from: &reader, depth: depth + 1, remaining: &remaining)) }
            return .all(try decodeList(from: &reader, depth: depth + 1, remaining: &remaining))
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

    /// `count:u32 operation*count`, each a child at `depth`.
    static func decodeList(from reader: inout ByteReader, depth: Int, remaining: inout Int) throws(DecodingError) -> [Operation] {
        let count = Int(try reader.readUInt32())
        guard count <= remaining else {
            throw .invalid("\(count) operations at offset \(reader.offset): more than \(Command.maxOperationsPerRequest) in one request")
        }
        var operations: [Operation] = []
        operations.reserveCapacity(min(count, 1024))
        for _ in 0..<count { operations.append(try decode(from: &reader, depth: depth, remaining: &remaining)) }
        return operations
    }
}

extension Transaction {
    func encode(into writer: inout ByteWriter) {
        writer.write(UInt32(compares.count))
        for compare in compares { compare.encode(into: &writer) }
        for branch in [success, failure] {
            writer.write(UInt32(branch.count))
            for operation in branch { operation.encode(into: &writer) }
        }
    }

    static func decode(from reader: inout ByteReader, depth: Int, remaining: inout Int) throws(DecodingError) -> Transaction {
        let count = Int(try reader.readUInt32())
        guard count <= remaining else {
            throw .invalid("\(count) compares at offset \(reader.offset): more than \(Command.maxOperationsPerRequest) in one request")
        }
        var compares: [Compare] = []
        compares.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            remaining -= 1  // A compare costs as much as an operation to decode and to check.
            compares.append(try Compare.decode(from: &reader))
        }
        let success = try Operation.decodeList(from: &reader, depth: depth, remaining: &remaining)
        let failure = try Operation.decodeList(from: &reader, depth: depth, remaining: &remaining)
        return Transaction(compares: compares, success: success, failure: failure)
    }
}

extension Compare {
    var encodingProblem: String? {
        if key.count > Command.maxKeyBytes { return "a \(key.count)-byte key is over the limit of \(Command.maxKeyBytes)" }
        if case .value(let value) = target, value.count > Command.maxValueBytes {
            return "a \(value.count)-byte value is over the limit of \(Command.maxValueBytes)"
        }
        return nil
    }

    func encode(into writer: inout ByteWriter) {
        writer.writeLengthPrefixed(key)
        switch target {
        case .exists(let present):
            writer.write(UInt8(0))
            writer.write(UInt8(present ? 1 : 0))
        case .value(let value):
            writer.write(UInt8(1))
            writer.writeLengthPrefixed(value)
        case .revision(let revision):
            writer.write(UInt8(2))
            writer.write(revision.slot.rawValue)
            writer.write(revision.position)
        }
    }

    static func decode(from reader: inout ByteReader) throws(DecodingError) -> Compare {
        let key = try reader.readLengthPrefixed(limit: Command.maxKeyBytes)
        switch try reader.readUInt8() {
        case 0: return Compare(key: key, .exists(try reader.readFlag(what: "exists compare")))
        case 1: return Compare(key: key, .value(equals: try reader.readLengthPrefixed(limit: Command.maxValueBytes)))
        case 2:
            let slot = Slot(try reader.readUInt64())
            let position = try reader.readUInt16()
            guard let revision = Revision(checking: slot, position: position) else {
                throw .invalid("compared revision slot \(slot) is out of range")
            }
            return Compare(key: key, .revision(revision))
        case let tag: throw .unknownTag(what: "compare", tag: tag)
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
        case .getDelete, .incrementBy, .incrementByFloat, .read, .getExpire, .deadline: values = []
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
        case .read(let read, let key):
            writer.write(UInt8(7))
            writer.write(read.rawValue)
            writer.writeLengthPrefixed(key)
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
        case 7:
            let raw = try reader.readUInt8()
            guard let read = ReadOp(rawValue: raw) else { throw .unknownTag(what: "read", tag: raw) }
            return .read(read, key: try key(&reader))
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
        case .array(let replies):
            writer.write(UInt8(6))
            writer.write(UInt32(replies.count))
            for reply in replies { reply.encode(into: &writer) }
        case .transaction(let succeeded, let replies):
            writer.write(UInt8(7))
            writer.write(UInt8(succeeded ? 1 : 0))
            writer.write(UInt32(replies.count))
            for reply in replies { reply.encode(into: &writer) }
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
        case .array(let replies): replies.reduce(5) { $0 + $1.encodedBytes }
        case .transaction(_, let replies): replies.reduce(6) { $0 + $1.encodedBytes }
        }
    }

    public static func decode(from reader: inout ByteReader) throws(DecodingError) -> OpReply {
        var remaining = Command.maxOperationsPerRequest
        return try decode(from: &reader, depth: 0, remaining: &remaining)
    }

    /// Replies nest as the operations they answer: at most `Operation.maxNestingDepth` deep and
    /// `Command.maxOperationsPerRequest` in all.
    static func decode(from reader: inout ByteReader, depth: Int, remaining: inout Int) throws(DecodingError) -> OpReply {
        remaining -= 1
        guard remaining >= 0 else { throw .invalid("more than \(Command.maxOperationsPerRequest) replies in one at offset \(reader.offset)") }
        switch try reader.readUInt8() {
        case let tag where tag == 6 || tag == 7:
            guard depth < Operation.maxNestingDepth else {
                throw .invalid("replies nested deeper than \(Operation.maxNestingDepth) at offset \(reader.offset)")
            }
            let succeeded = tag == 7 ? try reader.readFlag(what: "transaction outcome") : false
            let count = Int(try reader.readUInt32())
            guard count <= remaining else { throw .invalid("\(count) replies at offset \(reader.offset): too many in one") }
            var replies: [OpReply] = []
            replies.reserveCapacity(min(count, 1024))
            for _ in 0..<count { replies.append(try decode(from: &reader, depth: depth + 1, remaining: &remaining)) }
            return tag == 6 ? .array(replies) : .transaction(succeeded: succeeded, replies)
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
