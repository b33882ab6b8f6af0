public import PaxosCore

/// What a node reports about itself: the one contract behind `INFO`, `/health`,
/// `paxosctl status` and the tools.
///
/// The server fills a `NodeInfo` once per request and renders it two ways: as Redis-style
/// `INFO` text (`NodeInfo+INFOText.swift`, byte-identical to what redis-cli users have always
/// seen) and as JSON for `/health` through `JSONEncoder` (the keys below, sorted; numbers as
/// numbers). Clients parse `INFO` text back into a `NodeInfo` with the one parser next to the
/// renderer, so the two cannot drift apart; `paxosctl status --json` prints it again as JSON.
///
/// With one group, the group's facts are top-level `INFO` fields. With several, the node-wide
/// fields stay and each group gets one `groupN:key=value,...` line carrying a subset of the
/// group fields (see `GroupInfo`): fields that line lacks parse as nil.
///
/// The JSON keys are the `INFO` field names (`replica_id`, `chosen_frontier`, ...); they are
/// part of the contract and MUST NOT be renamed. An optional field that is nil (INFO's `none`,
/// `unknown`, `failed` or empty value) is left out of the JSON.
public struct NodeInfo: Codable, Hashable, Sendable {
    public var replicaID: UInt32
    public var clusterID: String
    /// Nil until the node has joined a cluster (INFO: `none`).
    public var clusterUUID: String?
    public var members: [UInt32]
    public var peersConnected: [UInt32]
    /// One entry per member other than this node, in `members` order.
    public var peers: [Peer]
    public var retainSlots: UInt64
    public var retainBytes: Int64
    /// The sum over every group's database files.
    public var databaseBytes: Int64
    public var failRate: Double
    public var synchronous: Synchronous
    public var tickMilliseconds: Int64
    /// - Invariant: not empty; ordered by `group`, starting at 0.
    public var groups: [GroupInfo]

    public init(
        replicaID: UInt32, clusterID: String, clusterUUID: String?, members: [UInt32], peersConnected: [UInt32],
        peers: [Peer], retainSlots: UInt64, retainBytes: Int64, databaseBytes: Int64, failRate: Double,
        synchronous: Synchronous, tickMilliseconds: Int64, groups: [GroupInfo]
    ) {
        self.replicaID = replicaID
        self.clusterID = clusterID
        self.clusterUUID = clusterUUID
        self.members = members
        self.peersConnected = peersConnected
        self.peers = peers
        self.retainSlots = retainSlots
        self.retainBytes = retainBytes
        self.databaseBytes = databaseBytes
        self.failRate = failRate
        self.synchronous = synchronous
        self.tickMilliseconds = tickMilliseconds
        self.groups = groups
    }

    /// Healthy: every group is up (not in a simulated failure) and knows a leader.
    public var isHealthy: Bool { groups.allSatisfy { $0.role != nil && $0.leader != nil } }

    /// The groups this node leads.
    public var groupsLed: [GroupID] { groups.filter { $0.role == .leader }.map(\.group) }

    public struct Peer: Codable, Hashable, Sendable {
        public var id: UInt32
        public var connected: Bool
        public init(id: UInt32, connected: Bool) {
            self.id = id
            self.connected = connected
        }
    }

    /// SQLite's `synchronous` setting the node runs with.
    public enum Synchronous: String, Codable, Hashable, Sendable {
        case full
        case normal
    }

    enum CodingKeys: String, CodingKey {
        case replicaID = "replica_id"
        case clusterID = "cluster_id"
        case clusterUUID = "cluster_uuid"
        case members
        case peersConnected = "peers_connected"
        case peers
        case retainSlots = "retain_slots"
        case retainBytes = "retain_bytes"
        case databaseBytes = "database_bytes"
        case failRate = "fail_rate"
        case synchronous
        case tickMilliseconds = "tick_ms"
        case groups
    }
}

