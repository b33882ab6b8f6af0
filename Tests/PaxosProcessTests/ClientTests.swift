// Method: PaxosClient against scripted fake servers (FakeServer) and refused ports, no cluster:
// failover order, which errors are retried and which are not, bounded waits, and bad replies.
// A bad server MUST surface as a PaxosClientError, never as a crash or a hang. The cluster tests
// cover the client against real paxosd.

import PaxosClient
import PaxosCore
import PaxosWire
import Testing

@Suite("client")
struct ClientTests {
    static func once() -> PaxosClient.Configuration {
        var configuration = PaxosClient.Configuration()
        configuration.connectTimeout = .milliseconds(500)
        configuration.replyTimeout = .seconds(2)
        configuration.maxAttempts = 1
        return configuration
    }

    static func retrying() -> PaxosClient.Configuration {
        var configuration = once()
        configuration.maxAttempts = 6
        configuration.retryBackoff = .milliseconds(5)
        return configuration
    }

    /// A port nothing listens on: free when checked, and never bound by this test.
    static func refusedEndpoint() throws -> Endpoint {
        Endpoint(host: "127.0.0.1", port: try Ports.freeBlock(count: 1))
    }

    @Test("client: a refused endpoint is skipped and the next one answers")
    func failsOverFromRefusedEndpoint() throws {
        let server = try FakeServer(.reply(Array("+PONG\r\n".utf8), close: false))
        defer { server.stop() }
        let dead = try Self.refusedEndpoint()
        let client = try PaxosClient(endpoints: [dead, server.endpoint], configuration: Self.retrying())
        try client.ping()
        #expect(client.lastEndpoint == server.endpoint)
        #expect(client.lastAttempts == 2)
        // It stays with the endpoint that worked.
        try client.ping()
        #expect(client.lastAttempts == 1)
        #expect(server.requestCount == 2)
    }

    @Test("client: without retries, a failed endpoint is still left for the next command")
    func rotatesWithoutRetries() throws {
        let server = try FakeServer(.reply(Array("+PONG\r\n".utf8), close: false))
        defer { server.stop() }
        let client = try PaxosClient(endpoints: [try Self.refusedEndpoint(), server.endpoint], configuration: Self.once())
        #expect(throws: PaxosClientError.connectionRefused) { try client.ping() }
        try client.ping()
        #expect(client.lastEndpoint == server.endpoint)
    }

    @Test("client: -NOLEADER is retried on the next endpoint")
    func retriesTransientServerError() throws {
        let electing = try FakeServer(.reply(Array("-NOLEADER no leader is known\r\n".utf8), close: false))
        let serving = try FakeServer(.reply(Array("+OK\r\n".utf8), close: false))
        defer { electing.stop(); serving.stop() }
        let client = try PaxosClient(endpoints: [electing.endpoint, serving.endpoint], configuration: Self.retrying())
        try client.put("k", "v")
        #expect(client.lastEndpoint == serving.endpoint)
        #expect(client.lastAttempts == 2)
    }

    @Test("client: which server codes leave a write's outcome unknown", arguments: [
        ("BUSY the leader's queue is full", false), ("UNAVAILABLE replica 2 failed", false),
        ("TIMEOUT no answer in time", true), ("NOLEADER no leader is known", true), ("SHUTDOWN replica 1 is shutting down", true),
        ("PARTIAL after 1 of 2 keys were applied, the next failed: BUSY the leader is overloaded", true),
    ])
    func outcomeOfServerCodes(message: String, unknown: Bool) throws {
        let server = try FakeServer(.reply(Array("-\(message)\r\n".utf8), close: false))
        defer { server.stop() }
        let client = try PaxosClient(endpoints: [server.endpoint], configuration: Self.once())
        let error = try #require(throws: PaxosClientError.self) { try client.command(["DEL", "a", "b"]) }
        #expect(error.outcomeIsUnknown == unknown, "\(error)")
        #expect(error.isRetryable, "every one of these may succeed on a retry")
    }

