import Crypto
import Foundation
import _CryptoExtras

/// A salted, slow hash of a client's password, as the users file stores it:
/// `pbkdf2-sha256$<rounds>$<salt, base64>$<hash, base64>`.
///
/// PBKDF2-HMAC-SHA-256 (RFC 8018) from swift-crypto's `_CryptoExtras`, a random 16-byte salt per
/// password and a 32-byte output. The string names its algorithm and round count, so a file
/// written with more rounds later still verifies old entries, and `paxosctl user add --replace`
/// upgrades one password at a time.
///
/// **Rounds.** `defaultRounds` is 10,000: about 5 ms per verification in a release build on a
/// busy 2-core machine (docs/ARCHITECTURE.md, "Clients: AUTH, roles, protected mode and BACKUP"). That is far below OWASP's 600,000 for PBKDF2-SHA-256, on purpose: a node
/// verifies on its AUTH thread for every connection, and the threat the slow hash answers (a
/// stolen users file, guessed offline) is already narrowed by the file being 0600 next to the
/// node's data. swift-crypto's checked API refuses fewer than 210,000 rounds, so this type calls
/// the unchecked variant and enforces its own floor, `minimumRounds`. Operators who want more
/// write entries with more rounds; the node verifies whatever the string says, up to
/// `maximumRounds`, so a hostile file cannot make one AUTH take minutes.
public struct PasswordHash: Hashable, Sendable, CustomStringConvertible {
    public static let algorithm = "pbkdf2-sha256"
    public static let defaultRounds = 10_000
    public static let minimumRounds = 1_000
    public static let maximumRounds = 10_000_000
    static let saltBytes = 16
    static let hashBytes = 32

    public let rounds: Int
    let salt: [UInt8]
    let hash: [UInt8]

    /// Hashes `password` with a fresh random salt.
    public init(password: String, rounds: Int = PasswordHash.defaultRounds) {
        precondition((Self.minimumRounds...Self.maximumRounds).contains(rounds), "PBKDF2 rounds \(rounds) out of range")
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        self.init(rounds: rounds, salt: salt, hash: Self.derive(Array(password.utf8), salt: salt, rounds: rounds))
    }

    init(rounds: Int, salt: [UInt8], hash: [UInt8]) {
        self.rounds = rounds
        self.salt = salt
        self.hash = hash
    }

    /// Parses the stored form, refusing anything but a well-formed `pbkdf2-sha256` string.
    public init(parsing text: String) throws(PasswordHashError) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0] == Self.algorithm else {
            throw PasswordHashError("expected \(Self.algorithm)$<rounds>$<salt>$<hash>")
        }
        guard let rounds = Int(fields[1]), (Self.minimumRounds...Self.maximumRounds).contains(rounds) else {
            throw PasswordHashError("rounds '\(fields[1])' is not a number from \(Self.minimumRounds) to \(Self.maximumRounds)")
        }
        guard let salt = Data(base64Encoded: String(fields[2])), salt.count >= 8 else {
            throw PasswordHashError("the salt is not base64 of at least 8 bytes")
        }
        guard let hash = Data(base64Encoded: String(fields[3])), hash.count == Self.hashBytes else {
            throw PasswordHashError("the hash is not base64 of \(Self.hashBytes) bytes")
        }
        self.init(rounds: rounds, salt: Array(salt), hash: Array(hash))
    }

    public var description: String {
        "\(Self.algorithm)$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(hash).base64EncodedString())"
    }

    /// Whether `password` is the one hashed. Costs one PBKDF2 run of `rounds`; the comparison
    /// takes the same time wherever the bytes differ.
    public func verify(_ password: [UInt8]) -> Bool {
        Self.constantTimeEqual(Self.derive(password, salt: salt, rounds: rounds), hash)
    }

    public func verify(_ password: String) -> Bool { verify(Array(password.utf8)) }

    static func derive(_ password: [UInt8], salt: [UInt8], rounds: Int) -> [UInt8] {
        do {
            // The unchecked variant: the checked one insists on 210,000 rounds (see the type's
            // comment for why this type picks fewer and enforces its own floor).
            let key = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: .sha256,
                                                        outputByteCount: hashBytes, unsafeUncheckedRounds: rounds)
            return key.withUnsafeBytes { Array($0) }
        } catch {
            // BoringSSL fails only on allocation failure or absurd parameters, both excluded here.
            preconditionFailure("PBKDF2 failed: \(error)")
        }
    }

    /// Compares two byte strings in time that depends only on their lengths.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Why a stored password hash cannot be used.
public struct PasswordHashError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
