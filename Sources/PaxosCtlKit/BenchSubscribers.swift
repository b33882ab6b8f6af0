import Foundation
package import PaxosClient
import PaxosWire
import Synchronization

/// `paxosctl bench --subscribers N`: N keyspace-notification subscribers listen while the
/// clients write, and measure how long each write takes to reach them.
///
/// **How latency is measured without shared state.** Every SET of such a run writes a fresh
/// key whose name ends in the writer's send instant (`BenchSubscribers.stampedKey`: nanoseconds
/// of this process's monotonic clock), and each subscriber PSUBSCRIBEs to
/// `__keyspace@0__:<prefix>*`. A message's channel names the key, so its delivery latency is
/// "now − the instant in the name": send → commit → apply on the subscriber's node → publish
/// → receive, all on one clock since writers and subscribers are threads of this process.
///
/// **What is counted.** Messages received, their latency histogram, and how many were expected
/// (completed writes × subscribers: every node applies every write, and each subscriber hears
/// its node's). A subscriber that loses its connection (the node cut it off as a slow consumer,
/// or it failed) reconnects and counts the loss; writes during the gap are missed, which the
/// received-versus-expected line shows.
///
/// Notifications are enabled on every endpoint first (`CONFIG SET notify-keyspace-events K$`:
/// keyspace channel, string commands); it is per node and stays set after the run.
package final class BenchSubscribers: Sendable {
    let endpoints: [Endpoint]
    let count: Int
    let pattern: [UInt8]
    let configuration: PaxosClient.Configuration
    private let stopping = Atomic<Bool>(false)
    private let tallies = Mutex<[BenchTally]>([])
    private let reconnects = Atomic<Int>(0)
    /// Subscribers that could not subscribe at the start.
    private let failures = Mutex<[String]>([])
    private let ready = DispatchGroup()
    private let finished = DispatchGroup()

    /// How long a subscriber's receive waits before it checks whether the run is over.
    static let receiveTimeout: Duration = .seconds(1)

    init(count: Int, endpoints: [Endpoint], keyPrefix: String, configuration: PaxosClient.Configuration) {
        self.count = count
        self.endpoints = endpoints
        self.pattern = Array("__keyspace@0__:\(Self.globEscaped(keyPrefix))*".utf8)
        self.configuration = configuration
    }

    /// The key a write of a subscribed run uses: `<prefix><number>@t<send instant, ns>`. The
    /// marker keeps a plain key (`bench:42`, written by populating) from reading as a stamp.
    package static func stampedKey(prefix: String, number: Int, sentAt: UInt64) -> [UInt8] {
        Array("\(prefix)\(number)\(stampMarker)\(sentAt)".utf8)
    }

    static let stampMarker = "@t"

    /// The send instant a stamped key carries (the digits after its last `@t`), or nil.
    package static func sendInstant(ofChannel channel: [UInt8]) -> UInt64? {
        let marker = Array(stampMarker.utf8)
        guard channel.count > marker.count,
              let start = (0...(channel.count - marker.count)).last(where: { channel[$0..<($0 + marker.count)].elementsEqual(marker) }),
              start + marker.count < channel.count else { return nil }
        var value: UInt64 = 0
        for byte in channel[(start + marker.count)...] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }

    /// This process's monotonic clock in nanoseconds (the stamp's and the receiver's clock).
    package static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// A key prefix as a glob that matches it literally (`*`, `?`, `[`, `\` escaped).
    package static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    /// Enables notifications on every endpoint, starts the subscribers and waits until each has
    /// subscribed.
    /// - Throws: `.failed` naming the endpoint that refused CONFIG SET or PSUBSCRIBE.
    func start() throws(PaxosCtlError) {
        for endpoint in endpoints {
            do {
                let connection = try connect(endpoint)
                let reply = try connection.request([Array("CONFIG".utf8), Array("SET".utf8), Array("notify-keyspace-events".utf8), Array("K$".utf8)])
                connection.close()
                if case .error(let message) = reply {
                    throw PaxosCtlError.failed("bench: \(endpoint) refused CONFIG SET notify-keyspace-events: \(message)")
                }
            } catch let error as PaxosCtlError {
                throw error
            } catch {
                throw .failed("bench: cannot enable notifications on \(endpoint): \(error)")
            }
        }
        for index in 0..<count {
            let endpoint = endpoints[index % endpoints.count]
            ready.enter()
            finished.enter()
            let thread = Thread { [self] in
                var tally = BenchTally()
                listen(to: endpoint, tally: &tally)
                tallies.withLock { $0.append(tally) }
                finished.leave()
            }
            thread.name = "bench-subscriber-\(index)"
            thread.start()
        }
        ready.wait()
        if let failure = failures.withLock({ $0.first }) {
            stop()
            throw .failed("bench: a subscriber could not subscribe: \(failure)")
        }
    }

    /// Lets messages still in flight arrive, stops the subscribers, and returns what they measured.
    func stop(grace: Duration = .seconds(2)) -> (tally: BenchTally, reconnects: Int) {
        Thread.sleep(forTimeInterval: grace.seconds)
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        var total = BenchTally()
        for tally in tallies.withLock({ $0 }) { total.add(tally) }
        return (total, reconnects.load(ordering: .relaxed))
    }

    /// A connection to `endpoint`, authenticated when the run has a password.
    private func connect(_ endpoint: Endpoint) throws(PaxosClientError) -> RESPConnection {
        let connection = try RESPConnection(endpoint: endpoint, connectTimeout: configuration.connectTimeout,
                                            replyTimeout: Self.receiveTimeout, tls: configuration.tls)
        if let password = configuration.password {
            let user = configuration.username.map { [Array($0.utf8)] } ?? []
            let reply = try connection.request([Array("AUTH".utf8)] + user + [Array(password.utf8)])
            guard reply == .simpleString("OK") else {
                connection.close()
                throw PaxosClientError.unexpectedReply("AUTH answered \(reply)", endpoint: endpoint)
            }
        }
        return connection
    }

    /// One subscriber: subscribes (signalling `ready` once), then records each message's latency
    /// until the run is over, reconnecting after a lost connection.
    private func listen(to endpoint: Endpoint, tally: inout BenchTally) {
        var signalled = false
        defer { if !signalled { ready.leave() } }
        // A node that is down refuses in microseconds: back off rather than redial (and count a
        // reconnect) every 50 ms for as long as it is down.
        var reconnect = RetryBackoff(initial: .milliseconds(50), max: .seconds(1))
        while !stopping.load(ordering: .relaxed) {
            let connection: RESPConnection
            do {
                connection = try connect(endpoint)
                let reply = try connection.request([Array("PSUBSCRIBE".utf8), pattern])
                guard case .array(let parts?) = reply, parts.first == .bulkString(Array("psubscribe".utf8)) else {
                    throw PaxosClientError.unexpectedReply("PSUBSCRIBE answered \(reply)", endpoint: endpoint)
                }
            } catch {
                if !signalled {
                    failures.withLock { $0.append("\(endpoint): \(error)") }
                    return
                }
                reconnects.add(1, ordering: .relaxed)
                PaxosClient.Failover.sleep(reconnect.pause())
                continue
            }
            reconnect.succeeded()
            if !signalled { signalled = true; ready.leave() }
            receive(on: connection, tally: &tally)
            connection.close()
        }
    }

    /// Reads messages until the run is over or the connection fails.
    private func receive(on connection: RESPConnection, tally: inout BenchTally) {
        while true {
            let message: RESPValue
            do {
                message = try connection.receive()
            } catch {
                // A receive timeout closes the connection too (RESPConnection: failure is final);
                // a quiet second is not a loss, so only count it while writes could be flowing.
                if !stopping.load(ordering: .relaxed), error != .timeout { reconnects.add(1, ordering: .relaxed) }
                return
            }
            let received = Self.now
            guard case .array(let parts?) = message, parts.count == 4, case .bulkString(let channel?) = parts[2],
                  let sentAt = Self.sendInstant(ofChannel: channel), sentAt <= received else { continue }
            tally.record(.nanoseconds(Int64(clamping: received - sentAt)))
            if stopping.load(ordering: .relaxed) { return }
        }
    }
}
