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

    /// The group's own facts for `INFO` and `/health`: its replica, requests, storage and
    /// snapshots. `preferredLeader` comes from the node's group map.
    func info(preferredLeader: ReplicaID?) -> GroupInfo {
        let status = replica.status
        let transfers = GroupInfo.SnapshotTransfers(
            sent: snapshotCounters.sent, received: snapshotCounters.received,
            lastInstalled: snapshotCounters.lastInstalledSlot?.rawValue, aborted: snapshotCounters.aborted,
            sendingTo: outgoing.keys.sorted().map(\.rawValue), receivingFrom: incoming?.peer.rawValue)
        return GroupInfo(
            group: group, role: failedUntil == nil ? status.role : nil, leader: status.leader?.rawValue,
            preferredLeader: preferredLeader?.rawValue, ballot: "\(status.promised)",
            chosenFrontier: status.chosenThrough.rawValue, appliedSlot: status.appliedThrough.rawValue,
            snapshotSlot: status.snapshotThrough.rawValue, inflightSlots: status.inflightSlots,
            pendingRequests: status.pendingRequests, trackedRequests: requests.count, incarnation: "\(incarnation)",
            membershipEpoch: genesisMembership == nil ? nil : status.membership.epoch,
            voters: status.membership.voters.map(\.id.rawValue), learners: status.membership.learners.map(\.id.rawValue),
            voter: status.membership.isVoter(Member(id: settings.id, incarnation: incarnation)) && genesisMembership != nil,
            membershipNext: status.latestMembership == status.membership ? nil : status.latestMembership.epoch,
            databaseBytes: databaseBytes, compactions: snapshotCounters.compactions,
            snapshotsInstalled: snapshotCounters.installed, transfers: transfers)
    }
}
