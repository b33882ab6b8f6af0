import PaxosCore

/// The checksums stored with every `kv` and `sessions` row (schema version 3, see `Schema`),
/// computed by every path that writes such a row (apply, snapshot staging, the migration from
/// version 2) and checked by every path that reads one (reads, the exactly-once check of an
/// apply, snapshot export, backups, `paxos-inspect verify`).
///
/// The applied state is not protected by the log's checksums: once a slot is applied (and the log
/// compacted) the `kv` row is the only copy this node has, and a byte changed in it would be
/// served, and served linearizably by every node once this one led. CRC-32C (the checksum of the
/// log rows and peer frames) detects the accidental damage we guard against; it is not meant to
/// resist someone who can write the file.
///
/// The key's length comes first so that moving bytes between key and value changes the
/// checksum; the slot is covered so that a damaged slot column is caught too.
enum StateRowChecksum {
    /// CRC-32C of (key length u32 BE, key, slot u64 BE, value), as stored in `kv.checksum`.
    static func kv(key: Bytes, value: Bytes, slot: Slot) -> Int64 {
        var header = ByteWriter(capacity: 4)
        header.write(UInt32(truncatingIfNeeded: key.count))
        var trailer = ByteWriter(capacity: 8)
        trailer.write(slot.rawValue)
        var crc = CRC32C.update(CRC32C.start, with: header.bytes)
        crc = CRC32C.update(crc, with: key)
        crc = CRC32C.update(crc, with: trailer.bytes)
        return Int64(CRC32C.finish(CRC32C.update(crc, with: value)))
    }

    /// CRC-32C of (client_id u64 BE, last_sequence u64 BE, last_result u64 BE, slot u64 BE), as
    /// stored in `sessions.checksum`.
    static func session(client: ClientID, sequence: UInt64, result: Int64, slot: Slot) -> Int64 {
        var row = ByteWriter(capacity: 32)
        row.write(client.rawValue)
        row.write(sequence)
        row.write(UInt64(bitPattern: result))
        row.write(slot.rawValue)
        return Int64(CRC32C.checksum(row.bytes))
    }

    /// Why a `kv` row cannot be trusted, as one sentence naming the table and the key (shown
    /// safely: printable bytes as they are, the rest escaped, long keys cut), or nil if it checks.
    static func kvDamage(key: Bytes, value: Bytes, slot: Slot, stored: Int64) -> String? {
        let computed = kv(key: key, value: value, slot: slot)
        guard stored != computed else { return nil }
        return "table kv, key \(BytesDisplay.quoted(key, limit: 64)) (written at slot \(slot)): checksum mismatch "
            + "(stored \(hex(stored)), computed \(hex(computed))): the value on disk is not the value that was written"
    }

    /// Why a `sessions` row cannot be trusted, or nil if it checks.
    static func sessionDamage(client: ClientID, sequence: UInt64, result: Int64, slot: Slot, stored: Int64) -> String? {
        let computed = session(client: client, sequence: sequence, result: result, slot: slot)
        guard stored != computed else { return nil }
        return "table sessions, client \(client.rawValue) (written at slot \(slot)): checksum mismatch "
            + "(stored \(hex(stored)), computed \(hex(computed)))"
    }

    private static func hex(_ value: Int64) -> String { "0x" + String(UInt32(truncatingIfNeeded: value), radix: 16, uppercase: true) }
}
