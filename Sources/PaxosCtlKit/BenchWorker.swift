import Dispatch
import PaxosCore
import Foundation
package import Histogram
package import PaxosClient
import PaxosWire
import Synchronization

/// What one client measured for one kind of operation.
///
/// Latencies are microseconds in an HDR histogram (3 significant digits, 1 µs to 2 minutes), so
/// percentiles are exact to 0.1 % whatever the run length, and per-client histograms add up
/// without loss. Failed operations are counted, not timed: a timeout's "latency" is the client's
/// own deadline.
package struct BenchTally: Sendable {
    package var latencyMicroseconds = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: BenchTally.latencyMicrosecondsMax, numberOfSignificantValueDigits: .three)
    /// Requests that failed for any reason other than a timeout.
    package var errors = 0
    /// Requests that timed out: no reply in time (the outcome is unknown) or paxosd's `-TIMEOUT`.
    package var timeouts = 0
    /// The first failure, to show what went wrong.
    package var firstError: String?
    /// WATCH/MULTI/EXEC transactions that EXEC answered nil (a watched key changed): neither
    /// completed nor failed, and not timed.
    package var aborted = 0

    package static let latencyMicrosecondsMax: UInt64 = 120_000_000

    package init() {}

    package mutating func record(_ latency: Duration) {
        let micros = latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000
        latencyMicroseconds.record(UInt64(clamping: min(max(micros, 0), Int64(Self.latencyMicrosecondsMax))))
    }

    package mutating func record(_ error: PaxosClientError) {
        if error == .timeout || error.serverErrorCode == .timeout { timeouts += 1 } else { errors += 1 }
        if firstError == nil { firstError = "\(error)" }
    }

    package mutating func add(_ other: BenchTally) {
        latencyMicroseconds.add(other.latencyMicroseconds)
        errors += other.errors
        timeouts += other.timeouts
        aborted += other.aborted
        firstError = firstError ?? other.firstError
    }
}

/// State every benchmark client shares: the start line, the stop condition, live counters.
final class BenchControl: Sendable {
    let ready = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    /// Operations handed out so far, for a `--requests` run.
    let issued = Atomic<Int>(0)
    let requestLimit: Int?
    /// Set once, before `start` is signalled; a `--duration` run stops issuing at it.
    let deadline = Mutex<ContinuousClock.Instant?>(nil)
    let completed = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let populateFailures = Atomic<Int>(0)

    init(requestLimit: Int?) { self.requestLimit = requestLimit }

    /// Whether a client may start one more operation.
    func mayIssue(before deadline: ContinuousClock.Instant?) -> Bool {
        if let requestLimit { return issued.add(1, ordering: .relaxed).oldValue < requestLimit }
        guard let deadline else { return false }
        return ContinuousClock.now < deadline
    }
}

/// One benchmark client: its own thread, its own connection to one endpoint, no failover (a
/// failover would hide a node's trouble inside a latency), and its own histograms.
struct BenchWorker {
    let index: Int
    let endpoint: Endpoint
    let settings: BenchSettings
    let control: BenchControl
    let configuration: PaxosClient.Configuration

    /// Fills in its share of the keys, waits for the start, runs, and returns what it measured.
    func run() -> (writes: BenchTally, reads: BenchTally) {
        var writes = BenchTally()
        var reads = BenchTally()
        var generator = BenchGenerator(seed: settings.seed, client: index)
        let value = (0..<settings.valueBytes).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 26) }
        let client: PaxosClient
        do {
            client = try PaxosClient(endpoints: [endpoint], configuration: configuration)
        } catch {
            preconditionFailure("a one-endpoint client cannot be refused: \(error)")
        }
        if settings.populate && (settings.readFraction > 0 || settings.workload != .set) { populate(client, value: value) }
        control.ready.leave()
        control.start.wait()
        let deadline = control.deadline.withLock { $0 }
        // A refused connection fails in microseconds: a dead node is retried with back-off, not
        // spun on (before, every 10 ms: 100 connects and "failed requests" a second per client).
        var reconnect = RetryBackoff(initial: .milliseconds(10), max: .milliseconds(500))
        while control.mayIssue(before: deadline) {
            let isRead = settings.readFraction > 0 && generator.nextFraction() < settings.readFraction
            let number = Int(generator.next() % UInt64(settings.keys))
            // With subscribers, each SET writes a fresh key named with its send instant.
            let key = settings.subscribers > 0 && !isRead
                ? BenchSubscribers.stampedKey(prefix: settings.keyPrefix, number: number, sentAt: BenchSubscribers.now)
                : self.key(number)
            let started = ContinuousClock.now
            do {
                if isRead {
                    _ = try client.get(key)
                } else if try settings.workload.write(client, key: key, otherKeys: { otherKeys(&generator) }, value: value) == .aborted {
                    writes.aborted += 1
                    reconnect.succeeded()
                    continue
                }
                let latency = ContinuousClock.now - started
                if isRead { reads.record(latency) } else { writes.record(latency) }
                control.completed.add(1, ordering: .relaxed)
                reconnect.succeeded()
            } catch {
                if isRead { reads.record(error) } else { writes.record(error) }
                control.failed.add(1, ordering: .relaxed)
                if error != .serverError && error != .timeout {
                    PaxosClient.Failover.sleep(reconnect.pause())
                } else {
                    // An error reply, or a timeout that took its own time: nothing to back off from.
                    reconnect.succeeded()
                }
            }
        }
        client.close()
        return (writes, reads)
    }

    func key(_ number: Int) -> [UInt8] { Array("\(settings.keyPrefix)\(number)".utf8) }

    /// The keys an MSET writes besides its first.
    private func otherKeys(_ generator: inout BenchGenerator) -> [[UInt8]] {
        (1..<BenchWorkload.msetKeys).map { _ in key(Int(generator.next() % UInt64(settings.keys))) }
    }

    /// Writes keys `index`, `index + clients`, … so that GETs find values.
    private func populate(_ client: PaxosClient, value: [UInt8]) {
        for number in stride(from: index, to: settings.keys, by: settings.clients) {
            do {
                try client.put(key(number), settings.workload.initialValue(value))
            } catch {
                control.populateFailures.add(1, ordering: .relaxed)
            }
        }
    }
}

/// SplitMix64: a fast, seedable generator for picking keys and operations. The benchmark needs
/// speed and reproducible runs, not cryptographic quality.
package struct BenchGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    /// Client `client`'s generator for run seed `seed`: a scrambled start, far from every other
    /// client's. Seeding client i with seed + i·γ (γ being SplitMix's own increment) made
    /// client i replay client 0's sequence shifted by i draws, so 16 clients wrote almost the
    /// same keys.
    package init(seed: UInt64, client: Int) {
        var seeder = BenchGenerator(seed: seed ^ (UInt64(client) &* 0xD1B5_4A32_D192_ED03))
        state = seeder.next() ^ UInt64(client)
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextFraction() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
