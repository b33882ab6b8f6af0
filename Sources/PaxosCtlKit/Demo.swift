import PaxosClient
import PaxosWire

/// `paxosctl demo`: shows that every replica serves every request and that they agree.
///
/// 1. Connects to each replica on its own, one connection each and **no failover**, so a request
///    shown as going to node 3 really went to node 3 (a follower forwards writes and
///    linearizable reads to the leader and relays the answer). Replicas that do not answer are
///    reported and skipped; the demo needs a majority, as the cluster does.
/// 2. Pre-populates `keys` keys (`demo:0`, `demo:1`, …).
/// 3. Runs `operations` rounds of PUT `demo:i`, GET `demo:i`, DELETE `demo:(operations+i)`, each
///    request on the next replica round robin, so a value written through one replica is read
///    back through another. Each request is printed with its replica, latency and answer, and
///    the answer is checked: a GET must see the PUT before it.
/// 4. Prints a one-line summary; any failed or unexpected answer makes the demo fail (exit 1).
///
/// A replica that fails mid-demo (connection refused or lost) is dropped from the rotation and
/// the request moves to the next replica, as long as a majority is left. Whether and how long to
/// retry is `PaxosClient.Failover`'s decision, the rules every paxosctl client follows; the demo
/// only picks the replica, so that it can show which one answered.
package final class Demo {
    package struct Settings: Sendable {
        package var keys = 10
        package var operations = 5
        package var keyPrefix = "demo:"

        package init() {}

        /// - Throws: `.usage` unless 1 ≤ operations and 2 × operations ≤ keys ≤ 100 000.
        package func validate() throws(PaxosCtlError) {
            guard operations >= 1 else { throw .usage("--operations must be at least 1, got \(operations)") }
            guard keys >= 2 * operations, keys <= 100_000 else {
                throw .usage("--keys must be between 2 × --operations (\(2 * operations)) and 100000, got \(keys)")
            }
        }
    }

    /// One replica and its own connection.
    final class Replica {
        /// The id is filled in from the replica's INFO when the cluster file did not name it.
        var address: NodeAddress
        let client: PaxosClient
        var role = "?"
        var isLive = true

        init(address: NodeAddress, client: PaxosClient) {
            self.address = address
            self.client = client
        }
    }

    let settings: Settings
    /// The retry rules of one request across the replicas: the failover client's, bounded by
    /// `--timeout`, with up to two tries per replica.
    let failover: PaxosClient.Configuration
    let write: (String) -> Void
    let replicas: [Replica]
    /// Index into `replicas` of the replica the next request goes to.
    var rotation = 0
    var results = DemoResults()

    /// - Throws: `.usage` for bad settings (no connection is made here).
    package init(nodes: [NodeAddress], client: ClientSettings, settings: Settings, write: @escaping (String) -> Void) throws(PaxosCtlError) {
        try settings.validate()
        var replicas: [Replica] = []
        for node in nodes {
            do {
                replicas.append(Replica(address: node, client: try PaxosClient(endpoints: [node.endpoint], configuration: client.singleAttempt)))
            } catch {
                throw .usage("\(node): \(error)")
            }
        }
        self.replicas = replicas
        var failover = client.failover
        failover.maxAttempts = 2 * max(1, nodes.count)
        self.failover = failover
        self.settings = settings
        self.write = write
    }

    /// Runs the whole demo.
    /// - Throws: `.failed` when fewer than a majority of replicas answer, or any request failed
    ///   or was answered wrongly.
    package func run() throws(PaxosCtlError) {
        try connect()
        try prepopulate()
        try runOperations()
        write(results.summary(replicas: replicas.filter(\.isLive).count, of: replicas.count) + "\n")
        if results.failed > 0 || results.unexpected > 0 {
            throw .failed("demo: \(results.failed) request(s) failed and \(results.unexpected) answered unexpectedly")
        }
    }

    var majority: Int { replicas.count / 2 + 1 }
    var liveCount: Int { replicas.filter(\.isLive).count }

    func key(_ index: Int) -> [UInt8] { Array("\(settings.keyPrefix)\(index)".utf8) }

    /// Asks every replica for INFO and reports who answered.
    private func connect() throws(PaxosCtlError) {
        write("demo: \(replicas.count) replicas, one connection each, no failover\n")
        var lines: [[String]] = []
        for replica in replicas {
            do {
                let info = try replica.client.info()
                replica.role = info.groups.count == 1 ? info.groups[0].roleText : "?"
                replica.address = NodeAddress(id: Int(info.replicaID), endpoint: replica.address.endpoint)
                lines.append(["", replica.label, "\(replica.address.endpoint)", replica.role])
            } catch {
                replica.isLive = false
                lines.append(["", replica.label, "\(replica.address.endpoint)", "unreachable, skipped: \(error)"])
            }
        }
        for line in TextTable.render(lines) { write(line + "\n") }
        guard liveCount >= majority else {
            throw .failed("demo: only \(liveCount) of \(replicas.count) replicas answered; a majority (\(majority)) is needed")
        }
    }

    /// Writes the demo keys, round robin, printing one line for all of them.
    private func prepopulate() throws(PaxosCtlError) {
        let started = ContinuousClock.now
        for index in 0..<settings.keys {
            let step = DemoStep(
                request: [Array("SET".utf8), key(index), Array("initial-\(index)".utf8)], expected: .simpleString("OK"))
            try perform(step, number: nil)
        }
        let elapsed = ContinuousClock.now - started
        write("pre-populated \(settings.keys) keys (\(settings.keyPrefix)0 to \(settings.keyPrefix)\(settings.keys - 1)) "
            + "round robin in \(DemoResults.format(elapsed))\n")
    }

    /// The PUT, GET and DELETE rounds, each request printed as it completes.
    private func runOperations() throws(PaxosCtlError) {
        var steps: [DemoStep] = []
        for round in 0..<settings.operations {
            let value = Array("updated-\(round)".utf8)
            steps.append(DemoStep(request: [Array("SET".utf8), key(round), value], expected: .simpleString("OK")))
            steps.append(DemoStep(request: [Array("GET".utf8), key(round)], expected: .bulkString(value)))
            steps.append(DemoStep(request: [Array("DEL".utf8), key(settings.operations + round)], expected: .integer(1)))
        }
        results.requestWidth = steps.map(\.text.count).max() ?? 0
        results.replicaWidth = replicas.map(\.label.count).max() ?? 0
        for (index, step) in steps.enumerated() { try perform(step, number: index + 1) }
    }
}

extension Demo.Replica {
    /// "node 2", or the endpoint when the id is unknown.
    var label: String { address.id.map { "node \($0)" } ?? "\(address.endpoint)" }
}
