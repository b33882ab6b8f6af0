public import NIOCore

/// The outbound RESP handler for both sides: the server writes replies with it and the client
/// writes commands (`RESPValue.command(_:)`). Install it as `MessageToByteHandler(RESPEncoder())`.
public struct RESPEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = RESPValue

    public init() {}

    public func encode(data: RESPValue, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
