// Method: lay out data/nodes as `tools/cluster up 3` leaves it — node directories written by the
// real storage layer, and beside them the launcher's own files (cluster.args, cluster.size,
// cluster-3.json) and an empty directory — then run the commands over the whole glob, as the
// README's `paxos-inspect diff data/nodes/*` does, and over each stray alone. Among several
// arguments the strays MUST be skipped with one note each and change neither the result nor the
// exit status; named alone, or where the command would be left without enough databases, they
// MUST still be unusable input (docs/paxos-inspect.md "Exit status").

import Foundation
import PaxosCore
import PaxosInspectKit
import PaxosStorage
import Testing

@Suite("inspect: launcher files next to node directories")
struct LauncherFilesTests {
    /// The standard cluster in `scratch/nodes/<n>`, with the launcher's files and an empty
    /// directory beside them: every entry of `nodes/`, sorted as a shell glob lists them.
    static func launcherLayout(in scratch: Scratch) throws -> (nodes: [String], strays: [String], glob: [String]) {
        let nodes = try Nodes.standardCluster(in: scratch)
        let strays = [
            try scratch.write(Array("--groups 1\n".utf8), to: "nodes/cluster.args"),
            try scratch.write(Array("3\n".utf8), to: "nodes/cluster.size"),
            try scratch.write(Array("{\"replicas\": []}\n".utf8), to: "nodes/cluster-3.json"),
            try scratch.write([], to: "nodes/empty.log"),
        ]
        let empty = try scratch.path("nodes/old")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        return (nodes, strays + [empty], (nodes + strays + [empty]).sorted())
    }

    static let fileNote = "neither a database nor a node directory: it is not an SQLite file"

    @Test("launcher files: diff, summary and verify over data/nodes/* skip them with one note each and pass")
    func globSkipsStrays() throws {
        try withScratch { scratch in
            let (nodes, strays, glob) = try Self.launcherLayout(in: scratch)
            let expectedNotes = glob.filter(strays.contains).map { path in
                "skipped \(path): " + (path.hasSuffix("empty.log") ? "neither a database nor a node directory: the file is empty"
                    : path.hasSuffix("/old") ? "not a node directory: it holds no paxos.sqlite nor any group-<g>.sqlite"
                    : Self.fileNote)
            }
            let diff = InspectionCommands.diff(glob)
            #expect(diff.status == .ok, "\(diff.text)\(diff.errors)")
            #expect(diff.errors.isEmpty)
            #expect(diff.notes == expectedNotes)
            #expect(diff.text == InspectionCommands.diff(nodes).text, "skipping MUST NOT change the report")

            for output in [InspectionCommands.summary(glob), InspectionCommands.verify(glob)] {
                #expect(output.status == .ok, "\(output.text)\(output.errors)")
                #expect(output.errors.isEmpty && output.notes == expectedNotes)
            }
            #expect(InspectionCommands.verify(glob).json.rendered() == InspectionCommands.verify(nodes).json.rendered())
        }
    }

    @Test("launcher files: named alone, or leaving diff fewer than two databases, a stray is unusable input")
    func straysAloneFail() throws {
        try withScratch { scratch in
            let (nodes, strays, _) = try Self.launcherLayout(in: scratch)
            let alone = InspectionCommands.summary([strays[0]])
            #expect(alone.status == .unusableInput && alone.notes.isEmpty)
            #expect(alone.errors.map(\.description) == ["\(strays[0]): not a PaxosKV database: it is not an SQLite file"])

            let emptyDirectory = InspectionCommands.verify([strays[4]])
            #expect(emptyDirectory.status == .unusableInput)
            #expect(emptyDirectory.errors.map(\.kind) == [.missing])

            let onlyStrays = InspectionCommands.verify(Array(strays.prefix(2)))
            #expect(onlyStrays.status == .unusableInput && onlyStrays.notes.isEmpty)
            #expect(onlyStrays.errors.map(\.kind) == [.notSQLite, .notSQLite])

            let oneNode = InspectionCommands.diff([nodes[0], strays[1], strays[2]])
            #expect(oneNode.status == .unusableInput && oneNode.notes.isEmpty)
            #expect(oneNode.errors.map(\.kind) == [.notSQLite, .notSQLite])
        }
    }

    @Test("launcher files: an SQLite file PaxosKV did not write, or a missing path, is never skipped")
    func mistakesAreNotSkipped() throws {
        try withScratch { scratch in
            let (nodes, _, _) = try Self.launcherLayout(in: scratch)
            let missing = nodes[0] + "-typo"
            let diff = InspectionCommands.diff(nodes + [missing])
            #expect(diff.status == .unusableInput && diff.notes.isEmpty)
            #expect(diff.errors.map(\.description) == ["\(missing): no such file or directory"])

            let foreign = try scratch.path("nodes/other.sqlite")
            try Surgeon.operate(on: foreign) { try $0.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1)") }
            let verify = InspectionCommands.verify(nodes + [foreign])
            #expect(verify.status == .unusableInput && verify.notes.isEmpty)
            #expect(verify.errors.map(\.kind) == [.notPaxosKV])
        }
    }

    @Test("launcher files: the executable's diff over the glob exits 0 and notes each skipped file on stderr")
    func executableSkips() throws {
        try withScratch { scratch in
            let (_, strays, glob) = try Self.launcherLayout(in: scratch)
            let run = try InspectTool.run(["diff"] + glob)
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.standardOutput.contains("result: ok"), "\(run.standardOutput)")
            let lines = run.standardError.split(separator: "\n").map(String.init)
            #expect(lines.count == strays.count, "\(run.standardError)")
            #expect(lines.contains("paxos-inspect: skipped \(strays[0]): \(Self.fileNote)"), "\(run.standardError)")

            let alone = try InspectTool.run(["summary", strays[0]])
            #expect(alone.status == 2)
            #expect(alone.standardError == "paxos-inspect: \(strays[0]): not a PaxosKV database: it is not an SQLite file\n")
        }
    }
}
