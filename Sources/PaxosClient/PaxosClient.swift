public import PaxosCore
public import PaxosWire

/// A blocking PaxosKV client that talks to one node at a time and fails over to the next.
///
/// Any paxosd node answers any command: followers forward writes and linearizable reads to the
/// leader. So the client needs no leader tracking; it keeps one connection to one endpoint and
/// moves on, round robin, when that endpoint fails.
///
/// **Retries.** A command is retried, on the next endpoint, after
/// - a connection failure: refused, reset, closed, timed out, or a garbled reply; and
/// - a transient server error: `NOLEADER`, `TIMEOUT`, `BUSY`, `UNAVAILABLE`, `SHUTDOWN`
///   (see `ServerErrorCode.transient`),
///
/// up to `Configuration.maxAttempts` attempts and `Configuration.retryDeadline`, pausing with
/// exponential back-off after every full round of endpoints. Other server errors (`-ERR …`)
/// are thrown at once: the command itself is wrong and would fail everywhere.
///
/// **What a retry means for writes.** A write that timed out, lost its connection, or got
/// `-TIMEOUT`/`-NOLEADER`/`-SHUTDOWN` may still be applied, later, by the cluster. Retrying it is
/// at-least-once, not exactly-once:
/// - `put` is safe to retry in the sense that the key ends up holding the value the caller
///   wrote. But with concurrent writers to the same key, the first attempt may be applied before
///   another client's write and the retry after it, so the key can briefly show this value,
///   then theirs, then this one again. Callers that need strict linearizability per key should
///   use distinct keys or values per writer, or turn retries off (`maxAttempts = 1`) and treat
///   an error with `outcomeIsUnknown` as "maybe applied".
/// - `delete` leaves the key absent either way, but its answer (whether the key existed) comes
///   from the last attempt: if an earlier attempt deleted the key, the retry reports `false`.
/// - When retries run out, the error thrown is the last attempt's, but its `outcomeIsUnknown`
///   is true if *any* attempt may have taken effect: a refused connection at the end does not
///   undo a timed-out attempt before it.
/// Reads (`get`, `exists`, `info`, `ping`) change nothing and are always safe to retry.
///
/// **Threads.** A client is not thread-safe, and not `Sendable`: use one client per thread.
/// Clients are cheap (one TCP connection), so N threads simply make N clients.
///
/// `lastEndpoint` tells which node answered the last command, for demos and tests.
public final class PaxosClient {
    /// How patient the client is. The defaults suit paxosd's defaults (5 s request timeout).
    public struct Configuration: Sendable {
        /// How long one TCP connect may take.
        public var connectTimeout: Duration = .seconds(1)
        /// How long to wait for one reply. Keep it above paxosd's `--request-timeout-ms`, so the
        /// server's own `-TIMEOUT`/`-NOLEADER` arrives before the client gives up on the node.
        public var replyTimeout: Duration = .seconds(6)
        /// Attempts per command, the first included. 1 turns retries off.
        public var maxAttempts = 8
        /// No new attempt starts after this long since the command began.
        public var retryDeadline: Duration = .seconds(20)
        /// The pause after the first full round of failed endpoints; it doubles per round.
        public var retryBackoff: Duration = .milliseconds(50)
        /// The longest pause between rounds.
        public var retryBackoffMax: Duration = .seconds(1)
        /// Send `READONLY` on every new connection: reads are then served from the contacted
        /// node's own applied state, possibly stale, without asking the leader.
        public var staleReads = false
        /// Connect with TLS, verifying nodes against this CA (nil: plain TCP).
        public var tls: ClientTLS?
        /// Credentials sent with `AUTH` on every new connection, before anything else (so a
        /// reconnect after a failover is authenticated too). Without `username`, `AUTH
        /// <password>` authenticates as the node's `default` user, as in Redis.
        public var username: String?
        public var password: String?

        public init() {}
    }

    public let endpoints: [Endpoint]
    public let configuration: Configuration
    /// The endpoint that sent the last reply (a value or a server error), if any.
    public private(set) var lastEndpoint: Endpoint?
    /// Attempts the last command took; above 1 means it was retried.
    public private(set) var lastAttempts = 0
    /// Index into `endpoints` of the node the next command goes to first.
    /// - Invariant: `0 <= current < endpoints.count`.
    private var current: Int
    private var connection: RESPConnection?

