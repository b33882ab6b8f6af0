public import PaxosCore

/// The byte stream a snapshot travels as: the applied state of one node (its memberships, kv
/// and sessions tables at one applied slot), cut into chunks that each hold whole records.
///
/// ```
/// stream     := header membership* (key | session)*
/// header     := 'H' format:u8 slot:u64 keyCount:u64 sessionCount:u64 membershipCount:u64
/// membership := 'M' fromSlot:u64 chosenInSlot:u64 membership:bytes   -- one memberships row
/// key        := 'K' key:bytes value:bytes slot:u64                    -- one kv row
/// session    := 'S' client:u64 sequence:u64 result:u8 slot:u64        -- one sessions row
/// bytes      := length:u32 raw
/// ```
/// Integers are big-endian; `result` is the `sessions.last_result` code and `membership` the
/// `memberships.membership` blob, a `Command.configure` (`Schema`); the receiver recomputes the
/// row checksum. Format 2 added the memberships (format 1 streams are refused). The header
/// opens chunk 0 and nowhere else; its counts let the receiver tell a complete stream from one
/// whose tail went missing. Records never span chunks, so each chunk is checked and staged on its
/// own; a chunk holds records up to `chunkBytesTarget`, or one record if that alone is larger
/// (a key of 1 KiB and a value of 1 MiB). Every chunk carries the running CRC-32C of the stream
/// through its last byte, so a damaged or missing chunk is caught when it arrives, not at the end.
///
/// This module writes and reads the format (`SnapshotExporter`, `SnapshotStaging`); the peer
/// protocol carries the chunks as opaque bytes.
public enum SnapshotStream {
    /// The version in the header; a receiver refuses any other.
    public static let formatVersion: UInt8 = 2
    /// Chunks are cut at about this many bytes.
    public static let chunkBytesTarget = 256 * 1024
    /// No record is larger than this (a key and a value at their limits, plus framing), so a
    /// receiver can refuse a chunk above it before parsing it.
    public static let maxChunkBytes = chunkBytesTarget + Command.maxKeyBytes + Command.maxValueBytes + 64

    enum Tag: UInt8 {
        case header = 0x48  // 'H'
        case key = 0x4B  // 'K'
        case session = 0x53  // 'S'
        case membership = 0x4D  // 'M'
    }

    /// No membership blob is longer: the configure tag, the epoch, two counts and
    /// `Command.maxMembers` members (id u32, incarnation u64) in each list.
    static let maxMembershipBytes = 1 + 8 + 2 * (4 + Command.maxMembers * 12)
}

/// What the first record of a stream says.
public struct SnapshotHeader: Hashable, Sendable {
    public var slot: Slot
    public var keyCount: UInt64
    public var sessionCount: UInt64
    public var membershipCount: UInt64
}

/// One record of the stream.
enum SnapshotRecord: Hashable {
    case header(SnapshotHeader)
    case key(key: Bytes, value: Bytes, slot: Slot)
    case session(client: ClientID, sequence: UInt64, result: Int64, slot: Slot)
    case membership(fromSlot: Slot, chosenInSlot: Slot, membership: Bytes)

    func encode(into writer: inout ByteWriter) {
        switch self {
        case .header(let header):
            writer.write(SnapshotStream.Tag.header.rawValue)
            writer.write(SnapshotStream.formatVersion)
            writer.write(header.slot.rawValue)
            writer.write(header.keyCount)
            writer.write(header.sessionCount)
            writer.write(header.membershipCount)
        case .key(let key, let value, let slot):
            writer.write(SnapshotStream.Tag.key.rawValue)
            writer.writeLengthPrefixed(key)
            writer.writeLengthPrefixed(value)
            writer.write(slot.rawValue)
        case .session(let client, let sequence, let result, let slot):
            writer.write(SnapshotStream.Tag.session.rawValue)
            writer.write(client.rawValue)
            writer.write(sequence)
            writer.write(UInt8(truncatingIfNeeded: result))
            writer.write(slot.rawValue)
        case .membership(let fromSlot, let chosenInSlot, let membership):
            writer.write(SnapshotStream.Tag.membership.rawValue)
            writer.write(fromSlot.rawValue)
            writer.write(chosenInSlot.rawValue)
            writer.writeLengthPrefixed(membership)
        }
    }

    /// Reads one record. Lengths are bounded by the command limits, so a hostile length costs
    /// nothing.
    static func decode(from reader: inout ByteReader) throws(DecodingError) -> SnapshotRecord {
        let rawTag = try reader.readUInt8()
        guard let tag = SnapshotStream.Tag(rawValue: rawTag) else { throw .unknownTag(what: "snapshot record", tag: rawTag) }
        switch tag {
        case .header:
            let format = try reader.readUInt8()
            guard format == SnapshotStream.formatVersion else {
                throw .invalid("snapshot format \(format), this build reads format \(SnapshotStream.formatVersion)")
            }
            return .header(SnapshotHeader(slot: Slot(try reader.readUInt64()), keyCount: try reader.readUInt64(),
                                          sessionCount: try reader.readUInt64(), membershipCount: try reader.readUInt64()))
        case .key:
            return .key(key: try reader.readLengthPrefixed(limit: Command.maxKeyBytes),
                        value: try reader.readLengthPrefixed(limit: Command.maxValueBytes),
                        slot: Slot(try reader.readUInt64()))
        case .session:
            return .session(client: ClientID(try reader.readUInt64()), sequence: try reader.readUInt64(),
                            result: Int64(try reader.readUInt8()), slot: Slot(try reader.readUInt64()))
        case .membership:
            return .membership(fromSlot: Slot(try reader.readUInt64()), chosenInSlot: Slot(try reader.readUInt64()),
                               membership: try reader.readLengthPrefixed(limit: SnapshotStream.maxMembershipBytes))
        }
    }
}
