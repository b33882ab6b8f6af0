import Foundation
import PaxosClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A scripted TCP server on 127.0.0.1 for client tests: it answers every request with the same
/// canned bytes (valid RESP, or deliberately not), or never answers, so the client's handling of
/// bad servers is tested without a cluster. One thread serves every connection with `poll`.
final class FakeServer {
    enum Behavior: Sendable {
        /// Reads a request, writes these bytes, then closes the connection if `close`.
        case reply([UInt8], close: Bool)
        /// Reads requests and never answers.
        case silent
    }

    let port: Int
    var endpoint: Endpoint { Endpoint(host: "127.0.0.1", port: port) }
    private let stopFlag = StopFlag()
    private let requests = Counter()
    private let worker: ThreadGroup<Void>

    /// Requests received so far, over every connection.
    var requestCount: Int { requests.value }

    init(_ behavior: Behavior) throws {
        let listener = socket(AF_INET, Ports.streamType, 0)
        guard listener >= 0 else { throw HarnessError("fake server: socket: errno \(errno)") }
        var address = Ports.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard listening else {
            close(listener)
            throw HarnessError("fake server: cannot listen: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let stopFlag = self.stopFlag
        let requests = self.requests
        worker = ThreadGroup(1, name: "fake-server") { _ in
            Self.serve(listener: listener, behavior: behavior, stop: stopFlag, requests: requests)
        }
    }

    deinit { stop() }

    /// Stops serving and closes every connection and the listener. Idempotent.
    func stop() {
        stopFlag.raise()
        _ = worker.join()
    }

    private static func serve(listener: Int32, behavior: Behavior, stop: StopFlag, requests: Counter) {
        var connections: [Int32] = []
        defer {
            for connection in connections { close(connection) }
            close(listener)
        }
        while !stop.isRaised {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
                + connections.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 20) > 0 else { continue }
            if fds[0].revents != 0 {
                let connection = accept(listener, nil, nil)
                if connection >= 0 { connections.append(connection) }
            }
            for entry in fds.dropFirst() where entry.revents != 0 {
                if !answer(entry.fd, behavior, requests: requests) {
                    close(entry.fd)
                    connections.removeAll { $0 == entry.fd }
                }
            }
        }
    }

    /// Reads what a readable connection sent and answers it; false when it should be closed.
    private static func answer(_ connection: Int32, _ behavior: Behavior, requests: Counter) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let received = recv(connection, &buffer, buffer.count, 0)
        guard received > 0 else { return false }
        requests.increment()
        switch behavior {
        case .silent:
            return true
        case .reply(let bytes, let closeAfter):
            _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, noSignal) }
            return !closeAfter
        }
    }
}

/// A client that hung up must not kill the test process with SIGPIPE.
#if canImport(Glibc)
private let noSignal = Int32(MSG_NOSIGNAL)
#else
private let noSignal: Int32 = 0
#endif
