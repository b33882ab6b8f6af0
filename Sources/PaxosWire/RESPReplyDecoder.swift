public import NIOCore

/// The client's inbound RESP handler: bytes in, `RESPValue` replies out (see `RESPReplyParser`).
///
/// Install it as `ByteToMessageHandler(RESPReplyDecoder(limits:))`. Replies are emitted in the
/// order they arrive, which is the order the commands were sent.
public struct RESPReplyDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue

    private let parser: RESPReplyParser

    public init(limits: RESPLimits = RESPLimits()) {
        self.parser = RESPReplyParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let reply = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }

    /// A reply cut off by the server closing the connection is dropped: the client fails every
    /// outstanding request when the channel goes inactive, which covers this one too.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if seenEOF { buffer.moveReaderIndex(to: buffer.writerIndex) }
        return .needMoreData
    }
}
