import PaxosCore
import PaxosStorage

/// The text `paxos-inspect` prints for people: aligned columns, one fact per line, failures
/// named with their file, slot and check. Scripts use `--json` (`InspectionJSON.swift`) instead;
/// this layout may change.
extension InspectionSummary {
    package func text() -> String {
        let meta = meta
        let log: String
        if let first = bounds.firstSlot, let last = bounds.lastSlot {
            log = "slots \(first)…\(last), \(bounds.rowCount) rows (\(bounds.chosenRowCount) chosen)"
        } else {
            log = "empty"
        }
        let files = "database \(BytesDisplay.size(files.databaseBytes)), wal \(files.walBytes.map(BytesDisplay.size) ?? "none"), "
            + "shm \(files.shmBytes.map(BytesDisplay.size) ?? "none") (opened \(openMode == .wal ? "as a WAL reader" : "immutable"))"
        let fields: [(String, String)] = [
            ("cluster", meta.clusterID), ("replica", "\(meta.replicaID)"), ("placement", placement.summary),
            ("schema version", "\(meta.schemaVersion)"),
            ("promised ballot", "\(meta.promised)"), ("log", log), ("chosen frontier", "\(meta.chosenThrough)"),
            ("applied slot", "\(meta.appliedThrough)"),
            ("log clock", meta.logClock.rawValue == 0 ? "0 (no timed batch applied)" : "\(meta.logClock.rawValue) ms (Unix)"),
            ("snapshot slot", "\(meta.snapshotSlot)"), ("keys", "\(keyCount)"),
            ("sessions", "\(sessionCount)"), ("files", files), ("integrity", integrity.outcome()),
            ("incarnation", meta.incarnation.description), ("cluster uuid", meta.clusterUUID ?? "unset (no genesis recorded)"),
            ("memberships", memberships.isEmpty ? "none recorded (the configuration's members at incarnation 1)" : "\(memberships.count)"),
        ]
        var text = path + placement.suffix + "\n" + fields.map { "  " + $0.0.rightPadded(to: 17) + $0.1 }.joined(separator: "\n") + "\n"
        if !memberships.isEmpty { text += MembershipDisplay.table(memberships, indent: "    ") }
        return text
    }
}

/// How `summary` and `diff` show memberships: one line each, with the slot it governs from and
/// the slot that chose it, voters and learners as `id/incarnation` (incarnations in hex).
enum MembershipDisplay {
    static func table(_ rows: [InspectedMembership], indent: String) -> String {
        var table = TextTable(["EPOCH", "FROM SLOT", "CHOSEN IN", "MEMBERS"], rightAligned: [0, 1, 2])
        for row in rows {
            table.append(["\(row.epoch)", "\(row.fromSlot)", row.isGenesis ? "genesis" : "\(row.chosenInSlot)", members(row)])
        }
        return table.render().split(separator: "\n").map { indent + $0 }.joined(separator: "\n") + "\n"
    }

    /// `voters [1/1, 2/1] learners [4/9f2c]`, or the row's problem.
    static func members(_ row: InspectedMembership) -> String {
        if let problem = row.problem { return "CORRUPT: \(problem)" }
        guard let membership = row.membership else { return "?" }
        return members(membership)
    }

    static func members(_ membership: Membership) -> String {
        "voters [\(membership.voters.map(\.description).joined(separator: ", "))]"
            + (membership.learners.isEmpty ? "" : " learners [\(membership.learners.map(\.description).joined(separator: ", "))]")
    }
}

extension VerifyResult {
    /// `ok (…)` or `FAILED [check] slot N: reason`.
    package func outcome() -> String {
        if let failure {
            return "FAILED [\(failure.check.rawValue)] " + (failure.slot.map { "slot \($0): " } ?? "") + failure.reason
        }
        let explained = rowsExplained.map { "; \($0) rows written above it explained by their slots' commands" } ?? ""
        let replay = replayedThrough.map { $0 == .zero ? "no slot applied, and the tables are empty" : "kv table equals a replay of slots 1…\($0)" }
            ?? "full replay skipped: \(replaySkipped ?? "not run")\(explained)"
        let memberships = membershipsChecked == 0 ? "" : ", \(membershipsChecked) membership\(membershipsChecked == 1 ? "" : "s")"
        return "ok (\(rowsChecked) log rows, \(keysChecked) keys, \(sessionsChecked) sessions\(memberships) checked; \(replay))"
    }

