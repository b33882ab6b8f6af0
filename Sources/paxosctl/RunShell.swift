import ArgumentParser
import PaxosClient
import PaxosCtlKit

/// `paxosctl shell`: the interactive prompt; also reads a script from a pipe.
struct RunShell: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "An interactive prompt: GET k, PUT k v, DELETE k, EXISTS k, INFO, STATUS, HISTORY, HELP, QUIT.",
        discussion: """
            Verbs are case-insensitive; SET and DEL are aliases of PUT and DELETE. Quote values \
            with spaces as in redis-cli: PUT greeting "hello world". With a terminal on stdin it \
            shows a paxos> prompt and appends what you type to ~/.paxosctl_history; with a pipe \
            it answers one command per line: printf 'PUT a 1\\nGET a\\n' | paxosctl shell
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp(
        "File the entered lines are appended to (default: ~/.paxosctl_history when stdin is a terminal).",
        valueName: "path"))
    var historyFile: String?

    @Flag(help: "Keep the history in memory only, even on a terminal.")
    var noHistoryFile = false

    func run() throws {
        let nodes = try connection.resolvedNodes()
        let settings = try connection.clientSettings()
        let client: PaxosClient
        do {
            client = try PaxosClient(endpoints: nodes.map(\.endpoint), configuration: settings.failover)
        } catch {
            throw PaxosCtlError.usage("\(error)")
        }
        let interactive = StandardStream.isTerminal(0)
        let path = noHistoryFile ? nil : historyFile ?? (interactive ? ShellHistory.defaultPath : nil)
        let history = ShellHistory(path: path) { StandardStream.error.write("paxosctl: \($0)\n") }
        let console = Shell.Console(
            readLine: { readLine(strippingNewline: true) },
            write: { StandardStream.output.write($0) },
            prompt: interactive ? "paxos> " : nil)
        Shell(client: client, nodes: nodes, settings: settings, history: history, console: console).run()
    }
}
