import Foundation
import CoreMetrics
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import PaxosAuth
import NIOSSL
import PaxosCore
import PaxosStorage
import PaxosWire
public import ServiceLifecycle

/// paxosd as a `Service`: opens the database, rebuilds the replica, starts the listeners and the
/// peer links on one event loop, and on graceful shutdown (SIGTERM/SIGINT) stops accepting,
/// fails what is in flight, lets the storage thread commit what it has and closes the database.
public struct NodeService: Service {
    public let settings: NodeSettings
    let logger: Logger
    let renderMetrics: @Sendable () -> [UInt8]

    public init(settings: NodeSettings, logger: Logger, renderMetrics: @escaping @Sendable () -> [UInt8]) {
        self.settings = settings
        self.logger = logger
        self.renderMetrics = renderMetrics
    }

    public func run() async throws {
        guard let secret = settings.secret else {
            throw NodeStartupError("replica \(settings.id) has no cluster secret; peers could not authenticate it")
        }
        let credentials = PeerCredentials(clusterID: settings.cluster.clusterID, replica: settings.id,
                                          members: settings.cluster.members, secret: secret)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        try OutOfService.refuseIfMarked(nodeDirectory: settings.nodeDirectory)
        try checkDataLayout()
        try BackupDirectory(settings: settings).checkAtStartup()
        try restoreIfAsked()
        let tls = try settings.tls?.makeContexts() ?? NodeTLSContexts()
        let metrics = NodeMetrics()
        var nodeSettings = settings
        nodeSettings.maxClients = DescriptorBudget.admit(maxClients: settings.maxClients,
                                                         reserved: settings.reservedDescriptors, logger: logger)
        let clientIDs: ClientIDBlocks
        do { clientIDs = try ClientIDBlocks(nodeDirectory: settings.nodeDirectory) } catch {
            try await group.shutdownGracefully()
            throw NodeStartupError("\(error)")
        }
        let node = Node(settings: nodeSettings, loop: loop, logger: logger, metrics: metrics, clientIDs: clientIDs)
        let authenticator = settings.users.map {
            ClientAuthenticator(users: $0, logger: logger, failures: metrics.clientAuthFailures)
        }
        logClientAccess()
        var opened: [(StorageExecutor, SnapshotWorker)] = []
        do {
            for index in GroupID.all(count: settings.groups) {
                let (storage, durable, box, identity) = try openStorage(group: index, loop: loop)
                let worker = SnapshotWorker(databasePath: settings.databasePath(group: index))
                opened.append((storage, worker))
                let genesis = identity.clusterUUID == nil ? nil : durable.memberships.first?.membership
                let member = GroupNode(node: node, group: index, storage: storage, worker: worker, durable: durable,
                                       incarnation: identity.incarnation, genesisMembership: genesis)
                try await loop.submit {
                    box.group = member
                    node.groups.append(member)
                    if let uuid = identity.clusterUUID { node.clusterUUID = uuid }
                }.get()
                logger.info("replica state loaded", metadata: [
                    "paxos.replica": "\(settings.id)", "paxos.group": "\(index)", "paxos.ballot": "\(durable.promised)",
                    "paxos.slot": "\(durable.appliedThrough)", "paxos.snapshot": "\(durable.snapshotThrough)",
                    "log.entries": "\(durable.entries.count)", "paxos.incarnation": "\(identity.incarnation)",
                    "paxos.cluster_uuid": "\(identity.clusterUUID ?? "none yet")",
                ])
            }
        } catch {
            for (storage, worker) in opened { storage.shutdown(); worker.drain() }
            try await group.shutdownGracefully()
            throw error
        }
        var channels: [any Channel] = []
        do {
            channels.append(try await bindPeers(node: node, group: group, credentials: credentials, tls: tls.peersAccepting))
            channels.append(try await bindClients(node: node, authenticator: authenticator, group: group, tls: tls.clients))
            channels.append(try await bindMetrics(node: node, group: group))
        } catch {
            for channel in channels { try? await channel.close() }
            for (storage, worker) in opened { storage.shutdown(); worker.drain() }
            try await group.shutdownGracefully()
            throw NodeStartupError("cannot listen: \(error) (is another paxosd using the ports of replica \(settings.id)?)")
        }
        try await loop.submit {
            node.peerDialing = PeerDialing(credentials: credentials, tls: tls.peersDialing,
                                           handshakeTimeout: .milliseconds(settings.peerHandshakeTimeoutMilliseconds))
            startPeerLinks(node: node)
            node.start()
        }.get()
        logger.notice("paxosd ready", metadata: [
            "paxos.replica": "\(settings.id)", "client.address": "\(settings.clientListenHost):\(settings.clientPort)",
            "peer.address": "\(settings.host):\(settings.peerPort)", "metrics.address": "\(settings.host):\(settings.metricsPort)",
            "paxos.groups": "\(settings.groups)", "tls.clients": "\(tls.clients != nil)", "tls.peers": "\(tls.peersAccepting != nil)",
        ])

        try? await gracefulShutdown()

        logger.notice("shutting down", metadata: ["paxos.replica": "\(settings.id)"])
        for channel in channels { try? await channel.close() }
        try await loop.submit { node.stop() }.get()
        for (storage, worker) in opened { storage.shutdown(); worker.drain() }
        try await group.shutdownGracefully()
        logger.notice("stopped; database closed", metadata: ["paxos.replica": "\(settings.id)"])
    }

