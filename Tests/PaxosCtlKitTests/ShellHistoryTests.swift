// Method: the shell's history against a temporary file: what is kept in the session, what is
// appended to the file and with which permissions, trimming of a long file, and an unusable
// path reported once instead of stopping the shell.

import Foundation
import PaxosCtlKit
import Testing

@Suite("shell history")
struct ShellHistoryTests {
    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("paxosctl-history-\(UUID().uuidString.prefix(8))").path
    }

    @Test("history: lines are listed numbered and appended to a private file")
    func appends() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var warnings: [String] = []
        do {
            let history = ShellHistory(path: path) { warnings.append($0) }
            history.add("PUT k v")
            history.add("GET k")
            #expect(history.listing == "1  PUT k v\n2  GET k")
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "PUT k v\nGET k\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(warnings.isEmpty)
    }

    @Test("history: a long file is trimmed to its last lines when a session opens it")
    func trims() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let old = (1...(ShellHistory.fileLinesMax + 50)).map { "GET k\($0)\n" }.joined()
        try old.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            let history = ShellHistory(path: path) { Issue.record("unexpected warning: \($0)") }
            history.add("PING")
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == ShellHistory.fileLinesMax + 1)
        #expect(lines.first == "GET k51")
        #expect(lines.last == "PING")
    }

    @Test("history: an unusable file is reported once and the session history still works")
    func unusableFile() {
        var warnings: [String] = []
        let history = ShellHistory(path: "/nonexistent-directory/history") { warnings.append($0) }
        history.add("GET k")
        history.add("GET j")
        #expect(warnings.count == 1)
        #expect(warnings.first?.hasPrefix("history file /nonexistent-directory/history not used") == true)
        #expect(history.entries == ["GET k", "GET j"])
    }
}
