import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosWire

/// The accepting side of a peer connection: the first frame must be a `hello` from a member of
/// our cluster; after that every frame goes to the node.
final class PeerInboundHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    typealias OutboundOut = PeerFrame

    let node: Node
    private var peer: ReplicaID?

    init(node: Node) { self.node = node }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let peer else {
            handshake(frame, context: context)
            return
        }
        node.onPeerFrame(frame, from: peer)
    }

    private func handshake(_ frame: PeerFrame, context: ChannelHandlerContext) {
        guard case .hello(let clusterID, let replicaID) = frame else {
            refuse("the first frame must be hello", context: context)
            return
        }
        guard clusterID == node.settings.cluster.clusterID else {
            refuse("cluster id '\(clusterID)' differs from ours ('\(node.settings.cluster.clusterID)')", context: context)
            return
        }
        guard replicaID != node.settings.id, node.settings.cluster.members.contains(replicaID) else {
            refuse("replica \(replicaID) is not a peer in our configuration", context: context)
            return
        }
        peer = replicaID
        node.links[replicaID]?.reconnectNow()
    }

    private func refuse(_ reason: String, context: ChannelHandlerContext) {
        node.logger.warning("refusing peer connection", metadata: [
            "reason": "\(reason)", "peer.address": "\(context.remoteAddress.map { "\($0)" } ?? "?")",
        ])
        context.writeAndFlush(wrapOutboundOut(.helloReject(reason: reason))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A bad checksum, an oversized or truncated frame: drop the connection, keep the node.
        node.logger.warning("closing peer connection after a wire error", metadata: [
            "peer.id": "\(peer.map { "\($0)" } ?? "unknown")", "error": "\(error)",
        ])
        node.metrics.peerWireErrors.increment()
        context.close(promise: nil)
    }
}
