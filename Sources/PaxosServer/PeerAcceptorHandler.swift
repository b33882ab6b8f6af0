import NIOCore
import PaxosAuth
import PaxosCore
import PaxosWire

/// Fired down the pipeline once the dialer has proved it holds the cluster secret, before any of
/// its frames: the connection speaks for `peer` from here on.
struct PeerAuthenticated: Sendable {
    let peer: ReplicaID
}

/// The accepting side of the peer handshake (`PeerHandshake` in PaxosAuth; frames in
/// `PeerFrame.swift`). Sits between the frame decoder and `PeerInboundHandler` and lets no frame
/// through until the dialer's proof checks out; then it fires `PeerAuthenticated` and passes every
/// later frame on untouched.
///
/// A connection that does not authenticate within the gate's `handshakeTimeout`, sends anything
/// out of order, or fails a check gets `helloReject` and is closed. It holds one of the gate's
/// unauthenticated slots until it authenticates or closes.
///
/// - Invariant: `PeerAuthenticated` is fired at most once, and no frame is fired before it.
final class PeerAcceptorHandler: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    typealias InboundOut = PeerFrame
    typealias OutboundOut = PeerFrame

    private enum State {
        case awaitingHello
        case awaitingProof(PeerHandshake.Transcript)
        case authenticated
        case refused
    }

    private let gate: PeerGate
    private var state = State.awaitingHello
    private var holdsSlot = false
    private var deadline: Scheduled<Void>?

    init(gate: PeerGate) { self.gate = gate }

    func channelActive(context: ChannelHandlerContext) {
        guard gate.admit() else {
            refuse(.tooManyConnections, context: context)
            return
        }
        holdsSlot = true
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: gate.handshakeTimeout) {
            let (handler, context) = loopBound.value
            handler.refuse(.timeout, context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finishHandshake()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .authenticated:
            context.fireChannelRead(data)
        case .refused:
            // Frames decoded from the same read as the one that got the connection refused.
            return
        case .awaitingHello:
            onHello(unwrapInboundIn(data), context: context)
        case .awaitingProof(let transcript):
            onProof(unwrapInboundIn(data), transcript: transcript, context: context)
        }
    }

    private func onHello(_ frame: PeerFrame, context: ChannelHandlerContext) {
        guard case .hello(.request(let clusterID, let dialer, let acceptor, let dialerNonce)) = frame else {
            refuse(.notHello, context: context)
            return
        }
        let credentials = gate.credentials
        guard clusterID == credentials.clusterID else {
            refuse(.wrongCluster, context: context)
            return
        }
        guard dialer != credentials.replica, gate.isMember(dialer) else {
            refuse(.notMember, context: context, detail: "replica \(dialer)")
            return
        }
        guard acceptor == credentials.replica else {
            refuse(.wrongAcceptor, context: context, detail: "hello for replica \(acceptor)")
            return
        }
        let transcript = PeerHandshake.Transcript(
            clusterID: clusterID, dialer: dialer, acceptor: acceptor,
            dialerNonce: dialerNonce, acceptorNonce: PeerHandshake.makeNonce())
        let proof = PeerHandshake.proof(.acceptor, for: transcript, secret: credentials.secret)
        state = .awaitingProof(transcript)
        context.writeAndFlush(wrapOutboundOut(.hello(.challenge(nonce: transcript.acceptorNonce, proof: proof))),
                              promise: nil)
    }

    private func onProof(_ frame: PeerFrame, transcript: PeerHandshake.Transcript, context: ChannelHandlerContext) {
        guard case .hello(.proof(let proof)) = frame else {
            refuse(.unexpectedFrame, context: context)
            return
        }
        guard PeerHandshake.verify(proof, .dialer, for: transcript, secret: gate.credentials.secret) else {
            refuse(.badProof, context: context, detail: "claimed replica \(transcript.dialer)")
            return
        }
        state = .authenticated
        finishHandshake()
        context.fireUserInboundEventTriggered(PeerAuthenticated(peer: transcript.dialer))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .authenticated = state else {
            // An oversized, corrupt or truncated frame from a stranger: refused and logged like
            // any failed handshake, so a flood of them is rate-limited too.
            refuse(.malformed, context: context, detail: "\(error)")
            return
        }
        context.fireErrorCaught(error)
    }

    /// Releases the slot and the deadline; harmless to call twice.
    private func finishHandshake() {
        deadline?.cancel()
        deadline = nil
        if holdsSlot {
            holdsSlot = false
            gate.release()
        }
    }

    private func refuse(_ refusal: PeerRefusal, context: ChannelHandlerContext, detail: String? = nil) {
        switch state {
        case .refused, .authenticated: return  // e.g. a deadline that fired as the proof arrived
        case .awaitingHello, .awaitingProof: state = .refused
        }
        finishHandshake()
        gate.recordRefusal(refusal, remoteAddress: context.remoteAddress, detail: detail)
        context.writeAndFlush(wrapOutboundOut(.helloReject(reason: refusal.reply))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
