// Method: the handshake's two channel handlers through NIOEmbedded's EmbeddedChannel, with frames
// written straight into the pipeline (no codec) and a recorder behind the handler standing in for
// the node. The accepting side is driven as an attacker and as an honest dialer would drive it;
// the dialing side against an honest and an impostor acceptor. Time is the embedded loop's, so the
// deadline tests advance it instead of sleeping.
import Logging
import NIOCore
import NIOEmbedded
import PaxosAuth
import PaxosCore
import PaxosWire
import Synchronization
import Testing

@testable import PaxosServer

/// What reached the node side of the pipeline.
final class Recorder: ChannelInboundHandler {
    typealias InboundIn = PeerFrame
    var frames: [PeerFrame] = []
    var authenticated: [ReplicaID] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { frames.append(unwrapInboundIn(data)) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? PeerAuthenticated { authenticated.append(event.peer) }
    }
}

@Suite("peer handshake handlers")
struct PeerHandshakeHandlerTests {
    static let secret = try! ClusterSecret(Array("0123456789abcdef0123456789abcdef".utf8))
    static let credentials = PeerCredentials(clusterID: "kv-test", replica: ReplicaID(1),
                                             members: [ReplicaID(1), ReplicaID(2), ReplicaID(3)], secret: secret)
    static let heartbeat = PeerFrame.message(group: 0, .heartbeat(ballot: .zero, chosenThrough: .zero, readRound: 0))

    static func gate(max: Int = 64) -> PeerGate {
        PeerGate(credentials: credentials, maxUnauthenticated: max, handshakeTimeout: .seconds(3),
                 logger: Logger(label: "test"), metrics: NodeMetrics())
    }

