import PaxosCore

/// The checksums stored with every `kv` and `sessions` row (see `Schema`), computed by every
/// path that writes such a row (apply, snapshot staging, the migrations) and checked by every
/// path that reads one (reads, the exactly-once check of an apply, snapshot export, backups,
/// `paxos-inspect verify`). This is the one place that computes them.
///
/// The applied state is not protected by the log's checksums: once a slot is applied (and the log
/// compacted) the `kv` row is the only copy this node has, and a byte changed in it would be
/// served, and served linearizably by every node once this one led. CRC-32C (the checksum of the
/// log rows and peer frames) detects the accidental damage we guard against; it is not meant to
/// resist someone who can write the file.
///
/// The key's length comes first so that moving bytes between key and value changes the
/// checksum; every other column (slot, position, deadline) is covered so that a damaged one is
/// caught too.
///
/// Versions: the `kv` checksum is version 4 (schema 4: slot, position and deadline); version 3
/// (schema 3: slot only) is kept for the migrations, which compute it (2 → 3) and check it
/// before replacing it (3 → 4). The `sessions` checksum has not changed since version 3.
enum StateRowChecksum {
    /// The version of the `kv` checksum this build writes.
    static let kvVersion = 4

    /// What `kv.expire_at` stands for in the checksum when the row has no deadline.
    static let noDeadline = UInt64.max

    /// Version 4: CRC-32C of (key length u32 BE, key, slot u64 BE, position u16 BE, deadline
    /// u64 BE (2^64 − 1: none), value), as stored in `kv.checksum`.
    static func kv(key: Bytes, row: KVRow) -> Int64 {
        var header = ByteWriter(capacity: 4)
        header.write(UInt32(truncatingIfNeeded: key.count))
        var trailer = ByteWriter(capacity: 18)
        trailer.write(row.revision.slot.rawValue)
        trailer.write(row.revision.position)
        trailer.write(row.deadline?.rawValue ?? noDeadline)
        var crc = CRC32C.update(CRC32C.start, with: header.bytes)
        crc = CRC32C.update(crc, with: key)
        crc = CRC32C.update(crc, with: trailer.bytes)
        return Int64(CRC32C.finish(CRC32C.update(crc, with: row.value)))
    }

    /// Version 3: CRC-32C of (key length u32 BE, key, slot u64 BE, value). Only the migrations
    /// use it.
    static func kvVersion3(key: Bytes, value: Bytes, slot: Slot) -> Int64 {
        var header = ByteWriter(capacity: 4)
        header.write(UInt32(truncatingIfNeeded: key.count))
        var trailer = ByteWriter(capacity: 8)
        trailer.write(slot.rawValue)
        var crc = CRC32C.update(CRC32C.start, with: header.bytes)
        crc = CRC32C.update(crc, with: key)
        crc = CRC32C.update(crc, with: trailer.bytes)
        return Int64(CRC32C.finish(CRC32C.update(crc, with: value)))
    }

    /// CRC-32C of (slot u64 BE, changes), as stored in `kv_changes.checksum` (schema 6).
    static func changes(slot: Slot, _ changes: Bytes) -> Int64 {
        var header = ByteWriter(capacity: 8)
        header.write(slot.rawValue)
        return Int64(CRC32C.finish(CRC32C.update(CRC32C.update(CRC32C.start, with: header.bytes), with: changes)))
    }

    /// CRC-32C of (client_id u64 BE, last_sequence u64 BE, last_result u64 BE, slot u64 BE), as
    /// stored in `sessions.checksum`, followed by the `reply` bytes when there are any. A row
    /// without a reply (every row written before replies existed) keeps its version 3 checksum.
    static func session(client: ClientID, sequence: UInt64, result: Int64, slot: Slot, reply: [UInt8]? = nil) -> Int64 {
        var row = ByteWriter(capacity: 32 + (reply?.count ?? 0))
        row.write(client.rawValue)
        row.write(sequence)
        row.write(UInt64(bitPattern: result))
        row.write(slot.rawValue)
        if let reply { row.writeRaw(reply) }
        return Int64(CRC32C.checksum(row.bytes))
    }

    /// Why a `sessions` row cannot be trusted, or nil if it checks.
    static func sessionDamage(client: ClientID, sequence: UInt64, result: Int64, slot: Slot, reply: [UInt8]?, stored: Int64) -> String? {
        let computed = session(client: client, sequence: sequence, result: result, slot: slot, reply: reply)
        guard stored != computed else { return nil }
        return "table sessions, client \(client.rawValue) (written at slot \(slot)): checksum mismatch "
            + "(stored \(hex(stored)), computed \(hex(computed)))"
    }

    static func hex(_ value: Int64) -> String { "0x" + String(UInt32(truncatingIfNeeded: value), radix: 16, uppercase: true) }
}
