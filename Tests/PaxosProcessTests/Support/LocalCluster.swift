import Foundation
import PaxosClient
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// N real `paxosd` processes on 127.0.0.1, for one test; or, with a `NamespaceNetwork`, each in
/// its own network namespace at its own address (`PartitionCluster` for the partition tests).
///
/// The cluster lives in a fresh temporary directory: `cluster.json`, one log file per node
/// (`node-<id>.log`, stdout and stderr, appended across restarts with a marker line), the node
/// databases under `nodes/<id>/`, and `pids/<id>.pid` for the watchdog.
///
/// **Every process is ended by pid.** `shutdown()` sends SIGTERM to every process the cluster
/// started, SIGKILL to any still running after a grace period, and deletes the directory. Use
/// `LocalCluster.run`, which calls it in a `defer`, so it runs when a test fails too. If the test
/// process itself dies (a crash, a killed `swift test`), a small shell watchdog started with the
/// cluster notices within a second, SIGKILLs the pids listed in `pids/` and removes the directory.
///
/// **Failures are debuggable.** When the body throws, `run` prints the directory and the last
/// lines of every node's log before rethrowing. Set `PAXOS_KEEP_FAILED=1` to keep the directory
/// of a failed test, `PAXOS_KEEP=1` to keep every test's.
///
/// - Invariant: `processes[id]`, when set, is a paxosd this cluster started and has not reaped.
final class LocalCluster {
    let size: Int
    let directory: URL
    let configPath: String
    let clusterID: String
    /// The cluster secret file, next to `configPath` (where paxosd looks by default).
    let secretPath: String
    /// Node `id` listens on `basePort + 3 * (id - 1)` for clients, `+1` for peers, `+2` for metrics.
    let basePort: Int
    let extraArguments: [String]
    /// Set when the cluster runs with `--tls all`: clients verify nodes against its CA.
    let clientTLS: ClientTLS?
    /// The CA and node certificates of a TLS cluster (`tools/make-tls`), else nil.
    let tlsDirectory: URL?
    /// The user the harness (and `client(...)`) authenticates as, for a cluster with a users
    /// file; nil when the nodes have none.
    let credentials: (user: String, password: String)?
    /// The namespaces the nodes run in, or nil for loopback.
    let network: NamespaceNetwork?
    /// The ids listed in cluster.json (every id unless the test narrows it, see
    /// `writeConfiguration(listing:bootstrap:)`), and those of them that are bootstrap members
    /// (the rest are spares, `"bootstrap": false`).
    private(set) var listed: [Int] = []
    private(set) var bootstrapIDs: Set<Int> = []
    private let executable: URL
    private var processes: [Int: Process] = [:]
    private var startCounts: [Int: Int] = [:]
    private var watchdog: Process?
    private var isShutDown = false

    var ids: [Int] { Array(1...size) }
    var liveIDs: [Int] { processes.filter { $0.value.isRunning }.keys.sorted() }
    func clientPort(_ id: Int) -> Int { basePort + 3 * (id - 1) }
    /// The address node `id` listens on: its namespace's, else loopback.
    func host(_ id: Int) -> String { network?.address(id) ?? "127.0.0.1" }
    func endpoint(_ id: Int) -> Endpoint { Endpoint(host: host(id), port: clientPort(id)) }
    var endpoints: [Endpoint] { ids.map(endpoint) }
    func logPath(_ id: Int) -> String { directory.appendingPathComponent("node-\(id).log").path }
    func isRunning(_ id: Int) -> Bool { processes[id]?.isRunning ?? false }
    /// Node `id`'s process id while it runs.
    func pid(_ id: Int) -> pid_t? { processes[id].flatMap { $0.isRunning ? $0.processIdentifier : nil } }
    /// Consensus groups per node: the `--groups` among the extra arguments, else 1.
    var groups: Int {
        guard let flag = extraArguments.firstIndex(of: "--groups"), flag + 1 < extraArguments.count else { return 1 }
        return Int(extraArguments[flag + 1]) ?? 1
    }
    /// The node group `g` prefers as leader (several groups only): ids in order, g mod size.
    func preferredLeader(ofGroup group: Int) -> Int { ids[group % size] }

