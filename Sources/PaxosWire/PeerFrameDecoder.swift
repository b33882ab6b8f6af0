public import NIOCore

/// Cuts a peer byte stream into `PeerFrame`s (format in `PeerFrame.swift`).
///
/// Install it as `ByteToMessageHandler(PeerFrameDecoder())`. The length field is validated as soon
/// as its four bytes arrive, so an oversized or impossible frame is refused before its body is
/// buffered. Any error is final: `ByteToMessageHandler` stops decoding and fires the
/// `PeerWireError` down the pipeline, and the server MUST close the connection, because after a
/// bad frame the stream can no longer be trusted to be aligned on frame boundaries.
///
/// Until it has decoded a `helloProof`, the decoder accepts only frames of up to
/// `handshakeMaxFrameBytes`: a connection that has not authenticated can make the node buffer
/// a few KiB, not `maxFrameBytes`. The accepting side of a connection sees the dialer's
/// `helloProof` and then the full limit applies; the dialing side never receives a `helloProof`
/// (the acceptor sends only handshake frames and 14-byte pongs), so its limit stays small for good.
public struct PeerFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = PeerFrame

    /// The largest length field accepted once a `helloProof` has been decoded.
    public let maxFrameBytes: Int
    /// The largest length field accepted before that.
    public let handshakeMaxFrameBytes: Int
    /// Whether a `helloProof` has gone by. The server checks the proof as soon as it is fired,
    /// before the next frame is decoded, and closes on a wrong one.
    private var sawHelloProof = false

    /// The limit the next frame's length field is checked against.
    public var currentMaxFrameBytes: Int { sawHelloProof ? maxFrameBytes : handshakeMaxFrameBytes }

    /// - Precondition: both limits are at least the smallest frame and fit the u32 length field.
    ///   A handshake limit above `maxFrameBytes` is lowered to it.
    public init(maxFrameBytes: Int = PeerFrame.defaultMaxFrameBytes,
                handshakeMaxFrameBytes: Int = PeerFrame.handshakeMaxFrameBytes) {
        for (name, limit) in [("maxFrameBytes", maxFrameBytes), ("handshakeMaxFrameBytes", handshakeMaxFrameBytes)] {
            precondition(limit >= PeerFrame.minimumLength && limit <= Int(UInt32.max),
                         "\(name) \(limit) is outside \(PeerFrame.minimumLength)...\(UInt32.max)")
        }
        self.maxFrameBytes = maxFrameBytes
        self.handshakeMaxFrameBytes = min(handshakeMaxFrameBytes, maxFrameBytes)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try PeerFrame.next(from: &buffer, maxFrameBytes: currentMaxFrameBytes) else {
            return .needMoreData
        }
        if case .hello(.proof) = frame { sawHelloProof = true }
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
