package import PaxosWire
import PaxosCore

/// What one node says about itself in `INFO`, or why it said nothing: one row of `paxosctl status`.
///
/// The node's whole answer is `info`, parsed by the client's one INFO parser. The fields
/// `tools/cluster status` shows (role, leader, ballot, chosen frontier, applied slot) are read
/// from it for the table and kept at the top of the JSON for scripts; on a multi-group node they
/// are nil and `groups` has one entry per group instead.
package struct NodeStatus: Hashable, Sendable, Encodable {
    /// The replica id: from INFO's `replica_id` when the node answered, else from the cluster file.
    package var id: Int?
    package var endpoint: String
    package var reachable: Bool
    /// Why the node is unreachable, or what was wrong with its answer.
    package var error: String?
    /// What the node reported; nil when it did not answer.
    package var info: NodeInfo?

    package init(node: NodeAddress, error: String) {
        id = node.id
        endpoint = "\(node.endpoint)"
        reachable = false
        self.error = error
    }

    package init(node: NodeAddress, info: NodeInfo) {
        id = Int(info.replicaID)
        endpoint = "\(node.endpoint)"
        reachable = true
        self.info = info
    }

    /// The one group of a single-group node.
    private var single: GroupInfo? {
        guard let info, info.groups.count == 1 else { return nil }
        return info.groups[0]
    }

    /// `leader`, `follower`, `candidate`, `failed` (a simulated failure).
    package var role: String? { single?.roleText }
    /// The leader this node believes in; nil when it knows none or did not answer.
    package var leader: Int? { single?.leader.map { Int($0) } }
    /// The node's promised ballot, `round.replica`.
    package var ballot: String? { single?.ballot }
    package var chosenFrontier: UInt64? { single?.chosenFrontier }
    package var appliedSlot: UInt64? { single?.appliedSlot }
    /// The membership of its next slot (single group): epoch (nil before genesis) and voters.
    package var membershipEpoch: UInt64? { single?.membershipEpoch }
    package var voters: [UInt32] { single?.voters ?? [] }
    package var learners: [UInt32] { single?.learners ?? [] }

    /// One entry per consensus group on a node started with `--groups G` (G > 1); empty for a
    /// single-group node, whose one group the fields above describe.
    package var groups: [GroupStatus] {
        guard let info, info.groups.count > 1 else { return [] }
        return info.groups.map(GroupStatus.init)
    }

    private enum CodingKeys: String, CodingKey {
        case id, endpoint, reachable, role, leader, ballot
        case chosenFrontier = "chosen_frontier"
        case appliedSlot = "applied_slot"
        case error, groups, info
    }

    /// Every key is always present, null when unknown, so scripts can rely on the shape.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(endpoint, forKey: .endpoint)
        try container.encode(reachable, forKey: .reachable)
        try container.encode(role, forKey: .role)
        try container.encode(leader, forKey: .leader)
        try container.encode(ballot, forKey: .ballot)
        try container.encode(chosenFrontier, forKey: .chosenFrontier)
        try container.encode(appliedSlot, forKey: .appliedSlot)
        try container.encode(error, forKey: .error)
        try container.encode(groups, forKey: .groups)
        try container.encode(info, forKey: .info)
    }
}

/// One group of a multi-group node: the columns of its `paxosctl status` row.
package struct GroupStatus: Hashable, Sendable, Encodable {
    package var group: Int
    package var role: String
    package var leader: Int?
    package var preferredLeader: Int?
    package var ballot: String
    package var chosenFrontier: UInt64
    package var appliedSlot: UInt64

    package init(_ info: GroupInfo) {
        group = info.group.index
        role = info.roleText
        leader = info.leader.map { Int($0) }
        preferredLeader = info.preferredLeader.map { Int($0) }
        ballot = info.ballot
        chosenFrontier = info.chosenFrontier
        appliedSlot = info.appliedSlot
    }

    private enum CodingKeys: String, CodingKey {
        case group, role, leader, ballot
        case preferredLeader = "preferred_leader"
        case chosenFrontier = "chosen_frontier"
        case appliedSlot = "applied_slot"
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(group, forKey: .group)
        try container.encode(role, forKey: .role)
        try container.encode(leader, forKey: .leader)
        try container.encode(preferredLeader, forKey: .preferredLeader)
        try container.encode(ballot, forKey: .ballot)
        try container.encode(chosenFrontier, forKey: .chosenFrontier)
        try container.encode(appliedSlot, forKey: .appliedSlot)
    }
}
