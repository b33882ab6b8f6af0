public import PaxosCore

/// What a node says about its databases once a connection it dialed is authenticated: the
/// cluster UUID recorded at genesis (empty before) and, per consensus group, the incarnation of
/// its database, the newest membership epoch it knows, and the first (genesis) membership.
///
/// Nodes compare these to refuse a peer from another cluster that shares the secret and the
/// name (a re-created cluster), to perform genesis (every first member reporting no UUID), and to
/// let a node with a new, empty database adopt the cluster it belongs to — as a learner unless
/// a membership names its incarnation (see `Membership`).
///
/// It also says which commands the node can decode (`commandFormat`), so that no node lets a
/// client write a command that a member of an older build could not apply (`CommandFormatGate`).
///
/// ```
/// 0x07 identity  uuid:string count:u32 (incarnation:u64 epoch:u64 has:u8 [command])*count
///                [commandFormat:u8 [extension bytes]]
/// ```
/// `command` is the configure command (`Command.encode`) holding the genesis membership, present
/// when `has` is 1. The frame is connection-level (group 0). `commandFormat` is absent in frames
/// of builds before it existed, which is format 1 (`Operation.put`/`.delete` only). Bytes after
/// it are ignored: a later build may append fields there and still be understood by this one.
/// (Builds before `commandFormat` refuse any trailing byte and close the connection, so a node of
/// this build cannot send to them: the upgrade to this build is a whole-cluster restart, see
/// ARCHITECTURE "Upgrades"; every later one can be rolling.)
public struct PeerIdentity: Hashable, Sendable {
    /// Empty until genesis.
    public var clusterUUID: String
    /// One entry per consensus group, indexed by group.
    public var groups: [GroupIdentity]
    /// The newest command encoding the node can decode and apply (`Operation.commandFormat`).
    public var commandFormat: UInt8

    public init(clusterUUID: String, groups: [GroupIdentity], commandFormat: UInt8 = Operation.currentCommandFormat) {
        self.clusterUUID = clusterUUID
        self.groups = groups
        self.commandFormat = commandFormat
    }

    /// What a frame without the field means: a build from before it, which decodes only
    /// `.put` and `.delete`.
    public static let legacyCommandFormat: UInt8 = 1

    /// UUIDs are 36 characters; the bound keeps the frame small.
    public static let maxUUIDBytes = 64
    /// More groups than any node runs.
    public static let maxGroups = 1024
}

public struct GroupIdentity: Hashable, Sendable {
    public var incarnation: Incarnation
    /// The newest membership epoch known (0 before genesis).
    public var epoch: UInt64
    /// The first membership of the group, once genesis happened.
    public var genesis: Membership?

    public init(incarnation: Incarnation, epoch: UInt64, genesis: Membership?) {
        self.incarnation = incarnation
        self.epoch = epoch
        self.genesis = genesis
    }
}

extension PeerIdentity {
    func encode(into writer: inout ByteWriter) throws(PeerWireError) {
        let uuid = Array(clusterUUID.utf8)
        guard uuid.count <= Self.maxUUIDBytes else {
            throw .fieldTooLong("cluster uuid", length: uuid.count, limit: Self.maxUUIDBytes)
        }
        writer.writeLengthPrefixed(uuid)
        writer.write(UInt32(groups.count))
        for group in groups {
            writer.write(group.incarnation.rawValue)
            writer.write(group.epoch)
            if let genesis = group.genesis {
                writer.write(UInt8(1))
                Command.configure(genesis).encode(into: &writer)
            } else {
                writer.write(UInt8(0))
            }
        }
        writer.write(commandFormat)
    }

    static func decode(from reader: inout ByteReader) throws(DecodingError) -> PeerIdentity {
        let uuid = try reader.readString(limit: maxUUIDBytes, what: "cluster uuid")
        let count = Int(try reader.readUInt32())
        guard count <= maxGroups else { throw .tooLong(length: count, limit: maxGroups, offset: reader.offset) }
        var groups: [GroupIdentity] = []
        for _ in 0..<count {
            let incarnation = Incarnation(try reader.readUInt64())
            let epoch = try reader.readUInt64()
            var genesis: Membership?
            if try reader.readBool(what: "genesis flag") {
                guard case .configure(let membership) = try Command.decode(from: &reader) else {
                    throw .invalid("identity carries a command that is not a membership")
                }
                genesis = membership
            }
            groups.append(GroupIdentity(incarnation: incarnation, epoch: epoch, genesis: genesis))
        }
        var commandFormat = legacyCommandFormat
        if !reader.isAtEnd {
            commandFormat = try reader.readUInt8()
            guard commandFormat >= legacyCommandFormat else {
                throw .invalid("identity reports command format 0")
            }
            // Fields of later builds: skipped, so that they can add some without breaking us.
            _ = try reader.readRaw(count: reader.remaining)
        }
        return PeerIdentity(clusterUUID: uuid, groups: groups, commandFormat: commandFormat)
    }
}
