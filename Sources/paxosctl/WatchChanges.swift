import ArgumentParser
import PaxosClient
import PaxosCtlKit

/// `paxosctl watch [--prefix p] [--from-revision r] [--json]`: every change from a revision on,
/// one per line, through `CHANGES` (the resumable watch).
struct WatchChanges: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print every change (revision, event, key) from a revision on, one per line, until interrupted.",
        discussion: """
            Follows CHANGES from node to node: when a node fails, the next one continues from the \
            last revision printed, so no change is skipped or printed twice. Without \
            --from-revision it starts at the revision after the contacted node's applied slot. \
            To follow a key from a read of it: GETREV key answers [value, revision]; watch from \
            revision + 1. A revision the nodes have compacted fails with the revision to resume \
            from (re-read the keys first). Revisions are per group: with --groups, name one.
            Examples:
              paxosctl watch --prefix config/
              paxosctl watch --from-revision 4259840 --json
            """)

    @Option(help: "Only changes of keys starting with this prefix.")
    var prefix: String?

    @Option(help: ArgumentHelp("The first revision to print (default: from now).", valueName: "revision"))
    var fromRevision: UInt64?

    @Flag(help: "One JSON object per line: {\"revision\":…,\"event\":…,\"key\":…}.")
    var json = false

    @Option(help: ArgumentHelp("The group to watch, on nodes started with --groups.", valueName: "g"))
    var group: UInt32?

    @Option(help: ArgumentHelp("Exit after this many changes.", valueName: "n"))
    var limit: Int?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1, got \(limit)") }
        guard connection.timeout > 3 else { throw ValidationError("--timeout must be above 3 seconds for watch (each call waits up to 2 s)") }
    }

    func run() throws {
        let client = try KeyValueClient(connection)
        var settings = Watch.Settings()
        settings.from = fromRevision
        settings.prefix = prefix.map { Array($0.utf8) }
        settings.group = group
        settings.json = json
        settings.limit = limit
        var watch = Watch(settings)
        var announced = false
        while !watch.isDone {
            do {
                try watch.step(fetch: { from in
                    try client.client.changes(from: from, prefix: settings.prefix, count: settings.count,
                                              blockMilliseconds: settings.blockMilliseconds, group: settings.group)
                }, emit: { line in
                    StandardStream.output.write(line + "\n")
                })
            } catch let error as PaxosClientError {
                if let resume = PaxosClient.compactedResumeRevision(error) {
                    throw PaxosCtlError.failed("revision \(watch.next ?? 0) is compacted on \(error.endpoint.map { "\($0)" } ?? "the node"); re-read the keys and resume with --from-revision \(resume)")
                }
                throw PaxosCtlError.failed("\(error)")
            }
            if !announced, fromRevision == nil, let next = watch.next {
                StandardStream.error.write("paxosctl: watching from revision \(next)\n")
                announced = true
            }
        }
    }
}
