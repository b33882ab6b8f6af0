import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosWire

/// The accepting side of a peer connection once it has authenticated: `PeerAcceptorHandler`
/// (before it in the pipeline) runs the handshake and fires `PeerAuthenticated`; every frame
/// after that goes to the node as coming from that peer.
///
/// - Invariant: no frame arrives before `PeerAuthenticated`, so `Node.onPeerFrame` never sees a
///   frame from a connection that has not proved it holds the cluster secret.
final class PeerInboundHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame

    let node: Node
    private var peer: ReplicaID?

    init(node: Node) { self.node = node }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let authenticated = event as? PeerAuthenticated else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        precondition(peer == nil, "peer connection authenticated twice")
        peer = authenticated.peer
        node.logger.debug("peer authenticated", metadata: ["peer.id": "\(authenticated.peer)"])
        node.links[authenticated.peer]?.reconnectNow()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let peer else {
            preconditionFailure("a peer frame arrived before the handshake authenticated the connection")
        }
        node.onPeerFrame(unwrapInboundIn(data), from: peer)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A bad checksum, an oversized or truncated frame from an authenticated peer: drop the
        // connection, keep the node. (Errors before authentication end in PeerAcceptorHandler.)
        let (log, suppressed) = node.peerWireErrorLog.shouldLog(now: .now())
        if log {
            node.logger.warning("closing peer connection after a wire error", metadata: [
                "peer.id": "\(peer.map { "\($0)" } ?? "unknown")", "error": "\(error)", "suppressed": "\(suppressed)",
            ])
        }
        node.metrics.peerWireErrors.increment()
        context.close(promise: nil)
    }
}
