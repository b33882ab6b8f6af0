import NIOCore
import PaxosCore

/// What `INFO` and `/health` report about this node and its groups.
///
/// With one group the fields are exactly those of a node before sharding. With several, the
/// `# Replication` section keeps the node-wide fields and adds `groups` and `groups_led`, and a
/// `# Groups` section has one line per group in Redis's `db0:keys=1,...` style:
/// `group2:role=leader,leader_id=3,preferred_leader=3,ballot=4.3,chosen_frontier=812,...`.
extension Node {
    var infoFields: [(String, String)] {
        var fields: [(String, String)] = [("replica_id", "\(settings.id)"), ("cluster_id", settings.cluster.clusterID),
                                          ("cluster_uuid", clusterUUID ?? "none")]
        if groups.count == 1 {
            fields += groups[0].replicationFields
        } else {
            fields.append(("groups", "\(groups.count)"))
            let led = groups.filter { $0.replica.roleName == "leader" && $0.failedUntil == nil }.map { "\($0.group)" }
            fields.append(("groups_led", led.joined(separator: ",")))
        }
        fields.append(("members", settings.cluster.members.map { "\($0)" }.joined(separator: ",")))
        fields.append(("peers_connected", connectedPeers.map { "\($0)" }.joined(separator: ",")))
        for peer in settings.cluster.members where peer != settings.id {
            fields.append(("peer_\(peer)", isConnected(to: peer) ? "connected" : "disconnected"))
        }
        fields.append(("retain_slots", "\(settings.retainSlots)"))
        fields.append(("retain_bytes", "\(settings.retainBytes)"))
        if groups.count == 1 {
            fields += groups[0].storageFields
        } else {
            fields.append(("database_bytes", "\(groups.reduce(0) { $0 + $1.databaseBytes })"))
        }
        fields.append(("fail_rate", "\(settings.failRate)"))
        fields.append(("synchronous", settings.synchronousFull ? "full" : "normal"))
        fields.append(("tick_ms", "\(settings.tickMilliseconds)"))
        return fields
    }

    /// One `key=value,...` line per group (several groups only).
    var groupLines: [(String, String)] {
        guard groups.count > 1 else { return [] }
        return groups.map { group in
            let preferred = groupMap.preferredLeader(of: group.group, members: settings.cluster.bootstrapMembers)
            var fields = group.replicationFields
            fields.insert(("preferred_leader", preferred.map { "\($0)" } ?? "none"), at: 2)
            fields += group.storageFields.filter { ["database_bytes", "compactions", "snapshots_installed"].contains($0.0) }
            return ("group\(group.group)", fields.map { "\($0.0)=\($0.1)" }.joined(separator: ","))
        }
    }

    func info(section: String?) -> String {
        var text = "# Replication\r\n"
        for (key, value) in infoFields { text += "\(key):\(value)\r\n" }
        if groups.count > 1 {
            text += "\r\n# Groups\r\n"
            for (key, value) in groupLines { text += "\(key):\(value)\r\n" }
        }
        return text
    }

    /// `/health` as JSON; the metrics server answers 503 while any group is failed or has no leader.
    var healthJSON: (healthy: Bool, body: String) {
        let fields = (infoFields + groupLines).map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
        let healthy = groups.allSatisfy(\.isHealthy)
        return (healthy, "{\"status\":\"\(healthy ? "ok" : "degraded")\",\(fields)}\n")
    }
}
