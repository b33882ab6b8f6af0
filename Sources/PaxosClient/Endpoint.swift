/// Where one paxosd node takes RESP clients: a host name or address and its client port.
///
/// Parsed from the `host:port` form that paxosctl and the test harness pass around; a bracketed
/// IPv6 literal (`[::1]:6381`) is accepted too.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// - Precondition: `port` is in 1...65535. Use `init(parsing:)` for text from a user.
    public init(host: String, port: Int) {
        precondition((1...65_535).contains(port), "endpoint \(host):\(port): port outside 1-65535")
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, refusing anything else with `PaxosClientError.invalidEndpoint`.
    public init(parsing text: String) throws(PaxosClientError) {
        guard let colon = text.lastIndex(of: ":") else {
            throw PaxosClientError.invalidEndpoint.with("'\(text)' has no ':port'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw PaxosClientError.invalidEndpoint.with("'\(text)' has no host") }
        guard let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw PaxosClientError.invalidEndpoint.with("'\(text)' has no port in 1-65535")
        }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
