// Method: PasswordHash and UsersFile are pure values over files in a temporary directory: hash
// and verify round trips, the stored string's format, tampered strings refused, and every
// start-up refusal of a users file (unreadable, malformed, writable by others, no admin) named
// in one sentence. The cost of one verification at the default rounds is printed, not asserted
// (debug builds are far slower than the release figure the docs quote).
import Foundation
import PaxosAuth
import Testing

@Suite("password hash")
struct PasswordHashTests {
    @Test("a hash verifies its password and no other")
    func verifies() {
        let hash = PasswordHash(password: "correct horse", rounds: PasswordHash.minimumRounds)
        #expect(hash.verify("correct horse"))
        #expect(!hash.verify("correct horsf"))
        #expect(!hash.verify(""))
    }

    @Test("the stored form is pbkdf2-sha256$rounds$salt$hash and parses back to an equal hash")
    func storedForm() throws {
        let hash = PasswordHash(password: "pw", rounds: 2_000)
        let text = hash.description
        let fields = text.split(separator: "$")
        #expect(fields.count == 4 && fields[0] == "pbkdf2-sha256" && fields[1] == "2000")
        #expect(Data(base64Encoded: String(fields[2]))?.count == 16)
        #expect(Data(base64Encoded: String(fields[3]))?.count == 32)
        let parsed = try PasswordHash(parsing: text)
        #expect(parsed == hash && parsed.verify("pw"))
    }

    @Test("two hashes of one password differ by their salt")
    func salted() {
        let a = PasswordHash(password: "same", rounds: PasswordHash.minimumRounds)
        let b = PasswordHash(password: "same", rounds: PasswordHash.minimumRounds)
        #expect(a != b)
        #expect(a.verify("same") && b.verify("same"))
    }

    @Test("malformed stored forms are refused", arguments: [
        "", "sha1$1000$AAAAAAAAAAAAAAAAAAAAAA==$" + String(repeating: "A", count: 43) + "=",
        "pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$" + String(repeating: "A", count: 43) + "=",
        "pbkdf2-sha256$99999999999$AAAAAAAAAAAAAAAAAAAAAA==$" + String(repeating: "A", count: 43) + "=",
        "pbkdf2-sha256$10000$not base64$" + String(repeating: "A", count: 43) + "=",
        "pbkdf2-sha256$10000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
        "pbkdf2-sha256$10000$AAAAAAAAAAAAAAAAAAAAAA==",
    ])
    func refusesMalformed(text: String) {
        #expect(throws: PasswordHashError.self) { try PasswordHash(parsing: text) }
    }

    @Test("constant-time comparison: equal only for equal bytes of equal length")
    func constantTimeEqual() {
        #expect(PasswordHash.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHash.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHash.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(PasswordHash.constantTimeEqual([], []))
    }

    @Test("the cost of one verification at the default rounds (printed)")
    func cost() {
        let hash = PasswordHash(password: "measure", rounds: PasswordHash.defaultRounds)
        let clock = ContinuousClock()
        let runs = 5
        let elapsed = clock.measure { for _ in 0..<runs { _ = hash.verify("measure") } }
        print("PasswordHash: \(PasswordHash.defaultRounds) rounds, \(elapsed / runs) per verification")
        #expect(hash.verify("measure"))
    }
}

@Suite("user directory")
struct UserDirectoryTests {
    static let file = UsersFile(users: [
        .init(name: "admin", role: .admin, password: PasswordHash(password: "a-pass", rounds: PasswordHash.minimumRounds)),
        .init(name: "reader", role: .readOnly, password: PasswordHash(password: "r-pass", rounds: PasswordHash.minimumRounds)),
    ])

    @Test("the right password gives the user's role, a wrong one or an unknown user nothing")
    func verify() {
        let directory = UserDirectory(Self.file)
        #expect(directory.verify(user: "admin", password: Array("a-pass".utf8)) == .admin)
        #expect(directory.verify(user: "reader", password: Array("r-pass".utf8)) == .readOnly)
        #expect(directory.verify(user: "reader", password: Array("a-pass".utf8)) == nil)
        #expect(directory.verify(user: "nobody", password: Array("a-pass".utf8)) == nil)
    }

    @Test("a cached success does not let another password in")
    func cacheIsPerPassword() {
        let directory = UserDirectory(Self.file)
        #expect(directory.verify(user: "admin", password: Array("a-pass".utf8)) == .admin)
        #expect(directory.verify(user: "admin", password: Array("a-pass".utf8)) == .admin)
        #expect(directory.verify(user: "admin", password: Array("a-pasS".utf8)) == nil)
        #expect(directory.verify(user: "admin", password: []) == nil)
    }
}
