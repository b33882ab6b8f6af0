package import PaxosClient

/// How patient paxosctl's clients are, derived from the one `--timeout` an operator sets.
///
/// `--timeout` bounds a whole command, failover included: no new attempt starts after it. One
/// attempt waits at most 6 s for its reply (or `--timeout`, if shorter), just above paxosd's
/// default 5 s request timeout, so the server's own `-TIMEOUT`/`-NOLEADER` arrives first and the
/// client moves to the next node on it. Connecting to a dead node is cut short at 1 s.
package struct ClientSettings: Hashable, Sendable {
    /// The time one command may take, retries included.
    /// - Invariant: positive and finite (checked by `init(timeoutSeconds:)`).
    package let timeout: Duration
    /// TLS towards the nodes (`--tls-ca`), loaded once and shared by every client made here.
    package let tls: ClientTLS?
    /// `--user` and `--password` (or `PAXOS_PASSWORD`): sent with AUTH on every connection.
    package var username: String?
    package var password: String?

    /// - Throws: `.usage` unless `timeoutSeconds` is a positive number of at most an hour, or
    ///   when the CA file cannot be used.
    package init(timeoutSeconds: Double, tlsCAFile: String? = nil) throws(PaxosCtlError) {
        guard timeoutSeconds.isFinite, timeoutSeconds > 0, timeoutSeconds <= 3_600 else {
            throw .usage("--timeout must be between 0 and 3600 seconds, got \(timeoutSeconds)")
        }
        timeout = .milliseconds(max(1, Int64((timeoutSeconds * 1_000).rounded())))
        if let tlsCAFile {
            do throws(PaxosClientError) {
                tls = try ClientTLS(caFile: tlsCAFile)
            } catch {
                throw .usage("--tls-ca \(tlsCAFile): \(error)")
            }
        } else {
            tls = nil
        }
    }

    package static func == (lhs: ClientSettings, rhs: ClientSettings) -> Bool {
        lhs.timeout == rhs.timeout && lhs.tls?.caFile == rhs.tls?.caFile && lhs.username == rhs.username
            && lhs.password == rhs.password
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(timeout)
        hasher.combine(tls?.caFile)
        hasher.combine(username)
        hasher.combine(password)
    }

    /// A client that retries across endpoints (get/put/delete/shell).
    package var failover: PaxosClient.Configuration {
        var configuration = PaxosClient.Configuration()
        configuration.connectTimeout = min(.seconds(1), timeout)
        configuration.replyTimeout = min(.seconds(6), timeout)
        configuration.retryDeadline = timeout
        configuration.maxAttempts = 64
        configuration.tls = tls
        configuration.username = username
        configuration.password = password
        return configuration
    }

    /// One attempt at one node, no failover: the demo and status must reach the node they name.
    package var singleAttempt: PaxosClient.Configuration {
        var configuration = failover
        configuration.maxAttempts = 1
        return configuration
    }

    /// A quick probe for `status`: a node that does not answer INFO within 2 s is shown as
    /// unreachable rather than holding up the table.
    package var probe: PaxosClient.Configuration {
        var configuration = singleAttempt
        configuration.connectTimeout = min(.milliseconds(500), timeout)
        configuration.replyTimeout = min(.seconds(2), timeout)
        return configuration
    }
}
