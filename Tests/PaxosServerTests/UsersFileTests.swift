// Method: users files are written to a temporary directory, by `UsersFile.write` or by hand, and
// loaded as paxosd loads them at start-up; every refusal must name the file in one sentence.
import Foundation
import PaxosAuth
import Testing

@Suite("users file")
struct UsersFileTests {
    static func temporaryPath() -> String { NSTemporaryDirectory() + "paxoskv-users-\(UUID().uuidString).json" }

    static func write(_ text: String, mode: Int16 = 0o600) throws -> String {
        let path = temporaryPath()
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
        return path
    }

    static func user(_ name: String, _ role: ClientRole) -> UsersFile.User {
        .init(name: name, role: role, password: PasswordHash(password: "pw-\(name)", rounds: PasswordHash.minimumRounds))
    }

    @Test("a written file is 0600 and loads back with the same users")
    func roundTrip() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var file = UsersFile()
        try file.add(Self.user("admin", .admin), replace: false)
        try file.add(Self.user("writer", .readWrite), replace: false)
        try file.write(path: path)
        let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let loaded = try UsersFile.load(path: path)
        #expect(loaded == file)
        #expect(loaded.user(named: "writer")?.password.verify("pw-writer") == true)
    }

    @Test("adding a user twice is refused unless replacing")
    func duplicates() throws {
        var file = UsersFile(users: [Self.user("admin", .admin)])
        let error = #expect(throws: UsersFileError.self) { try file.add(Self.user("admin", .readOnly), replace: false) }
        #expect(error?.description.contains("--replace") == true)
        try file.add(Self.user("admin", .readOnly), replace: true)
        #expect(file.users.count == 1 && file.users[0].role == .readOnly)
    }

    @Test("invalid user names are refused", arguments: ["", "a b", "a/b", "ümlaut", String(repeating: "x", count: 65)])
    func names(name: String) {
        var file = UsersFile()
        #expect(throws: UsersFileError.self) { try file.add(Self.user(name, .admin), replace: false) }
    }

    @Test("start-up refusals name the file", arguments: [
        ("{\"users\": [{\"name\": \"r\", \"role\": \"read-only\", \"password\": \"HASH\"}]}", "no admin"),
        ("{\"users\": [", "not valid"),
        ("{\"users\": [{\"name\": \"a\", \"role\": \"root\", \"password\": \"HASH\"}]}", "not valid"),
        ("{\"users\": [{\"name\": \"a\", \"role\": \"admin\", \"password\": \"plaintext\"}]}", "not valid"),
        ("{\"users\": [{\"name\": \"a\", \"role\": \"admin\", \"password\": \"HASH\"}, {\"name\": \"a\", \"role\": \"admin\", \"password\": \"HASH\"}]}", "twice"),
    ])
    func refusals(text: String, reason: String) throws {
        let hash = PasswordHash(password: "x", rounds: PasswordHash.minimumRounds).description
        let path = try Self.write(text.replacingOccurrences(of: "HASH", with: hash))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: UsersFileError.self) { try UsersFile.load(path: path) }
        #expect(error?.description.contains(path) == true, "\(String(describing: error))")
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("a file others may write is refused, a missing one too", arguments: [Int16(0o620), 0o602, 0o666])
    func writableByOthers(mode: Int16) throws {
        let hash = PasswordHash(password: "x", rounds: PasswordHash.minimumRounds).description
        let path = try Self.write("{\"users\": [{\"name\": \"a\", \"role\": \"admin\", \"password\": \"\(hash)\"}]}", mode: mode)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: UsersFileError.self) { try UsersFile.load(path: path) }
        #expect(error?.description.contains("chmod 600") == true)
        let missing = #expect(throws: UsersFileError.self) { try UsersFile.load(path: path + ".absent") }
        #expect(missing?.description.contains("paxosctl user add") == true)
    }

    @Test("roles are ordered read-only < read-write < admin")
    func roleOrder() {
        #expect(ClientRole.readOnly < .readWrite && ClientRole.readWrite < .admin)
        #expect(ClientRole.allCases.sorted() == [.readOnly, .readWrite, .admin])
    }
}
