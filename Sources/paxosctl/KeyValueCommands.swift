import ArgumentParser
import PaxosClient
import PaxosCtlKit

/// `paxosctl get <key>`: prints the value as it is stored, or `(nil)`.
struct GetKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a key's value (linearizable read), or (nil) if it is absent.",
        discussion: "The value is printed raw, followed by a newline, so scripts can use it; (nil) means absent.")

    @Argument(help: "The key to read.")
    var key: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection)
        let value = try client.run { try $0.get(Array(key.utf8)) }
        StandardStream.output.write(bytes: (value ?? Array("(nil)".utf8)) + [UInt8(ascii: "\n")])
    }
}

/// `paxosctl put <key> <value>` (alias `set`): prints `OK`.
struct PutKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Set a key to a value; prints OK once a majority has it.",
        aliases: ["set"])

    @Argument(help: "The key to write.")
    var key: String

    @Argument(help: "The value to store (quote it in your shell if it has spaces).")
    var value: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection)
        try client.run { try $0.put(Array(key.utf8), Array(value.utf8)) }
        StandardStream.output.write("OK\n")
    }
}

/// `paxosctl delete <key>` (alias `del`): prints `(integer) 1` if the key existed, else 0.
struct DeleteKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a key; prints (integer) 1 if it existed, (integer) 0 if not.",
        aliases: ["del"])

    @Argument(help: "The key to delete.")
    var key: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection)
        let existed = try client.run { try $0.delete(Array(key.utf8)) }
        StandardStream.output.write("(integer) \(existed ? 1 : 0)\n")
    }
}

/// A failover client for one command, with errors turned into paxosctl's exit codes.
struct KeyValueClient {
    let client: PaxosClient

    /// - Parameter singleAttempt: no retries, so an unknown outcome is reported, never repeated.
    init(_ connection: ConnectionOptions, singleAttempt: Bool = false) throws(PaxosCtlError) {
        let nodes = try connection.resolvedNodes()
        let settings = try connection.clientSettings()
        var failover = settings.failover
        if singleAttempt { failover.maxAttempts = 1 }
        do {
            client = try PaxosClient(endpoints: nodes.map(\.endpoint), configuration: failover)
        } catch {
            throw .usage("\(error)")
        }
    }

    /// A write answered after a retry may have been applied by an earlier attempt as well (a
    /// retry is a new connection, so a new session): say so, on standard error.
    func warnIfRetried() {
        guard client.lastAttempts > 1 else { return }
        StandardStream.error.write("paxosctl: answered on attempt \(client.lastAttempts); an earlier attempt may also have been applied\n")
    }

    /// Runs `body`; a client error becomes `.failed` with the client's one-line description.
    func run<Result>(_ body: (PaxosClient) throws -> Result) throws(PaxosCtlError) -> Result {
        do {
            return try body(client)
        } catch {
            throw .failed("\(error)")
        }
    }
}
