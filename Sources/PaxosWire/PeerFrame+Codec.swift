import PaxosCore

/// Frame assembly and parsing: the header, the checksum and the dispatch on the type byte. Pure
/// functions over byte arrays; `PeerFrameDecoder`/`PeerFrameEncoder` run the same code on a stream.
extension PeerFrame {
    /// The complete frame, length field included.
    /// - Precondition: handshake nonces and proofs are `handshakeFieldBytes` long.
    /// - Throws: `fieldTooLong` for a cluster id over `maxClusterIDBytes`; `frameTooLarge` if the
    ///   frame would exceed `maxFrameBytes`, so an oversized batch fails at the sender instead of
    ///   being refused by every receiver.
    public func encoded(maxFrameBytes: Int = PeerFrame.defaultMaxFrameBytes) throws(PeerWireError) -> [UInt8] {
        let body = try encodedBody(maxFrameBytes: maxFrameBytes)
        var writer = ByteWriter(capacity: PeerFrame.lengthFieldBytes + body.count + 4)
        writer.write(UInt32(body.count + 4))
        writer.writeRaw(body)
        writer.write(CRC32C.checksum(body))
        return writer.bytes
    }

    /// Decodes one complete frame, length field included.
    /// - Throws: a `PeerWireError` for anything but exactly one well-formed frame.
    public static func decode(
        _ frame: [UInt8], maxFrameBytes: Int = PeerFrame.defaultMaxFrameBytes
    ) throws(PeerWireError) -> PeerFrame {
        guard frame.count >= PeerFrame.lengthFieldBytes else { throw .truncatedFrame(buffered: frame.count) }
        let length = Int(bigEndian: frame[0..<PeerFrame.lengthFieldBytes])
        try checkLength(length, maxFrameBytes: maxFrameBytes)
        let remaining = frame.count - PeerFrame.lengthFieldBytes
        guard remaining >= length else { throw .truncatedFrame(buffered: frame.count) }
        guard remaining == length else {
            throw .trailingBytes(afterFrame: remaining - length)
        }
        let body = frame[PeerFrame.lengthFieldBytes..<(frame.count - 4)]
        let checksum = UInt32(Int(bigEndian: frame[(frame.count - 4)...]))
        return try decode(body: Array(body), checksum: checksum)
    }

    /// Validates a length field before anything is buffered for it.
    static func checkLength(_ length: Int, maxFrameBytes: Int) throws(PeerWireError) {
        guard length >= minimumLength else { throw .badLength(length, minimum: minimumLength) }
        guard length <= maxFrameBytes else { throw .frameTooLarge(length, limit: maxFrameBytes) }
    }

