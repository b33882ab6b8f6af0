/// The binary form of a `Command`, shared by the log table on disk and by peer messages.
///
/// ```
/// command  := 0x00                                   -- no-op
///           | 0x01 count:u32 request*count           -- batch (requests without an origin)
///           | 0x04 count:u32 originRequest*count     -- batch whose requests name their origin
///           | 0x05 time:u64 count:u32 originRequest*count -- timed batch (time: Unix ms, ≤ 2^63-1)
///           | 0x02 epoch:u64 voters:u32 member*voters learners:u32 member*learners -- configure
///           | 0x03 epoch:u64 voters:u32 member*voters learners:u32 member*learners
///                  addresses:u32 address*addresses   -- configure with member addresses
/// member   := id:u32 incarnation:u64
/// address  := id:u32 host:bytes client:u32 peer:u32 metrics:u32  -- ports < 65536
/// request  := client:u64 sequence:u64 operation
/// originRequest := client:u64 sequence:u64 origin:u64 operation  -- origin 2^64-1: none
/// operation:= 0x01 key:bytes value:bytes             -- put
///           | 0x02 key:bytes                         -- delete
///           | 0x03 keyop                             -- see Operation+Encoding.swift
///           | 0x04 count:u32 operation*count         -- all
///           | 0x05 txn                               -- see Operation+Encoding.swift
/// bytes    := length:u32 octets
/// ```
/// All integers are big-endian. This is an on-disk format: change it only with a schema bump.
extension Command {
    /// Upper bounds used while decoding, so corrupt input fails fast instead of allocating.
    public static let maxKeyBytes = 64 * 1024
    public static let maxValueBytes = 64 * 1024 * 1024
    public static let maxBatchCount = 1 << 20
    /// Most operations (and compares) in one request's `Operation.all`/`.txn`, nested ones included.
    public static let maxOperationsPerRequest = 100_000
    /// Most voters or learners in one membership.
    public static let maxMembers = 1024
    /// How tag 0x04 writes a request without an origin (no slot is this high).
    static let noOrigin = UInt64.max

    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .noop:
            writer.write(UInt8(0))
        case .batch(let requests):
            // Without origins, the format from before sessions expired: old logs and golden
            // traces are byte for byte what they were.
            let withOrigins = requests.contains { $0.origin != nil }
            writer.write(UInt8(withOrigins ? 4 : 1))
            writer.write(UInt32(requests.count))
            for request in requests {
                writer.write(request.client.rawValue)
                writer.write(request.sequence)
                if withOrigins { writer.write(request.origin?.rawValue ?? Self.noOrigin) }
                request.operation.encode(into: &writer)
            }
        case .timedBatch(let time, let requests):
            writer.write(UInt8(5))
            writer.write(time.rawValue)
            writer.write(UInt32(requests.count))
            for request in requests {
                writer.write(request.client.rawValue)
                writer.write(request.sequence)
                writer.write(request.origin?.rawValue ?? Self.noOrigin)
                request.operation.encode(into: &writer)
            }
        case .configure(let membership):
            // Without addresses, the format from before they existed: logs, snapshots and
            // golden traces of such memberships are byte for byte what they were.
            writer.write(UInt8(membership.addresses.isEmpty ? 2 : 3))
            writer.write(membership.epoch)
            for members in [membership.voters, membership.learners] {
                writer.write(UInt32(members.count))
                for member in members {
                    writer.write(member.id.rawValue)
                    writer.write(member.incarnation.rawValue)
                }
            }
            guard !membership.addresses.isEmpty else { return }
            writer.write(UInt32(membership.addresses.count))
            for (id, address) in membership.addresses.sorted(by: { $0.key < $1.key }) {
                writer.write(id.rawValue)
                writer.writeLengthPrefixed(Array(address.host.utf8))
                for port in [address.clientPort, address.peerPort, address.metricsPort] { writer.write(UInt32(port)) }
            }
        }
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: encodedSizeHint)
        encode(into: &writer)
        return writer.bytes
    }

    public static func decode(from reader: inout ByteReader) throws(DecodingError) -> Command {
        switch try reader.readUInt8() {
        case 0:
            return .noop
        case let tag where tag == 1 || tag == 4 || tag == 5:
            var time: LeaderTime?
            if tag == 5 {
                let raw = try reader.readUInt64()
                guard raw <= UInt64(Int64.max) else { throw .invalid("batch time \(raw) is beyond the largest storable one") }
                time = LeaderTime(rawValue: raw)
            }
            let count = Int(try reader.readUInt32())
            guard count <= maxBatchCount else {
                throw .tooLong(length: count, limit: maxBatchCount, offset: reader.offset)
            }
            var requests: [ClientRequest] = []
            requests.reserveCapacity(min(count, 4096))
            for _ in 0..<count {
                let client = ClientID(try reader.readUInt64())
                let sequence = try reader.readUInt64()
                var origin: Slot?
                if tag != 1 {
                    let raw = try reader.readUInt64()
                    if raw != noOrigin {
                        guard Slot(raw).isInRange else { throw .invalid("origin slot \(raw) of client \(client) is out of range") }
                        origin = Slot(raw)
                    }
                }
                let operation = try Operation.decode(from: &reader)
                requests.append(ClientRequest(client: client, sequence: sequence, operation: operation, origin: origin))
            }
            if let time { return .timedBatch(time: time, requests: requests) }
            return .batch(requests)
        case let tag where tag == 2 || tag == 3:
            let epoch = try reader.readUInt64()
            var lists: [[Member]] = []
            for _ in 0..<2 {
                let count = Int(try reader.readUInt32())
                guard count <= maxMembers else { throw .tooLong(length: count, limit: maxMembers, offset: reader.offset) }
                var members: [Member] = []
                for _ in 0..<count {
                    let id = ReplicaID(try reader.readUInt32())
                    members.append(Member(id: id, incarnation: Incarnation(try reader.readUInt64())))
                }
                lists.append(members)
            }
            var addresses: [ReplicaID: MemberAddress] = [:]
            if tag == 3 {
                let count = Int(try reader.readUInt32())
                guard count <= maxMembers else { throw .tooLong(length: count, limit: maxMembers, offset: reader.offset) }
                for _ in 0..<count {
                    let id = ReplicaID(try reader.readUInt32())
                    let host = String(decoding: try reader.readLengthPrefixed(limit: MemberAddress.maxHostBytes), as: UTF8.self)
                    var ports: [UInt16] = []
                    for _ in 0..<3 {
                        let port = try reader.readUInt32()
                        guard port <= UInt32(UInt16.max) else { throw .invalid("port \(port) of replica \(id) is out of range") }
                        ports.append(UInt16(port))
                    }
                    guard addresses[id] == nil else { throw .invalid("two addresses for replica \(id)") }
                    addresses[id] = MemberAddress(host: host, clientPort: ports[0], peerPort: ports[1], metricsPort: ports[2])
                }
            }
            let membership = Membership(epoch: epoch, voters: lists[0], learners: lists[1], addresses: addresses)
            do { try membership.validate() } catch { throw .invalid("invalid membership: \(error.description)") }
            return .configure(membership)
        case let tag:
            throw .unknownTag(what: "command", tag: tag)
        }
    }

    /// Decodes a whole buffer that must hold exactly one command.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Command {
        var reader = ByteReader(bytes)
        let command = try decode(from: &reader)
        try reader.expectEnd()
        return command
    }

    /// Key and value bytes in this command; used for batch limits and buffer sizing.
    public var payloadBytes: Int {
        requests.reduce(0) { $0 + $1.operation.payloadBytes }
    }

    var encodedSizeHint: Int { 13 + payloadBytes + requests.count * 37 + (membership.map { 16 + $0.ids.count * 12 + $0.addresses.values.reduce(0) { $0 + 20 + $1.host.utf8.count } } ?? 0) }
}

extension Operation {
    /// Key plus value bytes.
    public var payloadBytes: Int {
        switch self {
        case .put(let key, let value): key.count + value.count
        case .delete(let key): key.count
        case .key(let op): op.payloadBytes
        case .all(let operations): operations.reduce(0) { $0 + $1.payloadBytes }
        case .txn(let transaction): transaction.payloadBytes
        }
    }
}
