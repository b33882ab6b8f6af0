public import PaxosCore

/// The byte stream a snapshot travels as: the applied state of one node (its memberships, kv
/// and sessions tables at one applied slot), cut into chunks that each hold whole records.
///
/// ```
/// stream     := header membership* (key | session)*
/// header     := 'H' format:u8 slot:u64 keyCount:u64 sessionCount:u64 membershipCount:u64
///               [clock:u64]                     -- format 4: `meta.log_clock`
/// membership := 'M' fromSlot:u64 chosenInSlot:u64 membership:bytes   -- one memberships row
/// key        := 'K' key:bytes value:bytes slot:u64 position:u16 expireAt:u64  -- one kv row
/// session    := 'S' client:u64 sequence:u64 result:u8 slot:u64 reply   -- one sessions row
/// reply      := 0 | 1 bytes                     -- format 3: `sessions.reply` (NULL or a blob)
/// bytes      := length:u32 raw
/// ```
/// Integers are big-endian; `result` is the `sessions.last_result` code and `membership` the
/// `memberships.membership` blob, a `Command.configure` (`Schema`); `position` and `expireAt`
/// are `kv.position` and `kv.expire_at` (2^64 − 1: NULL, no deadline); the receiver recomputes
/// the row checksum. Format 2 added the memberships (format 1 streams are refused); format 3
/// added position and expireAt to 'K' and the reply to 'S' (format 2 'S' records have none). A receiver still accepts format 2, whose 'K' records end
/// after the slot: their rows get position 0 and no deadline, exactly what a format 2 sender
/// stores (schema 3, or the migration to schema 4, gives every row that). Format 4 adds the
/// log clock to the header (formats 2 and 3 read as clock 0: no timed batch existed). The header
/// opens chunk 0 and nowhere else; its counts let the receiver tell a complete stream from one
/// whose tail went missing. Records never span chunks, so each chunk is checked and staged on its
/// own; a chunk holds records up to `chunkBytesTarget`, or one record if that alone is larger
/// (a key of 1 KiB and a value of 1 MiB). Every chunk carries the running CRC-32C of the stream
/// through its last byte, so a damaged or missing chunk is caught when it arrives, not at the end.
///
/// This module writes and reads the format (`SnapshotExporter`, `SnapshotStaging`); the peer
/// protocol carries the chunks as opaque bytes.
public enum SnapshotStream {
    /// The version this build writes in the header.
    public static let formatVersion: UInt8 = 4
    /// The versions a receiver accepts; it refuses any other.
    public static let readableFormats: ClosedRange<UInt8> = 2...4
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
    /// The stream's format (`SnapshotStream.readableFormats`); it decides how 'K' records read.
    public var format: UInt8 = SnapshotStream.formatVersion
    public var slot: Slot
    public var keyCount: UInt64
    public var sessionCount: UInt64
    public var membershipCount: UInt64
    /// The state machine's clock at `slot` (`meta.log_clock`; format 4, else 0).
    public var clock = LeaderTime(rawValue: 0)
}

/// One record of the stream.
enum SnapshotRecord: Hashable {
    case header(SnapshotHeader)
    case key(key: Bytes, row: KVRow)
    /// `reply` is `sessions.reply` (format 3; always nil in format 2).
    case session(client: ClientID, sequence: UInt64, result: Int64, slot: Slot, reply: [UInt8]?)
    case membership(fromSlot: Slot, chosenInSlot: Slot, membership: Bytes)