    @Test("client: -ERR is thrown at once, not retried")
    func doesNotRetryCommandErrors() throws {
        let server = try FakeServer(.reply(Array("-ERR unknown command 'frob'\r\n".utf8), close: false))
        defer { server.stop() }
        let client = try PaxosClient(endpoints: [server.endpoint, server.endpoint], configuration: Self.retrying())
        let error = try #require(throws: PaxosClientError.self) { try client.command(["FROB"]) }
        #expect(error == .serverError)
        #expect(error.serverErrorCode == .err)
        #expect(error.serverMessage == "ERR unknown command 'frob'")
        #expect(!error.isRetryable)
        #expect(client.lastAttempts == 1)
        #expect(server.requestCount == 1)
    }

    @Test("client: retries stop at the deadline when every endpoint refuses")
    func retriesAreBounded() throws {
        var configuration = Self.retrying()
        configuration.maxAttempts = 1_000
        configuration.retryDeadline = .milliseconds(300)
        let client = try PaxosClient(endpoints: [try Self.refusedEndpoint(), try Self.refusedEndpoint()], configuration: configuration)
        let started = ContinuousClock.now
        let error = try #require(throws: PaxosClientError.self) { try client.ping() }
        #expect(error == .connectionRefused)
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(client.lastAttempts > 2 && client.lastAttempts < 1_000)
        #expect(error.description.contains("gave up after"))
    }

    @Test("client: an outcome left unknown by one attempt stays unknown when a later attempt is refused")
    func unknownOutcomeIsSticky() throws {
        let silent = try FakeServer(.silent)
        defer { silent.stop() }
        var configuration = Self.retrying()
        configuration.maxAttempts = 2
        configuration.replyTimeout = .milliseconds(200)
        let client = try PaxosClient(endpoints: [silent.endpoint, try Self.refusedEndpoint()], configuration: configuration)
        let error = try #require(throws: PaxosClientError.self) { try client.put("k", "v") }
        #expect(error == .connectionRefused)
        #expect(client.lastAttempts == 2)
        #expect(silent.requestCount == 1)
        #expect(error.outcomeIsUnknown, "the first attempt reached a server that never answered: \(error)")
        #expect(error.description.contains("may have been applied"))

        // Refused everywhere, every time: nothing reached a server, the outcome is known.
        let refused = try PaxosClient(
            endpoints: [try Self.refusedEndpoint(), try Self.refusedEndpoint()], configuration: configuration)
        let known = try #require(throws: PaxosClientError.self) { try refused.put("k", "v") }
        #expect(known == .connectionRefused)
        #expect(!known.outcomeIsUnknown)
    }

