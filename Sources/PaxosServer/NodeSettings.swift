public import PaxosAuth
public import PaxosCore
import Foundation
import PaxosShell
import PaxosStorage

/// Everything one paxosd process needs to know, resolved from the cluster file and the
/// command line (options override the file).
public struct NodeSettings: Sendable {
    public var cluster: ClusterConfiguration
    public var id: ReplicaID
    public var host: String
    public var clientPort: Int
    public var peerPort: Int
    public var metricsPort: Int
    /// The database of a single-group node (`<data>/<id>/paxos.sqlite`); with several groups,
    /// its directory holds `group-<g>.sqlite` instead (see `databasePath(group:)`).
    public var databasePath: String
    /// Independent consensus groups on this node (`--groups`, or `groups` in the cluster file);
    /// keys are spread over them by `GroupMap`. Every node of a cluster runs the same number.
    public var groups: UInt32 = 1

    /// Length of one core tick. Election timeouts and heartbeats are counted in ticks.
    public var tickMilliseconds: Int64 = 10
    /// Leader leases (`--lease-ms`; `Replica+Lease.swift`): 0 is off. Whole ticks of it bind
    /// acceptors; the leader's own lease is shorter (`LeaseTiming`).
    public var leaseMilliseconds: Int64 = 0
    /// Probability per second that the acceptor role fails (simulated crash-restart).
    public var failRate: Double = 0
    /// `synchronous=FULL` unless the operator trades durability for speed.
    public var synchronousFull = true
    /// How long a client request may wait for an answer before `-TIMEOUT`.
    public var requestTimeoutMilliseconds: Int64 = 5_000
    /// How often an unanswered forwarded request is sent again (possibly to a new leader).
    public var rerouteMilliseconds: Int64 = 300
    /// Client limits, each refused with a clear RESP error.
    public var maxKeyBytes = 1_024
    public var maxValueBytes = 1 << 20
    public var maxRequestBytes = 2 << 20
    /// Bounded, fair client serving (docs/ARCHITECTURE.md, "Bounded, fair client serving").
    /// Commands one connection may run per event-loop turn before it yields to ticks, peers and
    /// other clients.
    public var clientCommandsPerTurn = 128
    /// A connection's parsed commands waiting to run, by count and by bytes: past either, the
    /// node stops reading the socket until the queue drains (backpressure; never a close).
    public var clientQueueMaxCommands = 1_024
    public var clientQueueMaxBytes = 4 << 20
    /// Replies queued for a client that does not read: above `clientOutputSoftBytes` the node
    /// stops reading its commands; above `clientOutputHardBytes` it disconnects it (Redis's
    /// `client-output-buffer-limit normal`).
    public var clientOutputSoftBytes = 1 << 20
    public var clientOutputHardBytes = 64 << 20
    /// Most client connections at once (`--max-clients`, Redis's `maxclients`); the node lowers
    /// it at start if the descriptor limit cannot hold it plus `reservedDescriptors`.
    public var maxClients = 10_000
    /// Descriptors kept for peers, the databases, snapshots and backups, never used by clients.
    public var reservedDescriptors = 128
    /// Close a client connection idle this long; 0 = never (Redis's `timeout 0`).
    public var clientIdleTimeoutSeconds: Int64 = 0
    /// Free space the disk holding the node directory must have at start (`--min-free-mib`);
    /// 0 skips the check.
    public var minFreeDiskBytes: Int64 = 64 << 20
    /// SQLite's quick check runs at start on databases up to this size
    /// (`--integrity-check-max-mib`); 0 never runs it.
    public var integrityCheckMaxBytes: Int64 = 256 << 20
    /// Most requests a node tracks at once (local and forwarded); more get `-BUSY`.
    public var maxOutstandingRequests = 50_000
    /// The leader's pipeline window per group: slots proposed and not yet chosen. Requests that
    /// arrive while it is full wait and go out together in the next slot.
    public var maxInflightSlots = 64
    /// Seed of the core's election-timeout generator.
    public var seed: UInt64

    /// Log compaction: keep at least this many applied slots in the log, so a peer that is at
    /// most this far behind catches up by commands; one further behind receives a snapshot.
    public var retainSlots: UInt64 = 10_000
    /// Log compaction by size: keep at most this many key and value bytes of applied slots in
    /// the log (which the core holds in memory), whatever `retainSlots` says; compact once a
    /// quarter more has piled up. 10,000 slots of 1 MiB values would otherwise be 10 GiB.
    public var retainBytes: Int64 = 16 << 20
    /// How often the node checks whether to compact.
    public var compactionIntervalMilliseconds: Int64 = 3_000
    /// Compact only once this many slots beyond the retention have piled up, so each run
    /// deletes a worthwhile batch: max(100, retainSlots / 10).
    var compactionBatchSlots: UInt64 { max(100, retainSlots / 10) }
    /// A snapshot transfer that makes no progress (no chunk, no acknowledgement) for this long
    /// is abandoned by both sides.
    public var snapshotTimeoutMilliseconds: Int64 = 10_000
    /// Most snapshot chunks a sender has in flight unacknowledged (each up to 256 KiB).
    public var snapshotWindowChunks = 4
    /// `--restore`: a backup to create this node's database from, if it has none.
    public var restoreFrom: String?
    /// TLS on the client port and/or between peers; nil: plain TCP everywhere.
    public var tls: NodeTLS?

