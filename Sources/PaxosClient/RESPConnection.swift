import NIOCore
public import PaxosWire

/// One blocking TCP (or TLS, with `tls`) connection to one paxosd node, speaking RESP2: commands go out as arrays
/// of bulk strings, replies come back through PaxosWire's `RESPReplyParser`.
///
/// Replies arrive in command order, so several commands may be sent before their replies are
/// read (`pipeline`). paxosd answers a connection's commands one at a time, so pipelining saves
/// round trips, not commit latency; throughput comes from more connections.
///
/// **Failure is final.** After any thrown error the connection is closed: a timeout or a
/// garbled reply leaves the byte stream at an unknown position, and a late reply to an
/// abandoned command would otherwise be read as the answer to the next one. Open a new one.
///
/// **Bounded waits.** Connecting waits at most `connectTimeout`; each send or receive call
/// waits at most `replyTimeout` (`SO_SNDTIMEO`/`SO_RCVTIMEO`), and reading one whole reply is
/// bounded by `replyTimeout` as well, so a server trickling bytes cannot hold a caller forever.
///
/// Not thread-safe: use a connection from one thread at a time.
public final class RESPConnection {
    public let endpoint: Endpoint
    public let replyTimeout: Duration
    private var socket: (any ByteStream)?
    private var input: ByteBuffer
    private let parser: RESPReplyParser
    /// Bytes per `recv`: most replies fit in one, bigger ones take several.
    private static let receiveChunkBytes = 64 * 1_024

    /// The client's reply limits: paxosd values are at most 1 MiB, so 64 MiB bulk strings leave
    /// room without letting a confused server make us buffer half a gigabyte.
    public static let defaultLimits = RESPLimits(maxBulkBytes: 64 << 20, maxArrayCount: 1 << 20)

    /// Connects to `endpoint`, or throws why not.
    public init(
        endpoint: Endpoint, connectTimeout: Duration = .seconds(1), replyTimeout: Duration = .seconds(6),
        limits: RESPLimits = RESPConnection.defaultLimits, tls: ClientTLS? = nil
    ) throws(PaxosClientError) {
        self.endpoint = endpoint
        self.replyTimeout = replyTimeout
        self.parser = RESPReplyParser(limits: limits)
        self.input = ByteBufferAllocator().buffer(capacity: 4_096)
        if let tls {
            self.socket = try TLSStream.connect(to: endpoint, tls: tls, timeout: connectTimeout, ioTimeout: replyTimeout)
        } else {
            self.socket = try Socket.connect(to: endpoint, timeout: connectTimeout, ioTimeout: replyTimeout)
        }
    }

    deinit { socket?.close() }

    public var isOpen: Bool { socket != nil }

    public func close() {
        socket?.close()
        socket = nil
    }

    /// Sends one command and returns its reply. An error reply (`-ERR …`) is returned as
    /// `.error`, not thrown: at this level it is a valid answer.
    public func request(_ arguments: [[UInt8]]) throws(PaxosClientError) -> RESPValue {
        try send(arguments)
        return try receive()
    }

    /// Sends every command, then reads one reply per command, in order.
    public func pipeline(_ commands: [[[UInt8]]]) throws(PaxosClientError) -> [RESPValue] {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 * commands.count)
        for arguments in commands { RESPValue.command(arguments).write(to: &buffer) }
        try write(buffer)
        var replies: [RESPValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try receive()) }
        return replies
    }

    /// Sends one command without waiting for its reply.
    public func send(_ arguments: [[UInt8]]) throws(PaxosClientError) {
        var buffer = ByteBufferAllocator().buffer(capacity: 16 + arguments.reduce(0) { $0 + $1.count + 16 })
        RESPValue.command(arguments).write(to: &buffer)
        try write(buffer)
    }

    private func write(_ buffer: ByteBuffer) throws(PaxosClientError) {
        guard let socket else { throw closedError() }
        // withUnsafeReadableBytes rethrows untyped errors, so the typed one travels out in a variable.
        let failure: PaxosClientError? = buffer.withUnsafeReadableBytes { bytes in
            do throws(PaxosClientError) {
                try socket.sendAll(bytes)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            close()
            throw failure.with("", outcomeIsUnknown: true)
        }
    }

    /// Reads the next reply, waiting at most `replyTimeout` for all of it.
    public func receive() throws(PaxosClientError) -> RESPValue {
        guard let socket else { throw closedError() }
        let deadline = ContinuousClock.now + replyTimeout
        do throws(PaxosClientError) {
            while true {
                if let reply = try parseBuffered() { return reply }
                guard ContinuousClock.now < deadline else {
                    throw PaxosClientError.timeout.with("no complete reply within \(replyTimeout)", endpoint: endpoint)
                }
                // writeWithUnsafeMutableBytes rethrows untyped errors, so the typed one travels
                // out in a variable.
                var failure: PaxosClientError?
                let received = input.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.receiveChunkBytes) { bytes in
                    do throws(PaxosClientError) {
                        return try socket.receive(into: bytes)
                    } catch {
                        failure = error
                        return 0
                    }
                }
                if let failure { throw failure }
                if received == 0 {
                    let partial = input.readableBytes > 0 ? " in the middle of a reply" : ""
                    throw PaxosClientError.connectionClosed.with("end of stream\(partial)", endpoint: endpoint)
                }
            }
        } catch {
            close()
            throw error.with("", outcomeIsUnknown: true)
        }
    }

    private func parseBuffered() throws(PaxosClientError) -> RESPValue? {
        let reply: RESPValue?
        do {
            reply = try parser.next(from: &input)
        } catch {
            // 0x15 is a TLS alert record: a TLS node answering a plaintext hello.
            let hint = input.getInteger(at: input.readerIndex, as: UInt8.self) == 0x15
                ? "; the node speaks TLS: connect with TLS (paxosctl --tls-ca <ca.crt>)" : ""
            throw PaxosClientError.protocolError.with("\(error)\(hint)", endpoint: endpoint)
        }
        // Drop consumed bytes now and then so a long-lived connection does not grow its buffer.
        if input.readerIndex > Self.receiveChunkBytes { input.discardReadBytes() }
        return reply
    }

    private func closedError() -> PaxosClientError {
        PaxosClientError.connectionClosed.with("the connection was closed after an earlier error", endpoint: endpoint)
    }
}

/// One connection serves one thread at a time; sharing it would interleave replies.
@available(*, unavailable)
extension RESPConnection: Sendable {}
