// Method: a secret file is written to a temporary directory with a given mode and content, and
// loading it must either succeed or refuse with a sentence naming the file.
import Foundation
import PaxosAuth
import Testing

@Suite("cluster secret")
struct ClusterSecretTests {
    static func write(_ text: String, mode: Int16) throws -> String {
        let path = NSTemporaryDirectory() + "paxoskv-secret-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
        return path
    }

    @Test("a 0600 file of 64 hex characters loads")
    func loads() throws {
        let path = try Self.write(String(repeating: "ab", count: 32) + "\n", mode: 0o600)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: Never.self) { try ClusterSecret.load(path: path) }
    }

    @Test("a file others may read is refused", arguments: [Int16(0o644), 0o640, 0o606])
    func refusesOpenModes(mode: Int16) throws {
        let path = try Self.write(String(repeating: "ab", count: 32), mode: mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ClusterSecretError.self) { try ClusterSecret.load(path: path) }
        #expect(error?.description.contains("chmod 600") == true)
    }

    @Test("a short secret and a missing file are refused with the path named")
    func refusesShortAndMissing() throws {
        let path = try Self.write("short\n", mode: 0o600)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let short = #expect(throws: ClusterSecretError.self) { try ClusterSecret.load(path: path) }
        #expect(short?.description.contains(path) == true)
        let missing = #expect(throws: ClusterSecretError.self) { try ClusterSecret.load(path: path + ".absent") }
        #expect(missing?.description.contains("openssl rand") == true)
    }
}
