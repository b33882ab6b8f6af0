import Foundation
import Histogram

/// The numbers a benchmark run produced, ready to print: per operation kind (write, read, and
/// both together) the count, the throughput, the latency percentiles and the failures, plus the
/// load generator's own CPU use.
package struct BenchReport: Sendable, Encodable {
    /// One row of the table: one kind of operation.
    package struct Operation: Sendable, Encodable, Hashable {
        package var name: String
        package var count: UInt64
        package var perSecond: Double
        package var errors: Int
        package var timeouts: Int
        /// p50, p90, p99, p99.9, max and mean, in microseconds.
        package var latencyMicroseconds: Latency
        package var firstError: String?
        /// Transactions EXEC answered nil (watch-exec only).
        package var aborted: Int

        package struct Latency: Sendable, Encodable, Hashable {
            package var p50: UInt64
            package var p90: UInt64
            package var p99: UInt64
            package var p99_9: UInt64
            package var max: UInt64
            package var mean: Double
        }

        package init(name: String, tally: BenchTally, elapsed: Duration) {
            let histogram = tally.latencyMicroseconds
            self.name = name
            count = histogram.totalCount
            perSecond = elapsed > .zero ? Double(count) / elapsed.seconds : 0
            errors = tally.errors
            timeouts = tally.timeouts
            firstError = tally.firstError
            aborted = tally.aborted
            latencyMicroseconds = Latency(
                p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
                p99: histogram.valueAtPercentile(99), p99_9: histogram.valueAtPercentile(99.9),
                max: histogram.totalCount == 0 ? 0 : histogram.max,
                mean: histogram.totalCount == 0 ? 0 : (histogram.mean * 10).rounded() / 10)
        }

        private enum CodingKeys: String, CodingKey {
            case name, count, errors, timeouts, aborted
            case perSecond = "ops_per_second"
            case latencyMicroseconds = "latency_us"
            case firstError = "first_error"
        }

        package func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(count, forKey: .count)
            try container.encode((perSecond * 10).rounded() / 10, forKey: .perSecond)
            try container.encode(errors, forKey: .errors)
            try container.encode(timeouts, forKey: .timeouts)
            try container.encode(latencyMicroseconds, forKey: .latencyMicroseconds)
            try container.encode(firstError, forKey: .firstError)
            if aborted > 0 { try container.encode(aborted, forKey: .aborted) }
        }
    }

    package var clients: Int
    package var endpoints: [String]
    package var valueBytes: Int
    package var keys: Int
    package var readFraction: Double
    package var workload: BenchWorkload
    package var elapsed: Duration
    package var operations: [Operation]
    package var clientCPU: ProcessCPU
    package var cores: Int
    /// With `--subscribers`: the subscribers, the messages they should have received (completed
    /// writes × subscribers) and their reconnects; the `notify` row holds what they received
    /// and its delivery latency.
    package var subscribers = 0
    package var notificationsExpected: UInt64 = 0
    package var subscriberReconnects = 0

    /// The write, read and combined rows from merged tallies; a kind with no operations and no
    /// failures is left out (a write-only run has no read row).
    package init(settings: BenchSettings, endpoints: [String], elapsed: Duration, writes: BenchTally, reads: BenchTally, cpu: ProcessCPU) {
        clients = settings.clients
        self.endpoints = endpoints
        valueBytes = settings.valueBytes
        keys = settings.keys
        readFraction = settings.readFraction
        self.elapsed = elapsed
        var total = writes
        total.add(reads)
        workload = settings.workload
        operations = [(settings.workload.rowName, writes), ("read", reads)]
            .filter { $0.1.latencyMicroseconds.totalCount > 0 || $0.1.errors + $0.1.timeouts > 0 }
            .map { Operation(name: $0.0, tally: $0.1, elapsed: elapsed) }
        if operations.count > 1 { operations.append(Operation(name: "total", tally: total, elapsed: elapsed)) }
        clientCPU = cpu
        cores = ProcessCPU.cores
    }

    /// Adds the subscribers' `notify` row (messages received, per second over the run, delivery
    /// latency) and their totals.
    package mutating func addNotifications(_ tally: BenchTally, subscribers: Int, expected: UInt64, reconnects: Int, elapsed: Duration) {
        self.subscribers = subscribers
        notificationsExpected = expected
        subscriberReconnects = reconnects
        operations.append(Operation(name: "notify", tally: tally, elapsed: elapsed))
    }

    /// The generator's CPU time as a percentage of one core over the run.
    package var clientCPUPercentOfOneCore: Double {
        elapsed > .zero ? 100 * clientCPU.total.seconds / elapsed.seconds : 0
    }
}
