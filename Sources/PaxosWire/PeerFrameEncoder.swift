public import NIOCore
import PaxosCore

/// Writes `PeerFrame`s onto a peer stream (format in `PeerFrame.swift`).
///
/// Install it as `MessageToByteHandler(PeerFrameEncoder())`. A frame that would exceed
/// `maxFrameBytes` fails the write with `PeerWireError.frameTooLarge` here, at the sender, where
/// the leader can split its batch, instead of being refused by every receiver.
public struct PeerFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = PeerFrame

    /// The largest length field written; match the receivers' `PeerFrameDecoder.maxFrameBytes`.
    public let maxFrameBytes: Int

    /// - Precondition: `maxFrameBytes` is at least the smallest frame and fits the u32 length field.
    public init(maxFrameBytes: Int = PeerFrame.defaultMaxFrameBytes) {
        precondition(
            maxFrameBytes >= PeerFrame.minimumLength && maxFrameBytes <= Int(UInt32.max),
            "maxFrameBytes \(maxFrameBytes) is outside \(PeerFrame.minimumLength)...\(UInt32.max)")
        self.maxFrameBytes = maxFrameBytes
    }

    public func encode(data: PeerFrame, out: inout ByteBuffer) throws {
        let body = try data.encodedBody(maxFrameBytes: maxFrameBytes)
        out.reserveCapacity(minimumWritableBytes: PeerFrame.lengthFieldBytes + body.count + 4)
        out.writeInteger(UInt32(body.count + 4))
        out.writeBytes(body)
        out.writeInteger(CRC32C.checksum(body))
    }
}
