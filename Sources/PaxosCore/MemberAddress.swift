/// Where a member listens, as the membership records it: the host and the client, peer and
/// metrics ports. Recorded when an operator adds a replica with its address
/// (`paxosctl member add <id> <host> <client-port> <peer-port> <metrics-port>`), so every node
/// learns where the new member is from the log, not from an edit of every node's cluster file.
public struct MemberAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var clientPort: UInt16
    public var peerPort: UInt16
    public var metricsPort: UInt16

    /// The longest host name accepted (a DNS name is at most 253 bytes).
    public static let maxHostBytes = 255

    public init(host: String, clientPort: UInt16, peerPort: UInt16, metricsPort: UInt16) {
        self.host = host
        self.clientPort = clientPort
        self.peerPort = peerPort
        self.metricsPort = metricsPort
    }

    /// Checks what an operator could get wrong: an empty or overlong host, one with spaces or
    /// control characters, a zero port, one port used twice.
    public func validate() throws(MembershipError) {
        if host.isEmpty { throw MembershipError("the host is empty") }
        if host.utf8.count > Self.maxHostBytes { throw MembershipError("the host is longer than \(Self.maxHostBytes) bytes") }
        if host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            throw MembershipError("the host '\(host)' contains a space or a control character")
        }
        let ports = [clientPort, peerPort, metricsPort]
        if ports.contains(0) { throw MembershipError("port 0 is not a port a member can listen on") }
        if Set(ports).count != ports.count { throw MembershipError("the client, peer and metrics ports must differ") }
    }

    /// `host:client/peer/metrics`, e.g. `10.0.0.6:6379/7379/9379`.
    public var description: String { "\(host):\(clientPort)/\(peerPort)/\(metricsPort)" }
}