    /// Refuses a data directory laid out for another group count before opening anything: a
    /// single-group node has `paxos.sqlite`, a multi-group node `group-<g>.sqlite` files, and
    /// starting with another layout would silently begin an empty keyspace next to the old one.
    /// (Each group database also records its placement and refuses another at open.)
    private func checkDataLayout() throws {
        let directory = (settings.databasePath as NSString).deletingLastPathComponent
        try NodeDatabaseFiles.list(inNodeDirectory: directory).refuse(groupCount: settings.groups)
        try DiskRoom.check(directory: directory, minimumFreeBytes: settings.minFreeDiskBytes)
        try DiskRoom.checkWritable(directory: directory)
    }

    /// `--restore <backup>`: creates this node's databases from a backup, once — the file BACKUP
    /// wrote for one group, or the directory of `group-<g>.sqlite` files for several. A node that
    /// has a database already refuses to start rather than guess which of the two the operator meant.
    private func restoreIfAsked() throws {
        guard let backup = settings.restoreFrom else { return }
        for index in GroupID.all(count: settings.groups) {
            let target = settings.databasePath(group: index)
            guard !FileManager.default.fileExists(atPath: target) else {
                throw NodeStartupError("--restore \(backup): replica \(settings.id) already has a database at "
                    + "\(target); restore only creates a missing one (move it away to restore)")
            }
        }
        for index in GroupID.all(count: settings.groups) {
            let source = settings.groups == 1 ? backup : (backup as NSString).appendingPathComponent(settings.placement(group: index).fileName)
            let summary = try SQLiteLogStore.restore(backup: source, to: settings.databasePath(group: index),
                                                     clusterID: settings.cluster.clusterID, replicaID: settings.id,
                                                     placement: settings.placement(group: index))
            logger.notice("database restored from a backup", metadata: [
                "backup.path": "\(source)", "paxos.group": "\(index)", "paxos.slot": "\(summary.appliedThrough)",
                "storage.bytes": "\(summary.bytes)",
            ])
        }
    }

    private func openStorage(group: GroupID, loop: any EventLoop) throws
        -> (StorageExecutor, DurableState, GroupBox, (incarnation: Incarnation, clusterUUID: String?)) {
        var options = SQLiteLogStore.Options()
        options.synchronous = settings.synchronousFull ? .full : .normal
        options.integrityCheckMaxBytes = settings.integrityCheckMaxBytes
        logSkippedIntegrityCheck(path: settings.databasePath(group: group))
        let store = try SQLiteLogStore.open(path: settings.databasePath(group: group), clusterID: settings.cluster.clusterID,
                                            replicaID: settings.id, placement: settings.placement(group: group),
                                            options: options)
        let durable = try store.loadDurableState()
        let identity = (incarnation: store.incarnation, clusterUUID: store.clusterUUID)
        let box = GroupBox()
        let storage = StorageExecutor(store: store) { result in
            loop.execute {
                switch result {
                case .success(let batch):
                    if batch.jobs > 0 {
                        box.group?.metrics.storageCommitDuration.recordNanoseconds(batch.commitNanoseconds)
                        box.group?.metrics.storageBatchJobs.record(batch.jobs)
                    }
                    box.group?.onStorage(batch.completions)
                case .failure(let error):
                    // Fail-stop: a node that cannot write its promises, or whose rows fail their
                    // checks, must not answer anyone.
                    OutOfService.stop(replica: "\(settings.id)", group: group, error: error,
                                      nodeDirectory: settings.nodeDirectory, logger: logger)
                }
            }
        }
        return (storage, durable, box, identity)
    }

