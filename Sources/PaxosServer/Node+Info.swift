import Foundation
import NIOCore
import PaxosCore
import PaxosWire

/// What `INFO` and `/health` report about this node and its groups: one `NodeInfo`, filled here
/// and rendered by `NodeInfo.infoText` (INFO) or `JSONEncoder` (`/health`).
///
/// With one group the fields are exactly those of a node before sharding. With several, the
/// `# Replication` section keeps the node-wide fields and adds `groups` and `groups_led`, and a
/// `# Groups` section has one line per group in Redis's `db0:keys=1,...` style:
/// `group2:role=leader,leader_id=3,preferred_leader=3,ballot=4.3,chosen_frontier=812,...`.
extension Node {
    var nodeInfo: NodeInfo {
        let members = settings.cluster.members
        let groupInfos = groups.map { group in
            group.info(preferredLeader: groupMap.preferredLeader(of: group.group, members: settings.cluster.bootstrapMembers))
        }
        return NodeInfo(
            replicaID: settings.id.rawValue, clusterID: settings.cluster.clusterID, clusterUUID: clusterUUID,
            members: members.map(\.rawValue), peersConnected: connectedPeers.map(\.rawValue),
            peers: members.filter { $0 != settings.id }.map { NodeInfo.Peer(id: $0.rawValue, connected: isConnected(to: $0)) },
            retainSlots: settings.retainSlots, retainBytes: settings.retainBytes,
            databaseBytes: groupInfos.reduce(0) { $0 + $1.databaseBytes }, failRate: settings.failRate,
            synchronous: settings.synchronousFull ? .full : .normal, tickMilliseconds: settings.tickMilliseconds,
            groups: groupInfos)
    }

    func info(section: String?) -> String { nodeInfo.infoText }

    /// `/health` as JSON; the metrics server answers 503 while any group is failed or has no leader.
    var healthJSON: (healthy: Bool, body: String) {
        Self.healthJSON(nodeInfo)
    }

    /// `NodeHealth` through `JSONEncoder`, keys sorted, so any cluster id gives valid JSON.
    static func healthJSON(_ info: NodeInfo) -> (healthy: Bool, body: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(NodeHealth(info: info))
            return (info.isHealthy, String(decoding: data, as: UTF8.self) + "\n")
        } catch {
            // Only a non-finite Double fails to encode, and fail_rate is validated at startup.
            preconditionFailure("node \(info.replicaID): /health does not encode: \(error)")
        }
    }
}
