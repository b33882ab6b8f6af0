import CoreMetrics
import NIOCore
import PaxosCore

/// Every metric the node exports, made from `MetricCatalog`'s descriptors (STYLE.md §9: each
/// metric is defined once; its name, type, unit, labels and help text live in the catalog).
/// Dimensions stay low-cardinality.
///
/// Node-wide metrics live here; each consensus group's are in `GroupMetrics`. Both take the
/// metrics factory (the bootstrapped one by default) so a test can render them into a registry
/// of its own.
public struct NodeMetrics: Sendable {
    let peerWireErrors: Counter
    let peersConnected: Gauge
    private let factory: any MetricsFactory
    /// Refused client AUTH attempts (wrong password or unknown user).
    let clientAuthFailures: Counter
    /// Client connections open now (admitted ones; refused ones never count).
    let clientsConnected: Gauge
    /// Connections refused because `maxClients` were open.
    let clientsRejectedMaxClients: Counter
    /// Clients disconnected by the node, by reason (a closed set).
    let clientsDisconnectedOutputBuffer: Counter
    let clientsDisconnectedIdle: Counter
    /// Times a connection used its commands-per-turn budget with commands left and yielded.
    let clientCommandsDeferred: Counter
    let pipelinedCommands: Counter
    /// Times the node stopped reading a connection because its queue or its output was full.
    let clientReadsPaused: Counter
    /// `paxos_rpc_server_duration_seconds` by command, made once: a request only looks its
    /// name up (making a timer per request went through the factory's lock and label lookup).
    private let requestTimers: [String: Timer]
    private let otherRequestTimer: Timer
    /// The commands timed under their own name (a closed set); the rest are `other`.
    static let timedCommands = ["GET", "SET", "PUT", "DEL", "DELETE", "EXISTS", "PING", "INFO", "BACKUP", "AUTH"]

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        typealias M = MetricCatalog
        peerWireErrors = M.peerWireErrors.counter(factory: factory)
        peersConnected = M.peersConnected.gauge(factory: factory)
        clientAuthFailures = M.clientAuthFailures.counter(factory: factory)
        clientsConnected = M.clientsConnected.gauge(factory: factory)
        clientsRejectedMaxClients = M.clientsRejected.counter([("reason", "max_clients")], factory: factory)
        clientsDisconnectedOutputBuffer = M.clientsDisconnected.counter([("reason", "output_buffer")], factory: factory)
        clientsDisconnectedIdle = M.clientsDisconnected.counter([("reason", "idle")], factory: factory)
        clientCommandsDeferred = M.clientCommandsDeferred.counter(factory: factory)
        pipelinedCommands = M.pipelinedCommands.counter(factory: factory)
        clientReadsPaused = M.clientReadsPaused.counter(factory: factory)
        requestTimers = Dictionary(uniqueKeysWithValues: Self.timedCommands.map { name in
            (name, M.rpcServerDuration.timer([("rpc_method", name.lowercased())], factory: factory))
        })
        otherRequestTimer = M.rpcServerDuration.timer([("rpc_method", "other")], factory: factory)
    }

    /// A peer connection refused before it authenticated; `reason` is a `PeerRefusal` raw value
    /// (a closed set).
    func recordPeerRefusal(_ reason: String) {
        MetricCatalog.peerHandshakesRefused.counter([("reason", reason)], factory: factory).increment()
    }

    /// Peer connections closed because nothing arrived on them for the liveness timeout
    /// (`PeerLivenessHandler`), by the side that noticed: `dialer` (our link, redialled at once)
    /// or `acceptor` (a peer's link into us).
    func peerLinkTimeouts(_ side: PeerLivenessHandler.Side) -> Counter {
        MetricCatalog.peerLinkTimeouts.counter([("side", side == .dialer ? "dialer" : "acceptor")], factory: factory)
    }

    /// Failed outbound connection attempts to `peer` (each one is retried with back-off).
    func peerReconnects(_ peer: ReplicaID) -> Counter {
        MetricCatalog.peerReconnects.counter([("peer", "\(peer)")], factory: factory)
    }

    /// Client request latency by command name (a closed set: unknown names are grouped). Timers
    /// record nanoseconds; swift-prometheus exports the histogram in seconds.
    func recordRequest(_ name: String, since start: NIODeadline) {
        let elapsed = NIODeadline.now() - start
        (requestTimers[name] ?? otherRequestTimer).recordNanoseconds(elapsed.nanoseconds)
    }
}

