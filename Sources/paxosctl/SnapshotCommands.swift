import ArgumentParser
import Foundation
import PaxosClient
import PaxosCtlKit
import PaxosWire

/// `paxosctl snapshot save <file>`: a consistent, restorable copy of one node's state.
struct SnapshotCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Save a consistent copy of a node's state (restore it with paxosd --restore).",
        subcommands: [SaveSnapshot.self])
}

/// Asks one node (the first that answers) for `BACKUP <absolute path>`: the node writes a
/// standalone SQLite copy of its database from one read transaction, so the copy is the KV
/// table and sessions at one applied slot. The path is on the node's machine, which for the
/// local cluster is this one; a relative path is made absolute against the current directory.
struct SaveSnapshot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Write a consistent copy of one node's database to <file> (on the node's machine).",
        discussion: """
            The first endpoint that answers writes the copy; it holds that node's applied state \
            (a follower may be a little behind the leader). Restore a new cluster from it with \
            `paxosd --restore <file>` on every node (see docs/ARCHITECTURE.md, "Backup and restore").

            Example: paxosctl snapshot save /tmp/paxos-backup.sqlite
            """)

    @Argument(help: "Where the node writes the copy; must not exist yet.")
    var file: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let path = URL(fileURLWithPath: file).standardizedFileURL.path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw PaxosCtlError.usage("\(path) already exists; choose a new file name")
        }
        let client = try KeyValueClient(connection)
        let reply = try client.run { try $0.command([Array("BACKUP".utf8), Array(path.utf8)]) }
        guard reply == .simpleString("OK") else { throw PaxosCtlError.failed("BACKUP answered \(reply)") }
        let node = client.client.lastEndpoint.map { " by \($0)" } ?? ""
        StandardStream.output.write("OK: \(path) written\(node)\n")
    }
}
