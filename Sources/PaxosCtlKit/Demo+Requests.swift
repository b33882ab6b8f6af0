import PaxosClient
import PaxosWire

/// One demo request and the answer it must get.
struct DemoStep {
    var request: [[UInt8]]
    var expected: RESPValue

    /// `PUT demo:0 "updated-0"`: the shell's spelling, values quoted.
    var text: String {
        let verb = String(decoding: request[0], as: UTF8.self)
        let shownVerb = ["SET": "PUT", "DEL": "DELETE"][verb] ?? verb
        var parts = [shownVerb]
        if request.count > 1 { parts.append(String(decoding: request[1], as: UTF8.self)) }
        parts += request.dropFirst(2).map(ReplyFormat.quoted)
        return parts.joined(separator: " ")
    }
}

extension Demo {
    /// Sends `step` to the next live replica; on a connection failure or a transient server
    /// error, drops or skips that replica and tries the next, for as long as
    /// `PaxosClient.Failover` allows. `number` nil runs it quietly (pre-population); otherwise
    /// every attempt prints a line.
    /// - Throws: `.failed` when the live replicas fall below a majority or every try failed.
    func perform(_ step: DemoStep, number: Int?) throws(PaxosCtlError) {
        var retries = PaxosClient.Failover(configuration: failover, endpointCount: replicas.count)
        let began = ContinuousClock.now
        while true {
            let replica = try nextReplica()
            let started = ContinuousClock.now
            let outcome = Result { () throws(PaxosClientError) in try replica.client.command(step.request) }
            let latency = ContinuousClock.now - started
            switch outcome {
            case .success(let reply):
                try check(reply, for: step, on: replica, latency: latency, retried: retries.failedAttempts > 0, number: number)
                return
            case .failure(let error):
                if let number { report(number, step, replica, latency, "(error) \(error)") }
                switch retries.decide(after: error, elapsed: ContinuousClock.now - began) {
                case .giveUp(let final):
                    if number != nil { results.failed += 1; return }
                    throw .failed("demo: \(step.text) on \(replica.label) failed: \(final)")
                case .retry(let pause):
                    if error != .serverError {
                        // The replica itself is gone: leave it out of the rest of the demo.
                        replica.isLive = false
                        write("     \(replica.label) dropped from the rotation; \(liveCount) of \(replicas.count) replicas left\n")
                    }
                    PaxosClient.Failover.sleep(pause)
                }
            }
        }
    }

    /// Records and prints an answer, flagging one that differs from what the step expects.
    /// - Throws: `.failed` for a wrong answer during the quiet pre-population.
    private func check(
        _ reply: RESPValue, for step: DemoStep, on replica: Replica, latency: Duration, retried: Bool, number: Int?
    ) throws(PaxosCtlError) {
        // A retried DEL may find the key already gone, deleted by the attempt that lost its answer.
        let matches = reply == step.expected || (retried && reply == .integer(0) && step.expected == .integer(1))
        results.record(latency: latency, asExpected: matches, counted: number != nil)
        if let number {
            let note = matches ? "" : "   unexpected: should be \(ReplyFormat.terminal(step.expected))"
            report(number, step, replica, latency, ReplyFormat.terminal(reply) + note)
        } else if !matches {
            throw .failed("demo: \(step.text) on \(replica.label) answered \(ReplyFormat.terminal(reply))")
        }
    }

    /// The live replica whose turn it is, advancing the rotation.
    private func nextReplica() throws(PaxosCtlError) -> Replica {
        guard liveCount >= majority else {
            throw .failed("demo: only \(liveCount) of \(replicas.count) replicas still answer; a majority (\(majority)) is needed")
        }
        while true {
            let replica = replicas[rotation % replicas.count]
            rotation += 1
            if replica.isLive { return replica }
        }
    }

    private func report(_ number: Int, _ step: DemoStep, _ replica: Replica, _ latency: Duration, _ answer: String) {
        let numberText = String(number).leftPadded(to: 3)
        let line = "\(numberText)  \(step.text.padding(to: results.requestWidth))  -> "
            + "\(replica.label.padding(to: results.replicaWidth))  \(DemoResults.format(latency).leftPadded(to: 9))  \(answer)"
        write(line + "\n")
    }
}

/// What the demo saw, for its summary line.
struct DemoResults {
    var latencies: [Duration] = []
    var expected = 0
    var unexpected = 0
    var failed = 0
    var requestWidth = 0
    var replicaWidth = 0

    mutating func record(latency: Duration, asExpected: Bool, counted: Bool) {
        guard counted else { return }
        latencies.append(latency)
        if asExpected { expected += 1 } else { unexpected += 1 }
    }

    /// "demo: 15 requests on 5 of 5 replicas: 15 as expected, 0 unexpected, 0 failed; latency
    /// min 1.20 ms, median 2.31 ms, max 5.02 ms".
    func summary(replicas live: Int, of total: Int) -> String {
        let sorted = latencies.sorted()
        let latency = sorted.isEmpty ? "no latencies"
            : "latency min \(Self.format(sorted[0])), median \(Self.format(sorted[sorted.count / 2])), max \(Self.format(sorted[sorted.count - 1]))"
        return "demo: \(expected + unexpected + failed) requests on \(live) of \(total) replicas: "
            + "\(expected) as expected, \(unexpected) unexpected, \(failed) failed; \(latency)"
    }

    /// "2.31 ms".
    static func format(_ duration: Duration) -> String {
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let hundredths = (microseconds + 5) / 10
        let fraction = String(hundredths % 100)
        return "\(hundredths / 100).\(fraction.count == 1 ? "0" + fraction : fraction) ms"
    }
}

extension String {
    /// The string preceded by spaces up to `width` characters.
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
