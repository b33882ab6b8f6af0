package import PaxosCore

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
}

/// The five commands of `paxos-inspect`, from paths to output, so that the executable only
/// parses arguments and prints. Each opens its databases read-only, reads everything it needs
/// in one read transaction per database, and closes them.
///
/// When several databases are given, an unusable one does not stop `summary` or `verify` from
/// reporting the others; `diff` needs them all. The exit status is the worst of all inputs:
/// unusable input (2) over a failed check (1) over success (0).
package enum InspectionCommands {
    package static func summary(_ paths: [String]) -> InspectionOutput {
        eachDatabase("summary", paths) { (reader) throws(InspectionError) in
            let summary = try reader.summary()
            return (summary.text(), summary.json(), summary.integrity.ok)
        }
    }

    package static func verify(_ paths: [String]) -> InspectionOutput {
        eachDatabase("verify", paths) { (reader) throws(InspectionError) in
            let result = try reader.verify()
            return (result.text(), result.json(), result.ok)
        }
    }

    package static func log(_ path: String, from: Slot, through: Slot, filter: LogFilter, limit: Int?) -> InspectionOutput {
        oneDatabase("log", path) { (reader) throws(InspectionError) in
            let listing = try reader.logListing(from: from, through: through, filter: filter, limit: limit)
            return (listing.text(), listing.json(), listing.problems.isEmpty)
        }
    }

    package static func kv(_ path: String, prefix: Bytes) -> InspectionOutput {
        oneDatabase("kv", path) { (reader) throws(InspectionError) in
            let listing = try reader.keyValueListing(prefix: prefix)
            return (listing.text(), listing.json(), true)
        }
    }

    /// - Precondition: at least two paths (the argument parser asks for them).
    package static func diff(_ paths: [String]) -> InspectionOutput {
        precondition(paths.count >= 2, "diff needs at least two databases")
        var readers: [InspectionReader] = []
        defer { for reader in readers { reader.close() } }
        var errors: [InspectionError] = []
        for path in paths {
            do { readers.append(try InspectionReader.open(path)) } catch { errors.append(error) }
        }
        guard errors.isEmpty else { return unusable("diff", errors) }
        do {
            let report = try DiffReport.compare(readers)
            return InspectionOutput(text: report.text(), json: .document("diff", ok: report.ok, [("report", report.json())]),
                                    errors: [], status: report.ok ? .ok : .checkFailed)
        } catch {
            return unusable("diff", [error])
        }
    }

    private typealias Body = (InspectionReader) throws(InspectionError) -> (text: String, json: InspectionJSON, ok: Bool)

    /// Runs `body` on every database; each result or error is one entry of `databases`.
    private static func eachDatabase(_ command: String, _ paths: [String], _ body: Body) -> InspectionOutput {
        var output = InspectionOutput(text: "", json: .null, errors: [], status: .ok)
        var entries: [InspectionJSON] = []
        for path in paths {
            do {
                let (text, json, ok) = try withReader(path, body)
                output.text += text
                entries.append(json)
                output.status = max(output.status, ok ? .ok : .checkFailed)
            } catch {
                output.errors.append(error)
                entries.append(.object([("path", .string(error.path)), ("error", error.json())]))
                output.status = .unusableInput
            }
        }
        output.json = .document(command, ok: output.status == .ok, [("databases", .array(entries))])
        return output
    }

    private static func oneDatabase(_ command: String, _ path: String, _ body: Body) -> InspectionOutput {
        do {
            let (text, json, ok) = try withReader(path, body)
            return InspectionOutput(text: text, json: .document(command, ok: ok, [("report", json)]), errors: [],
                                    status: ok ? .ok : .checkFailed)
        } catch {
            return unusable(command, [error])
        }
    }

    private static func withReader<T>(_ path: String, _ body: (InspectionReader) throws(InspectionError) -> T) throws(InspectionError) -> T {
        let reader = try InspectionReader.open(path)
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