    package func text() -> String { "\(path)\(placement.suffix): \(outcome())\n" }
}

extension LogListing {
    package func text() -> String {
        var table = TextTable(["SLOT", "BALLOT", "CHOSEN", "COMMAND"], rightAligned: [0])
        for row in rows {
            let command = row.problem.map { "CORRUPT: \($0)" } ?? row.command.map(CommandDisplay.describe) ?? "?"
            table.append(["\(row.slot)", "\(row.ballot)", row.chosen ? "yes" : "-", command])
        }
        var text = rows.isEmpty ? "" : table.render()
        text += "\(rows.count) row\(rows.count == 1 ? "" : "s") of \(path)\(placement.suffix)"
        text += filter == .all ? "" : " (\(filter == .chosen ? "chosen only" : "accepted, not chosen, only"))"
        if let continuesAt { text += "; limit reached, more from slot \(continuesAt) (use --from \(continuesAt))" }
        let problems = problems.count
        if problems > 0 { text += "\n\(problems) row\(problems == 1 ? " is" : "s are") CORRUPT" }
        return text + "\n"
    }
}

extension KeyValueListing {
    package func text() -> String {
        var table = TextTable(["KEY", "REVISION", "EXPIRES", "SIZE", "VALUE"], rightAligned: [1, 3])
        for row in keys {
            table.append([BytesDisplay.quoted(row.key, limit: 64), "rev \(row.revisionText)", row.expireAt.map { "\($0) ms" } ?? "-",
                          "\(row.value.count) B", BytesDisplay.preview(row.value)])
        }
        let under = prefix.isEmpty ? "" : " under \(BytesDisplay.quoted(prefix))"
        return (keys.isEmpty ? "" : table.render())
            + "\(keys.count) key\(keys.count == 1 ? "" : "s")\(under) in \(path)\(placement.suffix), applied through slot \(appliedThrough)\n"
    }
}

extension DiffReport {
    /// The reports of every group compared: one group's report alone as it always read; for
    /// groups of a node running several, one section per group and an overall result.
    package static func text(_ reports: [DiffReport]) -> String {
        if reports.count == 1, reports[0].placement.isSingle { return reports[0].text() }
        let failed = reports.filter { !$0.ok }.map(\.placement.description)
        let result = failed.isEmpty
            ? "result: ok (\(reports.count) group\(reports.count == 1 ? "" : "s") compared)"
            : "result: FAILED in " + failed.joined(separator: ", ")
        return reports.map { $0.text() }.joined(separator: "\n") + "\n" + result + "\n"
    }

