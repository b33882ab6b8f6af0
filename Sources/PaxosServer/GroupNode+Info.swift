import NIOCore
import PaxosCore
import PaxosWire

/// Stale reads, and what `INFO` and `/health` report about one group.
extension GroupNode {
    /// A stale read: served from this node's applied state without asking the leader. Queued
    /// behind every apply already submitted, so it is at least as fresh as this node's own writes.
    func staleRead(key: Bytes, respond: @escaping (RequestOutcome) -> Void) {
        guard failedUntil == nil else {
            respond(.failed(code: ServerErrorCode.unavailable.rawValue, message: "replica \(settings.id) is in a simulated failure"))
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

    /// The group's own facts for `INFO`: its replica, requests, storage and snapshots.
    var replicationFields: [(String, String)] {
        let status = replica.status
        return [
            ("role", failedUntil == nil ? status.role.rawValue : "failed"),
            ("leader_id", status.leader.map { "\($0)" } ?? "unknown"),
            ("ballot", "\(status.promised)"),
            ("chosen_frontier", "\(status.chosenThrough)"),
            ("applied_slot", "\(status.appliedThrough)"),
            ("snapshot_slot", "\(status.snapshotThrough)"),
            ("inflight_slots", "\(status.inflightSlots)"),
            ("pending_requests", "\(status.pendingRequests)"),
            ("tracked_requests", "\(requests.count)"),
            ("incarnation", "\(incarnation)"),
            ("membership_epoch", genesisMembership == nil ? "none" : "\(status.membership.epoch)"),
            ("voters", status.membership.voters.map { "\($0.id)" }.joined(separator: ";")),
            ("learners", status.membership.learners.map { "\($0.id)" }.joined(separator: ";")),
            ("voter", status.membership.isVoter(Member(id: settings.id, incarnation: incarnation)) && genesisMembership != nil ? "yes" : "no"),
            ("membership_next", status.latestMembership == status.membership ? "none" : "\(status.latestMembership.epoch)"),
        ]
    }

    var storageFields: [(String, String)] {
        [
            ("database_bytes", "\(databaseBytes)"),
            ("compactions", "\(snapshotCounters.compactions)"),
            ("snapshots_sent", "\(snapshotCounters.sent)"),
            ("snapshots_received", "\(snapshotCounters.received)"),
            ("snapshots_installed", "\(snapshotCounters.installed)"),
            ("snapshot_last_installed", snapshotCounters.lastInstalledSlot.map { "\($0)" } ?? "none"),
            ("snapshot_transfers_aborted", "\(snapshotCounters.aborted)"),
            ("snapshot_sending_to", outgoing.keys.sorted().map { "\($0)" }.joined(separator: ",")),
            ("snapshot_receiving_from", incoming.map { "\($0.peer)" } ?? ""),
        ]
    }

    /// Healthy: not failed, and a leader is known.
    var isHealthy: Bool { failedUntil == nil && replica.leaderHint != nil }
}