/// What one consensus group on a node reports.
public struct GroupInfo: Codable, Hashable, Sendable {
    public var group: GroupID
    /// Nil while the replica is in a simulated failure (INFO: `failed`).
    public var role: Role?
    /// The role as INFO, paxosctl and the tools write it: `Role.rawValue`, or `failed`.
    public var roleText: String { role?.rawValue ?? "failed" }
    /// The leader this replica believes in; nil when it knows none (INFO: `unknown`).
    public var leader: UInt32?
    /// The leader the group map prefers; INFO shows it on multi-group nodes only.
    public var preferredLeader: UInt32?
    /// The promised ballot, `round.replica`.
    public var ballot: String
    public var chosenFrontier: UInt64
    public var appliedSlot: UInt64
    public var snapshotSlot: UInt64
    public var inflightSlots: Int
    public var pendingRequests: Int
    public var trackedRequests: Int
    /// The replica's incarnation in hexadecimal, as INFO and the logs print it. Text, not a
    /// number: it is a random 64-bit id, and JSON readers that hold numbers as doubles (jq,
    /// JavaScript) would round it.
    public var incarnation: String
    /// The epoch of the membership of the next slot; nil before genesis (INFO: `none`).
    public var membershipEpoch: UInt64?
    public var voters: [UInt32]
    public var learners: [UInt32]
    /// Whether this node is one of `voters`.
    public var voter: Bool
    /// The epoch of a newer chosen membership not governing yet; nil when there is none.
    public var membershipNext: UInt64?
    public var databaseBytes: Int64
    public var compactions: Int
    public var snapshotsInstalled: Int
    /// Snapshot transfer counters; nil when parsed from a multi-group INFO line, which omits them.
    public var transfers: SnapshotTransfers?

    public init(
        group: GroupID, role: Role?, leader: UInt32?, preferredLeader: UInt32?, ballot: String, chosenFrontier: UInt64,
        appliedSlot: UInt64, snapshotSlot: UInt64, inflightSlots: Int, pendingRequests: Int, trackedRequests: Int,
        incarnation: String, membershipEpoch: UInt64?, voters: [UInt32], learners: [UInt32], voter: Bool,
        membershipNext: UInt64?, databaseBytes: Int64, compactions: Int, snapshotsInstalled: Int,
        transfers: SnapshotTransfers?
    ) {
        self.group = group
        self.role = role
        self.leader = leader
        self.preferredLeader = preferredLeader
        self.ballot = ballot
        self.chosenFrontier = chosenFrontier
        self.appliedSlot = appliedSlot
        self.snapshotSlot = snapshotSlot
        self.inflightSlots = inflightSlots
        self.pendingRequests = pendingRequests
        self.trackedRequests = trackedRequests
        self.incarnation = incarnation
        self.membershipEpoch = membershipEpoch
        self.voters = voters
        self.learners = learners
        self.voter = voter
        self.membershipNext = membershipNext
        self.databaseBytes = databaseBytes
        self.compactions = compactions
        self.snapshotsInstalled = snapshotsInstalled
        self.transfers = transfers
    }

    /// Snapshots sent to and received from peers.
    public struct SnapshotTransfers: Codable, Hashable, Sendable {
        public var sent: Int
        public var received: Int
        public var lastInstalled: UInt64?
        public var aborted: Int
        public var sendingTo: [UInt32]
        public var receivingFrom: UInt32?

        public init(sent: Int, received: Int, lastInstalled: UInt64?, aborted: Int, sendingTo: [UInt32], receivingFrom: UInt32?) {
            self.sent = sent
            self.received = received
            self.lastInstalled = lastInstalled
            self.aborted = aborted
            self.sendingTo = sendingTo
            self.receivingFrom = receivingFrom
        }

        enum CodingKeys: String, CodingKey {
            case sent = "snapshots_sent"
            case received = "snapshots_received"
            case lastInstalled = "snapshot_last_installed"
            case aborted = "snapshot_transfers_aborted"
            case sendingTo = "snapshot_sending_to"
            case receivingFrom = "snapshot_receiving_from"
        }
    }

    enum CodingKeys: String, CodingKey {
        case group, role
        case leader = "leader_id"
        case preferredLeader = "preferred_leader"
        case ballot
        case chosenFrontier = "chosen_frontier"
        case appliedSlot = "applied_slot"
        case snapshotSlot = "snapshot_slot"
        case inflightSlots = "inflight_slots"
        case pendingRequests = "pending_requests"
        case trackedRequests = "tracked_requests"
        case incarnation
        case membershipEpoch = "membership_epoch"
        case voters, learners, voter
        case membershipNext = "membership_next"
        case databaseBytes = "database_bytes"
        case compactions
        case snapshotsInstalled = "snapshots_installed"
        case transfers
    }
}

/// `/health`: a node's `NodeInfo` with `status` (`ok` or `degraded`) added at the top level.
public struct NodeHealth: Encodable, Sendable {
    public var info: NodeInfo

    public init(info: NodeInfo) { self.info = info }

    public var status: String { info.isHealthy ? "ok" : "degraded" }

    private enum CodingKeys: String, CodingKey { case status }

    /// The info's keys and `status` in one object: a keyed container of one encoder is shared.
    public func encode(to encoder: any Encoder) throws {
        try info.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
    }
}

extension NodeInfo {
    /// The version HELLO answers (and INFO's `paxoskv_version`): PaxosKV's own, not a Redis one.
    public static let serverVersion = "1.0.0"
}
