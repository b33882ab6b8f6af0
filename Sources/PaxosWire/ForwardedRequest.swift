public import PaxosCore

/// The wire form of `ForwardedRequest` (declared in PaxosCore, where the pure shell uses it).
extension ForwardedRequest {
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .write(let request):
            writer.write(UInt8(1))
            Command.batch([request]).encode(into: &writer)
        case .query(.scan(let position, let count)):
            // A keyspace query (tag 5): 1 = a SCAN page, 2 = the key count.
            writer.write(UInt8(5))
            writer.write(UInt8(1))
            writer.write(position)
            writer.write(UInt32(clamping: count))
        case .query(.keyCount):
            writer.write(UInt8(5))
            writer.write(UInt8(2))
        case .query(.keys(let keys, .value)) where keys.count == 1:
            // GET keeps the form from before queries (tag 2), so a GET forwarded during a
            // rolling upgrade still reads on an older leader.
            writer.write(UInt8(2))
            writer.writeLengthPrefixed(keys[0])
        case .query(.keys(let keys, let fields)):
            writer.write(UInt8(3))
            writer.write(fields.rawValue)
            writer.write(UInt32(keys.count))
            for key in keys { writer.writeLengthPrefixed(key) }
        }
    }

    static func decode(from reader: inout ByteReader) throws(DecodingError) -> ForwardedRequest {
        switch try reader.readUInt8() {
        case 1:
            let command = try Command.decode(from: &reader)
            guard case .batch(let requests) = command, requests.count == 1 else {
                throw .invalid("a forwarded write must hold exactly one request")
            }
            return .write(requests[0])
        case 2:
            return .query(.value(of: try reader.readLengthPrefixed(limit: Command.maxKeyBytes)))
        case 3:
            let raw = try reader.readUInt8()
            guard let fields = ReadFields(rawValue: raw) else { throw .unknownTag(what: "read fields", tag: raw) }
            let count = Int(try reader.readUInt32())
            guard count >= 1, count <= Operation.maxKeysPerOperation else {
                throw .invalid("a query of \(count) keys: 1 to \(Operation.maxKeysPerOperation) allowed")
            }
            var keys: [Bytes] = []
            keys.reserveCapacity(min(count, 1024))
            for _ in 0..<count { keys.append(try reader.readLengthPrefixed(limit: Command.maxKeyBytes)) }
            return .query(.keys(keys, fields: fields))
        case 5:
            switch try reader.readUInt8() {
            case 1:
                let position = try reader.readUInt64()
                let count = Int(try reader.readUInt32())
                guard position < ScanCursor.positionLimit, (1...ReadQuery.maxScanCount).contains(count) else {
                    throw .invalid("a scan page at \(position) of \(count) rows")
                }
                return .query(.scan(position: position, count: count))
            case 2: return .query(.keyCount)
            case let kind: throw .unknownTag(what: "keyspace query", tag: kind)
            }
        case let tag:
            throw .unknownTag(what: "forwarded request", tag: tag)
        }
    }
}

