import Foundation
package import PaxosCore
package import PaxosStorage

/// The database files one command-line argument of `paxos-inspect` names.
///
/// - A file is itself, whatever its name (a copy, a backup).
/// - A node directory is every database in it: `paxos.sqlite` for a node of one group,
///   `group-0.sqlite` … `group-<G-1>.sqlite` for a node of G groups (`NodeDatabaseFiles`).
/// - With `--group g`, a node directory is its `group-<g>.sqlite`; `--group 0` also names the
///   `paxos.sqlite` of a single-group node, which holds group 0 of 1, so a script may pass
///   `--group 0` to every node whatever its group count.
package struct InspectionTarget: Hashable, Sendable {
    package var argument: String
    package var paths: [String]
    /// The node directory's databases, when the argument is one and no `--group` picked a file
    /// of it: they are the whole node and are checked together (`directoryProblems`).
    package var node: NodeDatabaseFiles?

    package static func resolve(_ argument: String, group: GroupID?) throws(InspectionError) -> InspectionTarget {
        guard !argument.isEmpty else { throw InspectionError(.missing, path: "''", reason: "an empty path names no database") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw InspectionError(.missing, path: argument, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return InspectionTarget(argument: argument, paths: [argument], node: nil) }
        let files: NodeDatabaseFiles
        do { files = try NodeDatabaseFiles.list(inNodeDirectory: argument) } catch {
            throw InspectionError(.unreadable, path: argument, reason: "cannot list the node directory (\(error))")
        }
        guard !files.isEmpty else {
            throw InspectionError(.missing, path: argument, reason: "not a node directory: it holds no \(GroupPlacement.singleFileName) "
                + "nor any group-<g>.sqlite")
        }
        guard let group else { return InspectionTarget(argument: argument, paths: files.paths, node: files) }
        if let file = files.groups.first(where: { $0.group == group }) {
            return InspectionTarget(argument: argument, paths: [file.path], node: nil)
        }
        if group == 0, files.groups.isEmpty, let single = files.single {
            return InspectionTarget(argument: argument, paths: [single], node: nil)
        }
        throw InspectionError(.missing, path: argument, reason: "it holds no \(GroupPlacement.fileName(group: group)) "
            + "(--group \(group)); it holds \(files.namesDescription)")
    }

    /// Why a command that reads one database cannot take this argument: it names several.
    /// - Precondition: `paths.count > 1`, so the argument is a node directory.
    package func ambiguity() -> InspectionError {
        precondition(paths.count > 1, "one database is no ambiguity")
        let what = node?.single == nil ? "groups" : "databases"
        return InspectionError(.usage, path: argument, reason: "it holds \(paths.count) \(what) (\(node?.namesDescription ?? "")); "
            + "name one with --group")
    }

    /// What keeps the databases of one node directory from being a node: files that record
    /// different group counts (`.placement`), or groups of the recorded count whose files are
    /// missing (`.missing`). `placements` are those of the files that could be read; a file that
    /// could not is reported on its own and not counted missing here.
    package func directoryProblems(_ placements: [String: GroupPlacement]) -> [InspectionError] {
        guard let node else { return [] }
        let name = { (path: String) in (path as NSString).lastPathComponent }
        let read = node.paths.compactMap { path in placements[path].map { (name(path), $0) } }
        let counts = Set(read.map(\.1.groupCount))
        guard counts.count <= 1 else {
            let listed = read.map { "\($0.0) \($0.1.running)" }.joined(separator: ", ")
            return [InspectionError(.placement, path: argument, reason: "its databases were written for different group counts "
                + "(\(listed)): a node runs one count and opens only the files of it")]
        }
        guard let count = counts.first, count > 1 else { return [] }
        let present = Set(node.groups.map(\.group))
        let missing = GroupID.all(count: count).filter { !present.contains($0) }
        guard !missing.isEmpty else { return [] }
        let names = NodeDatabaseFiles.namesDescription(ofGroups: missing)
        return [InspectionError(.missing, path: argument, reason: "it holds \(present.count) of the \(count) groups its databases "
            + "record: \(names) \(missing.count == 1 ? "is" : "are") missing")]
    }
}

extension InspectionTarget {
    /// Why `argument` is plainly nothing to inspect, or nil when it may be something: a file that
    /// is no database at all (not SQLite, or empty), or a directory that holds no database. A
    /// shell glob such as `data/nodes/*` also names the files the cluster launcher keeps there
    /// (`cluster.args`, `cluster.size`, `cluster-3.json`), and commands given several arguments
    /// skip these (`InspectionCommands`). A missing or unreadable path and an SQLite file PaxosKV
    /// did not write are never skipped: they are mistakes, reported when the argument is opened.
    package static func skipReason(_ argument: String) -> String? {
        var isDirectory: ObjCBool = false
        guard !argument.isEmpty, FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            let files: NodeDatabaseFiles
            // Not skipped: `resolve` lists the directory again and reports why it cannot.
            do { files = try NodeDatabaseFiles.list(inNodeDirectory: argument) } catch { return nil }
            guard files.isEmpty else { return nil }
            return "not a node directory: it holds no \(GroupPlacement.singleFileName) nor any group-<g>.sqlite"
        }
        do throws(InspectionError) {
            try InspectionReader.checkHeader(argument)
            return nil
        } catch {
            switch error.kind {
            case .notSQLite: return "neither a database nor a node directory: it is not an SQLite file"
            case .notPaxosKV: return "neither a database nor a node directory: the file is empty"
            // Not skipped: opening it reports the same error.
            default: return nil
            }
        }
    }
}

