import ArgumentParser
import PaxosClient
import PaxosCtlKit

/// `paxosctl scan [--prefix p | --match glob] [--count n]`: every key, one per line.
struct ScanKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "List keys (all, by prefix or by glob), one per line, through SCAN.",
        discussion: """
            Walks SCAN to its end: every key present from the start to the end is listed exactly \
            once, whichever node answers each page (keys written or deleted meanwhile may or may \
            not appear). Each page is linearizable in its group. Keys are printed raw, one per line.
            Examples:
              paxosctl scan --prefix user:
              paxosctl scan --match 'session:*:token'
            """)

    @Option(help: "List only the keys starting with this prefix.")
    var prefix: String?

    @Option(help: "List only the keys matching this Redis glob (*, ?, [abc], \\\\x).")
    var match: String?

    @Option(help: "Keys a page visits (SCAN's COUNT hint).")
    var count = 1_000

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard prefix == nil || match == nil else { throw ValidationError("give --prefix or --match, not both") }
        guard (1...100_000).contains(count) else { throw ValidationError("--count must be between 1 and 100000, got \(count)") }
    }

    func run() throws {
        let client = try KeyValueClient(connection)
        let pattern = prefix.map { PaxosClient.globMatchingPrefix(Array($0.utf8)) } ?? match.map { Array($0.utf8) }
        var cursor: UInt64 = 0
        repeat {
            let page = try client.run { try $0.scan(cursor: cursor, match: pattern, count: count) }
            for key in page.keys { StandardStream.output.write(bytes: key + [UInt8(ascii: "\n")]) }
            cursor = page.next
        } while cursor != 0
    }
}
