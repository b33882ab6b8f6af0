// Method: the benchmark's arithmetic without a cluster. Tallies are filled with known latencies
// and failures, and the report's percentiles, rates, table and JSON are checked against them;
// settings are checked for range errors; the key/operation generator for range and repeatability.

import Foundation
import Histogram
import PaxosClient
import PaxosCtlKit
import Testing

@Suite("bench")
struct BenchTests {
    /// 1 ms, 2 ms, ..., 100 ms: p50 is 50 ms, p90 90 ms, p99 99 ms, max 100 ms.
    static func tally(failures: Int = 0) -> BenchTally {
        var tally = BenchTally()
        for milliseconds in 1...100 { tally.record(.milliseconds(milliseconds)) }
        for _ in 0..<failures { tally.record(PaxosClientError.timeout) }
        return tally
    }

    static func report(reads: BenchTally = BenchTally()) -> BenchReport {
        var settings = BenchSettings()
        settings.clients = 4
        return BenchReport(
            settings: settings, endpoints: ["127.0.0.1:6381"], elapsed: .seconds(2), writes: tally(failures: 3), reads: reads,
            cpu: ProcessCPU(user: .milliseconds(300), system: .milliseconds(100)))
    }

    @Test("report: percentiles, rate and failures from the histogram")
    func percentiles() throws {
        let write = try #require(Self.report().operations.first)
        #expect(write.name == "write")
        #expect(write.count == 100)
        #expect(write.perSecond == 50)
        // HDR histograms with 3 significant digits: within 0.1 %.
        for (value, expected) in [(write.latencyMicroseconds.p50, 50_000), (write.latencyMicroseconds.p90, 90_000),
                                  (write.latencyMicroseconds.p99, 99_000), (write.latencyMicroseconds.max, 100_000)] {
            #expect(abs(Double(value) - Double(expected)) <= Double(expected) / 1_000, "\(value) vs \(expected)")
        }
        #expect(write.timeouts == 3 && write.errors == 0)
        #expect(write.firstError?.contains("timed out") == true)
    }

    @Test("report: a write-only run has one row; a mixed run adds read and total rows")
    func rows() {
        #expect(Self.report().operations.map(\.name) == ["write"])
        #expect(Self.report(reads: Self.tally()).operations.map(\.name) == ["write", "read", "total"])
        #expect(Self.report(reads: Self.tally()).operations.last?.count == 200)
    }

    @Test("report: the table has the percentile columns and the client's CPU")
    func table() {
        let lines = Self.report().table.split(separator: "\n").map(String.init)
        #expect(lines[1].split(separator: " ") == ["op", "count", "ops/s", "p50", "p90", "p99", "p99.9", "max", "mean", "errors", "timeouts"])
        #expect(lines[2].split(separator: " ").prefix(3) == ["write", "100", "50.0"])
        #expect(lines.last?.hasPrefix("client CPU: 0.30 s user + 0.10 s system = 20.0 % of one core") == true)
    }

    @Test("report: JSON shape")
    func json() throws {
        let object = try JSONSerialization.jsonObject(with: Data(Self.report(reads: Self.tally()).json.utf8))
        let top = try #require(object as? [String: Any])
        #expect(Set(top.keys) == ["clients", "endpoints", "keys", "value_bytes", "read_fraction", "elapsed_seconds", "operations", "cores", "client_cpu", "workload"])
        #expect(top["workload"] as? String == "set")
        let operations = try #require(top["operations"] as? [[String: Any]])
        #expect(operations.map { $0["name"] as? String } == ["write", "read", "total"])
        let latency = try #require(operations[0]["latency_us"] as? [String: Any])
        #expect(Set(latency.keys) == ["p50", "p90", "p99", "p99_9", "max", "mean"])
        #expect(operations[0]["ops_per_second"] as? Double == 50)
        let cpu = try #require(top["client_cpu"] as? [String: Any])
        #expect(cpu["percent_of_one_core"] as? Double == 20)
    }

    @Test("report: latencies above the histogram's range are clamped, not lost")
    func clamps() {
        var tally = BenchTally()
        tally.record(.seconds(600))
        #expect(tally.latencyMicroseconds.totalCount == 1)
    }

    @Test("settings: out-of-range values are usage errors", arguments: [
        { (s: inout BenchSettings) in s.clients = 0 }, { $0.clients = 5_000 }, { $0.requests = 0 }, { $0.valueBytes = -1 },
        { $0.valueBytes = 2 << 20 }, { $0.keys = 0 }, { $0.readFraction = 1.5 }, { $0.readFraction = .nan },
        { $0.duration = .zero },
    ] as [@Sendable (inout BenchSettings) -> Void])
    func badSettings(change: @Sendable (inout BenchSettings) -> Void) {
        var settings = BenchSettings()
        change(&settings)
        #expect(throws: PaxosCtlError.usage("")) { try settings.validate() }
    }

    @Test("bench: clients draw independent key sequences, not one sequence shifted")
    func clientsDrawDifferentKeys() {
        // 16 clients × 200 uniform draws over 1,000 keys touch ~960 distinct keys; clients that
        // replay one sequence shifted by their index touch ~216.
        var keys = Set<UInt64>()
        for client in 0..<16 {
            var generator = BenchGenerator(seed: 1, client: client)
            for _ in 0..<200 { keys.insert(generator.next() % 1_000) }
        }
        #expect(keys.count > 900, "\(keys.count) distinct keys")
    }
}
