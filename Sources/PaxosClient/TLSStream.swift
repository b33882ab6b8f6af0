import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A TLS connection behind the blocking `ByteStream` calls `RESPConnection` makes.
///
/// TLS runs in swift-nio-ssl on a NIO channel (there is no blocking TLS API to build on without
/// hand-rolling one over BoringSSL). The calling thread blocks on futures; the channel's state
/// (received bytes, a waiting reader) lives on its event loop only, so nothing here needs a lock.
/// Every wait is bounded by the I/O timeout, like `Socket`'s `SO_RCVTIMEO`.
///
/// Channels run on NIO's process-wide singleton event loop group, which is created on first use
/// and lives as long as the process: a client opens many short connections and must not pay for
/// threads per connection.
final class TLSStream: @unchecked Sendable {
    // @unchecked Sendable: `channel` and `endpoint` are immutable; `reader` is only touched on
    // the channel's event loop (every access goes through `eventLoop.submit`/`execute`).
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
        do {
            try reader.handshake(on: channel.eventLoop, timeout: timeout).wait()
        } catch {
            stream.close()
            throw handshakeError(error, endpoint: endpoint, timeout: timeout)
        }
        return stream
    }

    func sendAll(_ bytes: UnsafeRawBufferPointer) throws(PaxosClientError) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        let written = channel.writeAndFlush(buffer)
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(ioTimeout.milliseconds)) { [channel] in
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            try written.wait()
        } catch {
            throw PaxosClientError.connectionClosed.with("TLS write failed: \(error)", endpoint: endpoint)
        }
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PaxosClientError) -> Int {
        let chunk: ByteBuffer?
        do {
            chunk = try reader.read(on: channel.eventLoop, maxBytes: buffer.count, timeout: ioTimeout).wait()
        } catch let error as PaxosClientError {
            throw error.with("", endpoint: endpoint)
        } catch {
            throw PaxosClientError.connectionClosed.with("TLS read failed: \(error)", endpoint: endpoint)
        }
        guard let chunk else { return 0 }
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

    private static func handshakeError(_ error: any Error, endpoint: Endpoint, timeout: Duration) -> PaxosClientError {
        if let failure = error as? PaxosClientError { return failure.with("", endpoint: endpoint) }
        return PaxosClientError.tlsHandshake.with("\(error)", endpoint: endpoint)
    }
}

/// The inbound end of a `TLSStream`'s channel: buffers decrypted bytes and hands them to the one
/// blocked reader. - Invariant: used on the channel's event loop only.
private final class Reader: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    // @unchecked Sendable: every stored property is read and written on the event loop only.
    typealias InboundIn = ByteBuffer

    private var received: ByteBuffer?
    private var ended = false
    private var failure: (any Error)?
    private var waiting: (promise: EventLoopPromise<ByteBuffer?>, maxBytes: Int, timeout: Scheduled<Void>)?
    private var handshakeDone = false
    private var handshakeWaiter: EventLoopPromise<Void>?

    func handshake(on loop: any EventLoop, timeout: Duration) -> EventLoopFuture<Void> {
        loop.flatSubmit { [self] in
            if handshakeDone { return loop.makeSucceededVoidFuture() }
            if let failure { return loop.makeFailedFuture(failure) }
            if ended { return loop.makeFailedFuture(PaxosClientError.connectionClosed.with("closed during the TLS handshake")) }
            let promise = loop.makePromise(of: Void.self)
            handshakeWaiter = promise
            loop.scheduleTask(in: .milliseconds(timeout.milliseconds)) {
                promise.fail(PaxosClientError.timeout.with("no TLS handshake within \(timeout)"))
            }
            return promise.futureResult
        }
    }

    func read(on loop: any EventLoop, maxBytes: Int, timeout: Duration) -> EventLoopFuture<ByteBuffer?> {
        loop.flatSubmit { [self] in
            if let chunk = take(maxBytes) { return loop.makeSucceededFuture(chunk) }
            if let failure { return loop.makeFailedFuture(failure) }
            if ended { return loop.makeSucceededFuture(nil) }
            let promise = loop.makePromise(of: ByteBuffer?.self)
            let deadline = loop.scheduleTask(in: .milliseconds(timeout.milliseconds)) { [self] in
                guard let waiting, waiting.promise.futureResult === promise.futureResult else { return }
                self.waiting = nil
                promise.fail(PaxosClientError.timeout.with("no reply bytes within \(timeout)"))
            }
            waiting = (promise, maxBytes, deadline)
            return promise.futureResult
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            handshakeDone = true
            handshakeWaiter?.succeed()
            handshakeWaiter = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil { received = bytes } else { received!.writeBuffer(&bytes) }
        wake()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if failure == nil { failure = error }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended = true
        wake()
    }

    private func take(_ maxBytes: Int) -> ByteBuffer? {
        guard var buffer = received, buffer.readableBytes > 0 else { return nil }
        let chunk = buffer.readSlice(length: min(maxBytes, buffer.readableBytes))
        received = buffer.readableBytes > 0 ? buffer : nil
        return chunk
    }

    private func wake() {
        if let waiter = handshakeWaiter, failure != nil || ended {
            handshakeWaiter = nil
            waiter.fail(failure ?? PaxosClientError.connectionClosed.with("closed during the TLS handshake"))
        }
        guard let waiting else { return }
        if let chunk = take(waiting.maxBytes) {
            self.waiting = nil
            waiting.timeout.cancel()
            waiting.promise.succeed(chunk)
        } else if failure != nil || ended {
            self.waiting = nil
            waiting.timeout.cancel()
            if let failure { waiting.promise.fail(failure) } else { waiting.promise.succeed(nil) }
        }
    }
}

extension TLSStream: ByteStream {}
