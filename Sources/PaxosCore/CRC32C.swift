/// CRC-32C (Castagnoli), the checksum on every peer frame and on every log row on disk.
///
/// Castagnoli rather than the zlib CRC-32 because it detects more error patterns at the lengths we
/// send and it is what iSCSI, ext4 and most storage systems use, so tooling can check our frames.
/// The reflected polynomial is 0x82F63B78, the register starts at all ones and is inverted at the
/// end; "123456789" checksums to 0xE3069283.
///
/// A byte-at-a-time table is plenty here: frames are checksummed once per hop and rows once per
/// write and read, and the cost is small next to the copy into the socket or the fsync. It lives
/// in PaxosCore (pure code, no I/O) so PaxosWire and PaxosStorage share one definition.
package enum CRC32C {
    /// The checksum of `bytes`.
    package static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        finish(update(start, with: bytes))
    }

    /// The register value before any byte has been fed.
    package static let start: UInt32 = 0xFFFF_FFFF

    /// Feeds more bytes into a running register, so a checksum can span several buffers.
    package static func update(_ register: UInt32, with bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = register
        for byte in bytes {
            crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8)
        }
        return crc
    }

    /// Turns a running register into the checksum.
    package static func finish(_ register: UInt32) -> UInt32 { ~register }

    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        return crc
    }
}
