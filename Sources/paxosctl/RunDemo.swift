import ArgumentParser
import PaxosCtlKit

/// `paxosctl demo`: PUTs, GETs and DELETEs spread over every replica, each one shown.
struct RunDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Pre-populate keys, then PUT, GET and DELETE round robin over every replica, showing each request.",
        discussion: """
            Each replica gets its own connection and no failover, so every line names the replica \
            that really served the request (followers forward to the leader). Replicas that do not \
            answer are skipped while a majority does. Writes the keys demo:0 to demo:<keys-1>.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Keys to pre-populate (at least 2 × --operations).")
    var keys = 10

    @Option(help: "Rounds of PUT, GET and DELETE (each round is one of each).")
    var operations = 5

    func validate() throws {
        var settings = Demo.Settings()
        settings.keys = keys
        settings.operations = operations
        do {
            try settings.validate()
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        var settings = Demo.Settings()
        settings.keys = keys
        settings.operations = operations
        let demo = try Demo(
            nodes: try connection.resolvedNodes(), client: try connection.clientSettings(), settings: settings,
            write: { StandardStream.output.write($0) })
        try demo.run()
    }
}
