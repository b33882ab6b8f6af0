import ArgumentParser
import PaxosCore
import PaxosInspectKit
import PaxosStorage

/// `paxos-inspect`: argument parsing only. The commands live in PaxosInspectKit
/// (`InspectionCommands`), which opens every database read-only; `main.swift` prints.
struct PaxosInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paxos-inspect",
        abstract: "Read PaxosKV node databases offline, without changing them.",
        discussion: """
            Each DATABASE is a node directory (data/nodes/3) or a database file. A node \
            directory holds paxos.sqlite, or one group-<g>.sqlite per group when the node runs \
            several (--groups); --group g picks group-<g>.sqlite. Without --group, summary and \
            verify cover every group and diff compares each group across the nodes; log and kv \
            need one database. Databases are opened read-only, so a live node's database may be \
            inspected while the node runs. Among several arguments, a file that is not a database \
            and a directory that holds none (the launcher's files a glob over data/nodes/* also \
            names) are skipped with a note on stderr; named alone, they are unusable input.

            Exit status: 0 everything passed; 1 a check failed (a damaged row, a broken \
            invariant, nodes that disagree); 2 unusable input (a missing file, not a PaxosKV \
            database, a newer schema, an unreadable file) or a bad command line.

            Examples:
              paxos-inspect summary data/nodes/1
              paxos-inspect log data/nodes/1 --from 100 --limit 20
              paxos-inspect diff data/nodes/*
              paxos-inspect verify --json data/nodes/*
              paxos-inspect kv data/nodes/1 --group 2 --prefix user:
            """,
        subcommands: [Summary.self, Log.self, KV.self, Diff.self, Verify.self])
}

/// What every subcommand runs: its name, and the output to print.
protocol InspectSubcommand: ParsableCommand {
    var output: OutputOptions { get }
    func execute() -> InspectionOutput
}

struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document instead of text (schema: docs/paxos-inspect.md).")
    var json = false
}

struct GroupOptions: ParsableArguments {
    @Option(name: .customLong("group"), help: ArgumentHelp("In node directories, read only group g (group-<g>.sqlite; for a node of one group, 0 is "
                               + "paxos.sqlite); a database file given must hold group g.", valueName: "g"))
    var number: UInt32?

    /// The group asked for, if any.
    var group: GroupID? { number.map { GroupID(rawValue: $0) } }
}

extension PaxosInspect {
    struct Summary: InspectSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Cluster, replica, group, ballot, slots, sizes, incarnation, memberships and whether integrity checks pass.")

        @Argument(help: "Node directories or database files.")
        var databases: [String]

        @OptionGroup var groups: GroupOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !databases.isEmpty else { throw ValidationError("name at least one database") }
        }

        func execute() -> InspectionOutput { InspectionCommands.summary(databases, group: groups.group) }
    }

    struct Log: InspectSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per log slot: ballot, chosen or not, and the decoded command.")

        @Argument(help: "A node directory or database file.")
        var database: String

        @Option(help: ArgumentHelp("First slot to show (default: the first stored).", valueName: "slot"))
        var from: UInt64?

        @Option(help: ArgumentHelp("Last slot to show (default: the last stored).", valueName: "slot"))
        var to: UInt64?

        @Flag(help: "Show only slots known chosen.")
        var chosen = false

        @Flag(help: "Show only slots accepted but not known chosen.")
        var acceptedOnly = false

        @Option(help: ArgumentHelp("Show at most this many slots, and say where the listing would continue.", valueName: "n"))
        var limit: Int?

        @OptionGroup var groups: GroupOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !(chosen && acceptedOnly) else { throw ValidationError("--chosen and --accepted-only exclude each other") }
            if let from, let to, from > to { throw ValidationError("--from \(from) is above --to \(to)") }
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func execute() -> InspectionOutput {
            let filter: LogFilter = chosen ? .chosen : acceptedOnly ? .acceptedOnly : .all
            // Slots are stored as signed 64-bit integers, so no stored slot is above Int64.max.
            return InspectionCommands.log(database, group: groups.group, from: Slot(from ?? 0), through: Slot(to ?? UInt64(Int64.max)),
                                          filter: filter, limit: limit)
        }
    }

    struct KV: InspectSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "kv", abstract: "The applied key-value table, with the revision (slot.position) of the write that set each key.")

        @Argument(help: "A node directory or database file.")
        var database: String

        @Option(help: ArgumentHelp("Show only keys starting with these UTF-8 bytes.", valueName: "prefix"))
        var prefix: String?

        @Option(help: ArgumentHelp("Show only keys starting with these bytes, in hex (for binary keys).", valueName: "hex"))
        var prefixHex: String?

        @OptionGroup var groups: GroupOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard prefix == nil || prefixHex == nil else { throw ValidationError("--prefix and --prefix-hex exclude each other") }
            if let prefixHex, Self.bytes(hex: prefixHex) == nil {
                throw ValidationError("--prefix-hex '\(prefixHex)' is not an even number of hex digits")
            }
        }

        func execute() -> InspectionOutput {
            let bytes = prefixHex.flatMap(Self.bytes(hex:)) ?? Array((prefix ?? "").utf8)
            return InspectionCommands.kv(database, group: groups.group, prefix: bytes)
        }

        static func bytes(hex: String) -> Bytes? {
            let digits = Array(hex.utf8)
            guard digits.count % 2 == 0 else { return nil }
            var bytes: Bytes = []
            for index in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            return bytes
        }
    }

    struct Diff: InspectSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare nodes, group by group: agreement on chosen slots, lag, and kv tables at the common applied slot.")

        @Argument(help: "Two or more node directories or database files of one cluster.")
        var databases: [String]

        @OptionGroup var groups: GroupOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard databases.count >= 2 else { throw ValidationError("diff needs at least two databases") }
        }

        func execute() -> InspectionOutput { InspectionCommands.diff(databases, group: groups.group) }
    }

    struct Verify: InspectSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every row's checksum and the invariants; stop at the first failure in each database.",
            discussion: """
                Checks: placement (a file named paxos.sqlite or group-<g>.sqlite holds that group), meta (snapshot ≤ applied ≤ chosen frontier ≤ last log slot), checksum (flag, \
                CRC-32C and command encoding of every log row), ballot (no vote above the promise), \
                frontier (every slot up to the chosen frontier stored and chosen, so nothing was \
                applied across a hole), table (kv and sessions written by applied slots), replay \
                (the kv and sessions tables equal a replay of the chosen log).
                """)

        @Argument(help: "Node directories or database files.")
        var databases: [String]

        @OptionGroup var groups: GroupOptions

        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard !databases.isEmpty else { throw ValidationError("name at least one database") }
        }

        func execute() -> InspectionOutput { InspectionCommands.verify(databases, group: groups.group) }
    }
}