    @Test("client: a server that never answers times out, outcome unknown")
    func silentServerTimesOut() throws {
        let server = try FakeServer(.silent)
        defer { server.stop() }
        var configuration = Self.once()
        configuration.replyTimeout = .milliseconds(200)
        let client = try PaxosClient(endpoints: [server.endpoint], configuration: configuration)
        let started = ContinuousClock.now
        let error = try #require(throws: PaxosClientError.self) { try client.put("k", "v") }
        #expect(error == .timeout)
        #expect(error.outcomeIsUnknown)
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    static let badReplies: [(String, PaxosClientError)] = [
        ("!unknown type\r\n", .protocolError),
        ("+OK\n", .protocolError),
        (":12a\r\n", .protocolError),
        ("$-5\r\n", .protocolError),
        ("$3\r\nabcd\r\n", .protocolError),
        ("*2\r\n:1\r\n", .timeout),
        ("$10\r\nabc", .timeout),
        ("$999999999999\r\n", .protocolError),
        ("*99999999999\r\n", .protocolError),
    ]

    @Test("client: a malformed reply is an error, never a crash", arguments: badReplies)
    func malformedReply(reply: String, expected: PaxosClientError) throws {
        let server = try FakeServer(.reply(Array(reply.utf8), close: false))
        defer { server.stop() }
        var configuration = Self.once()
        configuration.replyTimeout = .milliseconds(200)
        let client = try PaxosClient(endpoints: [server.endpoint], configuration: configuration)
        let error = try #require(throws: PaxosClientError.self) { try client.get("k") }
        #expect(error == expected, "\(error)")
    }

    @Test("client: a reply cut short by the server closing is connectionClosed")
    func truncatedReply() throws {
        let server = try FakeServer(.reply(Array("$10\r\nabc".utf8), close: true))
        defer { server.stop() }
        let client = try PaxosClient(endpoints: [server.endpoint], configuration: Self.once())
        let error = try #require(throws: PaxosClientError.self) { try client.get("k") }
        #expect(error == .connectionClosed)
        #expect(error.outcomeIsUnknown)
    }

    @Test("client: a reply of the wrong shape is unexpectedReply")
    func wrongShape() throws {
        let server = try FakeServer(.reply(Array(":1\r\n".utf8), close: false))
        defer { server.stop() }
        let client = try PaxosClient(endpoints: [server.endpoint], configuration: Self.once())
        let error = try #require(throws: PaxosClientError.self) { try client.get("k") }
        #expect(error == .unexpectedReply)
    }

    @Test("client: INFO text becomes a NodeInfo; text that is not a node's INFO is an unexpected reply")
    func infoFields() throws {
        let info = NodeInfo(
            replicaID: 2, clusterID: "c", clusterUUID: nil, members: [1, 2], peersConnected: [1],
            peers: [.init(id: 1, connected: true)], retainSlots: 10, retainBytes: 20, databaseBytes: 30, failRate: 0,
            synchronous: .full, tickMilliseconds: 10,
            groups: [GroupInfo(
                group: 0, role: .leader, leader: 2, preferredLeader: nil, ballot: "3.2", chosenFrontier: 5, appliedSlot: 5,
                snapshotSlot: 0, inflightSlots: 0, pendingRequests: 0, trackedRequests: 0, incarnation: "1",
                membershipEpoch: 1, voters: [1, 2], learners: [], voter: true, membershipNext: nil, databaseBytes: 30,
                compactions: 0, snapshotsInstalled: 0,
                transfers: .init(sent: 0, received: 0, lastInstalled: nil, aborted: 0, sendingTo: [], receivingFrom: nil))])
        for (text, expected) in [(info.infoText, Optional(info)), ("# Replication\r\nrole:leader\r\nodd:a:b\r\n", nil)] {
            let server = try FakeServer(.reply(Array("$\(text.utf8.count)\r\n\(text)\r\n".utf8), close: false))
            defer { server.stop() }
            let client = try PaxosClient(endpoints: [server.endpoint], configuration: Self.once())
            if let expected {
                #expect(try client.info() == expected)
            } else {
                #expect(throws: PaxosClientError.unexpectedReply) { try client.info() }
            }
        }
    }

    @Test(
        "client: endpoints parse from host:port and bad ones are refused",
        arguments: [
            ("127.0.0.1:6381", "127.0.0.1", 6381), ("localhost:1", "localhost", 1), ("[::1]:6381", "::1", 6381),
            ("6381", nil, 0), (":6381", nil, 0), ("h:0", nil, 0), ("h:65536", nil, 0), ("h:abc", nil, 0), ("h:", nil, 0),
        ] as [(String, String?, Int)])
    func endpointParsing(text: String, host: String?, port: Int) throws {
        if let host {
            let endpoint = try Endpoint(parsing: text)
            #expect(endpoint == Endpoint(host: host, port: port))
            #expect(endpoint.description == text)
        } else {
            #expect(throws: PaxosClientError.invalidEndpoint) { try Endpoint(parsing: text) }
        }
    }

    @Test("client: an empty endpoint list is refused")
    func emptyEndpoints() {
        #expect(throws: PaxosClientError.invalidEndpoint) { try PaxosClient(endpoints: []) }
    }
}
