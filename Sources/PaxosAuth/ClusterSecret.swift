import Crypto
import Foundation

/// The key every member of a cluster shares and nobody else has: peers prove they hold it in
/// their handshake (`PeerHandshake`), so a process that can merely reach a peer port cannot
/// speak for a member.
///
/// The secret lives in a file of its own (`secretFile` in the cluster configuration), made once
/// when the cluster is created (`tools/cluster up` writes 32 random bytes, hex-encoded). The
/// file's text, without surrounding whitespace, is the key material. Like ssh with a private
/// key, a node refuses a secret file that other users may read or write: a secret that leaked
/// is no secret, and saying so at start-up is cheaper than finding out after an attack.
public struct ClusterSecret: Sendable {
    /// HMAC key material. Kept as bytes (swift-crypto's `SymmetricKey` is not `Sendable` on
    /// every platform); `key` wraps it per use. - Invariant: at least `minimumBytes` bytes.
    let material: [UInt8]
    var key: SymmetricKey { SymmetricKey(data: material) }

    /// 32 hex characters carry 128 bits; anything shorter is a password, not a key.
    public static let minimumBytes = 32

    public init(_ material: [UInt8]) throws(ClusterSecretError) {
        let count = material.count
        guard count >= Self.minimumBytes else {
            throw ClusterSecretError("the cluster secret is \(count) bytes; use at least \(Self.minimumBytes) (e.g. `openssl rand -hex 32`)")
        }
        self.material = material
    }

    /// Reads the secret from `path`, refusing a missing, empty, short or group/world-accessible
    /// file with one sentence that says what to do.
    public static func load(path: String) throws(ClusterSecretError) -> ClusterSecret {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw ClusterSecretError("cluster secret \(path) cannot be read (\(error.localizedDescription)); create it once per cluster with `umask 077; openssl rand -hex 32 > \(path)` and copy it to every node (tools/cluster up does this for a local cluster)")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0 {
            throw ClusterSecretError("cluster secret \(path) is accessible to other users (mode \(String(mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClusterSecretError("cluster secret \(path) cannot be read")
        }
        let trimmed = Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        do {
            return try ClusterSecret(trimmed)
        } catch {
            throw ClusterSecretError("cluster secret \(path): \(error.description)")
        }
    }
}

/// Why a cluster secret could not be used; one sentence that names the file and the fix.
public struct ClusterSecretError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