extension InspectionReader {
    /// Opens the one database a command-line argument names: a database file, or a node
    /// directory holding `paxos.sqlite` or one `group-<g>.sqlite`; with `group`, the directory's
    /// `group-<g>.sqlite` (`InspectionTarget.resolve`). A directory of several groups without
    /// `group` is a usage error that lists them.
    package static func open(_ argument: String, group: GroupID? = nil) throws(InspectionError) -> InspectionReader {
        let target = try InspectionTarget.resolve(argument, group: group)
        guard target.paths.count == 1 else { throw target.ambiguity() }
        return try openFile(target.paths[0], group: group)
    }
}

/// `diff` over node directories: the same group of every node side by side.
package enum GroupedDiff {
    /// The readers of `targets` (in argument order, each as its target opened them) arranged by
    /// group: element g holds group g of every node, in argument order. Every database must
    /// record the same group count, no node may hold a group twice, and every node must hold
    /// every group some node holds (a directory is the whole node; a file is one group).
    package static func arrange(_ readers: [[InspectionReader]], arguments: [String]) throws(InspectionError) -> [[InspectionReader]] {
        let all = readers.flatMap { $0 }
        guard let first = all.first else { return [] }
        if let other = all.first(where: { $0.placement.groupCount != first.placement.groupCount }) {
            throw InspectionError(.placement, path: other.path, reason: "it holds \(other.placement.holding) and \(first.path) "
                + "holds \(first.placement.holding): diff compares each group across nodes that run the same number of groups")
        }
        var byNode: [[GroupID: InspectionReader]] = []
        for (index, nodeReaders) in readers.enumerated() {
            var groups: [GroupID: InspectionReader] = [:]
            for reader in nodeReaders {
                if let twin = groups[reader.placement.group] {
                    throw InspectionError(.placement, path: arguments[index], reason: "it holds \(reader.placement) twice "
                        + "(\(twin.path) and \(reader.path))")
                }
                groups[reader.placement.group] = reader
            }
            byNode.append(groups)
        }
        let groups = Set(byNode.flatMap(\.keys)).sorted()
        for (index, nodeGroups) in byNode.enumerated() {
            guard let absent = groups.first(where: { nodeGroups[$0] == nil }) else { continue }
            let placement = GroupPlacement(groupCount: first.placement.groupCount, group: absent)
            throw InspectionError(.missing, path: arguments[index], reason: "it holds no database of \(placement) "
                + "(\(placement.fileName)), which another node given holds: diff compares each group on every node")
        }
        // Every node holds every group by now, so no reader is dropped.
        return groups.map { group in byNode.compactMap { $0[group] } }
    }
}
