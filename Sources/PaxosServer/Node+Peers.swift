import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosWire

/// Peer traffic: outbound frames go through one `PeerLink` per peer (one TCP connection each
/// way per pair); inbound frames arrive from `PeerInboundHandler` after the handshake.
extension Node {
    func send(_ frame: PeerFrame, to peer: ReplicaID) {
        guard failedUntil == nil, let link = links[peer] else { return }
        link.write(frame)
        dirtyLinks.insert(peer)
    }

    /// Flushes every link written to since the last flush: one syscall per peer per step.
    func flushLinks() {
        for peer in dirtyLinks { links[peer]?.flush() }
        dirtyLinks.removeAll(keepingCapacity: true)
    }

    /// A frame from an authenticated peer (the handshake already checked cluster and replica id).
    func onPeerFrame(_ frame: PeerFrame, from peer: ReplicaID) {
        guard !stopping else { return }
        // A simulated acceptor failure drops everything, exactly as a crashed process would.
        guard failedUntil == nil else { return }
        switch frame {
        case .message(let group, let message):
            guard group == 0 else {
                logger.info("dropping frame for unknown group", metadata: ["peer.id": "\(peer)", "paxos.group": "\(group)"])
                return
            }
            metrics.peerMessages.increment()
            handle(.message(from: peer, message))
        case .forward(let id, let request):
            onForward(from: peer, id: id, request)
        case .forwardReply(let id, let outcome):
            onForwardReply(id: id, outcome)
        case .snapshotChunk(let group, let chunk):
            guard group == 0 else { return }
            onSnapshotChunk(from: peer, chunk)
        case .snapshotAck(let group, let transfer, let index):
            guard group == 0 else { return }
            onSnapshotAck(from: peer, transfer: transfer, index: index)
        case .snapshotAbort(let group, let transfer, let reason):
            guard group == 0 else { return }
            onSnapshotAbort(from: peer, transfer: transfer, reason: reason)
        case .hello, .helloReject:
            logger.info("unexpected handshake frame after the handshake", metadata: ["peer.id": "\(peer)"])
        }
    }

    /// Peers we currently have an outbound connection to.
    var connectedPeers: [ReplicaID] { links.filter { $0.value.isConnected }.map(\.key).sorted() }
}
