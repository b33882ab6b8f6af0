import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import PaxosAuth
import NIOSSL
import PaxosCore
import PaxosWire

/// The outbound connection to one peer: connects, authenticates (`PeerDialerHandler`),
/// reconnects with exponential back-off and jitter (`ReconnectBackoff`), and buffers a bounded
/// number of frames until the connection has authenticated. The protocol retransmits, so frames
/// dropped beyond the bound cost only a little latency.
///
/// A connection that goes silent (`PeerLivenessHandler`: no pong for `liveness.silenceTimeout`)
/// is abandoned and redialled at once, without waiting for the back-off or for its close to finish
/// (a TLS close waits for the peer's close_notify, which a dead path never delivers).
///
/// - Invariant: used only on the node's event loop.
/// - Invariant: `channel` is set only once the peer proved it holds the cluster secret, so no
///   frame is written to a connection that has not authenticated.
final class PeerLink {
    let peer: ReplicaID
    let host: String
    let port: Int
    let loop: any EventLoop
    let credentials: PeerCredentials
    let handshakeTimeout: TimeAmount
    /// Mutual TLS towards the peer, when the cluster runs peers over TLS.
    let tls: NIOSSLContext?
    let logger: Logger
    let liveness: PeerLivenessSettings
    let metrics: NodeMetrics
    /// Frames kept while disconnected. - Invariant: `backlog.count <= maxBacklog`.
    private var backlog: [PeerFrame] = []
    private let maxBacklog = 1_024
    private var channel: (any Channel)?
    /// Connected, handshake under way.
    private var handshaking: (any Channel)?
    private var connecting = false
    private var backoff = ReconnectBackoff()
    private var random = SystemRandomNumberGenerator()
    /// One line per 10 s for failed handshakes of this link (`PeerDialerHandler.shouldLogFailure`).
    var handshakeFailureLog = LogThrottle()
    /// One line per 10 s for connection errors of this link (`PeerDialerHandler.shouldLogError`):
    /// apart from failed handshakes, so the reset of a killed peer's connection does not hide
    /// the line saying that its replacement holds another secret.
    var connectionErrorLog = LogThrottle()
    /// One line per 10 s while connection attempts to this peer keep failing; every failure is
    /// counted in `paxos_peer_reconnects_total`.
    private var reconnectLog = LogThrottle()
    /// On a LAN a connect takes well under a millisecond; one unanswered SYN within 250 ms means
    /// the path is down, and TCP would not retransmit it before 1 s anyway.
    static let connectTimeout = TimeAmount.milliseconds(250)
    private var closed = false
    private var reconnectTask: Scheduled<Void>?
    let onConnectionChange: (ReplicaID, Bool) -> Void

    init(peer: ReplicaID, host: String, port: Int, loop: any EventLoop, credentials: PeerCredentials,
         handshakeTimeout: TimeAmount, tls: NIOSSLContext? = nil, logger: Logger,
         liveness: PeerLivenessSettings = .default, metrics: NodeMetrics,
         onConnectionChange: @escaping (ReplicaID, Bool) -> Void) {
        self.peer = peer
        self.host = host
        self.port = port
        self.loop = loop
        self.credentials = credentials
        self.handshakeTimeout = handshakeTimeout
        self.tls = tls
        self.logger = logger
        self.liveness = liveness
        self.metrics = metrics
        self.onConnectionChange = onConnectionChange
    }

    var isConnected: Bool { channel != nil }

    func start() { connect() }

    func write(_ frame: PeerFrame) {
        if let channel {
            channel.write(frame, promise: nil)
        } else {
            if backlog.count >= maxBacklog { backlog.removeFirst(backlog.count / 2) }
            backlog.append(frame)
        }
    }

    func flush() { channel?.flush() }

    func close() {
        closed = true
        reconnectTask?.cancel()
        channel?.close(promise: nil)
        channel = nil
        handshaking?.close(promise: nil)
        handshaking = nil
    }

    /// The peer just connected to us, so it is up: connect back now instead of waiting out the
    /// back-off. Without this a restarted node hears no heartbeat for up to the maximum back-off,
    /// times out, and its candidacy's higher ballot makes the live leader step down. At most
    /// once per 2 s, and the back-off is not reset (`ReconnectBackoff.mayDialEarly`).
    func reconnectNow() {
        guard !closed, !connecting, channel == nil, handshaking == nil else { return }
        guard backoff.mayDialEarly(now: .now()) else { return }
        reconnectTask?.cancel()
        reconnectTask = nil
        connect()
    }