    /// One notice when the database is too large for the quick check at open (see
    /// `--integrity-check-max-mib`), so nobody believes it ran.
    private func logSkippedIntegrityCheck(path: String) {
        let bytes = [path, path + "-wal"].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? NSNumber)?.int64Value
        }.reduce(0, +)
        guard settings.integrityCheckMaxBytes > 0, bytes > settings.integrityCheckMaxBytes else { return }
        logger.notice("database larger than --integrity-check-max-mib; SQLite's quick check skipped at start", metadata: [
            "storage.path": "\(path)", "storage.bytes": "\(bytes)",
            "storage.integrity_check_max_bytes": "\(settings.integrityCheckMaxBytes)",
        ])
    }

    /// Peers authenticate before anything reaches the node: `PeerAcceptorHandler` runs the
    /// handshake (and the decoder keeps frames small until it is done); see `PeerGate`.
    private func bindPeers(node: Node, group: MultiThreadedEventLoopGroup,
                           credentials: PeerCredentials, tls: NIOSSLContext?) async throws -> any Channel {
        let gate = PeerGate(credentials: credentials, maxUnauthenticated: settings.maxUnauthenticatedPeers,
                            handshakeTimeout: .milliseconds(settings.peerHandshakeTimeoutMilliseconds),
                            logger: logger, metrics: node.metrics)
        try await node.loop.submit { node.peerGate = gate }.get()
        let logger = logger
        return try await PeerSocketOptions.apply(toChildrenOf: ServerBootstrap(group: group))
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // TLS, when on, is the first handler: everything after it sees plaintext.
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(PeerFrameDecoder()),
                        MessageToByteHandler(PeerFrameEncoder()),
                        PeerAcceptorHandler(gate: gate),
                        // Answers the dialer's pings; closes the connection when they stop.
                        PeerLivenessHandler(side: .acceptor, settings: .default) { [weak node] peer, silentFor in
                            node?.metrics.peerLinkTimeouts(.acceptor).increment()
                            logger.info("inbound peer connection silent; closing", metadata: [
                                "peer.id": "\(peer)",
                                "peer.address": "\(channel.remoteAddress.map { "\($0)" } ?? "unknown")",
                                "peer.silent_ms": "\(silentFor.nanoseconds / 1_000_000)",
                            ])
                        },
                        PeerInboundHandler(node: node),
                    ])
                }
            }
            .bind(host: settings.host, port: settings.peerPort).get()
    }

    /// One line at start saying who may reach the client port, and a warning when protected
    /// mode moved the listener to loopback.
    private func logClientAccess() {
        if let users = settings.users {
            logger.notice("clients must AUTH", metadata: ["client.users": "\(users.users.count)"])
        } else if settings.clientListenHost != settings.host {
            logger.warning("protected mode: no users file, so clients are served on \(settings.clientListenHost) only, not \(settings.host); add --users-file to serve the network, or --protected-mode no to serve it unauthenticated")
        } else if !settings.protectedMode && !NodeSettings.isLoopback(settings.host) {
            logger.warning("--protected-mode no: any client that reaches \(settings.host):\(settings.clientPort) may read, write and BACKUP without a password")
        }
    }

    /// Client connections are bounded and fair (see `ClientHandler`): the socket is read at most
    /// once per loop turn, 16 KiB at a time, so one flooding client hands the loop back quickly;
    /// above the soft output limit the channel turns unwritable and the handler stops reading.
    private func bindClients(node: Node, authenticator: ClientAuthenticator?, group: MultiThreadedEventLoopGroup,
                             tls: NIOSSLContext?) async throws -> any Channel {
        let limits = RESPLimits(maxBulkBytes: settings.maxValueBytes + settings.maxKeyBytes,
                                maxArrayCount: 1_024, maxInlineBytes: 64 * 1_024,
                                maxCommandBytes: settings.maxRequestBytes, maxNestingDepth: 1)
        let soft = settings.clientOutputSoftBytes
        let idle = settings.clientIdleTimeoutSeconds
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2_048, maximum: 16 * 1_024))
            .childChannelOption(.writeBufferWaterMark, value: .init(low: soft / 2, high: soft))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A plaintext client on a TLS port fails the TLS handshake and is closed.
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    if idle > 0 {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(idle)))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(RESPDecoder(limits: limits)),
                        MessageToByteHandler(ClientOutboundEncoder()),
                        ClientHandler(node: node, authenticator: authenticator),
                    ])
                }
            }
            .bind(host: settings.clientListenHost, port: settings.clientPort).get()
    }

    private func bindMetrics(node: Node, group: MultiThreadedEventLoopGroup) async throws -> any Channel {
        let render = renderMetrics
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(node: node, renderMetrics: render))
                }
            }
            .bind(host: settings.host, port: settings.metricsPort).get()
    }

    /// A link to every replica of the cluster file, then to every member whose address a
    /// recorded membership holds (`Node.followRecordedAddresses`).
    private func startPeerLinks(node: Node) {
        for address in settings.cluster.replicas where address.id != settings.id.rawValue {
            node.openLink(to: ReplicaID(address.id), host: address.host, port: address.peerPort)
        }
        node.followRecordedAddresses()
    }
}

/// Lets the storage callback find its group, which is created after the executor.
/// - Invariant: `group` is written once, on the node's loop, before any storage job is submitted,
///   and read only on that loop.
final class GroupBox: @unchecked Sendable {
    // @unchecked Sendable: confined to the node's event loop (see the invariant).
    var group: GroupNode?
}

public struct NodeStartupError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
