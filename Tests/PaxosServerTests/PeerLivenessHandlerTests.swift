// Method: `PeerLivenessHandler` through NIOEmbedded's EmbeddedChannel, frames written straight
// into the pipeline (no codec) and a `Recorder` behind it standing in for the node. Time is the
// embedded loop's, advanced by the test: no sleeping. Covers ARCHITECTURE.md "Link liveness":
// pings after an interval of silence, pongs on the same connection, a close after the silence
// timeout, and nothing at all before the handshake is done.
import NIOCore
import NIOEmbedded
import PaxosCore
import PaxosWire
import Testing

@testable import PaxosServer

@Suite("peer link liveness handler")
struct PeerLivenessHandlerTests {
    static let settings = PeerLivenessSettings(interval: .milliseconds(50), silenceTimeout: .seconds(1))

    final class Silences {
        var peers: [ReplicaID] = []
    }

    /// A connected channel with the handler on `side`; authenticated as peer 2 unless told not to.
    static func channel(_ side: PeerLivenessHandler.Side, authenticate: Bool = true) throws
        -> (EmbeddedChannel, Recorder, Silences) {
        let recorder = Recorder()
        let silences = Silences()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            PeerLivenessHandler(side: side, settings: settings) { peer, _ in silences.peers.append(peer) }, recorder,
        ])
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 4000)).wait()
        if authenticate { channel.pipeline.fireUserInboundEventTriggered(PeerAuthenticated(peer: ReplicaID(2))) }
        return (channel, recorder, silences)
    }

    static func outbound(_ channel: EmbeddedChannel) throws -> [PeerFrame] {
        var frames: [PeerFrame] = []
        while let frame = try channel.readOutbound(as: PeerFrame.self) { frames.append(frame) }
        return frames
    }

    @Test("liveness: the acceptor answers a ping with a pong and passes no ping or pong to the node")
    func acceptorAnswersPing() throws {
        let (channel, recorder, _) = try Self.channel(.acceptor)
        try channel.writeInbound(PeerFrame.ping)
        #expect(try Self.outbound(channel) == [.pong])
        let heartbeat = PeerHandshakeHandlerTests.heartbeat
        try channel.writeInbound(heartbeat)
        #expect(recorder.frames == [heartbeat])
        #expect(try Self.outbound(channel) == [])
    }

    @Test("liveness: the dialer pings every interval while it hears nothing, and the pongs stop at the handler")
    func dialerPings() throws {
        let (channel, recorder, silences) = try Self.channel(.dialer)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(49))
        #expect(try Self.outbound(channel) == [])
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try Self.outbound(channel) == [.ping])
        for _ in 0..<40 {
            try channel.writeInbound(PeerFrame.pong)
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(50))
        }
        // Two seconds of pongs: pings went on, nothing was closed, no pong reached the node.
        #expect(try Self.outbound(channel).count == 40)
        #expect(channel.isActive)
        #expect(silences.peers.isEmpty)
        #expect(recorder.frames.isEmpty)
    }

    @Test("liveness: a connection silent for the timeout is closed once and reported", arguments: [
        PeerLivenessHandler.Side.dialer, .acceptor,
    ])
    func silentConnectionCloses(side: PeerLivenessHandler.Side) throws {
        let (channel, _, silences) = try Self.channel(side)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(950))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(50))
        #expect(!channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(silences.peers == [ReplicaID(2)])
    }

    @Test("liveness: before the handshake is done nothing is sent and nothing is closed")
    func idleBeforeAuthentication() throws {
        let (channel, _, silences) = try Self.channel(.dialer, authenticate: false)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try Self.outbound(channel) == [])
        #expect(channel.isActive)
        #expect(silences.peers.isEmpty)
    }
}
