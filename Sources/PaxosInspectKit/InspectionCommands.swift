package import PaxosCore
package import PaxosStorage

/// How `paxos-inspect` ends, documented in docs/paxos-inspect.md ("Exit status").
package enum InspectionExitStatus: Int32, Hashable, Sendable, Comparable {
    /// Every database was read and passed every check the command runs.
    case ok = 0
    /// A check failed: a damaged row, a broken invariant, a disagreement between nodes.
    case checkFailed = 1
    /// Some input could not be used at all: missing, not a PaxosKV database, a newer schema,
    /// unreadable (also a bad command line).
    case unusableInput = 2

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What one command produced: the report for people, the same for scripts, one line per input
/// that could not be used (for stderr), and the exit status.
package struct InspectionOutput: Sendable {
    package var text: String
    package var json: InspectionJSON
    package var errors: [InspectionError]
    package var status: InspectionExitStatus
    /// One line per argument skipped as plainly no database (`InspectionCommands.usable`), for
    /// stderr. Skipping changes neither the JSON document nor the exit status.
    package var notes: [String] = []
}

/// The five commands of `paxos-inspect`, from arguments to output, so that the executable only
/// parses arguments and prints. Each opens its databases read-only, reads everything it needs
/// in one read transaction per database, and closes them.
///
/// An argument is a database file or a node directory (`InspectionTarget`): every database of
/// the node, one per group, or with `group` the file of that group. `summary` and `verify` report
/// each database and check that a directory's databases make one node; `log` and `kv` read one
/// database; `diff` compares each group across the nodes separately.
///
/// When several databases are given, an unusable one does not stop `summary` or `verify` from
/// reporting the others; `diff` needs them all. The exit status is the worst of all inputs:
/// unusable input (2) over a failed check (1) over success (0). Among several arguments, those
/// that are plainly no database nor node directory are skipped with a note (`usable`).
package enum InspectionCommands {
    package static func summary(_ arguments: [String], group: GroupID? = nil) -> InspectionOutput {
        eachDatabase("summary", arguments, group: group) { (reader) throws(InspectionError) in
            let summary = try reader.summary()
            return (summary.text(), summary.json(), summary.integrity.ok)
        }
    }

    package static func verify(_ arguments: [String], group: GroupID? = nil) -> InspectionOutput {
        eachDatabase("verify", arguments, group: group) { (reader) throws(InspectionError) in
            let result = try reader.verify()
            return (result.text(), result.json(), result.ok)
        }
    }

    /// The arguments a command given several of them reads, and a note for each it skips: those
    /// that are plainly no database and no node directory (`InspectionTarget.skipReason`), such
    /// as the launcher's files a glob over `data/nodes/*` names too. Nothing is skipped unless at
    /// least `needed` arguments remain, so an argument named alone, or one the command cannot do
    /// without, still fails as unusable input saying what it is.
    static func usable(_ arguments: [String], needed: Int) -> (arguments: [String], notes: [String]) {
        var kept: [String] = []
        var notes: [String] = []
        for argument in arguments {
            if let reason = InspectionTarget.skipReason(argument) {
                notes.append("skipped \(argument): \(reason)")
            } else {
                kept.append(argument)
            }
        }
        guard kept.count >= needed else { return (arguments, []) }
        return (kept, notes)
    }

    package static func log(_ argument: String, group: GroupID? = nil, from: Slot, through: Slot, filter: LogFilter,
                            limit: Int?) -> InspectionOutput {
        oneDatabase("log", argument, group: group) { (reader) throws(InspectionError) in
            let listing = try reader.logListing(from: from, through: through, filter: filter, limit: limit)
            return (listing.text(), listing.json(), listing.problems.isEmpty)
        }
    }

    package static func kv(_ argument: String, group: GroupID? = nil, prefix: Bytes) -> InspectionOutput {
        oneDatabase("kv", argument, group: group) { (reader) throws(InspectionError) in
            let listing = try reader.keyValueListing(prefix: prefix)
            return (listing.text(), listing.json(), true)
        }
    }

    /// One report per group (`GroupedDiff`), in group order, over the arguments left once those
    /// plainly no database are skipped (`usable`: only while two remain).
    /// - Precondition: at least two arguments (the argument parser asks for them).
    package static func diff(_ given: [String], group: GroupID? = nil) -> InspectionOutput {
        precondition(given.count >= 2, "diff needs at least two databases")
        let (arguments, notes) = usable(given, needed: 2)
        var output = compare(arguments, group: group)
        output.notes = notes
        return output
    }

    private static func compare(_ arguments: [String], group: GroupID?) -> InspectionOutput {
        var readers: [[InspectionReader]] = []
        defer { for reader in readers.joined() { reader.close() } }
        var errors: [InspectionError] = []
        for argument in arguments {
            var opened: [InspectionReader] = []
            do {
                for path in try InspectionTarget.resolve(argument, group: group).paths {
                    opened.append(try InspectionReader.openFile(path, group: group))
                }
            } catch {
                errors.append(error)
            }
            readers.append(opened)
        }
        guard errors.isEmpty else { return unusable("diff", errors) }
        do {
            let reports = try GroupedDiff.arrange(readers, arguments: arguments).map { (readers) throws(InspectionError) in
                try DiffReport.compare(readers)
            }
            let ok = reports.allSatisfy(\.ok)
            return InspectionOutput(text: DiffReport.text(reports), json: .document("diff", ok: ok, [("reports", .array(reports.map { $0.json() }))]),
                                    errors: [], status: ok ? .ok : .checkFailed)
        } catch {
            return unusable("diff", [error])
        }
    }

    private typealias Body = (InspectionReader) throws(InspectionError) -> (text: String, json: InspectionJSON, ok: Bool)

    /// Runs `body` on every database; each result or error is one entry of `databases`, and so
    /// is each problem of a node directory as a whole (`InspectionTarget.directoryProblems`).
    private static func eachDatabase(_ command: String, _ given: [String], group: GroupID?, _ body: Body) -> InspectionOutput {
        let (arguments, notes) = usable(given, needed: 1)
        var output = InspectionOutput(text: "", json: .null, errors: [], status: .ok, notes: notes)
        var entries: [InspectionJSON] = []
        func recordUnusable(_ error: InspectionError) {
            output.errors.append(error)
            entries.append(.object([("path", .string(error.path)), ("error", error.json())]))
            output.status = .unusableInput
        }
        for argument in arguments {
            let target: InspectionTarget
            do { target = try InspectionTarget.resolve(argument, group: group) } catch {
                recordUnusable(error)
                continue
            }
            var placements: [String: GroupPlacement] = [:]
            for path in target.paths {
                do {
                    let (report, placement) = try withReader(path, group: group) { (reader) throws(InspectionError) in
                        (try body(reader), reader.placement)
                    }
                    placements[path] = placement
                    output.text += report.text
                    entries.append(report.json)
                    output.status = max(output.status, report.ok ? .ok : .checkFailed)
                } catch {
                    recordUnusable(error)
                }
            }
            target.directoryProblems(placements).forEach(recordUnusable)
        }
        output.json = .document(command, ok: output.status == .ok, [("databases", .array(entries))])
        return output
    }

    private static func oneDatabase(_ command: String, _ argument: String, group: GroupID?, _ body: Body) -> InspectionOutput {
        do {
            let reader = try InspectionReader.open(argument, group: group)
            defer { reader.close() }
            let (text, json, ok) = try body(reader)
            return InspectionOutput(text: text, json: .document(command, ok: ok, [("report", json)]), errors: [],
                                    status: ok ? .ok : .checkFailed)
        } catch {
            return unusable(command, [error])
        }
    }

    private static func withReader<T>(_ path: String, group: GroupID?,
                                      _ body: (InspectionReader) throws(InspectionError) -> T) throws(InspectionError) -> T {
        let reader = try InspectionReader.openFile(path, group: group)
        defer { reader.close() }
        return try body(reader)
    }

    private static func unusable(_ command: String, _ errors: [InspectionError]) -> InspectionOutput {
        InspectionOutput(text: "", json: .document(command, ok: false, [("errors", .array(errors.map { $0.json() }))]),
                         errors: errors, status: .unusableInput)
    }

    /// A bad command line, in the same shape as unusable input.
    package static func usageError(_ command: String, _ message: String) -> InspectionOutput {
        let error = InspectionError(.usage, path: "paxos-inspect", reason: message)
        return unusable(command, [error])
    }
}
