import ArgumentParser
import PaxosClient
import PaxosCtlKit
import PaxosWire

/// `paxosctl snapshot save <name>`: a consistent, restorable copy of one node's state.
struct SnapshotCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Save a consistent copy of a node's state (restore it with paxosd --restore).",
        subcommands: [SaveSnapshot.self])
}

/// Asks one node (the first that answers) for `BACKUP <name>`: the node writes a standalone
/// SQLite copy of its database from one read transaction, so the copy is the KV table and
/// sessions at one applied slot. The node picks the place: `<name>` in its backup directory
/// (`paxosd --backup-dir`, by default `data/backups`), and answers the path, which this prints.
/// A name, not a path: a client never chooses where on the node's machine a file appears.
struct SaveSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Have one node write a consistent copy of its database as <name> in its backup directory.",
        discussion: """
            The first endpoint that answers writes the copy into its backup directory (paxosd \
            --backup-dir, default <data directory>/../backups) and this prints the path; it holds \
            that node's applied state (a follower may be a little behind the leader). BACKUP needs \
            the admin role when the node has a users file. Restore a new cluster from it with \
            `paxosd --restore <path>` on every node (see docs/ARCHITECTURE.md, "Backup and restore").

            Example: paxosctl snapshot save nightly-2026-01-31.sqlite
            """)

    @Argument(help: "A bare file name (letters, digits, '.', '_', '-'); the node refuses one that exists.")
    var name: String

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard !name.contains("/") else {
            throw ValidationError("give a bare file name, not a path: the node writes it into its backup directory")
        }
    }

    func run() throws {
        let client = try KeyValueClient(connection)
        let reply = try client.run { try $0.command([Array("BACKUP".utf8), Array(name.utf8)]) }
        guard case .bulkString(let path?) = reply else { throw PaxosCtlError.failed("BACKUP answered \(reply)") }
        let node = client.client.lastEndpoint.map { " by \($0)" } ?? ""
        StandardStream.output.write("OK: \(String(decoding: path, as: UTF8.self)) written\(node)\n")
    }
}
