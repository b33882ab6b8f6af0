import CCRC32C

/// CRC-32C (Castagnoli), the checksum on every peer frame and on every log row on disk.
///
/// Castagnoli rather than the zlib CRC-32 because it detects more error patterns at the lengths we
/// send and it is what iSCSI, ext4 and most storage systems use, so tooling can check our frames.
/// The reflected polynomial is 0x82F63B78, the register starts at all ones and is inverted at the
/// end; "123456789" checksums to 0xE3069283.
///
/// Contiguous memory goes through the CPU's CRC-32C instruction when it has one (`CCRC32C`:
/// SSE 4.2 on x86-64, the CRC extension on AArch64), else slicing-by-8: eight table lookups
/// consume eight bytes, about 1 ns per byte here, where the byte-at-a-time loop through an
/// unspecialised `Sequence` cost ~32 ns per byte and made a 128-entry storage batch CPU-bound (the
/// storage benchmark). The table-driven checksum was 5 % of a leader's CPU under pipelined 256-byte
/// SETs (every value is checksummed in its log row, its state row and each peer frame it rides
/// in), which the instruction all but removes. Every caller passes an array, a slice or a NIO
/// buffer view, all contiguous; other sequences take the byte loop.
/// It lives in PaxosCore (pure code, no I/O) so PaxosWire and PaxosStorage share one definition.
package enum CRC32C {
    /// The checksum of `bytes`.
    package static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        finish(update(start, with: bytes))
    }

    /// The register value before any byte has been fed.
    package static let start: UInt32 = 0xFFFF_FFFF

    /// Feeds more bytes into a running register, so a checksum can span several buffers.
    package static func update(_ register: UInt32, with bytes: some Sequence<UInt8>) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ update(register, with: UnsafeRawBufferPointer($0)) }) {
            return crc
        }
        return tables.withUnsafeBufferPointer { table in
            var crc = register
            for byte in bytes { crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8) }
            return crc
        }
    }

    /// Feeds the bytes of `buffer` into a running register (the fast path).
    package static func update(_ register: UInt32, with buffer: UnsafeRawBufferPointer) -> UInt32 {
        instructionUpdate(register, with: buffer) ?? tableUpdate(register, with: buffer)
    }

    /// Whether this CPU has the CRC-32C instruction `update` uses; asked once.
    package static let hasInstruction = paxos_crc32c_hardware_available() != 0

    /// `update` with the CPU's instruction, or nil on a CPU without it.
    package static func instructionUpdate(_ register: UInt32, with buffer: UnsafeRawBufferPointer) -> UInt32? {
        guard hasInstruction else { return nil }
        guard let base = buffer.baseAddress else { return register }
        return paxos_crc32c_hardware_update(register, base, buffer.count)
    }

    /// `update` by slicing-by-8, whatever the CPU has.
    package static func tableUpdate(_ register: UInt32, with buffer: UnsafeRawBufferPointer) -> UInt32 {
        tables.withUnsafeBufferPointer { table in
            var crc = register
            var offset = 0
            let count = buffer.count
            // Eight bytes per round: the register folds into the first four, and table k
            // advances a byte's contribution past k further bytes (see `tables`).
            while count - offset >= 8 {
                let low = crc ^ UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                let high = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                crc = table[7 &* 256 &+ Int(low & 0xFF)] ^ table[6 &* 256 &+ Int((low >> 8) & 0xFF)]
                    ^ table[5 &* 256 &+ Int((low >> 16) & 0xFF)] ^ table[4 &* 256 &+ Int(low >> 24)]
                    ^ table[3 &* 256 &+ Int(high & 0xFF)] ^ table[2 &* 256 &+ Int((high >> 8) & 0xFF)]
                    ^ table[256 &+ Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                offset &+= 8
            }
            while offset < count {
                crc = table[Int(UInt8(truncatingIfNeeded: crc) ^ buffer[offset])] ^ (crc >> 8)
                offset &+= 1
            }
            return crc
        }
    }

    /// Turns a running register into the checksum.
    package static func finish(_ register: UInt32) -> UInt32 { ~register }

    /// Eight 256-entry tables, flat. Table 0 is the classic byte table; table k maps a byte to
    /// its contribution after k more zero bytes have passed: `t[k][i] = (t[k-1][i] >> 8) ^
    /// t[0][t[k-1][i] & 0xFF]`.
    private static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()
}
