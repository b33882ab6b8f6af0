import Foundation
import PaxosAuth
import PaxosCore
import PaxosWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frame-level reads on a raw connection to a peer port, for attackers and for `FakePeer`.
extension RawConnection {
    /// Exactly `count` bytes; throws if the node closes first or stays silent past the timeout.
    func read(exactly count: Int) throws -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(count, 64 * 1_024))
        while received.count < count {
            let wanted = min(chunk.count, count - received.count)
            let got = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, wanted, 0) }
            if got == 0 { throw HarnessError("the node closed the connection after \(received.count) of \(count) bytes") }
            guard got > 0 else { throw HarnessError("no data from the node (errno \(errno)) after \(received.count) of \(count) bytes") }
            received += chunk[0..<got]
        }
        return received
    }

    /// The next peer frame the node sends.
    func readFrame() throws -> PeerFrame {
        let header = try read(exactly: 4)
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length <= PeerFrame.handshakeMaxFrameBytes else {
            throw HarnessError("the node announced a \(length)-byte frame during the handshake")
        }
        return try PeerFrame.decode(header + read(exactly: length))
    }

    /// Whether the node has closed the connection (or reset it); does not wait. Any bytes it sent
    /// and nobody read are discarded.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        while true {
            let got = recv(descriptor, &byte, 1, Int32(MSG_DONTWAIT))
            if got == 0 { return true }
            if got < 0 { return errno == ECONNRESET || errno == EPIPE }
        }
    }

    /// Writes what it can of `bytes`; false once the node has closed or reset the connection.
    /// An attacker keeps streaming until then, so a write error is the expected outcome.
    func writeUntilRefused(_ bytes: [UInt8]) -> Bool {
        // A node that never closes must fail the test, not hang it: give up on a blocked send.
        var wait = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}

/// A peer that holds the cluster secret and speaks the dialer's side of the handshake: connects
/// to a node's peer port as member `replica`, authenticates, and can then send any frame, as a
/// buggy or compromised member could (huge ballots, forged catch-up replies, unsolicited
/// snapshot chunks). The node MUST still check each of them against its protocol state.
final class FakePeer {
    let connection: RawConnection
    let replica: ReplicaID
    let target: ReplicaID

    /// Connects to `cluster`'s node `target` as `replica` and answers the challenge with `secret`
    /// (the cluster's own unless a test passes another). Throws if the node does not challenge,
    /// or (with `verifyAcceptor`) cannot prove it holds `secret`. The node checks the proof after
    /// this returns; a test that expects a refusal reads the `helloReject` from `connection`.
    init(cluster: LocalCluster, target: Int, as replica: Int, secret: ClusterSecret? = nil,
         verifyAcceptor: Bool = true) throws {
        let secret = try secret ?? ClusterSecret.load(path: cluster.secretPath)
        self.replica = ReplicaID(UInt32(replica))
        self.target = ReplicaID(UInt32(target))
        connection = try RawConnection(port: cluster.peerPort(target), timeout: .seconds(5))
        let dialerNonce = PeerHandshake.makeNonce()
        try connection.write(try PeerFrame.hello(.request(
            clusterID: cluster.clusterID, dialer: self.replica, acceptor: self.target, nonce: dialerNonce)).encoded())
        let answer = try connection.readFrame()
        guard case .hello(.challenge(let acceptorNonce, let acceptorProof)) = answer else {
            throw HarnessError("node \(target) answered the hello of fake peer \(replica) with \(answer)")
        }
        let transcript = PeerHandshake.Transcript(clusterID: cluster.clusterID, dialer: self.replica, acceptor: self.target,
                                                  dialerNonce: dialerNonce, acceptorNonce: acceptorNonce)
        guard !verifyAcceptor || PeerHandshake.verify(acceptorProof, .acceptor, for: transcript, secret: secret) else {
            throw HarnessError("node \(target) could not prove it holds the cluster secret")
        }
        try connection.write(try PeerFrame.hello(.proof(PeerHandshake.proof(.dialer, for: transcript, secret: secret))).encoded())
    }

    /// Sends `frame` as if from member `replica`.
    func send(_ frame: PeerFrame) throws {
        try connection.write(try frame.encoded())
    }

    func close() { connection.close() }
}

extension LocalCluster {
    /// Node `id`'s peer port (the client port + 1 in LocalCluster's layout).
    func peerPort(_ id: Int) -> Int { clientPort(id) + 1 }

    /// Node `id`'s Prometheus metrics page (the node closes after answering).
    func metricsText(_ id: Int) throws -> String {
        let connection = try RawConnection(port: clientPort(id) + 2)
        try connection.write(Array("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        return String(decoding: try connection.readUntilClosed(), as: UTF8.self)
    }

    /// Node `id`'s resident memory in KiB, from /proc (Linux).
    func residentKiB(_ id: Int) throws -> Int {
        guard let pid = pid(id) else { throw HarnessError("node \(id) is not running") }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw HarnessError("no VmRSS in /proc/\(pid)/status") }
        return kib
    }
}
