public import NIOCore

/// The server's inbound RESP handler: bytes in, `RESPCommand`s out (see `RESPCommandParser`).
///
/// Install it as `ByteToMessageHandler(RESPDecoder(limits:))`. Several pipelined commands in one
/// read are emitted one after another, in order. A command over a size limit arrives with
/// `refusal` set (the stream is still aligned; see `RESPCommandParser`). A `RESPError` is fired
/// down the pipeline; the server replies `-ERR Protocol error: <description>` and MUST close the
/// connection.
public struct RESPDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPCommand

    private var parser: RESPCommandParser

    public init(limits: RESPLimits = RESPLimits()) {
        self.parser = RESPCommandParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let command = try parser.next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(command))
        return .continue
    }

    /// A client that hangs up mid-command simply loses that command, as with Redis: nothing was
    /// executed, and there is nobody left to tell.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if seenEOF { buffer.moveReaderIndex(to: buffer.writerIndex) }
        return .needMoreData
    }
}
