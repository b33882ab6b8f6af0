public import PaxosCore

/// One piece of a snapshot on its way to a peer (`PeerFrame.snapshotChunk`).
///
/// The wire carries `data` as opaque bytes; what they hold (whole records of the snapshot stream)
/// is PaxosStorage's business. `crc` is the CRC-32C of the stream from its first byte through
/// the end of this chunk, so the receiver checks each chunk on arrival and the whole stream at
/// the last one, beyond the frame checksum, which only covers one hop of one frame.
public struct SnapshotChunk: Hashable, Sendable {
    /// Names one transfer; a new transfer to the same peer gets a new id.
    public var transfer: UInt64
    /// The applied slot the snapshot stands at.
    public var slot: Slot
    /// 0, 1, 2, … in stream order.
    public var index: UInt32
    public var data: [UInt8]
    /// True on the final chunk of the transfer.
    public var last: Bool
    /// CRC-32C of the stream through the end of `data`.
    public var crc: UInt32

    public init(transfer: UInt64, slot: Slot, index: UInt32, data: [UInt8], last: Bool, crc: UInt32) {
        self.transfer = transfer
        self.slot = slot
        self.index = index
        self.data = data
        self.last = last
        self.crc = crc
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(transfer)
        writer.write(slot)
        writer.write(index)
        writer.write(UInt8(last ? 1 : 0))
        writer.write(crc)
        writer.writeLengthPrefixed(data)
    }

    static func decode(from reader: inout ByteReader) throws(DecodingError) -> SnapshotChunk {
        let transfer = try reader.readUInt64()
        let slot = try reader.readSlot()
        let index = try reader.readUInt32()
        let last = try reader.readBool(what: "last flag")
        let crc = try reader.readUInt32()
        // The frame's own bound already limits the data; this bound only keeps the length honest.
        let data = try reader.readLengthPrefixed(limit: PeerFrame.defaultMaxFrameBytes)
        return SnapshotChunk(transfer: transfer, slot: slot, index: index, data: data, last: last, crc: crc)
    }
}
