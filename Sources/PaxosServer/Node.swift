import CoreMetrics
import Logging
public import NIOCore
import PaxosCore
import PaxosShell
import PaxosStorage
import PaxosWire

/// One running paxosd: the event loop, the peer links and client connections it shares among its
/// consensus groups, and the groups themselves (`GroupNode`, one per `--groups`).
///
/// A client may send any key to any node: the node picks the key's group with `groupMap` and
/// hands the request to that group, which serves it if it leads and forwards it to the group's
/// leader otherwise. Peer frames carry their group and go to that group. One connection per peer
/// pair carries every group's traffic, so groups batch into the same syscalls.
///
/// - Invariant: every mutable property is touched only on `loop`; `groups[g].group == g`.
public final class Node: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is confined to `loop`; every entry point from
    // another thread hops there with `loop.execute`, and handlers run on `loop` already.
    public let settings: NodeSettings
    public let loop: any EventLoop
    var logger: Logger
    /// Node-wide metrics (peers, request latency); each group has its own for its slots.
    let metrics: NodeMetrics
    let groupMap: GroupMap
    /// Set once by `NodeService` before the first tick, indexed by group.
    var groups: [GroupNode] = []
    var links: [ReplicaID: PeerLink] = [:]
    /// What a new peer link needs (set by `NodeService` before `start`); see `Node+Addresses.swift`.
    var peerDialing: PeerDialing?
    /// The peer port's door, told of members the cluster file does not list.
    var peerGate: PeerGate?
    /// Addresses an operator gave with `MEMBER ADD` that no chosen membership records yet.
    var expectedPeers: [ReplicaID: MemberAddress] = [:]
    /// Links written to during the current step; flushed once at its end.
    var dirtyLinks: Set<ReplicaID> = []
    var linkFlushScheduled = false
    /// Client connections get ids from here (see `ClientIDBlocks`).
    var clientIDs: ClientIDBlocks
    var tickTask: RepeatedTask?
    var stopping = false
    /// Client connections admitted and still open, and how many may be (`NodeSettings.maxClients`,
    /// possibly lowered at start to fit the descriptor limit).
    /// - Invariant: `clientsConnected <= maxClients`.
    var clientsConnected = 0
    /// The admitted client connections, for CLIENT LIST and CLIENT KILL.
    /// - Invariant: `clientHandlers.count == clientsConnected`.
    var clientHandlers: [ClientID: ClientHandler] = [:]
    /// Client connections accepted since the node started: the last CLIENT ID handed out.
    var connectionsAccepted: Int64 = 0
    /// Commands run and connections refused for `maxclients` since the node started (INFO stats).
    var commandsProcessed: UInt64 = 0
    var connectionsRejected: UInt64 = 0
    /// When the node started (INFO's uptime).
    let startedAt = NIODeadline.now()
    var maxClients: Int
    /// Disconnections for the output limit are logged at most once per 10 s.
    var outputLimitLog = LogThrottle()
    /// Keyspace notifications (`Node+PubSub.swift`): who subscribes to what, and what this node
    /// publishes (`CONFIG SET notify-keyspace-events`; per node, not replicated, off at start).
    var pubSub = PubSubRegistry()
    var keyspaceEvents: KeyspaceEventFlags = []
    /// Frames for groups this node does not host (a peer with another --groups sends one per
    /// heartbeat) and wire errors of authenticated peers: one line per 10 s each, with a count.
    var foreignGroupLog = LogThrottle()
    var peerWireErrorLog = LogThrottle()

    // Identity (see Node+Identity.swift).
    /// The cluster UUID recorded at genesis; nil until then.
    var clusterUUID: String?
    var genesisInProgress = false
    /// The identity each peer last sent.
    var peerIdentities: [ReplicaID: PeerIdentity] = [:]
    /// Peers of another cluster (another UUID): nothing is sent to them, their frames are dropped.
    var foreignPeers: Set<ReplicaID> = []

    init(settings: NodeSettings, loop: any EventLoop, logger: Logger, metrics: NodeMetrics, clientIDs: ClientIDBlocks) {
        self.settings = settings
        self.loop = loop
        self.logger = logger
        self.metrics = metrics
        self.groupMap = GroupMap(count: settings.groups)
        self.maxClients = settings.maxClients
        self.clientIDs = clientIDs
    }

    /// Starts ticking every group. Called once, on `loop`, after the listeners are up.
    func start() {
        loop.preconditionInEventLoop()
        precondition(groups.count == Int(settings.groups), "\(groups.count) groups built, \(settings.groups) configured")
        for group in groups { group.start() }
        let interval = TimeAmount.milliseconds(settings.tickMilliseconds)
        tickTask = loop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [self] _ in
            guard !stopping else { return }
            for group in groups { group.onTick() }
        }
    }

    /// Stops ticking and answers everything in flight; the caller then shuts storage down.
    func stop() {
        stopping = true
        tickTask?.cancel()
        for group in groups { group.stop() }
        // Their last answers to forwards must leave before the links close.
        flushLinksNow()
        for link in links.values { link.close() }
    }

    /// The group that owns `key`.
    func group(for key: Bytes) -> GroupNode { groups[groupMap.group(of: key).index] }

    /// A fresh client id for a new connection, never used before by any connection to this node
    /// (`ClientIDBlocks`). One id serves every group: each group keeps its own session for it,
    /// and sees its sequence numbers increase (with gaps where the connection wrote to other
    /// groups), which is all exactly-once needs.
    func makeClientID() -> ClientID {
        do { return ClientID(try clientIDs.next(replica: settings.id.rawValue)) } catch {
            // Handing out an id that may repeat would risk answering a write from another
            // connection's session; without the disk the node cannot serve safely anyway.
            logger.critical("cannot reserve client ids; stopping the node", metadata: ["error": "\(error)"])
            fatalError("paxosd \(settings.id): \(error)")
        }
    }

    /// Accepts a write or a linearizable read from a local connection, for the key's group.
    /// - Precondition: every key of the request is in one group (the caller splits by group).
    func submit(_ kind: TrackedRequest.Kind, respond: @escaping (RequestOutcome) -> Void) {
        let key: Bytes
        switch kind {
        case .write(let request): key = request.operation.routingKey
        case .read(let query), .localRead(let query):
            guard let first = query.keys.first else { preconditionFailure("a read of no keys") }
            key = first
        }
        let group = group(for: key)
        if case .write(let request) = kind, let refusal = commandFormatRefusal(request.operation, in: group) {
            return respond(refusal)
        }
        group.submit(kind, respond: respond)
    }

    /// A refusal when some member of the group reported a command format too old for the
    /// operation (`CommandFormatGate`); nil for what every build decodes.
    func commandFormatRefusal(_ operation: Operation, in group: GroupNode) -> RequestOutcome? {
        let needed = operation.commandFormat
        guard needed > PeerIdentity.legacyCommandFormat else { return nil }
        let replica = group.replica
        let members = Set(replica.currentMembership.ids + replica.latestMembership.ids).subtracting([settings.id])
        let reported = peerIdentities.mapValues(\.commandFormat)
        guard let blocker = CommandFormatGate.blocker(needed: needed, members: Array(members), reported: reported) else { return nil }
        return CommandFormatGate.refusal(needed: needed, blocker: blocker)
    }

    func staleRead(_ query: ReadQuery, respond: @escaping (RequestOutcome) -> Void) {
        guard let first = query.keys.first else { preconditionFailure("a read of no keys") }
        group(for: first).staleRead(query, respond: respond)
    }

    /// A read of one group's keyspace (SCAN, KEYS, DBSIZE, RANDOMKEY), which has no key to
    /// route by: linearizable through the group's leader, or from this node's state (`stale`).
    func readKeyspace(_ query: ReadQuery, group: GroupID, stale: Bool, respond: @escaping (RequestOutcome) -> Void) {
        precondition(query.isKeyspace && group.index < groups.count, "keyspace read \(query) of group \(group)")
        if stale {
            groups[group.index].staleRead(query, respond: respond)
        } else {
            groups[group.index].submit(.read(query), respond: respond)
        }
    }

    // MARK: Peers

    func send(_ frame: PeerFrame, to peer: ReplicaID) {
        guard let link = links[peer], !foreignPeers.contains(peer) else { return }
        link.write(frame)
        dirtyLinks.insert(peer)
    }

    /// Flushes every link written to, once per event-loop iteration: the frames of every event
    /// the loop handles in one iteration (a burst of forwarded reads, their replies) leave in one
    /// syscall per peer, and wake the peer's loop once, rather than once per step.
    func flushLinks() {
        guard !dirtyLinks.isEmpty, !linkFlushScheduled else { return }
        linkFlushScheduled = true
        loop.execute { [self] in flushLinksNow() }
    }

    func flushLinksNow() {
        linkFlushScheduled = false
        for peer in dirtyLinks { links[peer]?.flush() }
        dirtyLinks.removeAll(keepingCapacity: true)
    }

    func isConnected(to peer: ReplicaID) -> Bool { links[peer]?.isConnected == true }

    /// Peers we currently have an outbound connection to.
    var connectedPeers: [ReplicaID] { links.filter { $0.value.isConnected }.map(\.key).sorted() }

    /// A frame from an authenticated peer (the handshake already checked cluster and replica id).
    func onPeerFrame(_ frame: PeerFrame, from peer: ReplicaID) {
        guard !stopping else { return }
        if case .identity(let identity) = frame { return onPeerIdentity(identity, from: peer) }
        guard !foreignPeers.contains(peer) else { return }
        let group: GroupID
        switch frame {
        case .message(let g, _), .forward(let g, _, _), .forwardReply(let g, _, _),
             .snapshotChunk(let g, _), .snapshotAck(let g, _, _), .snapshotAbort(let g, _, _):
            group = g
        case .hello, .helloReject:
            logger.info("unexpected handshake frame after the handshake", metadata: ["peer.id": "\(peer)"])
            return
        case .ping, .pong, .identity:
            // PeerLivenessHandler consumes both before they get here; identity is handled above.
            return
        }
        guard group.index < groups.count else {
            // A peer started with another --groups: its databases refuse that at start-up, so
            // this is a misconfigured cluster; say so rather than guess.
            let (log, suppressed) = foreignGroupLog.shouldLog(now: .now())
            if log {
                logger.warning("dropping frame for a group this node does not host (do the nodes run different --groups?)",
                               metadata: ["peer.id": "\(peer)", "paxos.group": "\(group)", "paxos.groups": "\(groups.count)",
                                          "suppressed": "\(suppressed)"])
            }
            return
        }
        groups[group.index].onPeerFrame(frame, from: peer)
    }

    func onPeerDisconnected(_ peer: ReplicaID) {
        for group in groups { group.onPeerDisconnected(peer) }
    }
}
