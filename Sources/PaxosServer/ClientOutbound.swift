import NIOCore
import PaxosWire

/// What a client connection's pipeline writes: a reply to encode, or bytes already encoded.
///
/// Keyspace notifications go to many connections at once (`Node.publish`): each message is
/// encoded once per RESP version and each subscriber gets one buffer of all its messages per
/// publish, instead of a `RESPValue` converted, boxed and encoded per message per connection
/// (with 100 subscribers that per-connection work was most of a node's CPU).
enum ClientOutbound: Sendable {
    case value(RESPValue)
    case encoded(ByteBuffer)
}

/// The client pipeline's encoder (`NodeService`): RESP for replies, bytes as they are for
/// `.encoded`.
struct ClientOutboundEncoder: MessageToByteEncoder, Sendable {
    typealias OutboundIn = ClientOutbound

    func encode(data: ClientOutbound, out: inout ByteBuffer) throws {
        switch data {
        case .value(let value): value.write(to: &out)
        case .encoded(var bytes): out.writeBuffer(&bytes)
        }
    }
}
