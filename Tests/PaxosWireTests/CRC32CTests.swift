// Method: known-answer tests. The vectors are the check value of the CRC catalogue
// ("123456789" → 0xE3069283) and the 32-byte patterns of RFC 3720 §B.4 (iSCSI), which
// defines CRC32C; plus a property check that incremental updates equal one-shot checksums, and a
// differential check of the slicing-by-8 fast path against the byte-at-a-time loop (a lazy map is
// not contiguous, so it takes the slow path) at every length and alignment around the 8-byte step.

import PaxosCore
import Testing

@Suite("wire: CRC32C")
struct CRC32CTests {
    @Test(
        "wire: CRC32C matches the standard vectors",
        arguments: [
            (Array("123456789".utf8), UInt32(0xE306_9283)),
            ([], 0),
            ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
            ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
            ((0..<32).map { UInt8($0) }, 0x46DD_794E),
            ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        ] as [([UInt8], UInt32)])
    func vectors(input: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(input) == expected)
    }

    @Test("wire: CRC32C computed in pieces equals the one-shot checksum")
    func incremental() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        for cut in stride(from: 0, through: bytes.count, by: 37) {
            let register = CRC32C.update(CRC32C.update(CRC32C.start, with: bytes[..<cut]), with: bytes[cut...])
            #expect(CRC32C.finish(register) == CRC32C.checksum(bytes))
        }
    }

    // The vectors above go through the instruction on a CPU that has it; this pins the two
    // implementations to each other over lengths that exercise the 8-byte steps and the tails,
    // from every alignment, and through registers that are not the start value.
    @Test("wire: CRC32C by the CPU's instruction equals slicing-by-8 at every length, offset and register",
          .enabled(if: CRC32C.hasInstruction, "this CPU has no CRC-32C instruction"))
    func instructionMatchesTables() throws {
        var generator = SeededGenerator(seed: 0xC3C3)
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for end in start...all.count {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    for register in [CRC32C.start, 0, 0x1234_5678] as [UInt32] {
                        let instruction = try #require(CRC32C.instructionUpdate(register, with: slice))
                        #expect(instruction == CRC32C.tableUpdate(register, with: slice), "bytes \(start)..<\(end) from \(register)")
                    }
                }
            }
        }
    }

    @Test("wire: CRC32C fast path equals the byte-at-a-time loop at every length and offset")
    func fastPathMatchesSlowPath() {
        let bytes = (0..<80).map { UInt8(truncatingIfNeeded: $0 &* 151 &+ 7) }
        for start in 0..<9 {
            for end in start...bytes.count {
                let slice = bytes[start..<end]
                let slow = CRC32C.checksum(slice.lazy.map { $0 })
                #expect(CRC32C.checksum(slice) == slow, "bytes \(start)..<\(end)")
            }
        }
    }
}
