import Logging
import NIOCore
import PaxosCore
import PaxosWire

/// How often a peer link must carry traffic and how long it may stay silent (see
/// `PeerLivenessHandler`).
struct PeerLivenessSettings: Sendable {
    /// The dialer pings when it has not heard from the acceptor, or sent anything, for this long.
    var interval: TimeAmount
    /// A connection on which nothing arrived for this long is closed.
    /// - Invariant: several `interval`s, so one late pong or a busy loop turn never closes a link.
    var silenceTimeout: TimeAmount

    /// One heartbeat interval (50 ms) between pings; closed after 1 s of silence, 20 intervals.
    /// The timeout is far above the event loop's normal latency, so a loaded two-core machine
    /// does not make links flap, and well below TCP's retransmission back-off (which reaches
    /// tens of seconds after a long partition), which is what it replaces.
    static let `default` = PeerLivenessSettings(interval: .milliseconds(50), silenceTimeout: .seconds(1))
}

/// Keeps a peer connection provably alive, and closes it when it is not.
///
/// A TCP connection whose path silently stopped delivering (a cut cable, a partition, a peer
/// whose host vanished) looks healthy to both ends: writes succeed into the send buffer and TCP
/// retransmits with exponential back-off, so after a partition heals the link may stay dead for
/// as long as the partition lasted (up to TCP's two-minute cap). The consensus core cannot help:
/// followers send nothing unsolicited, and some links (follower to follower) carry nothing at all.
///
/// So after the handshake:
/// - the dialer sends `ping` whenever, for one `interval`, it has received nothing (which asks for
///   a `pong`) or sent nothing (which keeps the acceptor's side from going silent); the acceptor
///   only ever sends pongs, so in practice the dialer pings every interval: about 300 bytes a
///   second per link;
/// - the acceptor answers every `ping` with `pong` on the same connection;
/// - either side closes a connection on which nothing arrived for `silenceTimeout`, and calls
///   `onSilence` first (the link counts it, logs it and redials at once).
///
/// Pings and pongs stop here: they never reach the node. Nothing is sent or checked before the
/// handshake is done (`PeerAuthenticated`), which has its own deadline.
///
/// - Invariant: runs on the channel's event loop (the node's loop), with a timer from that loop;
///   no threads of its own.
final class PeerLivenessHandler: ChannelDuplexHandler {
    typealias InboundIn = PeerFrame
    typealias InboundOut = PeerFrame
    typealias OutboundIn = PeerFrame
    typealias OutboundOut = PeerFrame

    enum Side {
        /// Sends pings, drops pongs.
        case dialer
        /// Answers pings with pongs, passes every other frame on.
        case acceptor
    }

    let side: Side
    let settings: PeerLivenessSettings
    /// Called once, on the loop, just before a silent connection is closed, with the peer the
    /// handshake authenticated.
    let onSilence: (_ peer: ReplicaID, _ silentFor: TimeAmount) -> Void
    private var peer: ReplicaID?
    // Times are the loop's clock (`EventLoop.now`), so tests on an embedded loop advance them.
    private var lastReceived = NIODeadline.uptimeNanoseconds(0)
    private var lastSent = NIODeadline.uptimeNanoseconds(0)
    private var timer: RepeatedTask?
    private var expired = false

    init(side: Side, settings: PeerLivenessSettings, onSilence: @escaping (_ peer: ReplicaID, _ silentFor: TimeAmount) -> Void) {
        self.side = side
        self.settings = settings
        self.onSilence = onSilence
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let authenticated = event as? PeerAuthenticated, timer == nil {
            peer = authenticated.peer
            start(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastReceived = context.eventLoop.now
        switch (side, unwrapInboundIn(data)) {
        case (.acceptor, .ping):
            context.writeAndFlush(wrapOutboundOut(.pong), promise: nil)
        case (.dialer, .pong), (.acceptor, .pong), (.dialer, .ping):
            // A stray direction is harmless; it proved the connection alive all the same.
            return
        default:
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastSent = context.eventLoop.now
        context.write(data, promise: promise)
    }

    private func start(context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        lastReceived = now
        lastSent = now
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: settings.interval, delay: settings.interval) { _ in
            let (handler, context) = bound.value
            handler.onTimer(context: context)
        }
    }

    private func onTimer(context: ChannelHandlerContext) {
        guard !expired, let peer else { return }
        let now = context.eventLoop.now
        let silent = now - lastReceived
        if silent >= settings.silenceTimeout {
            expired = true
            timer?.cancel()
            timer = nil
            onSilence(peer, silent)
            context.close(promise: nil)
            return
        }
        if side == .dialer, silent >= settings.interval || now - lastSent >= settings.interval {
            lastSent = now
            context.writeAndFlush(wrapOutboundOut(.ping), promise: nil)
        }
    }
}