    /// An accepting channel, connected (so the handler has seen channelActive).
    static func acceptor(_ gate: PeerGate) throws -> (EmbeddedChannel, Recorder) {
        let recorder = Recorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([PeerAcceptorHandler(gate: gate), recorder])
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4000)).wait()
        return (channel, recorder)
    }

    static func hello(dialer: UInt32 = 2, acceptor: UInt32 = 1, cluster: String = "kv-test", nonce: [UInt8]) -> PeerFrame {
        .hello(.request(clusterID: cluster, dialer: ReplicaID(dialer), acceptor: ReplicaID(acceptor), nonce: nonce))
    }

    /// Sends a hello and returns the transcript the challenge completes.
    static func challenge(_ channel: EmbeddedChannel) throws -> PeerHandshake.Transcript {
        let dialerNonce = PeerHandshake.makeNonce()
        try channel.writeInbound(hello(nonce: dialerNonce))
        guard case .hello(.challenge(let nonce, let proof)) = try channel.readOutbound(as: PeerFrame.self) else {
            throw HandlerTestError("the acceptor did not answer hello with a challenge")
        }
        let transcript = PeerHandshake.Transcript(clusterID: "kv-test", dialer: ReplicaID(2), acceptor: ReplicaID(1),
                                                  dialerNonce: dialerNonce, acceptorNonce: nonce)
        #expect(PeerHandshake.verify(proof, .acceptor, for: transcript, secret: secret), "the acceptor's proof is wrong")
        return transcript
    }

    static func expectRefused(_ channel: EmbeddedChannel, saying words: String) throws {
        guard case .helloReject(let reason) = try channel.readOutbound(as: PeerFrame.self) else {
            Issue.record("expected helloReject")
            return
        }
        #expect(reason.contains(words), "reason: \(reason)")
        #expect(!channel.isActive, "the connection was left open")
    }

    @Test("acceptor: hello, challenge, right proof: authenticated, and frames pipelined behind the proof reach the node")
    func honestDialer() throws {
        let gate = Self.gate()
        let (channel, recorder) = try Self.acceptor(gate)
        let transcript = try Self.challenge(channel)
        #expect(recorder.frames.isEmpty && recorder.authenticated.isEmpty)
        try channel.writeInbound(PeerFrame.hello(.proof(PeerHandshake.proof(.dialer, for: transcript, secret: Self.secret))))
        try channel.writeInbound(Self.heartbeat)
        #expect(recorder.authenticated == [ReplicaID(2)])
        #expect(recorder.frames == [Self.heartbeat])
        #expect(gate.unauthenticatedConnections == 0, "an authenticated connection still holds a slot")
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(channel.isActive, "the deadline closed an authenticated connection")
        #expect(try channel.readOutbound(as: PeerFrame.self) == nil)
    }

    @Test("acceptor: a forged proof is refused and closed; nothing it sent reaches the node")
    func forgedProof() throws {
        let gate = Self.gate()
        let (channel, recorder) = try Self.acceptor(gate)
        let transcript = try Self.challenge(channel)
        let forger = try ClusterSecret(Array("not-the-secret-not-the-secret-xx".utf8))
        try channel.writeInbound(PeerFrame.hello(.proof(PeerHandshake.proof(.dialer, for: transcript, secret: forger))))
        try? channel.writeInbound(Self.heartbeat)
        try Self.expectRefused(channel, saying: "authentication failed")
        #expect(recorder.frames.isEmpty && recorder.authenticated.isEmpty)
        #expect(gate.unauthenticatedConnections == 0)
    }

    @Test("acceptor: the acceptor's own proof sent back as the dialer's is refused")
    func reflectedProof() throws {
        let (channel, recorder) = try Self.acceptor(Self.gate())
        let transcript = try Self.challenge(channel)
        try channel.writeInbound(PeerFrame.hello(.proof(PeerHandshake.proof(.acceptor, for: transcript, secret: Self.secret))))
        try Self.expectRefused(channel, saying: "authentication failed")
        #expect(recorder.frames.isEmpty && recorder.authenticated.isEmpty)
    }

    @Test("acceptor: a Paxos frame before or instead of the handshake is refused and never reaches the node")
    func framesBeforeAuthentication() throws {
        let (first, firstRecorder) = try Self.acceptor(Self.gate())
        try first.writeInbound(Self.heartbeat)
        try Self.expectRefused(first, saying: "hello")
        #expect(firstRecorder.frames.isEmpty)

        let (second, secondRecorder) = try Self.acceptor(Self.gate())
        _ = try Self.challenge(second)
        try second.writeInbound(Self.heartbeat)
        try Self.expectRefused(second, saying: "helloProof")
        #expect(secondRecorder.frames.isEmpty && secondRecorder.authenticated.isEmpty)
    }

    @Test("acceptor: a hello for another cluster, from a non-member, from itself or for another replica is refused",
          arguments: [("cluster id", hello(cluster: "kv-other", nonce: Array(repeating: 1, count: 32))),
                      ("not a peer", hello(dialer: 9, nonce: Array(repeating: 1, count: 32))),
                      ("not a peer", hello(dialer: 1, nonce: Array(repeating: 1, count: 32))),
                      ("not the replica", hello(acceptor: 3, nonce: Array(repeating: 1, count: 32)))])
    func badHello(words: String, hello: PeerFrame) throws {
        let (channel, recorder) = try Self.acceptor(Self.gate())
        try channel.writeInbound(hello)
        try Self.expectRefused(channel, saying: words)
        #expect(recorder.frames.isEmpty && recorder.authenticated.isEmpty)
    }

    @Test("acceptor: a connection that does not finish the handshake is closed at the deadline")
    func deadline() throws {
        let gate = Self.gate()
        let (channel, _) = try Self.acceptor(gate)
        _ = try Self.challenge(channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2_900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        try Self.expectRefused(channel, saying: "in time")
        #expect(gate.unauthenticatedConnections == 0)
    }

    @Test("acceptor: connections beyond the unauthenticated cap are refused at once; a slot frees when one authenticates")
    func cap() throws {
        let gate = Self.gate(max: 2)
        let (first, _) = try Self.acceptor(gate)
        let (second, _) = try Self.acceptor(gate)
        let (third, thirdRecorder) = try Self.acceptor(gate)
        try Self.expectRefused(third, saying: "too many")
        #expect(thirdRecorder.frames.isEmpty)
        #expect(first.isActive && second.isActive)
        let transcript = try Self.challenge(first)
        try first.writeInbound(PeerFrame.hello(.proof(PeerHandshake.proof(.dialer, for: transcript, secret: Self.secret))))
        let (fourth, _) = try Self.acceptor(gate)
        #expect(fourth.isActive)
        #expect(try fourth.readOutbound(as: PeerFrame.self) == nil)
        #expect(gate.unauthenticatedConnections == 2)
    }

    /// A dialing channel for replica 2 calling replica 1; returns the nonce its hello carried.
    static func dialer(logger: Logger = Logger(label: "test"), shouldLogFailure: @escaping () -> (log: Bool, suppressed: Int) = { (true, 0) },
                       shouldLogError: @escaping () -> (log: Bool, suppressed: Int) = { (true, 0) },
                       onAuthenticated: @escaping (any Channel) -> Void) throws -> (EmbeddedChannel, [UInt8]) {
        var credentials = Self.credentials
        credentials.replica = ReplicaID(2)
        let channel = EmbeddedChannel(handler: PeerDialerHandler(
            peer: ReplicaID(1), credentials: credentials, timeout: .seconds(3), logger: logger,
            shouldLogFailure: shouldLogFailure, shouldLogError: shouldLogError, onAuthenticated: onAuthenticated))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 7381)).wait()
        guard case .hello(.request("kv-test", ReplicaID(2), ReplicaID(1), let nonce)) = try channel.readOutbound(as: PeerFrame.self) else {
            throw HandlerTestError("the dialer did not open with its hello")
        }
        return (channel, nonce)
    }

    @Test("dialer: checks the acceptor's proof, then sends its own and hands the channel over")
    func dialerHonest() throws {
        var handedOver = 0
        let (channel, dialerNonce) = try Self.dialer { _ in handedOver += 1 }
        let transcript = PeerHandshake.Transcript(clusterID: "kv-test", dialer: ReplicaID(2), acceptor: ReplicaID(1),
                                                  dialerNonce: dialerNonce, acceptorNonce: PeerHandshake.makeNonce())
        try channel.writeInbound(PeerFrame.hello(.challenge(
            nonce: transcript.acceptorNonce, proof: PeerHandshake.proof(.acceptor, for: transcript, secret: Self.secret))))
        guard case .hello(.proof(let proof)) = try channel.readOutbound(as: PeerFrame.self) else {
            Issue.record("the dialer sent no proof")
            return
        }
        #expect(PeerHandshake.verify(proof, .dialer, for: transcript, secret: Self.secret))
        #expect(handedOver == 1)
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(channel.isActive)
    }

    @Test("dialer: an acceptor that cannot prove the secret gets no proof and the connection closes")
    func dialerImpostor() throws {
        var handedOver = 0
        let (channel, dialerNonce) = try Self.dialer { _ in handedOver += 1 }
        let impostor = try ClusterSecret(Array("impostor-impostor-impostor-12345".utf8))
        let transcript = PeerHandshake.Transcript(clusterID: "kv-test", dialer: ReplicaID(2), acceptor: ReplicaID(1),
                                                  dialerNonce: dialerNonce, acceptorNonce: PeerHandshake.makeNonce())
        try channel.writeInbound(PeerFrame.hello(.challenge(
            nonce: transcript.acceptorNonce, proof: PeerHandshake.proof(.acceptor, for: transcript, secret: impostor))))
        #expect(try channel.readOutbound(as: PeerFrame.self) == nil)
        #expect(!channel.isActive && handedOver == 0)
    }

    @Test("dialer: failed handshakes of one link are logged once per throttle interval, with the count left out")
    func dialerFailureLogThrottled() throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test") { label in PaxosLogHandler(label: label, format: .text) { line in lines.withLock { $0.append(line) } } }
        let throttle = Mutex(LogThrottle())
        let now = Mutex(NIODeadline.uptimeNanoseconds(0))
        for attempt in 0..<5 {
            now.withLock { $0 = .uptimeNanoseconds(UInt64(attempt) * 300_000_000) }  // one redial every 300 ms
            let (channel, dialerNonce) = try Self.dialer(logger: logger, shouldLogFailure: {
                let at = now.withLock { $0 }
                return throttle.withLock { $0.shouldLog(now: at) }
            }) { _ in }
            let impostor = try ClusterSecret(Array("impostor-impostor-impostor-12345".utf8))
            let transcript = PeerHandshake.Transcript(clusterID: "kv-test", dialer: ReplicaID(2), acceptor: ReplicaID(1),
                                                      dialerNonce: dialerNonce, acceptorNonce: PeerHandshake.makeNonce())
            try channel.writeInbound(PeerFrame.hello(.challenge(
                nonce: transcript.acceptorNonce, proof: PeerHandshake.proof(.acceptor, for: transcript, secret: impostor))))
            #expect(!channel.isActive, "attempt \(attempt) closes")
        }
        #expect(lines.withLock { $0.count } == 1, "\(lines.withLock { $0 })")
    }

    @Test("dialer: connection errors of one link (a reset, a refused TLS certificate) are logged once per throttle interval, apart from failed handshakes")
    func dialerErrorLogThrottled() throws {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test") { label in PaxosLogHandler(label: label, format: .text) { line in lines.withLock { $0.append(line) } } }
        let errors = Mutex(LogThrottle())
        let failures = Mutex(LogThrottle())
        let now = Mutex(NIODeadline.uptimeNanoseconds(0))
        func dialer() throws -> (EmbeddedChannel, [UInt8]) {
            try Self.dialer(logger: logger, shouldLogFailure: {
                let at = now.withLock { $0 }
                return failures.withLock { $0.shouldLog(now: at) }
            }, shouldLogError: {
                let at = now.withLock { $0 }
                return errors.withLock { $0.shouldLog(now: at) }
            }) { _ in }
        }
        for attempt in 0..<12 {
            now.withLock { $0 = .uptimeNanoseconds(UInt64(attempt) * 1_000_000_000) }  // one redial a second, for 12 s
            let (channel, _) = try dialer()
            channel.pipeline.fireErrorCaught(HandlerTestError("connection reset by peer"))
            #expect(!channel.isActive, "attempt \(attempt) closes")
        }
        // At 0 s, and at 10 s with the nine suppressed since.
        let logged = lines.withLock { $0 }
        #expect(logged.count == 2, "\(logged)")
        #expect(logged.last?.contains("suppressed=9") == true, "\(logged)")
        // A killed peer's reset must not hide that its replacement holds another secret.
        let (channel, dialerNonce) = try dialer()
        let impostor = try ClusterSecret(Array("impostor-impostor-impostor-12345".utf8))
        let transcript = PeerHandshake.Transcript(clusterID: "kv-test", dialer: ReplicaID(2), acceptor: ReplicaID(1),
                                                  dialerNonce: dialerNonce, acceptorNonce: PeerHandshake.makeNonce())
        try channel.writeInbound(PeerFrame.hello(.challenge(
            nonce: transcript.acceptorNonce, proof: PeerHandshake.proof(.acceptor, for: transcript, secret: impostor))))
        #expect(lines.withLock { $0.count } == 3)
        #expect(lines.withLock { $0.last }?.contains("cluster secret") == true)
    }

    @Test("dialer: no challenge within the deadline closes the connection")
    func dialerDeadline() throws {
        let (channel, _) = try Self.dialer { _ in Issue.record("handed over without a challenge") }
        channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(!channel.isActive)
    }

    @Test("refusal log: the first refusal per host per minute is logged, the rest counted into the next line")
    func refusalLogLimit() {
        var limiter = RefusalLogLimiter()
        let second: UInt64 = 1_000_000_000
        #expect(limiter.shouldLog(host: "10.0.0.1", nowNanoseconds: 0) == 0)
        #expect(limiter.shouldLog(host: "10.0.0.1", nowNanoseconds: 1 * second) == nil)
        #expect(limiter.shouldLog(host: "10.0.0.2", nowNanoseconds: 2 * second) == 0)
        #expect(limiter.shouldLog(host: "10.0.0.1", nowNanoseconds: 59 * second) == nil)
        #expect(limiter.shouldLog(host: "10.0.0.1", nowNanoseconds: 60 * second) == 2)
        #expect(limiter.shouldLog(host: "10.0.0.1", nowNanoseconds: 61 * second) == nil)
    }
}

struct HandlerTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