/// The wire form of `ForwardedOutcome`.
extension ForwardedOutcome {
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .applied(.ok): writer.write(UInt8(1))
        case .applied(.deleted(let existed)):
            writer.write(UInt8(2))
            writer.write(UInt8(existed ? 1 : 0))
        case .applied(.superseded): writer.write(UInt8(3))
        case .answer(let answer) where answer.keyspace != nil:
            // A keyspace answer (tag 11): 1 = a page, 2 = a count.
            writer.write(UInt8(11))
            switch answer.keyspace {
            case .page(let page)?:
                writer.write(UInt8(1))
                writer.write(UInt32(page.keys.count))
                for key in page.keys { writer.writeLengthPrefixed(key) }
                writer.write(UInt8(page.lastHash == nil ? 0 : 1))
                if let last = page.lastHash { writer.write(last) }
                writer.write(UInt8(page.isGroupDone ? 1 : 0))
            case .count(let count)?:
                writer.write(UInt8(2))
                writer.write(count)
            case nil:
                preconditionFailure("matched a keyspace answer")
            }
        case .answer(let answer) where answer.fields == .value && answer.entries.count == 1:
            // GET's answer keeps its form from before queries (tag 4); see the request's tag 2.
            let value = answer.firstValue
            writer.write(UInt8(4))
            writer.write(UInt8(value == nil ? 0 : 1))
            if let value { writer.writeLengthPrefixed(value) }
        case .answer(let answer):
            writer.write(UInt8(10))
            writer.write(answer.fields.rawValue)
            writer.write(UInt32(answer.entries.count))
            for entry in answer.entries {
                writer.write(UInt8(entry == nil ? 0 : 1))
                guard let entry else { continue }
                writer.writeLengthPrefixed(entry.value)
                writer.write(entry.revision.slot.rawValue)
                writer.write(entry.revision.position)
            }
        case .notLeader(let leader):
            writer.write(UInt8(5))
            writer.write(leader?.rawValue ?? 0)
        case .overloaded: writer.write(UInt8(6))
        case .unavailable: writer.write(UInt8(7))
        case .applied(.expired): writer.write(UInt8(8))
        case .applied(.reply(let reply)):
            writer.write(UInt8(9))
            reply.encode(into: &writer)
        }
    }

    static func decode(from reader: inout ByteReader) throws(DecodingError) -> ForwardedOutcome {
        switch try reader.readUInt8() {
        case 1: return .applied(.ok)
        case 2: return .applied(.deleted(existed: try reader.readFlag()))
        case 3: return .applied(.superseded)
        case 4: return .answer(.value(try reader.readFlag() ? try reader.readLengthPrefixed(limit: Command.maxValueBytes) : nil))
        case 5:
            let raw = try reader.readUInt32()
            return .notLeader(raw == 0 ? nil : ReplicaID(raw))
        case 6: return .overloaded
        case 7: return .unavailable
        case 8: return .applied(.expired)
        case 9: return .applied(.reply(try OpReply.decode(from: &reader)))
        case 10: return .answer(try decodeAnswer(from: &reader))
        case 11: return .answer(ReadAnswer(keyspace: try decodeKeyspaceAnswer(from: &reader)))
        case let tag: throw .unknownTag(what: "forwarded outcome", tag: tag)
        }
    }
}

extension ForwardedOutcome {
    /// Tag 10's body: `fields:u8 count:u32 (0 | 1 value:bytes slot:u64 position:u16)*count`.
    static func decodeAnswer(from reader: inout ByteReader) throws(DecodingError) -> ReadAnswer {
        let raw = try reader.readUInt8()
        guard let fields = ReadFields(rawValue: raw) else { throw .unknownTag(what: "read fields", tag: raw) }
        let count = Int(try reader.readUInt32())
        guard count <= Operation.maxKeysPerOperation else {
            throw .invalid("an answer of \(count) entries: at most \(Operation.maxKeysPerOperation) allowed")
        }
        var entries: [ReadAnswer.Entry?] = []
        entries.reserveCapacity(min(count, 1024))
        for _ in 0..<count {
            guard try reader.readFlag() else {
                entries.append(nil)
                continue
            }
            let value = try reader.readLengthPrefixed(limit: Command.maxValueBytes)
            let slot = Slot(try reader.readUInt64())
            let position = try reader.readUInt16()
            guard let revision = Revision(checking: slot, position: position) else {
                throw .invalid("answered revision slot \(slot) is out of range")
            }
            entries.append(ReadAnswer.Entry(value: value, revision: revision))
        }
        return ReadAnswer(fields: fields, entries: entries)
    }
}

extension ForwardedOutcome {
    /// Tag 11's body: `1 count:u32 key:bytes*count has:u8 [lastHash:u64] done:u8 | 2 count:u64`.
    static func decodeKeyspaceAnswer(from reader: inout ByteReader) throws(DecodingError) -> ReadAnswer.KeyspaceAnswer {
        switch try reader.readUInt8() {
        case 1:
            let count = Int(try reader.readUInt32())
            guard count <= ReadQuery.maxScanCount + ReadAnswer.maxTiedKeys else {
                throw .invalid("a page of \(count) keys: at most \(ReadQuery.maxScanCount + ReadAnswer.maxTiedKeys) allowed")
            }
            var keys: [Bytes] = []
            keys.reserveCapacity(min(count, 1024))
            for _ in 0..<count { keys.append(try reader.readLengthPrefixed(limit: Command.maxKeyBytes)) }
            let lastHash: UInt64? = try reader.readFlag() ? try reader.readUInt64() : nil
            if let lastHash, lastHash >= ScanCursor.positionLimit { throw .invalid("a page ending at hash \(lastHash)") }
            return .page(ScanPage(keys: keys, lastHash: lastHash, isGroupDone: try reader.readFlag()))
        case 2:
            return .count(try reader.readUInt64())
        case let kind:
            throw .unknownTag(what: "keyspace answer", tag: kind)
        }
    }
}

extension ByteReader {
    /// A byte that must be 0 or 1.
    mutating func readFlag() throws(DecodingError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .invalid("flag byte \(other) is neither 0 nor 1")
        }
    }
}
