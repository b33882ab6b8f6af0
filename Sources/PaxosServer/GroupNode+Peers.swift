import CoreMetrics
import Logging
import NIOCore
import PaxosCore
import PaxosShell
import PaxosWire

/// A group's share of peer traffic: its frames go out over the node's links, tagged with the
/// group, and the node hands it the frames tagged for it.
extension GroupNode {
    func send(_ frame: PeerFrame, to peer: ReplicaID) {
        // A group in a simulated failure is dead: it sends nothing, as a crashed process would.
        guard !failures.isFailed else { return }
        node.send(frame, to: peer)
    }

    func flushLinks() { node.flushLinks() }

    /// A frame for this group from an authenticated peer.
    func onPeerFrame(_ frame: PeerFrame, from peer: ReplicaID) {
        guard !stopping else { return }
        // A simulated acceptor failure drops everything, exactly as a crashed process would.
        guard !failures.isFailed else { return }
        switch frame {
        case .message(_, let message):
            metrics.peerMessages.increment()
            notePeerProgress(message, from: peer)
            handle(.message(from: peer, message))
        case .forward(_, let id, let request):
            onForward(from: peer, id: id, request)
        case .forwardReply(_, let id, let outcome):
            onForwardReply(id: id, outcome)
        case .snapshotChunk(_, let chunk):
            onSnapshotChunk(from: peer, chunk)
        case .snapshotAck(_, let transfer, let index):
            onSnapshotAck(from: peer, transfer: transfer, index: index)
        case .snapshotAbort(_, let transfer, let reason):
            onSnapshotAbort(from: peer, transfer: transfer, reason: reason)
        case .hello, .helloReject, .ping, .pong, .identity:
            break
        }
    }
}
