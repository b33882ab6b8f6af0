package import PaxosClient
import PaxosWire

/// `paxosctl shell`: a read-answer loop over one failover client, like `redis-cli` without
/// arguments but with PaxosKV's verbs (`GET k`, `PUT k v`, `DELETE k`, …, see `ShellCommand`).
///
/// It reads lines from any source, so the same loop serves a person at a terminal (prompt
/// `paxos> `, history file) and a script piped in (no prompt, one answer per command line).
/// A bad line, an unknown command or a failed request prints `(error) …` and the loop goes on;
/// only `QUIT`, `EXIT` or the end of input end it.
package final class Shell {
    /// Where lines come from and answers go.
    package struct Console {
        /// The next line without its newline, or nil at the end of input.
        package var readLine: () -> String?
        package var write: (String) -> Void
        /// Shown before each line when the input is a terminal; nil for piped input.
        package var prompt: String?

        package init(readLine: @escaping () -> String?, write: @escaping (String) -> Void, prompt: String?) {
            self.readLine = readLine
            self.write = write
            self.prompt = prompt
        }
    }

    private let client: PaxosClient
    private let nodes: [NodeAddress]
    private let settings: ClientSettings
    private let console: Console
    package let history: ShellHistory

    /// - Parameter nodes: every node, for `STATUS`; `client` fails over between them.
    package init(client: PaxosClient, nodes: [NodeAddress], settings: ClientSettings, history: ShellHistory, console: Console) {
        self.client = client
        self.nodes = nodes
        self.settings = settings
        self.history = history
        self.console = console
    }

    /// Reads and answers lines until `QUIT`, `EXIT` or the end of input.
    package func run() {
        if console.prompt != nil {
            let list = client.endpoints.map(\.description).joined(separator: ", ")
            console.write("paxosctl shell: \(list) (failover in that order); HELP lists the commands, QUIT leaves.\n")
        }
        while true {
            if let prompt = console.prompt { console.write(prompt) }
            guard let line = console.readLine() else {
                if console.prompt != nil { console.write("\n") }
                return
            }
            guard answer(line) else { return }
        }
    }

    /// Answers one line; false when the shell should stop. Blank lines and `#` comments are
    /// skipped (and not kept in the history), so scripts can be annotated.
    @discardableResult
    package func answer(_ line: String) -> Bool {
        let trimmed = Substring(line).trimmingWhitespace()
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return true }
        history.add(trimmed)
        let command: ShellCommand
        do {
            let arguments = try ShellLine.split(trimmed)
            command = try ShellCommand.parse(arguments)
        } catch {
            console.write("(error) \(error)\n")
            return true
        }
        console.write(respond(to: command) + "\n")
        return command != .quit
    }

    /// The text answering `command`, without the final newline.
    private func respond(to command: ShellCommand) -> String {
        switch command {
        case .help: return ShellCommand.helpText
        case .history: return history.listing
        case .quit: return "bye"
        case .status: return StatusReport.probe(nodes, configuration: settings.probe).table
        default: break
        }
        guard let request = command.request else { preconditionFailure("\(command) has no request") }
        do {
            let reply = try client.command(request)
            if command == .info, case .bulkString(let text?) = reply {
                // INFO is text for people: shown as is, like redis-cli does, not as a quoted string.
                return "# from \(client.lastEndpoint.map(\.description) ?? "?")\n" + terminalText(text)
            }
            let text = ReplyFormat.terminal(reply)
            if case .raw = command, client.lastAttempts > 1 {
                // A retry runs on a new connection, so a new session: a command that is not
                // idempotent (INCR, APPEND) may have been applied by an earlier attempt too.
                return text + "\n(note: answered on attempt \(client.lastAttempts); an earlier attempt may also have been applied)"
            }
            return text
        } catch {
            return "(error) " + (error == .serverError ? error.serverMessage ?? "\(error)" : "\(error)")
        }
    }
}

/// INFO text for a terminal: `\r\n` line ends become `\n`, and the trailing newline goes.
/// Works on bytes, since Swift's `String` treats `\r\n` as one character.
func terminalText(_ bytes: [UInt8]) -> String {
    var kept = bytes.filter { $0 != UInt8(ascii: "\r") }
    while kept.last == UInt8(ascii: "\n") { kept.removeLast() }
    return String(decoding: kept, as: UTF8.self)
}