    /// One group's report; the group is named in the header, the safety violations and the
    /// result when the nodes run several.
    package func text() -> String {
        let group = placement.isSingle ? "" : "\(placement), "
        var table = TextTable(["NODE", "REPLICA", "CHOSEN", "APPLIED", "LAST SLOT", "LAG"], rightAligned: [1, 2, 3, 4])
        for node in nodes {
            let lag = node.chosenLag == 0 && node.appliedLag == 0
                ? "-" : "\(node.chosenLag) chosen, \(node.appliedLag) applied slots behind"
            table.append([node.path, "\(node.replicaID)", "\(node.chosenThrough)", "\(node.appliedThrough)",
                          node.lastSlot.map { "\($0)" } ?? "-", lag])
        }
        var lines = placement.isSingle ? [] : [placement.description]
        lines.append(String(table.render().dropLast()))
        for disagreement in disagreements {
            lines.append("!!! SAFETY VIOLATION: \(group)slot \(disagreement.slot) is chosen with different commands on different nodes !!!")
            for value in disagreement.values {
                let holders = zip(value.nodes, value.ballots).map { "\(nodes[$0].path) (ballot \($1))" }.joined(separator: ", ")
                lines.append("    \(holders):")
                lines.append("        " + (value.command.map(CommandDisplay.describe) ?? "0x" + BytesDisplay.hex(value.commandBytes)))
            }
        }
        if disagreementCount > disagreements.count {
            lines.append("!!! \(group)\(disagreementCount - disagreements.count) more slots disagree (only the first \(disagreements.count) are shown) !!!")
        }
        for disagreement in membershipDisagreements {
            lines.append("!!! SAFETY VIOLATION: \(group)the membership from slot \(disagreement.fromSlot) differs between nodes !!!")
            for value in disagreement.values {
                let chosen = value.chosenInSlot == .zero ? "genesis" : "chosen in slot \(value.chosenInSlot)"
                lines.append("    " + value.nodes.map { nodes[$0].path }.joined(separator: ", ") + " (\(chosen)):")
                lines.append("        " + (value.membership.map { "epoch \($0.epoch): " + MembershipDisplay.members($0) }
                    ?? "0x" + BytesDisplay.hex(value.membershipBytes)))
            }
        }
        let agreement = disagreementCount == 0 ? "all agree" : "\(disagreementCount) DISAGREE"
        lines.append("agreement: \(comparedSlots) slot\(comparedSlots == 1 ? "" : "s") chosen on two or more nodes; \(agreement)")
        if comparedMemberships > 0 || !membershipDisagreements.isEmpty {
            let differ = membershipDisagreements.isEmpty ? "all agree" : "\(membershipDisagreements.count) DIFFER"
            lines.append("memberships: \(comparedMemberships) recorded on two or more nodes; \(differ)")
        }
        lines.append("kv tables: baseline \(nodes[kvBaseline].path), applied through the common slot \(commonApplied)")
        for result in kv {
            let status = switch result.status {
            case .agree: "agree"
            case .differ(let reason): "DIFFER: \(reason)"
            case .notComparable(let reason): "not comparable: \(reason)"
            }
            let compared = result.replayed.map {
                "its applied slot is \($0.upperBound): compared with the baseline's tables advanced by its own chosen slots \($0.lowerBound)…\($0.upperBound)"
            } ?? "same applied slot: compared as stored"
            lines.append("  \(nodes[result.node].path): \(status) (\(compared))")
        }
        for problem in problems { lines.append("PROBLEM [\(problem.check.rawValue)] \(problem)") }
        let result = ok ? "ok" : "FAILED"
        lines.append(placement.isSingle ? "result: \(result)" : "result for \(placement): \(result)")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension GroupPlacement {
    /// ` (group 2 of 4)` after a path; nothing for a single group, whose reports read as they
    /// did before groups existed.
    var suffix: String { isSingle ? "" : " (\(self))" }

    /// The `placement` line of a summary.
    var summary: String {
        isSingle ? "single group (no placement recorded)" : "\(self) (keys by CRC-32C, Fibonacci-hashed, mod \(groupCount))"
    }
}

/// Columns padded to their widest cell, two spaces apart; the last column is never padded.
struct TextTable {
    private let header: [String]
    private let rightAligned: Set<Int>
    private var rows: [[String]] = []

    init(_ header: [String], rightAligned: Set<Int> = []) {
        self.header = header
        self.rightAligned = rightAligned
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "a row of \(row.count) cells in a table of \(header.count) columns")
        rows.append(row)
    }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { column in
                if column == row.count - 1 { return row[column] }
                return rightAligned.contains(column)
                    ? row[column].leftPadded(to: widths[column]) : row[column].rightPadded(to: widths[column])
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Pads on the left to `width` characters, for right-aligned columns.
    func leftPadded(to width: Int, with pad: Character = " ") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    /// Pads on the right to `width` characters.
    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
