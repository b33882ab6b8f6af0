import Crypto
import Synchronization

/// Answers "is this the password of this user, and what may they do?" for a loaded users file.
///
/// **Cache.** Clients that reconnect often (a pool, a script per request) would pay the PBKDF2
/// cost (`PasswordHash.defaultRounds`) on every connection. A successful verification of
/// (user, stored hash) records an HMAC-SHA-256 of the password under a random per-process key;
/// the same password for the same user and hash then verifies by one HMAC. Wrong passwords are
/// never cached, so guessing always pays full price. The cache holds at most one entry per user.
///
/// An unknown user is checked against a dummy hash of the same cost, so the time a refusal
/// takes does not tell which user names exist.
///
/// Thread-safe: the cache is behind a `Mutex`, and verification runs outside it.
public final class UserDirectory: Sendable {
    public let file: UsersFile
    private let cacheKey: [UInt8]
    private let cache = Mutex<[String: Verified]>([:])
    private let dummy: PasswordHash

    private struct Verified: Sendable {
        var hash: PasswordHash
        var mac: [UInt8]
    }

    public init(_ file: UsersFile) {
        self.file = file
        var generator = SystemRandomNumberGenerator()
        cacheKey = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        dummy = PasswordHash(password: "paxoskv: no such user", rounds: PasswordHash.defaultRounds)
    }

    /// The role of `name` if `password` is theirs, else nil. Costs one PBKDF2 run unless this
    /// exact (user, hash, password) verified before.
    public func verify(user name: String, password: [UInt8]) -> ClientRole? {
        guard let user = file.user(named: name) else {
            _ = dummy.verify(password)
            return nil
        }
        let mac = Array(HMAC<SHA256>.authenticationCode(for: password, using: SymmetricKey(data: cacheKey)))
        let cached = cache.withLock { $0[name] }
        if let cached, cached.hash == user.password, PasswordHash.constantTimeEqual(cached.mac, mac) {
            return user.role
        }
        guard user.password.verify(password) else { return nil }
        cache.withLock { $0[name] = Verified(hash: user.password, mac: mac) }
        return user.role
    }
}
