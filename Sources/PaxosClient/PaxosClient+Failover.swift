#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PaxosClient {
    /// The client's retry rules as a value: fed each failed attempt of one command, it answers
    /// whether to try again, on the next endpoint after a pause, or to give up with the error to
    /// throw (see the `PaxosClient` type's documentation for the rules themselves).
    ///
    /// `command` drives it over its one connection. A caller that holds its own connection per
    /// node, as `paxosctl demo` does to show which node answered, drives the same value, so what
    /// is retried, how often, for how long, with what back-off and how an unknown outcome is
    /// reported exist once. The caller picks the next endpoint and sleeps the pause.
    public struct Failover: Sendable {
        /// What to do after a failed attempt.
        public enum Decision: Hashable, Sendable {
            /// Try again on the next endpoint, after sleeping `pause` (often zero).
            case retry(pause: Duration)
            /// Stop and throw this error: the last attempt's, with the attempt count and, when an
            /// earlier attempt may have taken effect, `outcomeIsUnknown` set.
            case giveUp(PaxosClientError)
        }

        private let configuration: Configuration
        /// The endpoints one round visits; after each full round the pause grows.
        private let endpointCount: Int
        /// Attempts that failed so far.
        public private(set) var failedAttempts = 0
        /// Once one attempt may have reached a server (a timeout after sending, -NOLEADER, a cut
        /// connection), the command's outcome stays unknown whatever later attempts report: a
        /// refused connection on the last attempt says nothing about the first one.
        private var mayHaveTakenEffect = false

        /// - Precondition: `endpointCount` is positive.
        public init(configuration: Configuration, endpointCount: Int) {
            precondition(endpointCount > 0, "failover over no endpoints")
            self.configuration = configuration
            self.endpointCount = endpointCount
        }

        /// Records a failed attempt, `elapsed` after the command began, and decides.
        public mutating func decide(after failure: PaxosClientError, elapsed: Duration) -> Decision {
            failedAttempts += 1
            let attempt = failedAttempts
            mayHaveTakenEffect = mayHaveTakenEffect || failure.outcomeIsUnknown
            guard failure.isRetryable, attempt < configuration.maxAttempts, elapsed < configuration.retryDeadline else {
                guard attempt > 1 else { return .giveUp(failure) }
                var final = failure.appending("gave up after \(attempt) attempts in \(elapsed.milliseconds) ms")
                if mayHaveTakenEffect && !failure.outcomeIsUnknown {
                    final = final.appending("an earlier attempt may have been applied").with("", outcomeIsUnknown: true)
                }
                return .giveUp(final)
            }
            guard attempt % endpointCount == 0 else { return .retry(pause: .zero) }
            return .retry(pause: backoff(round: attempt / endpointCount, remaining: configuration.retryDeadline - elapsed))
        }

        /// The pause after full round `round` of failed endpoints: `retryBackoff`, doubling per
        /// round up to `retryBackoffMax`, never past the retry deadline.
        private func backoff(round: Int, remaining: Duration) -> Duration {
            var backoff = configuration.retryBackoff
            for _ in 1..<max(1, round) where backoff < configuration.retryBackoffMax { backoff *= 2 }
            return max(.zero, min(backoff, configuration.retryBackoffMax, remaining))
        }

        /// Sleeps `pause` on the calling thread (the client is blocking by design).
        public static func sleep(_ pause: Duration) {
            guard pause > .zero else { return }
            var request = timespec(tv_sec: .init(pause.components.seconds),
                                   tv_nsec: .init(pause.components.attoseconds / 1_000_000_000))
            var left = timespec()
            while nanosleep(&request, &left) != 0 && errno == EINTR { request = left }
        }
    }
}