    func encode(into writer: inout ByteWriter) {
        switch self {
        case .header(let header):
            // Records are written in this build's format only; a header saying otherwise would
            // make the receiver misread every 'K' record.
            precondition(header.format == SnapshotStream.formatVersion, "snapshot format \(header.format) is read, never written")
            writer.write(SnapshotStream.Tag.header.rawValue)
            writer.write(header.format)
            writer.write(header.slot.rawValue)
            writer.write(header.keyCount)
            writer.write(header.sessionCount)
            writer.write(header.membershipCount)
            writer.write(header.clock.rawValue)
        case .key(let key, let row):
            writer.write(SnapshotStream.Tag.key.rawValue)
            writer.writeLengthPrefixed(key)
            writer.writeLengthPrefixed(row.value)
            writer.write(row.revision.slot.rawValue)
            writer.write(row.revision.position)
            writer.write(row.deadline?.rawValue ?? StateRowChecksum.noDeadline)
        case .session(let client, let sequence, let result, let slot, let reply):
            writer.write(SnapshotStream.Tag.session.rawValue)
            writer.write(client.rawValue)
            writer.write(sequence)
            writer.write(UInt8(truncatingIfNeeded: result))
            writer.write(slot.rawValue)
            writer.write(UInt8(reply == nil ? 0 : 1))
            if let reply { writer.writeLengthPrefixed(reply) }
        case .membership(let fromSlot, let chosenInSlot, let membership):
            writer.write(SnapshotStream.Tag.membership.rawValue)
            writer.write(fromSlot.rawValue)
            writer.write(chosenInSlot.rawValue)
            writer.writeLengthPrefixed(membership)
        }
    }

    /// Reads one record of a stream in `format` (the header's; a header record is read whatever
    /// it is). Lengths are bounded by the command limits, so a hostile length costs nothing.
    static func decode(from reader: inout ByteReader, format: UInt8) throws(DecodingError) -> SnapshotRecord {
        let rawTag = try reader.readUInt8()
        guard let tag = SnapshotStream.Tag(rawValue: rawTag) else { throw .unknownTag(what: "snapshot record", tag: rawTag) }
        switch tag {
        case .header:
            let format = try reader.readUInt8()
            guard SnapshotStream.readableFormats.contains(format) else {
                throw .invalid("snapshot format \(format), this build reads formats \(SnapshotStream.readableFormats.lowerBound)"
                    + "…\(SnapshotStream.readableFormats.upperBound)")
            }
            var header = SnapshotHeader(format: format, slot: Slot(try reader.readUInt64()), keyCount: try reader.readUInt64(),
                                        sessionCount: try reader.readUInt64(), membershipCount: try reader.readUInt64())
            if format >= 4 {
                let clock = try reader.readUInt64()
                guard clock <= UInt64(Int64.max) else { throw .invalid("snapshot clock \(clock) is beyond the largest storable time") }
                header.clock = LeaderTime(rawValue: clock)
            }
            return .header(header)
        case .key:
            let key = try reader.readLengthPrefixed(limit: Command.maxKeyBytes)
            let value = try reader.readLengthPrefixed(limit: Command.maxValueBytes)
            let slot = Slot(try reader.readUInt64())
            let position = format >= 3 ? try reader.readUInt16() : 0
            let expireAt = format >= 3 ? try reader.readUInt64() : StateRowChecksum.noDeadline
            guard let revision = Revision(checking: slot, position: position) else {
                throw .invalid("a key written at slot \(slot), beyond the slots a revision can name")
            }
            // SQLite stores signed integers: a deadline above Int64.max cannot be a real one.
            guard expireAt == StateRowChecksum.noDeadline || expireAt <= UInt64(Int64.max) else {
                throw .invalid("a key with deadline \(expireAt), beyond the largest storable one")
            }
            let deadline = expireAt == StateRowChecksum.noDeadline ? nil : LeaderTime(rawValue: expireAt)
            return .key(key: key, row: KVRow(value: value, revision: revision, deadline: deadline))
        case .session:
            let client = ClientID(try reader.readUInt64()), sequence = try reader.readUInt64()
            let result = Int64(try reader.readUInt8()), slot = Slot(try reader.readUInt64())
            var reply: [UInt8]?
            if format >= 3 {
                switch try reader.readUInt8() {
                case 0: break
                case 1: reply = try reader.readLengthPrefixed(limit: ClientSession.maxRememberedReplyBytes)
                case let flag: throw .invalid("session of client \(client): reply flag \(flag) is neither 0 nor 1")
                }
            }
            return .session(client: client, sequence: sequence, result: result, slot: slot, reply: reply)
        case .membership:
            return .membership(fromSlot: Slot(try reader.readUInt64()), chosenInSlot: Slot(try reader.readUInt64()),
                               membership: try reader.readLengthPrefixed(limit: SnapshotStream.maxMembershipBytes))
        }
    }
}