    /// Writes the configuration; starts nothing. `arguments` are added to every paxosd command line.
    /// With `tls`, makes a CA and node certificates with tools/make-tls and runs every node with
    /// TLS for clients and mutual TLS between peers. With `credentials`, the harness's clients
    /// AUTH as that user. With `network`, node `id` runs in its namespace at its address.
    init(size: Int, name: String, arguments: [String] = [], credentials: (user: String, password: String)? = nil,
         tls: Bool = false, network: NamespaceNetwork? = nil) throws {
        precondition(size >= 1, "a cluster needs at least one node")
        precondition(network.map { $0.size == size } ?? true, "the network has \(network?.size ?? 0) nodes, the cluster \(size)")
        self.size = size
        self.network = network
        self.credentials = credentials
        self.executable = try Paxosd.executable()
        let slug = name.map { $0.isLetter || $0.isNumber ? $0 : "-" }
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("paxos-process-\(String(slug.prefix(40)))-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("pids"), withIntermediateDirectories: true)
        configPath = directory.appendingPathComponent("cluster.json").path
        clusterID = "process-test-\(UUID().uuidString.prefix(8))"
        basePort = try Ports.freeBlock(count: 3 * size)
        secretPath = try TestSecret.write(toDirectory: directory.path)
        if tls {
            let certificates = directory.appendingPathComponent("tls")
            try Self.makeCertificates(in: certificates, count: size)
            let path = certificates.path
            extraArguments = arguments + [
                "--tls", "all", "--tls-cert", "\(path)/node-{id}.crt", "--tls-key", "\(path)/node-{id}.key",
                "--tls-ca", "\(path)/ca.crt",
            ]
            clientTLS = try ClientTLS(caFile: "\(path)/ca.crt")
            tlsDirectory = certificates
        } else {
            extraArguments = arguments
            clientTLS = nil
            tlsDirectory = nil
        }
        try writeConfiguration(listing: Array(1...size), bootstrap: Set(1...size))
        try startWatchdog()
    }

    deinit { shutdown() }

    /// Writes cluster.json listing `listing` (a subset of the ids, so a test can start with a
    /// smaller cluster file and edit it later), with `bootstrap` as bootstrap members and the
    /// other listed ids as spares. A running node reads the file only when it starts.
    func writeConfiguration(listing: [Int], bootstrap: Set<Int>) throws {
        listed = listing
        bootstrapIDs = bootstrap
        let replicas = listing.map { id in
            """
                {"id": \(id), "host": "\(host(id))", "clientPort": \(clientPort(id)), \
            "peerPort": \(clientPort(id) + 1), "metricsPort": \(clientPort(id) + 2)\(bootstrap.contains(id) ? "" : ", \"bootstrap\": false")}
            """
        }
        let json = """
            {
              "clusterID": "\(clusterID)",
              "dataDirectory": "\(directory.appendingPathComponent("nodes").path)",
              "replicas": [
            \(replicas.joined(separator: ",\n"))
              ]
            }

            """
        try json.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Creates a cluster, starts every node, runs `body`, and always shuts the cluster down.
    /// With `bootstrap`, only the first `bootstrap` ids are bootstrap members and the others are
    /// spares (listed with `"bootstrap": false`).
    static func run(
        size: Int, name: String, arguments: [String] = [], credentials: (user: String, password: String)? = nil,
        tls: Bool = false, network: NamespaceNetwork? = nil, bootstrap: Int? = nil, _ body: (LocalCluster) throws -> Void
    ) throws {
        let started = ContinuousClock.now
        let cluster = try LocalCluster(size: size, name: name, arguments: arguments, credentials: credentials, tls: tls,
                                       network: network)
        if let bootstrap { try cluster.writeConfiguration(listing: cluster.ids, bootstrap: Set(1...bootstrap)) }
        defer { print("harness: \(name): \(size) nodes, done in \((ContinuousClock.now - started).roundedMilliseconds)") }
        var failed = true
        defer {
            let environment = ProcessInfo.processInfo.environment
            cluster.shutdown(keepDirectory: environment["PAXOS_KEEP"] == "1" || (failed && environment["PAXOS_KEEP_FAILED"] == "1"))
        }
        do {
            try cluster.startAll()
            try body(cluster)
            failed = false
        } catch {
            print(cluster.diagnostics(after: error))
            throw error
        }
    }

    /// Like `run`, but lists only `first` in the cluster file (all bootstrap members), starts
    /// only them and waits for their leader: for tests that grow the cluster file later.
    static func run(size: Int, name: String, startingOnly first: [Int], _ body: (LocalCluster) throws -> Void) throws {
        let cluster = try LocalCluster(size: size, name: name)
        var failed = true
        defer { cluster.shutdown(keepDirectory: failed && ProcessInfo.processInfo.environment["PAXOS_KEEP_FAILED"] == "1") }
        do {
            try cluster.writeConfiguration(listing: first, bootstrap: Set(first))
            for id in first { try cluster.start(id) }
            try cluster.waitForLeader(among: first)
            try body(cluster)
            failed = false
        } catch {
            print(cluster.diagnostics(after: error))
            throw error
        }
    }

    /// Runs the repository's tools/make-tls, which the README's `tools/cluster up --tls` uses too.
    static func makeCertificates(in directory: URL, count: Int) throws {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = packageRoot.appendingPathComponent("tools/make-tls")
        let run = try Paxosctl.run([directory.path, "\(count)"], timeout: .seconds(60), program: script)
        guard run.status == 0 else { throw HarnessError("tools/make-tls failed: \(run)") }
    }

    // MARK: Processes

    /// Starts every node, then waits until each answers PING.
    func startAll() throws {
        for id in ids { try launch(id) }
        for id in ids { try waitUntilServing(id) }
    }

    /// Starts node `id` (again) and waits until it answers PING.
    func start(_ id: Int) throws {
        try launch(id)
        try waitUntilServing(id)
    }

    /// Restarts a stopped node with the same configuration and data directory.
    func restart(_ id: Int) throws {
        precondition(!isRunning(id), "node \(id) is still running; kill it first")
        try start(id)
    }

    private func launch(_ id: Int) throws {
        precondition(ids.contains(id), "node \(id) is not in this \(size)-node cluster")
        precondition(!isRunning(id), "node \(id) is already running")
        processes[id] = nil
        let count = (startCounts[id] ?? 0) + 1
        startCounts[id] = count
        let log = logPath(id)
        if !FileManager.default.fileExists(atPath: log) {
            guard FileManager.default.createFile(atPath: log, contents: nil) else { throw HarnessError("cannot create \(log)") }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data("=== harness: start #\(count) of paxosd \(id) at \(Date()) ===\n".utf8))
        let process = Process()
        let arguments = ["--config", configPath, "--id", "\(id)", "--log-level", "info"] + extraArguments
        (process.executableURL, process.arguments) =
            network?.launch(id, program: executable, arguments: arguments) ?? (executable, arguments)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        processes[id] = process
        try "\(process.processIdentifier)\n".write(toFile: pidPath(id), atomically: true, encoding: .utf8)
    }

    private func waitUntilServing(_ id: Int) throws {
        try waitUntil("node \(id) answers PING on port \(clientPort(id))", timeout: .seconds(15), interval: .milliseconds(20)) {
            guard let process = processes[id], process.isRunning else {
                throw HarnessError("paxosd \(id) exited with status \(processes[id]?.terminationStatus ?? -1) while starting:\n\(logTail(id))")
            }
            var configuration = authenticated(.probe)
            configuration.connectTimeout = .milliseconds(200)
            try client(only: id, configuration: configuration).ping()
            return true
        }
    }

    /// Sends `signal` to node `id` and, for SIGKILL and SIGTERM, waits until it has exited
    /// (SIGKILL after 10 s if SIGTERM was ignored). Returns the instant the signal was sent.
    @discardableResult
    func kill(_ id: Int, signal: Int32 = SIGKILL) -> ContinuousClock.Instant {
        let sent = ContinuousClock.now
        guard let process = processes[id], process.isRunning else { return sent }
        _ = signalProcess(process.processIdentifier, signal)
        guard signal == SIGKILL || signal == SIGTERM else { return sent }
        reap(id, grace: .seconds(10))
        return sent
    }

    /// Waits until node `id` exits by itself, as a test expects it to (a node taken out of
    /// service, a refused start), and forgets it so `shutdown` does not report it.
    /// - Returns: its exit status, or minus the signal that ended it.
    func awaitExit(_ id: Int, timeout: Duration = .seconds(15)) throws -> Int32 {
        guard let process = processes[id] else { throw HarnessError("node \(id) is not running") }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { pause(.milliseconds(10)) }
        guard !process.isRunning else {
            reap(id, grace: .zero)
            throw HarnessError("paxosd \(id) was expected to exit within \(timeout) but kept running:\n\(logTail(id))")
        }
        reap(id, grace: .zero)
        return process.terminationReason == .exit ? process.terminationStatus : -process.terminationStatus
    }

    /// Starts node `id` expecting it to refuse to start; returns its exit status.
    func startExpectingExit(_ id: Int, timeout: Duration = .seconds(15)) throws -> Int32 {
        try launch(id)
        return try awaitExit(id, timeout: timeout)
    }

    /// Waits for node `id` to exit, SIGKILLs it after `grace`, and forgets it.
    @discardableResult
    private func reap(_ id: Int, grace: Duration) -> Process? {
        guard let process = processes[id] else { return nil }
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline { pause(.milliseconds(5)) }
        if process.isRunning {
            print("harness: paxosd \(id) (pid \(process.processIdentifier)) still running after \(grace); sending SIGKILL")
            _ = signalProcess(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: pidPath(id))
        processes[id] = nil
        return process
    }

    /// SIGTERM to every node, SIGKILL after 5 s, then the watchdog, then the directory.
    /// Idempotent; also runs from `deinit`.
    ///
    /// A node that died without being killed, or that did not exit with status 0 on SIGTERM
    /// within 5 s, is a paxosd bug the test did not ask for: it is recorded as a test issue,
    /// with the logs, whatever the test body concluded.
    func shutdown(keepDirectory: Bool = false) {
        guard !isShutDown else { return }
        isShutDown = true
        var problems: [String] = []
        for (id, process) in processes.sorted(by: { $0.key < $1.key }) where !process.isRunning {
            problems.append("paxosd \(id) exited by itself (\(Self.describeExit(process)))")
        }
        let running = processes.filter { $0.value.isRunning }
        for process in running.values { _ = signalProcess(process.processIdentifier, SIGTERM) }
        for id in processes.keys.sorted() {
            let started = ContinuousClock.now
            guard let process = reap(id, grace: .seconds(5)), running[id] != nil else { continue }
            if process.terminationReason != .exit || process.terminationStatus != 0 {
                problems.append("paxosd \(id) did not exit cleanly on SIGTERM (\(Self.describeExit(process)) after \((ContinuousClock.now - started).roundedMilliseconds))")
            }
        }
        if !problems.isEmpty {
            print(diagnostics(after: HarnessError(problems.joined(separator: "; "))))
            Issue.record("\(problems.joined(separator: "\n")) (logs printed above)")
        }
        // Not waited for: Foundation notices the exit only once the watchdog's `sleep 1` child
        // has finished too, and nothing depends on it.
        if let watchdog, watchdog.isRunning { _ = signalProcess(watchdog.processIdentifier, SIGKILL) }
        if keepDirectory {
            print("harness: kept \(directory.path)")
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private static func describeExit(_ process: Process) -> String {
        process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "signal \(process.terminationStatus)"
    }

    /// Node `id`'s data directory (its databases), as paxosd derives it from the cluster file.
    func dataDirectory(_ id: Int) -> URL { directory.appendingPathComponent("nodes/\(id)") }

    private func pidPath(_ id: Int) -> String { directory.appendingPathComponent("pids/\(id).pid").path }

    /// A shell that outlives this process by at most a second: when the test process is gone it
    /// SIGKILLs every pid still listed in `pids/`, deletes the directory and the network's
    /// namespaces and links.
    private func startWatchdog() throws {
        let script = """
            while kill -0 "$1" 2>/dev/null; do sleep 1; done
            for f in "$2"/pids/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
            rm -rf "$2"
            """ + "\n" + (network?.cleanupScript ?? "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "paxos-test-watchdog", "\(getpid())", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        watchdog = process
    }

    /// `configuration` with the harness's credentials, if the cluster has users.
    func authenticated(_ configuration: PaxosClient.Configuration) -> PaxosClient.Configuration {
        var configuration = configuration
        configuration.username = credentials?.user
        configuration.password = credentials?.password
        return configuration
    }

    // MARK: Diagnostics

    /// The last `lines` lines of node `id`'s log. A crashed node's last lines are its register
    /// dump, so the lines that say why it crashed (Swift's "Fatal error", the crash header and the
    /// frames of its crashed thread) come first.
    func logTail(_ id: Int, lines: Int = 25) -> String {
        guard let data = FileManager.default.contents(atPath: logPath(id)) else { return "(no log)" }
        let all = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var crash: [Substring] = []
        if let start = all.firstIndex(where: { $0.contains("Fatal error") || $0.contains("💣") || $0.contains("crashed:") }) {
            crash = ["(why it crashed:)"] + all[start...].prefix(30) + ["(last lines:)"]
        }
        return (crash + all.suffix(lines)).joined(separator: "\n")
    }

    /// What to print when a test fails: where the files are and what every node said last.
    func diagnostics(after error: any Error) -> String {
        var text = "harness: test failed: \(error)\nharness: cluster directory \(directory.path)\n"
        for id in ids {
            let state = processes[id].map { $0.isRunning ? "running, pid \($0.processIdentifier)" : "exited" } ?? "stopped"
            text += "--- node \(id) (\(state)), \(logPath(id)), last lines:\n\(logTail(id))\n"
        }
        return text
    }
}

/// `kill(2)`, which `LocalCluster.kill` shadows.
private func signalProcess(_ pid: pid_t, _ signal: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.kill(pid, signal)
    #else
    Darwin.kill(pid, signal)
    #endif
}
