public import PaxosCore

/// The wire form of `ForwardedRequest` (declared in PaxosCore, where the pure shell uses it).
extension ForwardedRequest {
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .write(let request):
            writer.write(UInt8(1))
            Command.batch([request]).encode(into: &writer)
        case .read(let key):
            writer.write(UInt8(2))
            writer.writeLengthPrefixed(key)
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
            return .read(key: try reader.readLengthPrefixed(limit: Command.maxKeyBytes))
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
        case .value(let value):
            writer.write(UInt8(4))
            writer.write(UInt8(value == nil ? 0 : 1))
            if let value { writer.writeLengthPrefixed(value) }
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
        case 4: return .value(try reader.readFlag() ? try reader.readLengthPrefixed(limit: Command.maxValueBytes) : nil)
        case 5:
            let raw = try reader.readUInt32()
            return .notLeader(raw == 0 ? nil : ReplicaID(raw))
        case 6: return .overloaded
        case 7: return .unavailable
        case 8: return .applied(.expired)
        case 9: return .applied(.reply(try OpReply.decode(from: &reader)))
        case let tag: throw .unknownTag(what: "forwarded outcome", tag: tag)
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