    private func connect() {
        guard !closed, !connecting, channel == nil, handshaking == nil else { return }
        connecting = true
        let link = NIOLoopBound(self, eventLoop: loop)
        let bootstrap = PeerSocketOptions.apply(to: ClientBootstrap(group: loop))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(Self.connectTimeout)
            .channelInitializer { [peer, credentials, handshakeTimeout, logger, tls, liveness] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Peers are identified by the handshake inside TLS, not by host name.
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandlers([
                        // The acceptor only ever sends handshake frames and pongs, so the small limit stays.
                        ByteToMessageHandler(PeerFrameDecoder()),
                        MessageToByteHandler(PeerFrameEncoder()),
                        PeerDialerHandler(peer: peer, credentials: credentials, timeout: handshakeTimeout, logger: logger,
                                          shouldLogFailure: { link.value.handshakeFailureLog.shouldLog(now: .now()) },
                                          shouldLogError: { link.value.connectionErrorLog.shouldLog(now: .now()) }) { channel in
                            link.value.onAuthenticated(channel)
                        },
                        PeerLivenessHandler(side: .dialer, settings: liveness) { _, silentFor in
                            link.value.onSilence(channel, silentFor: silentFor)
                        },
                    ])
                }
            }
        bootstrap.connect(host: host, port: port).whenComplete { [self] result in
            connecting = false
            switch result {
            case .success(let channel):
                guard !closed else { channel.close(promise: nil); return }
                handshaking = channel
                channel.closeFuture.whenComplete { [self] _ in
                    // A connection abandoned for silence was replaced already: no second redial.
                    guard handshaking === channel || self.channel === channel else { return }
                    // Closed before it authenticated: the peer is there but the handshake failed.
                    let failure: ReconnectBackoff.Failure = handshaking === channel ? .refused : .unreachable
                    if handshaking === channel { handshaking = nil }
                    if self.channel === channel {
                        self.channel = nil
                        onConnectionChange(peer, false)
                    }
                    scheduleReconnect(after: failure, error: nil)
                }
            case .failure(let error):
                scheduleReconnect(after: .unreachable, error: error)
            }
        }
    }

    /// The peer proved it holds the secret and our proof is written: frames may flow.
    private func onAuthenticated(_ channel: any Channel) {
        guard !closed, handshaking === channel else { channel.close(promise: nil); return }
        handshaking = nil
        self.channel = channel
        backoff.succeeded()
        for frame in backlog { channel.write(frame, promise: nil) }
        backlog.removeAll()
        channel.flush()
        logger.debug("connected to peer", metadata: ["peer.id": "\(peer)"])
        onConnectionChange(peer, true)
    }

    /// Nothing arrived on `channel` for `silentFor`: the path is gone, or the peer is. Forget the
    /// connection (it is closing) and dial again now; the first attempt after a silence gets no
    /// back-off, later failures back off as usual.
    private func onSilence(_ channel: any Channel, silentFor: TimeAmount) {
        guard !closed, self.channel === channel || handshaking === channel else { return }
        metrics.peerLinkTimeouts(.dialer).increment()
        logger.info("peer link silent; closing and redialling", metadata: [
            "peer.id": "\(peer)", "peer.silent_ms": "\(silentFor.nanoseconds / 1_000_000)",
        ])
        if handshaking === channel { handshaking = nil }
        if self.channel === channel {
            self.channel = nil
            onConnectionChange(peer, false)
        }
        reconnectTask?.cancel()
        reconnectTask = nil
        connect()
    }

    private func scheduleReconnect(after failure: ReconnectBackoff.Failure, error: (any Error)?) {
        guard !closed else { return }
        let delay = backoff.delay(after: failure, using: &random)
        metrics.peerReconnects(peer).increment()
        let (log, suppressed) = reconnectLog.shouldLog(now: .now())
        if log {
            var metadata: Logger.Metadata = [
                "peer.id": "\(peer)", "peer.failures": "\(backoff.failures)", "peer.retry_ms": "\(delay.nanoseconds / 1_000_000)",
            ]
            if let error { metadata["error"] = "\(error)" }
            if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
            logger.info("cannot reach peer; retrying with back-off", metadata: metadata)
        }
        reconnectTask = loop.scheduleTask(in: delay) { [self] in connect() }
    }
}

