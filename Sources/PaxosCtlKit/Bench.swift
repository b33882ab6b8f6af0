import Dispatch
import Foundation
package import PaxosClient
import Synchronization
import Histogram

/// `paxosctl bench`: a closed-loop load generator. N clients, each a thread with one connection
/// to one endpoint (client i uses endpoint i mod the endpoint count), each sending one request,
/// waiting for its reply, and sending the next, for a duration or a total request count.
///
/// **Why threads and not pipelining.** paxosd answers a connection's commands one at a time, so
/// pipelining on one connection saves round trips, not commit latency; concurrency comes from
/// connections. A blocking thread per client is the simplest generator that keeps N requests in
/// flight, and its CPU use is reported (getrusage) so a saturated client is visible.
///
/// **What is measured.** Each client keeps one HDR histogram per operation kind, in microseconds;
/// they are added up at the end. Throughput is completed operations over the time from the start
/// signal to the last client stopping. Failed operations are counted, not timed; timeouts are
/// counted apart from other errors. With reads in the mix, every key is written once before the
/// clock starts, so GETs find values (`populate`). Progress goes to `progress` once a second.
/// Endpoints that do not answer PING before the start are left out, with a note.
package struct Bench {
    package let settings: BenchSettings
    package let endpoints: [Endpoint]
    package let configuration: PaxosClient.Configuration
    /// For the PING that checks each endpoint before the run.
    package let probe: PaxosClient.Configuration
    package let progress: @Sendable (String) -> Void

    package init(
        settings: BenchSettings, endpoints: [Endpoint], client: ClientSettings, progress: @escaping @Sendable (String) -> Void
    ) throws(PaxosCtlError) {
        try settings.validate()
        guard !endpoints.isEmpty else { throw .usage("bench needs at least one endpoint") }
        self.settings = settings
        self.endpoints = endpoints
        // One attempt per request: a retry would hide a failure inside a latency.
        self.configuration = client.singleAttempt
        self.probe = client.probe
        self.progress = progress
    }

    /// The endpoints that answer PING now. The others are left out, and said so: clients
    /// pinned to a dead node would only measure refused connections (the default endpoints
    /// list every node of data/cluster.json, even when `tools/cluster up 3` started three).
    /// - Throws: `.failed` when no endpoint answers.
    func liveEndpoints() throws(PaxosCtlError) -> [Endpoint] {
        var live: [Endpoint] = []
        var firstFailure = ""
        for endpoint in endpoints {
            do {
                let client = try PaxosClient(endpoints: [endpoint], configuration: probe)
                try client.ping()
                client.close()
                live.append(endpoint)
            } catch {
                progress("bench: leaving out \(endpoint): \(error)")
                if firstFailure.isEmpty { firstFailure = "\(error)" }
            }
        }
        guard !live.isEmpty else { throw .failed("bench: no endpoint answers PING; first failure: \(firstFailure)") }
        return live
    }

    /// Runs the benchmark and returns its report.
    /// - Throws: `.failed` when no endpoint answers or no operation succeeded at all.
    package func run() throws(PaxosCtlError) -> BenchReport {
        let endpoints = try liveEndpoints()
        var subscribers: BenchSubscribers?
        if settings.subscribers > 0 {
            progress("bench: starting \(settings.subscribers) keyspace subscriber(s)")
            let listening = BenchSubscribers(count: settings.subscribers, endpoints: endpoints, keyPrefix: settings.keyPrefix,
                                             configuration: configuration)
            try listening.start()
            subscribers = listening
        }
        let control = BenchControl(requestLimit: settings.requests)
        let results = Mutex<[(writes: BenchTally, reads: BenchTally)]>([])
        let finished = DispatchGroup()
        let cpuBefore = ProcessCPU.now
        if settings.populate && settings.readFraction > 0 { progress("bench: writing \(settings.keys) keys first, so reads find values") }
        for index in 0..<settings.clients {
            let worker = BenchWorker(
                index: index, endpoint: endpoints[index % endpoints.count], settings: settings, control: control,
                configuration: configuration)
            control.ready.enter()
            finished.enter()
            let thread = Thread {
                let tally = worker.run()
                results.withLock { $0.append(tally) }
                finished.leave()
            }
            thread.name = "bench-\(index)"
            thread.start()
        }
        control.ready.wait()
        let populateFailures = control.populateFailures.load(ordering: .relaxed)
        if populateFailures > 0 { progress("bench: \(populateFailures) of \(settings.keys) key writes failed while populating") }
        let started = ContinuousClock.now
        control.deadline.withLock { $0 = started + settings.duration }
        for _ in 0..<settings.clients { control.start.signal() }
        reportProgress(control, finished: finished, started: started)
        let elapsed = ContinuousClock.now - started
        let cpu = ProcessCPU.now - cpuBefore
        var writes = BenchTally()
        var reads = BenchTally()
        for tally in results.withLock({ $0 }) {
            writes.add(tally.writes)
            reads.add(tally.reads)
        }
        var report = BenchReport(
            settings: settings, endpoints: endpoints.map(\.description), elapsed: elapsed, writes: writes, reads: reads, cpu: cpu)
        if let subscribers {
            let (tally, reconnects) = subscribers.stop()
            report.addNotifications(tally, subscribers: settings.subscribers,
                                    expected: UInt64(writes.latencyMicroseconds.totalCount) * UInt64(settings.subscribers),
                                    reconnects: reconnects, elapsed: elapsed)
        }
        guard writes.latencyMicroseconds.totalCount + reads.latencyMicroseconds.totalCount > 0 else {
            let reason = writes.firstError ?? reads.firstError ?? "no operation was attempted"
            throw .failed("bench: no operation succeeded; first failure: \(reason)")
        }
        return report
    }

    /// Prints throughput once a second until every client has finished.
    private func reportProgress(_ control: BenchControl, finished: DispatchGroup, started: ContinuousClock.Instant) {
        var lastCompleted = 0
        var lastInstant = started
        while finished.wait(timeout: .now() + .seconds(1)) == .timedOut {
            let now = ContinuousClock.now
            let completed = control.completed.load(ordering: .relaxed)
            let rate = Double(completed - lastCompleted) / max((now - lastInstant).seconds, 1e-9)
            progress(String(
                format: "bench: %5.1f s  %9.1f ops/s  %d done  %d failed",
                (now - started).seconds, rate, completed, control.failed.load(ordering: .relaxed)))
            lastCompleted = completed
            lastInstant = now
        }
    }
}
