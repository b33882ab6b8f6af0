import PaxosClient

/// What one node says about itself in `INFO`, or why it said nothing: one row of `paxosctl status`.
///
/// The fields are the ones `tools/cluster status` shows (role, leader, ballot, chosen frontier,
/// applied slot), read over the network instead of through local pid files, so the table works
/// against any cluster the operator can reach.
package struct NodeStatus: Hashable, Sendable, Encodable {
    /// The replica id: from INFO's `replica_id` when the node answered, else from the cluster file.
    package var id: Int?
    package var endpoint: String
    package var reachable: Bool
    /// `leader`, `follower`, `candidate`, `failed` (a simulated failure), ...
    package var role: String?
    /// The leader this node believes in; nil when it knows none (`unknown`) or did not answer.
    package var leader: Int?
    /// The node's promised ballot, `round.replica`.
    package var ballot: String?
    package var chosenFrontier: UInt64?
    package var appliedSlot: UInt64?
    /// The membership of its next slot (single-group INFO): epoch, voter and learner ids, and
    /// whether this node is one of the voters.
    package var membershipEpoch: String?
    package var voters: String?
    package var learners: String?
    package var voter: String?
    /// Why the node is unreachable, or what was wrong with its answer.
    package var error: String?
    /// One entry per consensus group on a node started with `--groups G` (G > 1); empty for a
    /// single-group node, whose one group the fields above describe.
    package var groups: [GroupStatus] = []

    package init(node: NodeAddress, error: String) {
        id = node.id
        endpoint = "\(node.endpoint)"
        reachable = false
        self.error = error
    }

    /// A row from a node's INFO fields; fields it lacks stay nil.
    package init(node: NodeAddress, info: [String: String]) {
        id = info["replica_id"].flatMap { Int($0) } ?? node.id
        endpoint = "\(node.endpoint)"
        reachable = true
        role = info["role"]
        leader = info["leader_id"].flatMap { Int($0) }
        ballot = info["ballot"]
        chosenFrontier = info["chosen_frontier"].flatMap { UInt64($0) }
        appliedSlot = info["applied_slot"].flatMap { UInt64($0) }
        membershipEpoch = info["membership_epoch"]
        voters = info["voters"]
        learners = info["learners"]
        voter = info["voter"]
        let count = info["groups"].flatMap { Int($0) } ?? 1
        if count > 1 {
            groups = (0..<count).compactMap { index in
                info["group\(index)"].map { GroupStatus(group: index, line: $0) }
            }
        }
    }

    private enum CodingKeys: String, CodingKey {
        case id, endpoint, reachable, role, leader, ballot
        case chosenFrontier = "chosen_frontier"
        case appliedSlot = "applied_slot"
        case error, groups
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
    }
}

/// One group's line of a multi-group node's INFO (`group2:role=leader,leader_id=3,...`).
package struct GroupStatus: Hashable, Sendable, Encodable {
    package var group: Int
    package var role: String?
    package var leader: Int?
    package var preferredLeader: Int?
    package var ballot: String?
    package var chosenFrontier: UInt64?
    package var appliedSlot: UInt64?

    /// Parses `key=value` pairs separated by commas; unknown keys are ignored, missing ones nil.
    package init(group: Int, line: String) {
        self.group = group
        let fields = PaxosClient.parseGroupInfo(line)
        role = fields["role"]
        leader = fields["leader_id"].flatMap { Int($0) }
        preferredLeader = fields["preferred_leader"].flatMap { Int($0) }
        ballot = fields["ballot"]
        chosenFrontier = fields["chosen_frontier"].flatMap { UInt64($0) }
        appliedSlot = fields["applied_slot"].flatMap { UInt64($0) }
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