    /// The cluster secret peers prove they hold in the handshake. Required: `NodeService`
    /// refuses to start without one (optional here only so settings can be built before the
    /// file is read).
    public var secret: ClusterSecret?
    /// A peer connection that has not authenticated within this long is closed, on either side.
    public var peerHandshakeTimeoutMilliseconds: Int64 = 3_000
    /// Most accepted peer connections that have not authenticated yet; more are refused at once.
    public var maxUnauthenticatedPeers = 64

    /// Clients and BACKUP (see docs/ARCHITECTURE.md, "Clients: AUTH, roles, protected mode and
    /// BACKUP"). `users`: the users file (`--users-file` or `usersFile`); when set, clients must
    /// AUTH and are limited by their role. `protectedMode`: without users, listen for clients on
    /// loopback only. `backupDirectory`: where BACKUP writes (`--backup-dir`); by default
    /// `backups` next to the data directory, so never inside a node's own directory.
    public var users: UsersFile?
    public var protectedMode = true
    public var backupDirectory: String

    public init(cluster: ClusterConfiguration, id: ReplicaID, host: String, clientPort: Int, peerPort: Int,
                metricsPort: Int, databasePath: String, seed: UInt64) {
        self.cluster = cluster
        self.id = id
        self.host = host
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.metricsPort = metricsPort
        self.databasePath = databasePath
        self.seed = seed
        self.backupDirectory = Self.defaultBackupDirectory(databasePath: databasePath)
    }

    /// Reads the users file at `path` into `users`. - Throws: `UsersFileError`, one sentence.
    public mutating func loadUsers(path: String) throws(UsersFileError) {
        users = try UsersFile.load(path: path)
    }

    /// `<data directory>/../backups` for a database at `<data directory>/<id>/paxos.sqlite`:
    /// shared by the nodes of a local cluster, inside none of their directories, and not wiped
    /// with the data directory.
    public static func defaultBackupDirectory(databasePath: String) -> String {
        URL(fileURLWithPath: databasePath).standardizedFileURL
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("backups").path
    }

    /// The node's own directory, `<data directory>/<id>`, which BACKUP never writes into.
    public var nodeDirectory: String { (databasePath as NSString).deletingLastPathComponent }

    /// Where the client listener binds. Protected mode: with no users file, a node configured
    /// for a non-loopback address listens on loopback instead (like Redis), because anyone who
    /// can reach the port could otherwise read, write and back up everything.
    public var clientListenHost: String {
        guard users == nil, protectedMode, !Self.isLoopback(host) else { return host }
        return host.contains(":") ? "::1" : "127.0.0.1"
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Where group `group` keeps its database: `paxos.sqlite` with one group (as before
    /// sharding), `group-<g>.sqlite` next to it with several.
    public func databasePath(group: GroupID) -> String {
        guard groups > 1 else { return databasePath }
        let directory = (databasePath as NSString).deletingLastPathComponent
        return (directory as NSString).appendingPathComponent(placement(group: group).fileName)
    }

    /// What group `group`'s database records about the layout (and refuses to open as another).
    func placement(group: GroupID) -> GroupPlacement { GroupPlacement(groupCount: groups, group: group) }

    /// The core's configuration for this node's replica of `group`.
    func replicaConfiguration(group: GroupID, incarnation: Incarnation) -> ReplicaConfiguration {
        var configuration = ReplicaConfiguration(id: id, members: cluster.bootstrapMembers)
        configuration.incarnation = incarnation
        // Several groups: each has a preferred leader, spread over the nodes, which takes the
        // lead back after following a live leader, caught up, for 1 s (100 ticks).
        configuration.preferredLeader = GroupMap(count: groups).preferredLeader(of: group, members: cluster.bootstrapMembers)
        configuration.takeoverTicks = 100
        // 10 ms ticks: heartbeats every 50 ms, elections after 300-600 ms of silence.
        configuration.heartbeatIntervalTicks = Self.heartbeatIntervalTicks
        configuration.electionTimeoutTicks = Self.electionTimeoutTicks
        configuration.retransmitTicks = 20
        configuration.electionBackoffMax = 8
        configuration.maxInflightSlots = maxInflightSlots
        configuration.leaseTicks = leaseTiming.leaseTicks
        return configuration
    }

    /// paxosd's heartbeat interval and shortest election timeout, in ticks. A lease
    /// (`--lease-ms`) must lie above the first and at most the second, in whole ticks
    /// (`ReplicaConfiguration.validate`, which paxosd's option check states for the operator).
    public static let heartbeatIntervalTicks: UInt64 = 5
    public static let electionTimeoutTicks: UInt64 = 30

    /// Whether `--lease-ms` fits with `--tick-ms`: 0 (off), or whole ticks in
    /// (heartbeat interval, election timeout], as the acceptors count it.
    public static func leaseFits(milliseconds: Int64, tickMilliseconds: Int64) -> Bool {
        guard milliseconds != 0 else { return true }
        guard milliseconds > 0, tickMilliseconds > 0 else { return false }
        let ticks = UInt64(milliseconds / tickMilliseconds)
        return ticks > heartbeatIntervalTicks && ticks <= electionTimeoutTicks
    }

    /// Both sides of a lease (0 ticks: leases off).
    var leaseTiming: LeaseTiming {
        let tick = max(tickMilliseconds, 1)
        return LeaseTiming(leaseTicks: UInt64(max(0, leaseMilliseconds / tick)), tickMilliseconds: UInt64(tick))
    }

    func ticks(milliseconds: Int64) -> UInt64 { UInt64(max(1, milliseconds / max(tickMilliseconds, 1))) }
}
