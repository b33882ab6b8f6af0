/// One line of the `paxosctl shell`, checked before anything is sent.
///
/// Verbs are case-insensitive and follow the classic course clients (`GET k`, `PUT k v`,
/// `DELETE k`) with the Redis spellings as aliases (`SET`, `DEL`). Arity is checked here, so a
/// typo gets a usage line instead of a round trip and a server error. Any other command, and
/// the Redis forms of the shell's own verbs with more arguments (`SET k v NX`, `DEL a b`), is
/// sent to the server as it is (`raw`), so every command paxosd knows works in the shell.
package enum ShellCommand: Hashable, Sendable {
    case get(key: [UInt8])
    case put(key: [UInt8], value: [UInt8])
    case delete(key: [UInt8])
    case exists(key: [UInt8])
    case ping
    case info
    case status
    case history
    case help
    case quit
    /// A command sent as typed; the server checks it.
    case raw([[UInt8]])

    /// What each verb takes, for arity errors and `HELP`. Aliases share their verb's entry.
    package static let verbs: [(names: [String], arguments: [String], summary: String)] = [
        (["GET"], ["<key>"], "the key's value, or (nil); linearizable"),
        (["PUT", "SET"], ["<key>", "<value>"], "set the key; quote values with spaces: PUT k \"a b\""),
        (["DELETE", "DEL"], ["<key>"], "delete the key: (integer) 1 if it existed, else 0"),
        (["EXISTS"], ["<key>"], "(integer) 1 if the key exists, else 0"),
        (["PING"], [], "PONG from the node the shell is talking to"),
        (["INFO"], [], "the answering node's INFO: role, leader, ballot, chosen frontier, ..."),
        (["STATUS"], [], "one line per node, as `paxosctl status` prints it"),
        (["HISTORY"], [], "the lines entered in this session"),
        (["HELP"], [], "this list"),
        (["QUIT", "EXIT"], [], "leave the shell (so does end of input, Ctrl-D)"),
    ]

    /// Parses split arguments (see `ShellLine`).
    /// - Precondition: `arguments` is not empty (blank lines are skipped before this).
    /// - Throws: `.usage` for an unknown verb or the wrong number of arguments.
    package static func parse(_ arguments: [[UInt8]]) throws(PaxosCtlError) -> ShellCommand {
        precondition(!arguments.isEmpty, "a blank line has no command")
        let verb = String(decoding: arguments[0], as: UTF8.self).uppercased()
        let rest = Array(arguments.dropFirst())
        guard let entry = verbs.first(where: { $0.names.contains(verb) }) else { return .raw(arguments) }
        // The Redis forms with options or several keys are the server's to check.
        if ["SET", "DEL", "EXISTS"].contains(verb), rest.count > entry.arguments.count { return .raw(arguments) }
        guard rest.count == entry.arguments.count else {
            let usage = ([verb] + entry.arguments).joined(separator: " ")
            let hint = entry.arguments.last == "<value>" && rest.count > 2 ? "; quote a value with spaces" : ""
            throw .usage("wrong number of arguments for \(verb): \(rest.count) given, usage: \(usage)\(hint)")
        }
        switch entry.names[0] {
        case "GET": return .get(key: rest[0])
        case "PUT": return .put(key: rest[0], value: rest[1])
        case "DELETE": return .delete(key: rest[0])
        case "EXISTS": return .exists(key: rest[0])
        case "PING": return .ping
        case "INFO": return .info
        case "STATUS": return .status
        case "HISTORY": return .history
        case "HELP": return .help
        case "QUIT": return .quit
        default: preconditionFailure("verb table entry \(entry.names[0]) has no case")
        }
    }

    /// The RESP command a data command sends; nil for commands the shell answers itself.
    package var request: [[UInt8]]? {
        switch self {
        case .get(let key): [Array("GET".utf8), key]
        case .put(let key, let value): [Array("SET".utf8), key, value]
        case .delete(let key): [Array("DEL".utf8), key]
        case .exists(let key): [Array("EXISTS".utf8), key]
        case .ping: [Array("PING".utf8)]
        case .info: [Array("INFO".utf8)]
        case .raw(let arguments): arguments
        case .status, .history, .help, .quit: nil
        }
    }

    /// The `HELP` text.
    package static var helpText: String {
        let rows = verbs.map { entry in
            ((entry.names.joined(separator: "|") + " " + entry.arguments.joined(separator: " ")), entry.summary)
        }
        let width = rows.map(\.0.count).max() ?? 0
        let lines = rows.map { $0.0.padding(to: width) + "  " + $0.1 }
        return (["Commands (case-insensitive):"] + lines.map { "  " + $0 }
            + ["Any other command goes to the server as typed: INCR k, SET k v NX, GETSET k v, MGET a b, ...",
               "Quote as in redis-cli: \"a b\", 'a b', \"line\\n\", \"\\xff\" (any byte)."]).joined(separator: "\n")
    }
}

extension String {
    /// The string followed by spaces up to `width` characters; longer strings are left alone.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
