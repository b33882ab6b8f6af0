// Method: `PaxosClient.Failover`, the retry rules `PaxosClient.command` and `paxosctl demo`
// share, driven as a value: failed attempts in, decisions out, with the elapsed time given as a
// number so nothing sleeps. Covers the rules in `PaxosClient`'s type documentation ("Retries").

import PaxosClient
import Testing

@Suite("failover")
struct FailoverTests {
    static func configuration(maxAttempts: Int = 8) -> PaxosClient.Configuration {
        var configuration = PaxosClient.Configuration()
        configuration.maxAttempts = maxAttempts
        configuration.retryDeadline = .seconds(20)
        configuration.retryBackoff = .milliseconds(50)
        configuration.retryBackoffMax = .milliseconds(150)
        return configuration
    }

    @Test("failover: a refused connection is retried at once within a round, with a doubling pause after each full round")
    func pausesAfterEachRound() {
        var failover = PaxosClient.Failover(configuration: Self.configuration(), endpointCount: 2)
        let pauses = (1...7).map { _ in failover.decide(after: .connectionRefused, elapsed: .milliseconds(10)) }
        #expect(pauses == [
            .retry(pause: .zero), .retry(pause: .milliseconds(50)),
            .retry(pause: .zero), .retry(pause: .milliseconds(100)),
            .retry(pause: .zero), .retry(pause: .milliseconds(150)),
            .retry(pause: .zero),
        ])
        #expect(failover.failedAttempts == 7)
    }

    @Test("failover: gives up after maxAttempts, saying how many attempts it took")
    func givesUpAfterMaxAttempts() throws {
        var failover = PaxosClient.Failover(configuration: Self.configuration(maxAttempts: 3), endpointCount: 3)
        #expect(failover.decide(after: .connectionRefused, elapsed: .zero) == .retry(pause: .zero))
        #expect(failover.decide(after: .connectionRefused, elapsed: .zero) == .retry(pause: .zero))
        guard case .giveUp(let error) = failover.decide(after: .connectionRefused, elapsed: .milliseconds(5)) else {
            Issue.record("the third attempt of three must give up")
            return
        }
        #expect(error == .connectionRefused)
        #expect(error.description.contains("gave up after 3 attempts"), "\(error)")
    }

    @Test("failover: an error retrying cannot fix ends the command at once, unchanged")
    func nonRetryableGivesUpAtOnce() {
        var failover = PaxosClient.Failover(configuration: Self.configuration(), endpointCount: 3)
        #expect(failover.decide(after: .tlsHandshake, elapsed: .zero) == .giveUp(.tlsHandshake))
    }

    @Test("failover: no attempt starts after the retry deadline")
    func deadline() {
        var failover = PaxosClient.Failover(configuration: Self.configuration(), endpointCount: 3)
        guard case .giveUp = failover.decide(after: .timeout, elapsed: .seconds(21)) else {
            Issue.record("past the deadline the failover must give up")
            return
        }
    }
}
