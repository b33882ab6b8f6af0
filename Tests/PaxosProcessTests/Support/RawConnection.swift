#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bare TCP connection to a port on loopback (or another IPv4 address, such as a node's in a
/// namespace network), for sending bytes no well-behaved client would: malformed RESP, a foreign
/// peer's hello, garbage on the peer port; and for plain HTTP to the metrics port.
///
/// - Invariant: `descriptor` is an open socket until `close()`.
final class RawConnection {
    private(set) var descriptor: Int32

    /// Connects to `host:port` (an IPv4 address); reads give up after `timeout` without data.
    init(host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(3)) throws {
        descriptor = socket(AF_INET, Ports.streamType, 0)
        guard descriptor >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var wait = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = Ports.loopback(port: port)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close()
            throw HarnessError("\(host) is not an IPv4 address")
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            let number = errno
            closeDescriptor(descriptor)
            throw HarnessError("connect to \(host):\(port): errno \(number)")
        }
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { closeDescriptor(descriptor) }
        descriptor = -1
    }

    func write(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw HarnessError("send: errno \(errno)") }
            sent += count
        }
    }

    /// Everything the peer sends until it closes the connection. Throws if it stays open and
    /// silent past the read timeout: the point of these tests is that the node closes.
    func readUntilClosed(limit: Int = 1 << 20) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4_096)
        while received.count < limit {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return received }
            guard count > 0 else {
                if errno == ECONNRESET { return received }
                throw HarnessError("the node kept the connection open (errno \(errno)) after sending \(received.count) bytes")
            }
            received += chunk[0..<count]
        }
        throw HarnessError("the node sent more than \(limit) bytes without closing")
    }
}

/// `close(2)`, out of reach of `RawConnection.close()`.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
