#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Blocking TCP over POSIX sockets, the little `RESPConnection` needs: connect with a deadline,
/// send everything, receive some. Every failure is a `PaxosClientError` naming the endpoint.
///
/// Sockets are blocking with `SO_RCVTIMEO`/`SO_SNDTIMEO`, so a call never waits longer than the
/// I/O timeout; only the connect runs non-blocking, because `connect` has no timeout option.
/// Writes pass `MSG_NOSIGNAL` (Linux) or set `SO_NOSIGPIPE` (Darwin): a server that went away
/// MUST surface as an error, never as a SIGPIPE that kills the whole client process.
struct Socket {
    let descriptor: Int32
    let endpoint: Endpoint

    /// Resolves `endpoint` and connects to the first address that accepts within `timeout`.
    static func connect(to endpoint: Endpoint, timeout: Duration, ioTimeout: Duration) throws(PaxosClientError) -> Socket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketStreamType
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = status == 0 ? "no addresses" : String(cString: gai_strerror(status))
            throw PaxosClientError.cannotResolve.with(reason, endpoint: endpoint)
        }
        defer { freeaddrinfo(list) }
        var lastError = PaxosClientError.cannotResolve.with("no usable address", endpoint: endpoint)
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let address = current {
            do throws(PaxosClientError) {
                let descriptor = try connectOne(address.pointee, endpoint: endpoint, timeout: timeout)
                let socket = Socket(descriptor: descriptor, endpoint: endpoint)
                do throws(PaxosClientError) {
                    try socket.configure(ioTimeout: ioTimeout)
                } catch {
                    socket.close()
                    throw error
                }
                return socket
            } catch {
                lastError = error
            }
            current = address.pointee.ai_next
        }
        throw lastError
    }

    private static func connectOne(_ address: addrinfo, endpoint: Endpoint, timeout: Duration) throws(PaxosClientError) -> Int32 {
        let descriptor = socket(address.ai_family, socketStreamType | socketCloseOnExec, address.ai_protocol)
        guard descriptor >= 0 else { throw failure(errno, "socket", endpoint: endpoint) }
        do throws(PaxosClientError) {
            try setCloseOnExecIfNeeded(descriptor, endpoint: endpoint)
            try setNonBlocking(descriptor, true, endpoint: endpoint)
            if systemConnect(descriptor, address.ai_addr, address.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else { throw failure(errno, "connect", endpoint: endpoint) }
                try waitWritable(descriptor, timeout: timeout, endpoint: endpoint)
            }
            try setNonBlocking(descriptor, false, endpoint: endpoint)
            return descriptor
        } catch {
            _ = systemClose(descriptor)
            throw error
        }
    }

    /// Waits for a non-blocking connect to finish, then reads its result from `SO_ERROR`.
    private static func waitWritable(_ descriptor: Int32, timeout: Duration, endpoint: Endpoint) throws(PaxosClientError) {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                throw PaxosClientError.timeout.with("connecting took longer than \(timeout)", endpoint: endpoint)
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: max(1, remaining.milliseconds)))
            if ready < 0 {
                if errno == EINTR { continue }
                throw failure(errno, "poll", endpoint: endpoint)
            }
            if ready == 0 { continue }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
                throw failure(errno, "getsockopt(SO_ERROR)", endpoint: endpoint)
            }
            guard error == 0 else { throw failure(error, "connect", endpoint: endpoint) }
            return
        }
    }

    private func configure(ioTimeout: Duration) throws(PaxosClientError) {
        var time = timeval(ioTimeout)
        try setOption(SOL_SOCKET, SO_RCVTIMEO, &time, "SO_RCVTIMEO")
        try setOption(SOL_SOCKET, SO_SNDTIMEO, &time, "SO_SNDTIMEO")
        var one: Int32 = 1
        try setOption(Int32(IPPROTO_TCP), TCP_NODELAY, &one, "TCP_NODELAY")
        #if canImport(Darwin)
        try setOption(SOL_SOCKET, SO_NOSIGPIPE, &one, "SO_NOSIGPIPE")
        #endif
    }

    private func setOption<Value: BitwiseCopyable>(_ level: Int32, _ name: Int32, _ value: inout Value, _ what: String) throws(PaxosClientError) {
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Value>.size)) == 0 else {
            throw Self.failure(errno, "setsockopt(\(what))", endpoint: endpoint)
        }
    }

    /// Sends every byte, or throws. A timeout here means the server stopped reading.
    func sendAll(_ bytes: UnsafeRawBufferPointer) throws(PaxosClientError) {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let sent = systemSend(descriptor, base + offset, bytes.count - offset, socketSendFlags)
            if sent < 0 {
                if errno == EINTR { continue }
                throw Self.failure(errno, "send", endpoint: endpoint)
            }
            offset += sent
        }
    }

    /// Receives up to `buffer.count` bytes; returns 0 when the server closed the connection.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(PaxosClientError) -> Int {
        while true {
            let received = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if received < 0 {
                if errno == EINTR { continue }
                throw Self.failure(errno, "recv", endpoint: endpoint)
            }
            return received
        }
    }

    func close() { _ = systemClose(descriptor) }

    /// Maps an errno to the error kinds callers branch on.
    static func failure(_ number: Int32, _ call: String, endpoint: Endpoint) -> PaxosClientError {
        let reason = "\(call): \(String(cString: strerror(number)))"
        switch number {
        case ECONNREFUSED:
            return PaxosClientError.connectionRefused.with(reason, endpoint: endpoint)
        case EAGAIN, EWOULDBLOCK, ETIMEDOUT:
            return PaxosClientError.timeout.with(reason, endpoint: endpoint)
        case ECONNRESET, EPIPE, ECONNABORTED, ENOTCONN:
            return PaxosClientError.connectionClosed.with(reason, endpoint: endpoint)
        case EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL:
            return PaxosClientError.connectFailed.with(reason, endpoint: endpoint)
        default:
            return PaxosClientError.socketError.with(reason, endpoint: endpoint)
        }
    }

    private static func setNonBlocking(_ descriptor: Int32, _ enabled: Bool, endpoint: Endpoint) throws(PaxosClientError) {
        let flags = fcntl(descriptor, F_GETFL, 0)
        guard flags >= 0 else { throw failure(errno, "fcntl(F_GETFL)", endpoint: endpoint) }
        let updated = enabled ? flags | O_NONBLOCK : flags & ~O_NONBLOCK
        guard fcntl(descriptor, F_SETFL, updated) == 0 else { throw failure(errno, "fcntl(F_SETFL)", endpoint: endpoint) }
    }

    /// Keeps the socket out of child processes (the test harness spawns paxosd); Linux does it
    /// atomically with `SOCK_CLOEXEC` instead.
    private static func setCloseOnExecIfNeeded(_ descriptor: Int32, endpoint: Endpoint) throws(PaxosClientError) {
        #if canImport(Darwin)
        guard fcntl(descriptor, F_SETFD, FD_CLOEXEC) == 0 else { throw failure(errno, "fcntl(F_SETFD)", endpoint: endpoint) }
        #endif
    }
}

#if canImport(Glibc)
private let socketStreamType = Int32(SOCK_STREAM.rawValue)
private let socketCloseOnExec = Int32(SOCK_CLOEXEC.rawValue)
private let socketSendFlags = Int32(MSG_NOSIGNAL)
private func systemConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>!, _ length: socklen_t) -> Int32 {
    Glibc.connect(fd, address, length)
}
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    Glibc.send(fd, bytes, count, flags)
}
private func systemClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
#elseif canImport(Darwin)
private let socketStreamType = SOCK_STREAM
private let socketCloseOnExec: Int32 = 0
private let socketSendFlags: Int32 = 0
private func systemConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>!, _ length: socklen_t) -> Int32 {
    Darwin.connect(fd, address, length)
}
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    Darwin.send(fd, bytes, count, flags)
}
private func systemClose(_ fd: Int32) -> Int32 { Darwin.close(fd) }
#endif

extension timeval {
    /// A socket timeout of `duration`, at least one microsecond: a zero timeval means "forever".
    init(_ duration: Duration) {
        let microseconds = max(1, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        self.init(tv_sec: .init(microseconds / 1_000_000), tv_usec: .init(microseconds % 1_000_000))
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000
    }
}
