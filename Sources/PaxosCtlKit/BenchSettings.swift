/// What `paxosctl bench` runs: how many clients, for how long, on which keys and values.
///
/// - Invariant (after `validate()`): `clients ≥ 1`, exactly one of `duration` and `requests`
///   bounds the run, `0 ≤ readFraction ≤ 1`, `keys ≥ 1`, `valueBytes` within paxosd's 1 MiB.
package struct BenchSettings: Sendable, Hashable {
    /// Concurrent clients, one connection and one thread each.
    package var clients = 16
    /// How long to run, when `requests` is nil.
    package var duration: Duration = .seconds(10)
    /// Total operations over all clients; overrides `duration` when set.
    package var requests: Int?
    /// Bytes per written value.
    package var valueBytes = 256
    /// Keys are `<keyPrefix><n>` for n uniformly random in 0..<keys.
    package var keys = 1_000
    package var keyPrefix = "bench:"
    /// The fraction of operations that are reads (linearizable GETs); the rest are SETs.
    package var readFraction = 0.0
    /// Write every key once before measuring when there are reads, so GETs find values.
    package var populate = true
    /// Seed of the per-client generators that pick keys and operations.
    package var seed: UInt64 = 1
    /// What a write is (`BenchWorkload`).
    package var workload = BenchWorkload.set
    /// Keyspace-notification subscribers measuring delivery latency (`BenchSubscribers`); 0: none.
    package var subscribers = 0

    package init() {}

    /// The largest value paxosd accepts (`maxValueBytes`).
    package static let valueBytesMax = 1 << 20

    /// - Throws: `.usage` naming the first option out of range.
    package func validate() throws(PaxosCtlError) {
        guard (1...1_024).contains(clients) else { throw .usage("--clients must be between 1 and 1024, got \(clients)") }
        guard duration > .zero, duration <= .seconds(86_400) else {
            throw .usage("--duration must be between 0 and 86400 seconds")
        }
        if let requests, requests < 1 { throw .usage("--requests must be at least 1, got \(requests)") }
        guard (0...Self.valueBytesMax).contains(valueBytes) else {
            throw .usage("--value-size must be between 0 and \(Self.valueBytesMax) bytes, got \(valueBytes)")
        }
        guard (1...100_000_000).contains(keys) else { throw .usage("--keys must be between 1 and 100000000, got \(keys)") }
        guard readFraction.isFinite, (0...1).contains(readFraction) else {
            throw .usage("--reads must be a fraction between 0 and 1, got \(readFraction)")
        }
        guard (0...1_024).contains(subscribers) else { throw .usage("--subscribers must be between 0 and 1024, got \(subscribers)") }
        guard subscribers == 0 || (workload == .set && readFraction < 1) else {
            throw .usage("--subscribers measures SET notifications: it needs --workload set and some writes")
        }
    }
}
