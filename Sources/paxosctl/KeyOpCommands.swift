import ArgumentParser
import PaxosClient
import PaxosCtlKit

/// `paxosctl incr <key> [--by n]`: prints the new value.
struct IncrementKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incr",
        abstract: "Add to the integer in a key (absent counts as 0) and print the result; atomic, in the log's order.",
        discussion: """
            A value that is not an integer, or a result past the 64-bit range, fails with Redis's \
            error and changes nothing. paxosctl retries on another node after a timeout or a cut \
            connection; such a retry is a new request, so the increment may then have been \
            applied twice (a warning on standard error says so). Use --no-retry to rule that out.
            """)

    @Argument(help: "The key holding the counter.")
    var key: String

    @Option(help: "The amount to add; negative to subtract.")
    var by: Int64 = 1

    @Flag(help: "Try once: after a timeout the outcome is unknown instead of possibly doubled.")
    var noRetry = false

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection, singleAttempt: noRetry)
        let value = try client.run { try $0.increment(Array(key.utf8), by: by) }
        client.warnIfRetried()
        StandardStream.output.write("(integer) \(value)\n")
    }
}

/// `paxosctl cas <key> (--expect old | --absent) --value new`: compare-and-set on the value.
struct CompareAndSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cas",
        abstract: "Set a key only if it holds an expected value (or is absent); prints OK, or fails with exit code 1.",
        discussion: """
            The compare and the write are one command in one slot (SET key value IFEQ old, or \
            SET key value NX with --absent), so no other write comes between them.
            Examples:
              paxosctl cas config --absent --value v1
              paxosctl cas config --expect v1 --value v2
            """)

    @Argument(help: "The key to write.")
    var key: String

    @Option(help: "The value the key must hold for the write to happen.")
    var expect: String?

    @Flag(help: "Write only if the key is absent.")
    var absent = false

    @Option(help: "The new value.")
    var value: String

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard (expect == nil) != !absent else { throw ValidationError("give exactly one of --expect <value> and --absent") }
    }

    func run() throws {
        let client = try KeyValueClient(connection)
        let set = try client.run { try $0.compareAndSet(Array(key.utf8), expected: expect.map { Array($0.utf8) }, value: Array(value.utf8)) }
        client.warnIfRetried()
        guard set else {
            throw PaxosCtlError.failed(absent ? "not set: the key exists" : "not set: the key does not hold the expected value")
        }
        StandardStream.output.write("OK\n")
    }
}
