public import NIOCore

/// Cuts a peer byte stream into `PeerFrame`s (format in `PeerFrame.swift`).
///
/// Install it as `ByteToMessageHandler(PeerFrameDecoder())`. The length field is validated as soon
/// as its four bytes arrive, so an oversized or impossible frame is refused before its body is
/// buffered. Any error is final: `ByteToMessageHandler` stops decoding and fires the
/// `PeerWireError` down the pipeline, and the server MUST close the connection, because after a
/// bad frame the stream can no longer be trusted to be aligned on frame boundaries.
public struct PeerFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = PeerFrame

    /// The largest length field accepted.
    public let maxFrameBytes: Int

    /// - Precondition: `maxFrameBytes` is at least the smallest frame and fits the u32 length field.
    public init(maxFrameBytes: Int = PeerFrame.defaultMaxFrameBytes) {
        precondition(
            maxFrameBytes >= PeerFrame.minimumLength && maxFrameBytes <= Int(UInt32.max),
            "maxFrameBytes \(maxFrameBytes) is outside \(PeerFrame.minimumLength)...\(UInt32.max)")
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try PeerFrame.next(from: &buffer, maxFrameBytes: maxFrameBytes) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    /// At end of stream a partial frame is an error: the peer died or cut the connection mid-write,
    /// and the server should hear about it rather than lose the bytes silently.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if seenEOF && buffer.readableBytes > 0 {
            let buffered = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: buffered)
            throw PeerWireError.truncatedFrame(buffered: buffered)
        }
        return .needMoreData
    }
}

extension PeerFrame {
    /// Takes the next complete frame off the front of `buffer`, or returns nil and consumes
    /// nothing if it has not fully arrived yet.
    static func next(from buffer: inout ByteBuffer, maxFrameBytes: Int) throws(PeerWireError) -> PeerFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        let frameLength = Int(length)
        try checkLength(frameLength, maxFrameBytes: maxFrameBytes)
        let bodyStart = buffer.readerIndex + lengthFieldBytes
        guard
            buffer.readableBytes >= lengthFieldBytes + frameLength,
            let body = buffer.getBytes(at: bodyStart, length: frameLength - 4),
            let checksum = buffer.getInteger(at: bodyStart + frameLength - 4, as: UInt32.self)
        else { return nil }
        buffer.moveReaderIndex(forwardBy: lengthFieldBytes + frameLength)
        return try decode(body: body, checksum: checksum)
    }
}