    /// `version type group payload`: everything the checksum covers.
    func encodedBody(maxFrameBytes: Int) throws(PeerWireError) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.write(PeerFrame.version)
        switch self {
        case .hello(let hello):
            try hello.encode(into: &writer)
        case .helloReject(let reason):
            writer.write(PeerFrameType.helloReject.rawValue)
            writer.write(UInt32(0))
            writer.writeLengthPrefixed(PeerFrame.truncatedUTF8(reason, limit: PeerFrame.maxReasonBytes))
        case .ping, .pong:
            writer.write((self == .ping ? PeerFrameType.ping : PeerFrameType.pong).rawValue)
            writer.write(UInt32(0))
        case .identity(let identity):
            writer.write(PeerFrameType.identity.rawValue)
            writer.write(UInt32(0))
            try identity.encode(into: &writer)
        case .message(let group, let message):
            writer.write(PeerFrameType(message).rawValue)
            writer.write(group.rawValue)
            message.encodePayload(into: &writer)
        case .forward(let group, let id, let request):
            writer.write(PeerFrameType.forward.rawValue)
            writer.write(group.rawValue)
            writer.write(id)
            request.encode(into: &writer)
        case .forwardReply(let group, let id, let outcome):
            writer.write(PeerFrameType.forwardReply.rawValue)
            writer.write(group.rawValue)
            writer.write(id)
            outcome.encode(into: &writer)
        case .snapshotChunk(let group, let chunk):
            writer.write(PeerFrameType.snapshotChunk.rawValue)
            writer.write(group.rawValue)
            chunk.encode(into: &writer)
        case .snapshotAck(let group, let transfer, let index):
            writer.write(PeerFrameType.snapshotAck.rawValue)
            writer.write(group.rawValue)
            writer.write(transfer)
            writer.write(index)
        case .snapshotAbort(let group, let transfer, let reason):
            writer.write(PeerFrameType.snapshotAbort.rawValue)
            writer.write(group.rawValue)
            writer.write(transfer)
            writer.writeLengthPrefixed(PeerFrame.truncatedUTF8(reason, limit: PeerFrame.maxReasonBytes))
        }
        let length = writer.bytes.count + 4
        guard length <= maxFrameBytes else { throw .frameTooLarge(length, limit: maxFrameBytes) }
        return writer.bytes
    }

    /// Decodes `version type group payload` once the whole frame has arrived.
    static func decode(body: [UInt8], checksum: UInt32) throws(PeerWireError) -> PeerFrame {
        let computed = CRC32C.checksum(body)
        guard computed == checksum else { throw .badChecksum(expected: computed, actual: checksum) }
        var reader = ByteReader(body)
        let version: UInt8
        let rawType: UInt8
        let group: GroupID
        do throws(DecodingError) {
            (version, rawType, group) = (try reader.readUInt8(), try reader.readUInt8(), GroupID(rawValue: try reader.readUInt32()))
        } catch {
            throw .payload(error, frameType: "frame header")
        }
        guard version == PeerFrame.version else { throw .unsupportedVersion(version) }
        guard let type = PeerFrameType(rawValue: rawType) else { throw .unknownType(rawType) }
        return try decodePayload(type: type, group: group, from: &reader)
    }

    private static func decodePayload(
        type: PeerFrameType, group: GroupID, from reader: inout ByteReader
    ) throws(PeerWireError) -> PeerFrame {
        do throws(DecodingError) {
            let frame: PeerFrame
            switch type {
            case .hello, .helloChallenge, .helloProof, .helloReject:
                guard group == 0 else { throw DecodingError.invalid("connection frame carries group \(group), not 0") }
                frame = type == .helloReject
                    ? .helloReject(reason: try reader.readString(limit: maxReasonBytes, what: "reason"))
                    : .hello(try PeerHello.decode(type: type, from: &reader))
            case .ping, .pong:
                guard group == 0 else { throw DecodingError.invalid("connection frame carries group \(group), not 0") }
                frame = type == .ping ? .ping : .pong
            case .identity:
                guard group == 0 else { throw DecodingError.invalid("connection frame carries group \(group), not 0") }
                frame = .identity(try PeerIdentity.decode(from: &reader))
            case .forward:
                frame = .forward(group: group, id: try reader.readUInt64(), try ForwardedRequest.decode(from: &reader))
            case .forwardReply:
                frame = .forwardReply(group: group, id: try reader.readUInt64(), try ForwardedOutcome.decode(from: &reader))
            case .snapshotChunk:
                frame = .snapshotChunk(group: group, try SnapshotChunk.decode(from: &reader))
            case .snapshotAck:
                frame = .snapshotAck(group: group, transfer: try reader.readUInt64(), index: try reader.readUInt32())
            case .snapshotAbort:
                frame = .snapshotAbort(group: group, transfer: try reader.readUInt64(),
                                       reason: try reader.readString(limit: maxReasonBytes, what: "reason"))
            default:
                frame = .message(group: group, try Message.decodePayload(type: type, from: &reader))
            }
            try reader.expectEnd()
            return frame
        } catch {
            throw .payload(error, frameType: "\(type)")
        }
    }

    /// The longest prefix of `string` that fits in `limit` UTF-8 bytes without splitting a scalar.
    private static func truncatedUTF8(_ string: String, limit: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in string.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            guard bytes.count + encoded.count <= limit else { break }
            bytes += encoded
        }
        return bytes
    }
}

extension PeerHello {
    /// Type byte, group 0 and payload of a handshake frame.
    fileprivate func encode(into writer: inout ByteWriter) throws(PeerWireError) {
        switch self {
        case .request(let clusterID, let dialer, let acceptor, let nonce):
            let bytes = Array(clusterID.utf8)
            guard bytes.count <= PeerFrame.maxClusterIDBytes else {
                throw .fieldTooLong("cluster id", length: bytes.count, limit: PeerFrame.maxClusterIDBytes)
            }
            writer.write(PeerFrameType.hello.rawValue)
            writer.write(UInt32(0))
            writer.writeLengthPrefixed(bytes)
            writer.write(dialer.rawValue)
            writer.write(acceptor.rawValue)
            writer.writeRaw(Self.checked(nonce, "nonce"))
        case .challenge(let nonce, let proof):
            writer.write(PeerFrameType.helloChallenge.rawValue)
            writer.write(UInt32(0))
            writer.writeRaw(Self.checked(nonce, "nonce"))
            writer.writeRaw(Self.checked(proof, "proof"))
        case .proof(let proof):
            writer.write(PeerFrameType.helloProof.rawValue)
            writer.write(UInt32(0))
            writer.writeRaw(Self.checked(proof, "proof"))
        }
    }

    fileprivate static func decode(type: PeerFrameType, from reader: inout ByteReader) throws(DecodingError) -> PeerHello {
        let size = PeerFrame.handshakeFieldBytes
        switch type {
        case .hello:
            return .request(clusterID: try reader.readString(limit: PeerFrame.maxClusterIDBytes, what: "cluster id"),
                            dialer: ReplicaID(try reader.readUInt32()), acceptor: ReplicaID(try reader.readUInt32()),
                            nonce: try reader.readRaw(count: size))
        case .helloChallenge:
            return .challenge(nonce: try reader.readRaw(count: size), proof: try reader.readRaw(count: size))
        case .helloProof:
            return .proof(try reader.readRaw(count: size))
        default:
            preconditionFailure("\(type) is not a handshake frame")
        }
    }

    /// Nonces and proofs have one size; the caller made them, so another size is a bug.
    private static func checked(_ field: [UInt8], _ name: String) -> [UInt8] {
        precondition(field.count == PeerFrame.handshakeFieldBytes,
                     "handshake \(name) is \(field.count) bytes, not \(PeerFrame.handshakeFieldBytes)")
        return field
    }
}

extension Int {
    /// A big-endian unsigned integer of at most four bytes.
    fileprivate init(bigEndian bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | Int($1) }
    }
}
