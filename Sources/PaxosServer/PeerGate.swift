import Logging
import NIOCore
import PaxosAuth
import PaxosCore
import Synchronization

/// Who this node is to its peers and what proves it: the identity both handshake sides use.
struct PeerCredentials: Sendable {
    var clusterID: String
    var replica: ReplicaID
    var members: [ReplicaID]
    var secret: ClusterSecret
}

/// Why a peer connection was refused before it authenticated. The raw value is the metric's
/// `reason` dimension (a closed set); `reply` is what the peer is told, which names no secret and
/// echoes nothing it sent, so a prober learns only which check it failed.
enum PeerRefusal: String, Sendable, CaseIterable {
    case tooManyConnections = "too_many_connections"
    case notHello = "not_hello"
    case wrongCluster = "wrong_cluster"
    case notMember = "not_member"
    case wrongAcceptor = "wrong_acceptor"
    case badProof = "bad_proof"
    case unexpectedFrame = "unexpected_frame"
    case timeout = "timeout"
    case malformed = "malformed"

    var reply: String {
        switch self {
        case .tooManyConnections: "too many unauthenticated peer connections; try again later"
        case .notHello: "the first frame must be hello"
        case .wrongCluster: "cluster id differs from ours"
        case .notMember: "the dialer is not a peer in our configuration"
        case .wrongAcceptor: "this is not the replica the hello names"
        case .badProof: "authentication failed"
        case .unexpectedFrame: "expected helloProof"
        case .timeout: "handshake not completed in time"
        case .malformed: "malformed frame before authentication"
        }
    }
}

/// The peer port's door: the credentials the accepting handshake checks, the cap on connections
/// that have not authenticated yet, and the refusal log.
///
/// Every accepted connection holds one of `maxUnauthenticated` slots from its first byte until it
/// authenticates or closes; a connection that finds none free is refused at once. Together with the
/// small frame limit before authentication (`PeerFrameDecoder.handshakeMaxFrameBytes`) and the
/// handshake deadline this bounds what strangers can make the node hold: about
/// `maxUnauthenticated` × 4 KiB of buffers, for at most `handshakeTimeout` each.
///
/// Refusals are counted (`paxos_peer_handshakes_refused_total{reason}`) and logged at warning once per
/// remote host per minute; the next line for that host says how many were suppressed, so a flood
/// of bad handshakes cannot flood the log.
///
/// Thread-safe: the peer channels run on the node's loop today, but nothing here relies on that.
final class PeerGate: Sendable {
    let credentials: PeerCredentials
    let maxUnauthenticated: Int
    let handshakeTimeout: TimeAmount
    let logger: Logger
    let metrics: NodeMetrics
    private let state: Mutex<State>

    private struct State {
        var unauthenticated = 0
        var refusals = RefusalLogLimiter()
        /// Replicas not in the cluster file that a membership (or an operator's `MEMBER ADD` with
        /// an address) names: they may connect too.
        var recordedMembers: Set<ReplicaID> = []
    }

    init(credentials: PeerCredentials, maxUnauthenticated: Int, handshakeTimeout: TimeAmount,
         logger: Logger, metrics: NodeMetrics) {
        self.credentials = credentials
        self.maxUnauthenticated = maxUnauthenticated
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
        self.metrics = metrics
        state = Mutex(State())
    }

    /// Takes an unauthenticated slot; false when all are taken. The caller MUST `release` a slot
    /// it got, exactly once.
    func admit() -> Bool {
        state.withLock { state in
            guard state.unauthenticated < maxUnauthenticated else { return false }
            state.unauthenticated += 1
            return true
        }
    }

    func release() {
        state.withLock { state in
            precondition(state.unauthenticated > 0, "released an unauthenticated peer slot nobody held")
            state.unauthenticated -= 1
        }
    }

    var unauthenticatedConnections: Int { state.withLock { $0.unauthenticated } }

    /// True when `dialer` may connect: listed in the cluster file, or named since by a
    /// membership or an operator (`admitMember`).
    func isMember(_ dialer: ReplicaID) -> Bool {
        credentials.members.contains(dialer) || state.withLock { $0.recordedMembers.contains(dialer) }
    }

    /// Lets `id` connect from now on (see `Node+Addresses.swift`).
    func admitMember(_ id: ReplicaID) {
        state.withLock { _ = $0.recordedMembers.insert(id) }
    }

    /// Counts a refusal and logs it unless this host was logged within the last minute.
    func recordRefusal(_ refusal: PeerRefusal, remoteAddress: SocketAddress?, detail: String? = nil,
                       now: NIODeadline = .now()) {
        metrics.recordPeerRefusal(refusal.rawValue)
        let host = remoteAddress?.ipAddress ?? "unknown"
        let suppressed = state.withLock { $0.refusals.shouldLog(host: host, nowNanoseconds: now.uptimeNanoseconds) }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = [
            "peer.address": "\(remoteAddress.map { "\($0)" } ?? "unknown")",
            "reason": "\(refusal.rawValue)",
        ]
        if let detail { metadata["detail"] = "\(detail)" }
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.warning("refusing peer connection", metadata: metadata)
    }
}

/// Decides which refusals to log: the first per host in each minute; the rest are counted and
/// reported with the next logged one. A value with "now" as an input, so it is tested without clocks.
///
/// - Invariant: at most `maxHosts` hosts are tracked, so a scan from many addresses cannot grow it.
struct RefusalLogLimiter: Sendable {
    static let windowNanoseconds: UInt64 = 60 * 1_000_000_000
    static let maxHosts = 1_024

    private struct Window {
        var opened: UInt64
        var suppressed: Int
    }

    private var windows: [String: Window] = [:]

    /// nil: suppress this one. A number: log it, saying that many were suppressed since the last.
    mutating func shouldLog(host: String, nowNanoseconds now: UInt64) -> Int? {
        if var window = windows[host], now &- window.opened < Self.windowNanoseconds {
            window.suppressed += 1
            windows[host] = window
            return nil
        }
        let suppressed = windows[host]?.suppressed ?? 0
        if windows[host] == nil, windows.count >= Self.maxHosts {
            windows = windows.filter { now &- $0.value.opened < Self.windowNanoseconds }
            // Still full: more hosts than we track failed within a minute. Forget them all rather
            // than grow; at worst each is logged once more.
            if windows.count >= Self.maxHosts { windows.removeAll(keepingCapacity: true) }
        }
        windows[host] = Window(opened: now, suppressed: 0)
        return suppressed
    }
}
