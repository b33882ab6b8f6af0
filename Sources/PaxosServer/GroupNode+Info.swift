import NIOCore
import PaxosCore
import PaxosShell
import PaxosWire

/// What `INFO` and `/health` report about one group.
extension GroupNode {
    /// The group's own facts for `INFO` and `/health`: its replica, requests, storage and
    /// snapshots. `preferredLeader` comes from the node's group map.
    func info(preferredLeader: ReplicaID?) -> GroupInfo {
        let status = replica.status
        let transfers = GroupInfo.SnapshotTransfers(
            sent: snapshotSending.sentCount, received: snapshotReceiving.receivedCount,
            lastInstalled: snapshotReceiving.lastInstalledSlot?.rawValue,
            aborted: snapshotSending.abandonedCount + snapshotReceiving.abandonedCount,
            sendingTo: snapshotSending.transfers.keys.sorted().map(\.rawValue),
            receivingFrom: snapshotReceiving.transfer?.peer.rawValue)
        return GroupInfo(
            group: group, role: failures.isFailed ? nil : status.role, leader: status.leader?.rawValue,
            preferredLeader: preferredLeader?.rawValue, ballot: "\(status.promised)",
            chosenFrontier: status.chosenThrough.rawValue, appliedSlot: status.appliedThrough.rawValue,
            snapshotSlot: status.snapshotThrough.rawValue, inflightSlots: status.inflightSlots,
            pendingRequests: status.pendingRequests, trackedRequests: shell.trackedCount, incarnation: "\(incarnation)",
            membershipEpoch: genesisMembership == nil ? nil : status.membership.epoch,
            voters: status.membership.voters.map(\.id.rawValue), learners: status.membership.learners.map(\.id.rawValue),
            voter: status.membership.isVoter(Member(id: settings.id, incarnation: incarnation)) && genesisMembership != nil,
            membershipNext: status.latestMembership == status.membership ? nil : status.latestMembership.epoch,
            databaseBytes: databaseBytes, compactions: compactionsDone,
            snapshotsInstalled: snapshotReceiving.installedCount, transfers: transfers)
    }
}
