import Foundation
public import PaxosCore

/// The databases a node directory holds, by their names: `paxos.sqlite` (a node of one group)
/// and `group-<g>.sqlite` (group g of a node running several). Companion files (`-wal`, `-shm`,
/// `.staging`) and anything else are not listed.
///
/// The names alone cannot tell a node running 4 groups from one running 8, so the files record
/// their placement and `SQLiteLogStore.open` checks it. What only the directory shows is a
/// node started with a count whose files are not there at all: it would create fresh, empty
/// groups beside the real ones. `refuse(groupCount:)` catches that before any file is created.
public struct NodeDatabaseFiles: Hashable, Sendable {
    public struct GroupFile: Hashable, Sendable {
        public var group: GroupID
        public var path: String
    }

    public var directory: String
    /// `<directory>/paxos.sqlite`, when it exists.
    public var single: String?
    /// The `group-<g>.sqlite` files, in group order.
    public var groups: [GroupFile]

    /// Nothing to open: a node that never started, or not a node directory.
    public var isEmpty: Bool { single == nil && groups.isEmpty }

    /// Every database, `paxos.sqlite` first, then the groups in order.
    public var paths: [String] { (single.map { [$0] } ?? []) + groups.map(\.path) }

    /// Lists the databases in `directory`; a directory that does not exist holds none.
    /// - Throws: `invalidArgument` if the directory exists but cannot be read.
    public static func list(inNodeDirectory directory: String) throws(LogStoreError) -> NodeDatabaseFiles {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            return NodeDatabaseFiles(directory: directory, single: nil, groups: [])
        }
        guard isDirectory.boolValue else { throw .invalidArgument("\(directory) is not a directory") }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .invalidArgument("cannot list \(directory): \(error.localizedDescription)")
        }
        let path = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        let groups = names.compactMap { name in GroupPlacement.group(ofFileName: name).map { GroupFile(group: $0, path: path(name)) } }
        return NodeDatabaseFiles(directory: directory, single: names.contains(GroupPlacement.singleFileName) ? path(GroupPlacement.singleFileName) : nil,
                                 groups: groups.sorted { $0.group < $1.group })
    }

    /// The file names, for messages: `paxos.sqlite, group-0.sqlite … group-3.sqlite` (a run of
    /// consecutive groups is shortened).
    public var namesDescription: String {
        var parts: [String] = single == nil ? [] : [GroupPlacement.singleFileName]
        var index = 0
        while index < groups.count {
            var end = index
            while end + 1 < groups.count && groups[end + 1].group.rawValue == groups[end].group.rawValue + 1 { end += 1 }
            let first = GroupPlacement.fileName(group: groups[index].group)
            let last = GroupPlacement.fileName(group: groups[end].group)
            parts.append(end == index ? first : end == index + 1 ? "\(first), \(last)" : "\(first) … \(last)")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }

    /// The names of the files of `groups` of a node, for messages, shortened as in
    /// `namesDescription`: `group-1.sqlite … group-3.sqlite`.
    package static func namesDescription(ofGroups groups: [GroupID]) -> String {
        let files = groups.map { GroupFile(group: $0, path: GroupPlacement.fileName(group: $0)) }
        return NodeDatabaseFiles(directory: "", single: nil, groups: files).namesDescription
    }

    /// Refuses to let a node running `groupCount` groups use this directory when it holds the
    /// databases of another count: `paxos.sqlite` for several groups, `group-<g>.sqlite` files for
    /// one, or a group the count does not have. The message names the count the files were
    /// written for (read from one of them) and the flag to start with. A file whose name fits but
    /// whose recorded placement does not is refused by `SQLiteLogStore.open`.
    ///
    /// - Precondition: `1 <= groupCount <= GroupMap.maxGroups`.
    /// - Throws: `.foreign(path: directory, …)`, or the errors of reading the placement.
    public func refuse(groupCount: UInt32) throws(LogStoreError) {
        let wanted = GroupPlacement(groupCount: groupCount, group: 0)
        let strangers: NodeDatabaseFiles
        if groupCount == 1 {
            strangers = NodeDatabaseFiles(directory: directory, single: nil, groups: groups)
        } else {
            strangers = NodeDatabaseFiles(directory: directory, single: single, groups: groups.filter { $0.group.rawValue >= groupCount })
        }
        guard let first = strangers.paths.first else { return }
        let recorded = try SQLiteLogStore.recordedPlacement(ofDatabase: first)
        guard recorded.groupCount != groupCount else {
            throw .foreign(path: directory, reason: "its \((first as NSString).lastPathComponent) holds \(recorded), "
                + "whose file is \(recorded.fileName); move it back")
        }
        throw .foreign(path: directory, reason: "it holds \(strangers.namesDescription), written by a node that runs \(recorded.running), "
            + "and this node runs \(wanted.running): a different group count would move keys to groups that never saw their "
            + "history; \(recorded.startHint)")
    }
}

extension SQLiteLogStore {
    /// The group placement the database at `path` records (`.single` when it records none),
    /// without opening it as a node would: nothing is created or converted.
    /// - Throws: the errors of `open` for a file that is not a PaxosKV database of this version
    ///   or one it migrates (the `placement` table is the same in all of them), `.corrupt` for a
    ///   placement row that names no placement.
    public static func recordedPlacement(ofDatabase path: String) throws(LogStoreError) -> GroupPlacement {
        // Read-write without create, as `backup` does: a read-only connection cannot open a WAL
        // database whose -shm file is gone. Nothing is written through it.
        let database: SQLiteDatabase
        do { database = try SQLiteDatabase(path: path, mode: .readWrite) } catch { throw .sqlite(path: path, error) }
        defer { database.close() }
        let setup = SchemaSetup(database: database, path: path)
        try setup.identify(migrating: true)
        return try setup.readPlacement()
    }
}
