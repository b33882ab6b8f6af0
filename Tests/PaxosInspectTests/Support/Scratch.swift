// A scratch directory per test, and copies of databases to damage. No test logic lives here.

import Foundation

/// A directory of its own under the system temporary directory, deleted with everything in it
/// when the test ends (`withScratch`).
struct Scratch {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-inspect-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// `root/name`, with its parent directories created.
    func path(_ name: String) throws -> String {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return url.path
    }

    /// A node directory `root/name` holding a copy of `database` (a closed database: the file
    /// alone holds every row) under the name a node uses.
    func copyNode(_ database: String, to name: String) throws -> String {
        let directory = try path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: database, toPath: directory + "/paxos.sqlite")
        return directory
    }

    /// A copy of the directory `source` (closed databases) as `root/name`.
    func copyDirectory(_ source: String, to name: String) throws -> String {
        let target = try path(name)
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let target = try path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// Runs `body` in a fresh scratch directory and deletes it afterwards.
func withScratch<T>(_ body: (Scratch) throws -> T) throws -> T {
    let scratch = try Scratch()
    defer {
        // A directory left behind is litter in /tmp, never a wrong result.
        do { try FileManager.default.removeItem(at: scratch.root) } catch {}
    }
    return try body(scratch)
}

/// Every byte of a file, or nil when there is no such file.
func fileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}

/// `text` with every run of spaces made one, so a test can look for a table row without caring
/// how wide its columns came out.
func squeezed(_ text: String) -> String {
    text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
}
