import Foundation
import Logging
import PaxosCore
import PaxosWire

/// Who a node is beyond its replica id: the cluster UUID recorded at genesis and, per group, the
/// incarnation of its database and the first membership (see `PeerIdentity`, `Membership`).
///
/// ## Genesis
/// A brand-new cluster has no membership naming real incarnations, so nobody votes until one is
/// recorded. Each node sends its identity on every connection it dials once authenticated. The
/// bootstrap member with the lowest id performs genesis once every bootstrap member (cluster
/// file entries not marked `"bootstrap": false`) has reported *no* cluster UUID: it draws a
/// UUID, builds each group's first membership from the incarnations reported, records both
/// durably, and only then announces them. A node without a UUID that hears a peer's adopts it
/// (recording it durably too). Requiring every bootstrap member is what makes it safe: if any of
/// them had ever accepted anything, it would report a UUID, so nothing can have been chosen yet.
///
/// A node whose database is new while the cluster exists (a wiped disk, a spare) adopts the
/// genesis from any peer and is a learner until a membership names its incarnation. A peer that
/// reports another UUID belongs to another cluster (re-created with the same name and secret):
/// its frames are dropped and nothing is sent to it.
extension Node {
    /// Our identity frame: cluster UUID and every group's database.
    var identity: PeerIdentity {
        PeerIdentity(clusterUUID: clusterUUID ?? "", groups: groups.map(\.identity))
    }

    /// Our outbound link to `peer` authenticated: tell it who we are.
    func onPeerConnected(_ peer: ReplicaID) {
        send(.identity(identity), to: peer)
        flushLinks()
    }

    func broadcastIdentity() {
        for peer in links.keys where !foreignPeers.contains(peer) { send(.identity(identity), to: peer) }
        flushLinks()
    }

    func onPeerIdentity(_ theirs: PeerIdentity, from peer: ReplicaID) {
        guard theirs.groups.count == groups.count else {
            logger.warning("peer runs another number of groups; ignoring its identity", metadata: [
                "peer.id": "\(peer)", "paxos.groups": "\(groups.count)", "peer.groups": "\(theirs.groups.count)",
            ])
            return
        }
        peerIdentities[peer] = theirs
        if let mine = clusterUUID {
            if !theirs.clusterUUID.isEmpty, theirs.clusterUUID != mine {
                if foreignPeers.insert(peer).inserted {
                    metrics.recordPeerRefusal("other_cluster")
                    logger.error("peer belongs to another cluster (another cluster UUID): ignoring it; was the cluster re-created, or is its data directory from elsewhere?", metadata: [
                        "peer.id": "\(peer)", "paxos.cluster_uuid": "\(mine)", "peer.cluster_uuid": "\(theirs.clusterUUID)",
                    ])
                }
                return
            }
            foreignPeers.remove(peer)
            return
        }
        if !theirs.clusterUUID.isEmpty {
            adoptGenesis(from: theirs, peer: peer)
        } else {
            considerGenesis()
        }
    }

    /// The lowest-id bootstrap member performs genesis once every bootstrap member reported no UUID.
    func considerGenesis() {
        let bootstrap = settings.cluster.bootstrapMembers
        guard clusterUUID == nil, !genesisInProgress, settings.id == bootstrap.min() else { return }
        var reported: [ReplicaID: PeerIdentity] = [:]
        for member in bootstrap where member != settings.id {
            guard let identity = peerIdentities[member], identity.clusterUUID.isEmpty else { return }
            reported[member] = identity
        }
        let uuid = UUID().uuidString.lowercased()
        genesisInProgress = true
        logger.notice("genesis: every bootstrap member has a new database; recording the cluster's first membership", metadata: [
            "paxos.cluster_uuid": "\(uuid)", "paxos.members": "\(bootstrap.map(\.rawValue))",
        ])
        for group in groups {
            let voters = bootstrap.map { id in
                Member(id: id, incarnation: id == settings.id ? group.incarnation : reported[id]!.groups[group.group.index].incarnation)
            }
            group.recordGenesis(clusterUUID: uuid, membership: Membership(epoch: 1, voters: voters))
        }
    }

    /// A node with a new database learns the cluster it belongs to from a peer.
    func adoptGenesis(from theirs: PeerIdentity, peer: ReplicaID) {
        guard clusterUUID == nil, !genesisInProgress else { return }
        guard theirs.groups.allSatisfy({ $0.genesis != nil }) else {
            logger.warning("peer reports a cluster UUID without a first membership; ignoring it", metadata: ["peer.id": "\(peer)"])
            return
        }
        genesisInProgress = true
        logger.notice("adopting the cluster's first membership from a peer", metadata: [
            "peer.id": "\(peer)", "paxos.cluster_uuid": "\(theirs.clusterUUID)",
        ])
        for group in groups {
            group.recordGenesis(clusterUUID: theirs.clusterUUID, membership: theirs.groups[group.group.index].genesis!)
        }
    }

    /// A group's genesis record is durable; once every group's is, the node has its cluster UUID
    /// and tells its peers.
    func onGroupGenesisRecorded(clusterUUID uuid: String) {
        guard groups.allSatisfy({ $0.genesisMembership != nil }) else { return }
        clusterUUID = uuid
        genesisInProgress = false
        broadcastIdentity()
    }
}
