import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PaxosCore
import PaxosWire

/// The outbound connection to one peer: connects, says hello, reconnects with exponential
/// back-off, and buffers a bounded number of frames while disconnected. The protocol
/// retransmits, so frames dropped beyond the bound cost only a little latency.
///
/// - Invariant: used only on the node's event loop.
final class PeerLink {
    let peer: ReplicaID
    let host: String
    let port: Int
    let loop: any EventLoop
    let hello: PeerFrame
    /// Mutual TLS towards the peer, when the cluster runs peers over TLS.
    let tls: NIOSSLContext?
    let logger: Logger
    /// Frames kept while disconnected. - Invariant: `backlog.count <= maxBacklog`.
    private var backlog: [PeerFrame] = []
    private let maxBacklog = 1_024
    private var channel: (any Channel)?
    private var connecting = false
    private var backoff = TimeAmount.milliseconds(50)
    private var closed = false
    private var reconnectTask: Scheduled<Void>?
    let onConnectionChange: (ReplicaID, Bool) -> Void

    init(peer: ReplicaID, host: String, port: Int, loop: any EventLoop, hello: PeerFrame, tls: NIOSSLContext? = nil, logger: Logger,
         onConnectionChange: @escaping (ReplicaID, Bool) -> Void) {
        self.peer = peer
        self.host = host
        self.port = port
        self.loop = loop
        self.hello = hello
        self.tls = tls
        self.logger = logger
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
    }

    /// The peer just connected to us, so it is up: connect back now instead of waiting out the
    /// back-off. Without this a restarted node hears no heartbeat for up to the maximum back-off
    /// (2 s), times out, and its candidacy's higher ballot makes the live leader step down.
    func reconnectNow() {
        guard !closed, !connecting, channel == nil else { return }
        reconnectTask?.cancel()
        reconnectTask = nil
        backoff = .milliseconds(50)
        connect()
    }

    private func connect() {
        guard !closed, !connecting, channel == nil else { return }
        connecting = true
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(1))
            .channelInitializer { [peer, logger, tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Peers are identified by the handshake inside TLS, not by host name.
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil)) }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(PeerFrameDecoder()),
                        MessageToByteHandler(PeerFrameEncoder()),
                        PeerOutboundHandler(peer: peer, logger: logger),
                    ])
                }
            }
        bootstrap.connect(host: host, port: port).whenComplete { [self] result in
            connecting = false
            switch result {
            case .success(let channel):
                guard !closed else { channel.close(promise: nil); return }
                self.channel = channel
                backoff = .milliseconds(50)
                channel.write(hello, promise: nil)
                for frame in backlog { channel.write(frame, promise: nil) }
                backlog.removeAll()
                channel.flush()
                logger.debug("connected to peer", metadata: ["peer.id": "\(peer)"])
                onConnectionChange(peer, true)
                channel.closeFuture.whenComplete { [self] _ in
                    if self.channel === channel { self.channel = nil }
                    onConnectionChange(peer, false)
                    scheduleReconnect()
                }
            case .failure:
                scheduleReconnect()
            }
        }
    }

    private func scheduleReconnect() {
        guard !closed else { return }
        let delay = backoff
        backoff = min(backoff * 2, .seconds(2))
        reconnectTask = loop.scheduleTask(in: delay) { [self] in connect() }
    }
}

/// Watches the outbound connection: the peer only ever sends a `helloReject` on it.
final class PeerOutboundHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    let peer: ReplicaID
    let logger: Logger

    init(peer: ReplicaID, logger: Logger) {
        self.peer = peer
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .helloReject(let reason) = unwrapInboundIn(data) {
            logger.error("peer refused our connection", metadata: ["peer.id": "\(peer)", "reason": "\(reason)"])
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.info("peer connection error", metadata: ["peer.id": "\(peer)", "error": "\(error)"])
        context.close(promise: nil)
    }
}