    /// - Parameter startingAt: the index of the first endpoint to try, so that many clients
    ///   over the same list can spread over the nodes.
    /// - Throws: `PaxosClientError.invalidEndpoint` if `endpoints` is empty.
    public init(endpoints: [Endpoint], configuration: Configuration = Configuration(), startingAt: Int = 0) throws(PaxosClientError) {
        guard !endpoints.isEmpty else { throw PaxosClientError.invalidEndpoint.with("no endpoints given") }
        self.endpoints = endpoints
        self.configuration = configuration
        self.current = ((startingAt % endpoints.count) + endpoints.count) % endpoints.count
    }

    /// Parses `host:port` strings; see `init(endpoints:configuration:startingAt:)`.
    public convenience init(_ endpoints: [String], configuration: Configuration = Configuration(), startingAt: Int = 0) throws(PaxosClientError) {
        var parsed: [Endpoint] = []
        for text in endpoints { parsed.append(try Endpoint(parsing: text)) }
        try self.init(endpoints: parsed, configuration: configuration, startingAt: startingAt)
    }

    /// The endpoint the next command goes to first.
    public var currentEndpoint: Endpoint { endpoints[current] }

    /// Closes the connection; the next command opens a new one.
    public func close() {
        connection?.close()
        connection = nil
    }

    /// Sends `arguments` (`["SET", "k", "v"]`) and returns the reply, retrying as the type's
    /// documentation describes. A RESP error reply is thrown as `.serverError`.
    public func command(_ arguments: [[UInt8]]) throws(PaxosClientError) -> RESPValue {
        let started = ContinuousClock.now
        var failover = Failover(configuration: configuration, endpointCount: endpoints.count)
        while true {
            lastAttempts = failover.failedAttempts + 1
            let failure: PaxosClientError
            do {
                let (reply, endpoint) = try exchange(arguments)
                lastEndpoint = endpoint
                guard case .error(let message) = reply else { return reply }
                failure = PaxosClientError.server(message, endpoint: endpoint)
            } catch {
                failure = error
            }
            if failure.isRetryable {
                // Move on even if this was the last attempt, so the next command does not start
                // at a dead node. A healthy connection to a node that answered with a transient
                // error is dropped too: another node may do better (this one may be cut off).
                close()
                current = (current + 1) % endpoints.count
            }
            switch failover.decide(after: failure, elapsed: ContinuousClock.now - started) {
            case .giveUp(let error): throw error
            case .retry(let pause): Failover.sleep(pause)
            }
        }
    }

    /// One attempt on the current endpoint, connecting first if needed.
    private func exchange(_ arguments: [[UInt8]]) throws(PaxosClientError) -> (RESPValue, Endpoint) {
        let connection = try connected()
        do {
            return (try connection.request(arguments), connection.endpoint)
        } catch {
            // The connection closed itself; forget it.
            self.connection = nil
            throw error
        }
    }

    private func connected() throws(PaxosClientError) -> RESPConnection {
        if let connection, connection.isOpen { return connection }
        connection = nil
        let endpoint = endpoints[current]
        let fresh = try RESPConnection(
            endpoint: endpoint, connectTimeout: configuration.connectTimeout, replyTimeout: configuration.replyTimeout,
            tls: configuration.tls)
        if let password = configuration.password {
            let user = configuration.username.map { [Array($0.utf8)] } ?? []
            let reply = try fresh.request([Array("AUTH".utf8)] + user + [Array(password.utf8)])
            guard reply == .simpleString("OK") else {
                fresh.close()
                if case .error(let message) = reply { throw PaxosClientError.server(message, endpoint: endpoint) }
                throw PaxosClientError.unexpectedReply.with("AUTH answered \(reply)", endpoint: endpoint)
            }
        }
        if configuration.staleReads {
            let reply = try fresh.request([Array("READONLY".utf8)])
            guard reply == .simpleString("OK") else {
                fresh.close()
                throw PaxosClientError.unexpectedReply.with("READONLY answered \(reply)", endpoint: endpoint)
            }
        }
        connection = fresh
        return fresh
    }
}

/// One client per thread: the connection and the rotation state are unsynchronised.
@available(*, unavailable)
extension PaxosClient: Sendable {}
