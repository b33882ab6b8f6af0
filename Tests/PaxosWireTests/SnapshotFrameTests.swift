// Method: the snapshot-transfer frames (PeerFrame.swift, types 0x30–0x32) byte by byte against
// the documented layout, and hostile variants of them re-sealed with a good checksum so the
// payload parser is what refuses them. Round trips, truncation at every byte and bit flips are
// covered for these frames by the generic tests over `Fixtures.frames`.

import PaxosCore
import PaxosWire
import Testing

@Suite("wire: snapshot frames")
struct SnapshotFrameTests {
    static let chunk = SnapshotChunk(transfer: 0x0102_0304_0506_0708, slot: Slot(0x10), index: 3,
                                     data: [0xAA, 0xBB], last: true, crc: 0xCAFE_F00D)

    @Test("wire: a snapshotChunk frame has the documented layout")
    func chunkLayout() throws {
        let bytes = try PeerFrame.snapshotChunk(group: 5, Self.chunk).encoded()
        let payload: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8] + [0, 0, 0, 0, 0, 0, 0, 0x10] + [0, 0, 0, 3] + [1]
            + [0xCA, 0xFE, 0xF0, 0x0D] + [0, 0, 0, 2, 0xAA, 0xBB]
        #expect(Array(bytes[4..<10]) == [PeerFrame.version, 0x30, 0, 0, 0, 5], "version, type 0x30, group 5")
        #expect(Array(bytes[bytes.payloadRange]) == payload)
        #expect(try PeerFrame.decode(bytes) == .snapshotChunk(group: 5, Self.chunk))
    }

    @Test("wire: snapshotAck and snapshotAbort have the documented layout")
    func ackAndAbortLayout() throws {
        let ack = try PeerFrame.snapshotAck(group: 0, transfer: 1, index: 2).encoded()
        #expect(ack[5] == 0x31)
        #expect(Array(ack[ack.payloadRange]) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2])
        let abort = try PeerFrame.snapshotAbort(group: 0, transfer: 1, reason: "no").encoded()
        #expect(abort[5] == 0x32)
        #expect(Array(abort[abort.payloadRange]) == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0x6E, 0x6F])
    }

    @Test("wire: a last flag other than 0 or 1 is a malformed payload")
    func badLastFlag() throws {
        var bytes = try PeerFrame.snapshotChunk(group: 0, Self.chunk).encoded()
        bytes[10 + 20] = 2
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(bytes.resealed()) }
    }

    @Test("wire: a data length beyond the frame is truncated, not allocated")
    func hugeDataLength() throws {
        var bytes = try PeerFrame.snapshotChunk(group: 0, Self.chunk).encoded()
        // The data length sits after transfer 8 + slot 8 + index 4 + last 1 + crc 4.
        bytes.replaceSubrange((10 + 25)..<(10 + 29), with: UInt32(1 << 25).bigEndianBytes)
        #expect(throws: PeerWireError.truncatedPayload) { try PeerFrame.decode(bytes.resealed()) }
        bytes.replaceSubrange((10 + 25)..<(10 + 29), with: UInt32.max.bigEndianBytes)
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(bytes.resealed()) }
    }

    @Test("wire: an abort reason that is not UTF-8 is a malformed payload; a long one is cut when encoded")
    func abortReason() throws {
        var bytes = try PeerFrame.snapshotAbort(group: 0, transfer: 1, reason: "ab").encoded()
        bytes[10 + 12] = 0xFF
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(bytes.resealed()) }
        let long = String(repeating: "x", count: 5_000)
        let decoded = try PeerFrame.decode(try PeerFrame.snapshotAbort(group: 0, transfer: 1, reason: long).encoded())
        #expect(decoded == .snapshotAbort(group: 0, transfer: 1, reason: String(repeating: "x", count: PeerFrame.maxReasonBytes)))
    }

    @Test("wire: an ack with a byte too many or too few is refused")
    func ackLength() throws {
        let bytes = try PeerFrame.snapshotAck(group: 0, transfer: 1, index: 2).encoded()
        var longer = bytes
        longer.insert(0, at: bytes.count - 4)
        #expect(throws: PeerWireError.trailingBytes) { try PeerFrame.decode(longer.resealed()) }
        var shorter = bytes
        shorter.remove(at: bytes.count - 5)
        #expect(throws: PeerWireError.truncatedPayload) { try PeerFrame.decode(shorter.resealed()) }
    }
}
