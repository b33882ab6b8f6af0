import CoreMetrics
import Logging
import NIOCore
import NIOSSL
import PaxosCore

/// What a peer link needs besides the peer's address: our credentials and the dialing TLS context.
struct PeerDialing {
    var credentials: PeerCredentials
    var tls: NIOSSLContext?
    var handshakeTimeout: TimeAmount
}

/// Where peers listen: the cluster file gives the bootstrap members' (and spares') addresses, and
/// a membership records the address of each member an operator added with one
/// (`MEMBER ADD id host client-port peer-port metrics-port`). A recorded address wins: it is
/// replicated, the same on every node, and newer than any file. Every node dials every member
/// whose address it learns, from the log or a snapshot, at start and whenever a group's newest
/// membership changes; and lets such members connect although its cluster file does not list them.
extension Node {
    /// Addresses recorded by the memberships this node holds, in every group; for a replica named
    /// with different addresses, the newest membership's.
    var recordedAddresses: [ReplicaID: MemberAddress] {
        var result: [ReplicaID: MemberAddress] = [:]
        for group in groups {
            for scheduled in group.replica.memberships { result.merge(scheduled.membership.addresses) { $1 } }
        }
        return result
    }

    /// Where replica `id` listens: a recorded address, else one an operator just gave, else the
    /// cluster file's.
    func address(of id: ReplicaID) -> ClusterConfiguration.ReplicaAddress? {
        if let recorded = recordedAddresses[id] ?? expectedPeers[id] {
            return ClusterConfiguration.ReplicaAddress(
                id: id.rawValue, host: recorded.host, clientPort: Int(recorded.clientPort),
                peerPort: Int(recorded.peerPort), metricsPort: Int(recorded.metricsPort), bootstrap: false)
        }
        return settings.cluster.address(of: id)
    }

    /// Dials (and admits) every member with a recorded address; called at start and after a step
    /// in which a group's newest membership changed (`GroupNode.handle`).
    func followRecordedAddresses() {
        for (id, address) in recordedAddresses where id != settings.id {
            expectedPeers[id] = nil
            connect(to: id, at: address)
        }
    }

    /// An operator named `id` with its address before any membership records it: admit and dial
    /// it now, so it can learn the cluster's genesis from us and tell us its incarnation.
    func expectPeer(_ id: ReplicaID, at address: MemberAddress) {
        if recordedAddresses[id] == nil { expectedPeers[id] = address }
        connect(to: id, at: address)
    }

    private func connect(to id: ReplicaID, at address: MemberAddress) {
        peerGate?.admitMember(id)
        if let link = links[id] {
            if link.host == address.host, link.port == Int(address.peerPort) { return }
            logger.notice("a member's recorded address differs from the one dialled; dialling the recorded one", metadata: [
                "peer.id": "\(id)", "peer.address": "\(address.host):\(address.peerPort)",
                "peer.previous_address": "\(link.host):\(link.port)",
            ])
            link.close()
        } else {
            logger.info("dialling a member the cluster file does not list", metadata: [
                "peer.id": "\(id)", "peer.address": "\(address.host):\(address.peerPort)",
            ])
        }
        openLink(to: id, host: address.host, port: Int(address.peerPort))
    }

    /// Opens (and keeps redialling) the link to `peer`.
    func openLink(to peer: ReplicaID, host: String, port: Int) {
        loop.preconditionInEventLoop()
        guard let dialing = peerDialing else { preconditionFailure("peer links opened before NodeService set peerDialing") }
        let link = PeerLink(peer: peer, host: host, port: port, loop: loop, credentials: dialing.credentials,
                            handshakeTimeout: dialing.handshakeTimeout, tls: dialing.tls, logger: logger,
                            metrics: metrics) { [weak self] peer, connected in
            guard let self else { return }
            metrics.peersConnected.record(connectedPeers.count)
            if connected { onPeerConnected(peer) } else { onPeerDisconnected(peer) }
        }
        links[peer] = link
        link.start()
    }
}
