// Method: hand the reader inputs it cannot use — nothing at the path, a directory without a
// database, files that are not SQLite, an SQLite file PaxosKV did not write, a PaxosKV file of a
// newer schema, a file missing a table or its meta row — and check that each is refused with an
// InspectionError of the right kind whose one-line message names the file and the reason,
// never a crash, and that the file is left as it was.

import Foundation
import PaxosCore
import PaxosInspectKit
@testable import PaxosStorage
import Testing

@Suite("inspect: unusable input")
struct RefusalTests {
    struct Input: Sendable, CustomStringConvertible {
        var name: String
        var kind: InspectionError.Kind
        var reason: String
        /// Makes the input in the scratch directory; returns the argument to pass.
        var make: @Sendable (Scratch) throws -> String

        var description: String { name }
    }

    /// The standard leader's database, copied into `name`, then changed by `sql`.
    static func altered(_ scratch: Scratch, _ sql: String) throws -> String {
        let node = try Nodes.standardCluster(in: scratch)[0]
        let copy = try scratch.copyNode(node + "/paxos.sqlite", to: "altered")
        try Surgeon.operate(on: copy + "/paxos.sqlite") { try $0.execute(sql) }
        return copy
    }

    static let inputs: [Input] = [
        Input(name: "nothing at the path", kind: .missing, reason: "no such file or directory") { try $0.path("absent") },
        Input(name: "a directory without paxos.sqlite", kind: .missing, reason: "holds no paxos.sqlite") { scratch in
            let directory = try scratch.path("empty-node")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return directory
        },
        Input(name: "a text file", kind: .notSQLite, reason: "not an SQLite file") {
            try $0.write(Array("key=value\n".utf8), to: "notes.txt")
        },
        Input(name: "an empty file", kind: .notPaxosKV, reason: "the file is empty") { try $0.write([], to: "empty.sqlite") },
        Input(name: "a truncated SQLite header", kind: .notSQLite, reason: "not an SQLite file") {
            try $0.write(Array("SQLite for".utf8), to: "short.sqlite")
        },
        Input(name: "another application's SQLite file", kind: .notPaxosKV, reason: "application id 0x0") { scratch in
            let path = try scratch.path("other.sqlite")
            try Surgeon.operate(on: path) { try $0.execute("CREATE TABLE t (x); INSERT INTO t VALUES (1)") }
            return path
        },
        Input(name: "a newer schema version", kind: .unsupportedSchema, reason: "newer PaxosKV software") {
            try altered($0, "PRAGMA user_version = 7")
        },
        Input(name: "a newer schema version in the meta row", kind: .unsupportedSchema, reason: "schema version 8") {
            try altered($0, "UPDATE meta SET schema_version = 8")
        },
        Input(name: "a missing table", kind: .damaged, reason: "table 'sessions' is missing") {
            try altered($0, "DROP TABLE sessions")
        },
        Input(name: "a missing meta row", kind: .damaged, reason: "meta row is missing") {
            try altered($0, "DELETE FROM meta")
        },
    ]

    @Test("refusal: each unusable input is an InspectionError naming the file and the reason", arguments: inputs)
    func refused(_ input: Input) throws {
        try withScratch { scratch in
            let argument = try input.make(scratch)
            let before = fileBytes(argument)
            do throws(InspectionError) {
                let reader = try InspectionReader.open(argument)
                reader.close()
                Issue.record("\(input) was opened")
            } catch {
                #expect(error.kind == input.kind, "\(error)")
                #expect(error.description.hasPrefix(argument), "\(error)")
                #expect(error.reason.contains(input.reason), "\(error)")
                #expect(!error.description.contains("\n"))
            }
            #expect(fileBytes(argument) == before, "refusing MUST NOT change the file")
            let output = InspectionCommands.summary([argument])
            #expect(output.status == .unusableInput && output.errors.count == 1)
        }
    }

    @Test("refusal: with several databases, summary and verify report the usable ones and exit 2")
    func mixedInputs() throws {
        try withScratch { scratch in
            let nodes = try Nodes.standardCluster(in: scratch)
            let missing = try scratch.path("nowhere")
            let output = InspectionCommands.verify([nodes[0], missing, nodes[1]])
            #expect(output.status == .unusableInput)
            #expect(output.errors.map(\.path) == [missing])
            #expect(output.text.components(separatedBy: "\n").filter { $0.contains(": ok (") }.count == 2, "\(output.text)")
            let diff = InspectionCommands.diff([nodes[0], missing])
            #expect(diff.status == .unusableInput && diff.text.isEmpty)
        }
    }
}
