import NIOCore
import PaxosCore

/// What `INFO` and `/health` report about this node.
extension Node {
    /// A stale read: served from this node's applied state without asking the leader. Queued
    /// behind every apply already submitted, so it is at least as fresh as this node's own writes.
    func staleRead(key: Bytes, respond: @escaping (RequestOutcome) -> Void) {
        guard failedUntil == nil else {
            respond(.failed(code: "UNAVAILABLE", message: "replica \(settings.id) is in a simulated failure"))
            return
        }
        let token = nextToken
        nextToken += 1
        requests[token] = TrackedRequest(kind: .read(key: key), origin: .local(respond),
                                         deadline: .now() + .milliseconds(settings.requestTimeoutMilliseconds),
                                         routedTo: settings.id, routedAt: .now())
        var jobs: [StorageJob] = [.read(key: key, token: token)]
        submit(&jobs)
    }

    /// Key facts about the replica, as `INFO` shows them (Redis's `key:value` lines).
    var infoFields: [(String, String)] {
        let status = replica.status
        var fields: [(String, String)] = [
            ("replica_id", "\(settings.id)"),
            ("cluster_id", settings.cluster.clusterID),
            ("role", failedUntil == nil ? status.role : "failed"),
            ("leader_id", status.leader.map { "\($0)" } ?? "unknown"),
            ("ballot", "\(status.promised)"),
            ("chosen_frontier", "\(status.chosenThrough)"),
            ("applied_slot", "\(status.appliedThrough)"),
            ("snapshot_slot", "\(status.snapshotThrough)"),
            ("inflight_slots", "\(status.inflightSlots)"),
            ("pending_requests", "\(status.pendingRequests)"),
            ("tracked_requests", "\(requests.count)"),
            ("members", settings.cluster.members.map { "\($0)" }.joined(separator: ",")),
            ("peers_connected", connectedPeers.map { "\($0)" }.joined(separator: ",")),
        ]
        for peer in settings.cluster.members where peer != settings.id {
            fields.append(("peer_\(peer)", links[peer]?.isConnected == true ? "connected" : "disconnected"))
        }
        fields.append(("retain_slots", "\(settings.retainSlots)"))
        fields.append(("database_bytes", "\(databaseBytes)"))
        fields.append(("compactions", "\(snapshotCounters.compactions)"))
        fields.append(("snapshots_sent", "\(snapshotCounters.sent)"))
        fields.append(("snapshots_received", "\(snapshotCounters.received)"))
        fields.append(("snapshots_installed", "\(snapshotCounters.installed)"))
        fields.append(("snapshot_last_installed", snapshotCounters.lastInstalledSlot.map { "\($0)" } ?? "none"))
        fields.append(("snapshot_transfers_aborted", "\(snapshotCounters.aborted)"))
        fields.append(("snapshot_sending_to", outgoing.keys.sorted().map { "\($0)" }.joined(separator: ",")))
        fields.append(("snapshot_receiving_from", incoming.map { "\($0.peer)" } ?? ""))
        fields.append(("fail_rate", "\(settings.failRate)"))
        fields.append(("synchronous", settings.synchronousFull ? "full" : "normal"))
        fields.append(("tick_ms", "\(settings.tickMilliseconds)"))
        return fields
    }

    func info(section: String?) -> String {
        var text = "# Replication\r\n"
        for (key, value) in infoFields { text += "\(key):\(value)\r\n" }
        return text
    }

    /// `/health` as JSON; the metrics server answers 503 while the node is failed or has no leader.
    var healthJSON: (healthy: Bool, body: String) {
        let fields = infoFields.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",")
        let healthy = failedUntil == nil && replica.leaderHint != nil
        return (healthy, "{\"status\":\"\(healthy ? "ok" : "degraded")\",\(fields)}\n")
    }
}
