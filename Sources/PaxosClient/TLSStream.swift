import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A TLS connection behind the blocking `ByteStream` calls `RESPConnection` makes.
///
/// TLS runs in swift-nio-ssl on a NIO channel (there is no blocking TLS API to build on without
/// hand-rolling one over BoringSSL). Writes are handed to the channel without waiting; received
/// bytes wait in `Reader` under a lock until the calling thread takes them. Every wait is bounded
/// by the I/O timeout, like `Socket`'s `SO_RCVTIMEO`.
///
/// Channels run on NIO's process-wide singleton event loop group, which is created on first use
/// and lives as long as the process: a client opens many short connections and must not pay for
/// threads per connection.
final class TLSStream: @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable; `reader` guards its own state.
    let endpoint: Endpoint
    let ioTimeout: Duration
    private let channel: any Channel
    private let reader: Reader

    private init(endpoint: Endpoint, ioTimeout: Duration, channel: any Channel, reader: Reader) {
        self.endpoint = endpoint
        self.ioTimeout = ioTimeout
        self.channel = channel
        self.reader = reader
    }

    /// Connects, runs the TLS handshake, and returns once it succeeded, all within `timeout`.
    static func connect(to endpoint: Endpoint, tls: ClientTLS, timeout: Duration, ioTimeout: Duration)
        throws(PaxosClientError) -> TLSStream
    {
        let reader = Reader()
        // SNI and name checks take a host name; for an IP address, NIOSSL checks the
        // certificate's IP addresses against the peer's address instead.
        let serverName = isIPAddress(endpoint.host) ? nil : endpoint.host
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(timeout.milliseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: tls.context, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandlers([handler, reader])
                }
            }
        let channel: any Channel
        do {
            channel = try bootstrap.connect(host: endpoint.host, port: endpoint.port).wait()
        } catch {
            throw connectError(error, endpoint: endpoint)
        }
        let stream = TLSStream(endpoint: endpoint, ioTimeout: ioTimeout, channel: channel, reader: reader)
        // The handshake completes (or fails) before the first byte can be read or written;
        // wait for it here so a bad certificate is a connect error, not a confusing read error.
        do throws(PaxosClientError) {
            try reader.waitForHandshake(timeout: timeout, endpoint: endpoint)
        } catch {
            stream.close()
            throw error
        }
        return stream
    }

    func sendAll(_ bytes: UnsafeRawBufferPointer) throws(PaxosClientError) {
        // Not waiting for the write: a failed write closes the channel, and the next receive
        // reports it. Waiting would cost a thread hand-off per command for nothing.
        if let failure = reader.failureOrEnd() {
            throw PaxosClientError.connectionClosed.with("TLS connection failed: \(failure)", endpoint: endpoint)
        }
        channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PaxosClientError) -> Int {
        guard let chunk = try reader.read(maxBytes: buffer.count, timeout: ioTimeout, endpoint: endpoint) else { return 0 }
        return chunk.withUnsafeReadableBytes { source in
            buffer.copyMemory(from: source)
            return source.count
        }
    }

    func close() { channel.close(promise: nil) }

    private static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    private static func connectError(_ error: any Error, endpoint: Endpoint) -> PaxosClientError {
        if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
            return PaxosClientError.connectionRefused.with("", endpoint: endpoint)
        }
        if error is ChannelError { return PaxosClientError.timeout.with("connect: \(error)", endpoint: endpoint) }
        return PaxosClientError.connectFailed.with("\(error)", endpoint: endpoint)
    }

}

/// The inbound end of a `TLSStream`'s channel: buffers decrypted bytes for the one thread that
/// reads. The event loop appends and signals; the reader waits on the condition, so a reply costs
/// one wake-up of the reading thread and no hop onto the event loop.
private final class Reader: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked Sendable: every stored property below `condition` is read and written only
    // while holding `condition`'s lock.
    typealias InboundIn = ByteBuffer

    private let condition = NSCondition()
    private var received: ByteBuffer?
    private var ended = false
    private var failure: (any Error)?
    private var handshakeDone = false

    /// Blocks until the TLS handshake completed, failed, or `timeout` passed.
    func waitForHandshake(timeout: Duration, endpoint: Endpoint) throws(PaxosClientError) {
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while !handshakeDone && failure == nil && !ended {
            guard condition.wait(until: deadline) else {
                throw PaxosClientError.timeout.with("no TLS handshake within \(timeout)", endpoint: endpoint)
            }
        }
        if handshakeDone { return }
        if let failure { throw PaxosClientError.tlsHandshake.with("\(failure)", endpoint: endpoint) }
        throw PaxosClientError.connectionClosed.with("closed during the TLS handshake", endpoint: endpoint)
    }

    /// The error or end of stream seen so far, if any.
    func failureOrEnd() -> String? {
        condition.lock()
        defer { condition.unlock() }
        if let failure { return "\(failure)" }
        return ended ? "closed by the server" : nil
    }

    /// Up to `maxBytes` received bytes, waiting at most `timeout` for some; nil at end of stream.
    func read(maxBytes: Int, timeout: Duration, endpoint: Endpoint) throws(PaxosClientError) -> ByteBuffer? {
        let deadline = Date(timeIntervalSinceNow: timeout.seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if var buffer = received, buffer.readableBytes > 0 {
                let chunk = buffer.readSlice(length: min(maxBytes, buffer.readableBytes))
                received = buffer.readableBytes > 0 ? buffer : nil
                return chunk
            }
            if let failure { throw PaxosClientError.connectionClosed.with("TLS read failed: \(failure)", endpoint: endpoint) }
            if ended { return nil }
            guard condition.wait(until: deadline) else {
                throw PaxosClientError.timeout.with("no reply bytes within \(timeout)", endpoint: endpoint)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { update { $0.handshakeDone = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        update { reader in
            if reader.received == nil { reader.received = bytes } else { reader.received!.writeBuffer(&bytes) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        update { if $0.failure == nil { $0.failure = error } }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        update { $0.ended = true }
    }

    /// Changes the state under the lock and wakes the reader.
    private func update(_ change: (Reader) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }
}

extension Duration {
    /// Seconds as a floating-point number, for `Date`-based waits.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension TLSStream: ByteStream {}