/// The dialing side of the peer handshake (`PeerHandshake` in PaxosAuth): sends hello with a
/// fresh nonce, checks the acceptor's proof, answers with ours and hands the channel to the link.
/// A connection whose challenge does not arrive within `timeout`, is refused, or whose acceptor
/// cannot prove it holds the secret is closed (and the link reconnects with back-off).
///
/// After the handshake the acceptor sends only pongs on this connection: this handler fires
/// `PeerAuthenticated` and passes later frames on to `PeerLivenessHandler`, which consumes them;
/// a `helloReject` (the acceptor found our proof wrong) closes it.
final class PeerDialerHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    typealias OutboundOut = PeerFrame

    private enum State {
        case idle
        case awaitingChallenge(dialerNonce: [UInt8])
        case authenticated
    }

    let peer: ReplicaID
    let credentials: PeerCredentials
    let timeout: TimeAmount
    let logger: Logger
    let onAuthenticated: (any Channel) -> Void
    /// Whether to log a failed handshake now, and how many went unlogged since the last line:
    /// the link redials every 50–250 ms, so a peer that keeps refusing us (another cluster's
    /// secret, say) would otherwise write several error lines a second for as long as it lasts.
    let shouldLogFailure: () -> (log: Bool, suppressed: Int)
    /// The same for connection errors (`errorCaught`): a peer that resets every connection, or a
    /// TLS peer whose certificate we refuse, fails every attempt there.
    let shouldLogError: () -> (log: Bool, suppressed: Int)
    private var state = State.idle
    private var deadline: Scheduled<Void>?

    init(peer: ReplicaID, credentials: PeerCredentials, timeout: TimeAmount, logger: Logger,
         shouldLogFailure: @escaping () -> (log: Bool, suppressed: Int) = { (true, 0) },
         shouldLogError: @escaping () -> (log: Bool, suppressed: Int) = { (true, 0) },
         onAuthenticated: @escaping (any Channel) -> Void) {
        self.peer = peer
        self.credentials = credentials
        self.timeout = timeout
        self.logger = logger
        self.shouldLogFailure = shouldLogFailure
        self.shouldLogError = shouldLogError
        self.onAuthenticated = onAuthenticated
    }

    func channelActive(context: ChannelHandlerContext) {
        let nonce = PeerHandshake.makeNonce()
        state = .awaitingChallenge(dialerNonce: nonce)
        let hello = PeerHello.request(clusterID: credentials.clusterID, dialer: credentials.replica,
                                      acceptor: peer, nonce: nonce)
        context.writeAndFlush(wrapOutboundOut(.hello(hello)), promise: nil)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.fail("the peer sent no handshake challenge in time", context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .helloReject(let reason) = frame {
            fail("peer refused our connection", reason: reason, context: context)
            return
        }
        switch state {
        case .awaitingChallenge(let dialerNonce):
            guard case .hello(.challenge(let acceptorNonce, let acceptorProof)) = frame else {
                fail("peer answered hello with something other than a challenge", context: context)
                return
            }
            let transcript = PeerHandshake.Transcript(
                clusterID: credentials.clusterID, dialer: credentials.replica, acceptor: peer,
                dialerNonce: dialerNonce, acceptorNonce: acceptorNonce)
            guard PeerHandshake.verify(acceptorProof, .acceptor, for: transcript, secret: credentials.secret) else {
                fail("peer failed to prove it holds the cluster secret (is its secret file different?)", context: context)
                return
            }
            state = .authenticated
            deadline?.cancel()
            let proof = PeerHandshake.proof(.dialer, for: transcript, secret: credentials.secret)
            context.writeAndFlush(wrapOutboundOut(.hello(.proof(proof))), promise: nil)
            onAuthenticated(context.channel)
            context.fireUserInboundEventTriggered(PeerAuthenticated(peer: peer))
        case .authenticated:
            context.fireChannelRead(data)
        case .idle:
            return
        }
    }

    private func fail(_ message: Logger.Message, reason: String? = nil, context: ChannelHandlerContext) {
        if case .authenticated = state, reason == nil { return }
        deadline?.cancel()
        let (log, suppressed) = shouldLogFailure()
        if log {
            var metadata: Logger.Metadata = ["peer.id": "\(peer)"]
            if let reason { metadata["reason"] = "\(reason)" }
            if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
            logger.error(message, metadata: metadata)
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (log, suppressed) = shouldLogError()
        if log {
            var metadata: Logger.Metadata = ["peer.id": "\(peer)", "error": "\(error)"]
            if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
            logger.info("peer connection error", metadata: metadata)
        }
        context.close(promise: nil)
    }
}
