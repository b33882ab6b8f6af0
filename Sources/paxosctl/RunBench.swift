import ArgumentParser
import PaxosCtlKit

/// `paxosctl bench`: closed-loop load from N clients, with latency percentiles per operation.
struct RunBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load the cluster from N concurrent clients; report throughput and latency percentiles.",
        discussion: """
            Each client is a thread with one connection to one endpoint (client i uses endpoint \
            i mod the number of endpoints), sending one request at a time with no retries. \
            Reads are linearizable GETs, writes SETs of --value-size random letters, on keys \
            bench:0 to bench:<keys-1> chosen uniformly. Latencies come from HDR histograms; \
            failures are counted (timeouts apart). Progress goes to stderr once a second; the \
            report to stdout, as a table or --json. Endpoints that do not answer PING first \
            are left out. The client's own CPU use is reported too: when it nears what the \
            machine has to spare (the cluster shares its cores), the client, not the cluster, \
            is the bottleneck.

            Example: paxosctl bench --clients 64 --duration 10 --reads 0.5
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Concurrent clients (connections), each on its own thread.")
    var clients = 16

    @Option(help: ArgumentHelp("Seconds to run (ignored when --requests is given).", valueName: "seconds"))
    var duration: Double = 10

    @Option(help: "Total requests over all clients; stops when they are done instead of after --duration.")
    var requests: Int?

    @Option(help: ArgumentHelp("Bytes per written value.", valueName: "bytes"))
    var valueSize = 256

    @Option(help: "Size of the key space (keys bench:0 ... bench:<keys-1>).")
    var keys = 1_000

    @Option(help: ArgumentHelp("Fraction of requests that are reads, 0 to 1 (0: writes only, 1: reads only).", valueName: "fraction"))
    var reads: Double = 0

    @Flag(help: "With reads, do not write every key once before measuring.")
    var noPopulate = false

    @Option(help: ArgumentHelp("What a write is: set, incr, mset (10 keys, atomic) or watch-exec (WATCH, GET, MULTI, SET, EXEC).", valueName: "workload"))
    var workload = "set"

    @Option(help: ArgumentHelp(
        "Keyspace-notification subscribers (PSUBSCRIBE, spread over the endpoints) that measure how long each SET takes to reach them; each SET then writes a fresh key named with its send time. Turns notify-keyspace-events on (K$) on every endpoint.",
        valueName: "n"))
    var subscribers = 0

    @Option(help: "Seed for the clients' choice of keys and operations.")
    var seed: UInt64 = 1

    @Flag(help: "Print the report as JSON (latencies in microseconds).")
    var json = false

    func validate() throws {
        do {
            try settings().validate()
        } catch {
            throw ValidationError(error.message)
        }
    }

    func settings() throws(PaxosCtlError) -> BenchSettings {
        guard duration.isFinite, duration > 0, duration <= 86_400 else {
            throw .usage("--duration must be between 0 and 86400 seconds, got \(duration)")
        }
        var settings = BenchSettings()
        settings.clients = clients
        settings.duration = .milliseconds(Int64((duration * 1_000).rounded()))
        settings.requests = requests
        settings.valueBytes = valueSize
        settings.keys = keys
        settings.readFraction = reads
        settings.populate = !noPopulate
        settings.seed = seed
        settings.subscribers = subscribers
        guard let chosen = BenchWorkload(rawValue: workload) else {
            throw .usage("--workload must be one of \(BenchWorkload.allCases.map(\.rawValue).joined(separator: ", ")), got \(workload)")
        }
        settings.workload = chosen
        return settings
    }

    func run() throws {
        let bench = try Bench(
            settings: try settings(), endpoints: try connection.resolvedNodes().map(\.endpoint),
            client: try connection.clientSettings(), progress: { StandardStream.error.write($0 + "\n") })
        let report = try bench.run()
        StandardStream.output.write((json ? report.json : report.table) + "\n")
    }
}
