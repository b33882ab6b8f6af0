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

/// `paxosctl cas <key> (--expect old | --absent | --revision r) --value new`: compare-and-set.
struct CompareAndSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cas",
        abstract: "Set a key only if it holds an expected value, revision, or is absent; prints OK, or fails with exit code 1.",
        discussion: """
            The compare and the write are one command in one slot (SET key value IFEQ old, \
            SET key value NX with --absent, SETIFREV key value r with --revision), so no other \
            write comes between them. `paxosctl getrev` prints a key's revision.
            Examples:
              paxosctl cas config --absent --value v1
              paxosctl cas config --expect v1 --value v2
              paxosctl cas config --revision 1310720 --value v3
            """)

    @Argument(help: "The key to write.")
    var key: String

    @Option(help: "The value the key must hold for the write to happen.")
    var expect: String?

    @Flag(help: "Write only if the key is absent.")
    var absent = false

    @Option(help: "The revision the key must have (from `paxosctl getrev`); 0: only if absent.")
    var revision: UInt64?

    @Option(help: "The new value.")
    var value: String

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard [expect != nil, absent, revision != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --expect <value>, --absent and --revision <r>")
        }
    }

    func run() throws {
        let client = try KeyValueClient(connection)
        let set = try client.run { client in
            if let revision { try client.compareAndSet(Array(key.utf8), revision: revision, value: Array(value.utf8)) }
            else { try client.compareAndSet(Array(key.utf8), expected: expect.map { Array($0.utf8) }, value: Array(value.utf8)) }
        }
        client.warnIfRetried()
        guard set else {
            let reason = absent ? "the key exists" : revision != nil ? "the key's revision is another" : "the key does not hold the expected value"
            throw PaxosCtlError.failed("not set: \(reason)")
        }
        StandardStream.output.write("OK\n")
    }
}

/// `paxosctl getrev <key>`: the value and the revision, or (nil).
struct GetRevision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "getrev",
        abstract: "Print a key's value and revision (linearizable), or (nil); the revision feeds `paxosctl cas --revision`.",
        discussion: "Two lines: the value, then `revision <r>`. The revision changes with every write of the key.")

    @Argument(help: "The key to read.")
    var key: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection)
        guard let found = try client.run({ try $0.valueAndRevision(Array(key.utf8)) }) else {
            return StandardStream.output.write("(nil)\n")
        }
        StandardStream.output.write(bytes: found.value + Array("\nrevision \(found.revision)\n".utf8))
    }
}

/// `paxosctl expire <key> <ms>` and `paxosctl ttl <key>`.
struct ExpireKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expire",
        abstract: "Give a key a time to live in milliseconds (PEXPIRE); prints (integer) 1, or 0 if the key is absent.",
        discussion: "The deadline counts from when the cluster applies the command, by the leader's clock (README \"TTLs\").")

    @Argument(help: "The key.")
    var key: String

    @Argument(help: "Milliseconds to live; 0 or less deletes the key, as in Redis.")
    var milliseconds: Int64

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection)
        let set = try client.run { try $0.expire(Array(key.utf8), milliseconds: milliseconds) }
        StandardStream.output.write("(integer) \(set ? 1 : 0)\n")
    }
}

struct TimeToLive: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttl",
        abstract: "Print a key's remaining time to live in milliseconds (PTTL): -2 if absent, -1 if it has none.")

    @Argument(help: "The key.")
    var key: String

    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        let client = try KeyValueClient(connection)
        let ttl = try client.run { try $0.timeToLive(Array(key.utf8)) }
        StandardStream.output.write("(integer) \(ttl)\n")
    }
}
