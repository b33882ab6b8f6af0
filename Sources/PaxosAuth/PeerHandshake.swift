public import PaxosCore
import Crypto

/// The proofs of the peer handshake: each side of a new peer connection shows it holds the
/// `ClusterSecret` without sending it.
///
/// ## Protocol
///
/// ```
/// dialer D                                                   acceptor A
///   hello(clusterID, D, A, nonceD) ─────────────────────────▶  checks cluster id, D a member, A itself
///                                 ◀─────────────────────────  helloChallenge(nonceA, proofA)
///   checks proofA                                              proofA = MAC("paxoskv peer acceptor v1")
///   helloProof(proofD) [frames…] ───────────────────────────▶  checks proofD, then frames reach the node
///   proofD = MAC("paxoskv peer dialer v1")
///
/// MAC(label) = HMAC-SHA-256(secret, lp(label) ‖ lp(clusterID) ‖ D:u32 ‖ A:u32 ‖ lp(nonceD) ‖ lp(nonceA))
/// lp(x)      = length:u32 ‖ x        (big-endian, like every integer on the wire)
/// ```
///
/// Both nonces are 32 bytes from the system's cryptographic generator, one chosen by each side,
/// so neither side can make the other compute a proof over a transcript it has seen before:
/// recording a handshake and replaying it fails because the fresh nonce of the other side differs.
/// The label separates the two directions: an attacker who dials A as D obtains A's *acceptor*
/// proof for the nonces, which is useless as a *dialer* proof (no reflection). The replica ids
/// and cluster id are in the MAC so a proof made for one pair of members or one cluster cannot be
/// used for another, and every variable-length field is length-prefixed so bytes cannot move
/// from one field to the next without changing the input.
///
/// The acceptor answers any well-formed hello with a challenge, so an attacker learns acceptor
/// proofs over nonces of its choice; that gives it nothing, since HMAC-SHA-256 is a PRF and it
/// needs a dialer-labelled MAC over the acceptor's fresh nonce. The dialer proves itself only after
/// it has checked the acceptor's proof, so it never answers a challenge from an impostor.
///
/// This authenticates the connection's start only. Frames after the handshake are not MACed:
/// an attacker on the path (able to inject into or hijack the TCP stream) is out of scope until
/// the peer port speaks TLS (see docs/ARCHITECTURE.md, "Peer authentication and the threat model").
public enum PeerHandshake {
    /// Bytes of each side's nonce.
    public static let nonceBytes = 32
    /// Bytes of an HMAC-SHA-256 proof.
    public static let proofBytes = 32

    /// Which side made a proof; each has its own label in the MAC input.
    public enum Direction: Sendable, Hashable {
        /// The accepting side, answering a hello: `helloChallenge`.
        case acceptor
        /// The dialing side, answering the challenge: `helloProof`.
        case dialer

        /// The domain-separation label. Part of the protocol: never change one without a new version.
        var label: String {
            switch self {
            case .acceptor: "paxoskv peer acceptor v1"
            case .dialer: "paxoskv peer dialer v1"
            }
        }
    }

    /// Everything both proofs of one handshake cover.
    public struct Transcript: Sendable, Hashable {
        public var clusterID: String
        /// The replica that opened the connection.
        public var dialer: ReplicaID
        /// The replica the dialer meant to reach.
        public var acceptor: ReplicaID
        public var dialerNonce: [UInt8]
        public var acceptorNonce: [UInt8]

        public init(clusterID: String, dialer: ReplicaID, acceptor: ReplicaID, dialerNonce: [UInt8], acceptorNonce: [UInt8]) {
            self.clusterID = clusterID
            self.dialer = dialer
            self.acceptor = acceptor
            self.dialerNonce = dialerNonce
            self.acceptorNonce = acceptorNonce
        }

        /// The MAC input for `direction`: every variable field length-prefixed.
        func macInput(_ direction: Direction) -> [UInt8] {
            var writer = ByteWriter(capacity: 128 + clusterID.utf8.count)
            writer.writeLengthPrefixed(Array(direction.label.utf8))
            writer.writeLengthPrefixed(Array(clusterID.utf8))
            writer.write(dialer.rawValue)
            writer.write(acceptor.rawValue)
            writer.writeLengthPrefixed(dialerNonce)
            writer.writeLengthPrefixed(acceptorNonce)
            return writer.bytes
        }
    }

    /// The proof `direction`'s side sends for `transcript`.
    public static func proof(_ direction: Direction, for transcript: Transcript, secret: ClusterSecret) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: transcript.macInput(direction), using: secret.key))
    }

    /// Whether `proof` is `direction`'s proof for `transcript`, compared in constant time so the
    /// time a refusal takes says nothing about how many bytes of a guess were right.
    public static func verify(
        _ proof: [UInt8], _ direction: Direction, for transcript: Transcript, secret: ClusterSecret
    ) -> Bool {
        guard proof.count == proofBytes else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(proof, authenticating: transcript.macInput(direction),
                                                      using: secret.key)
    }

    /// A fresh nonce from the operating system's cryptographic generator
    /// (`SystemRandomNumberGenerator` reads getrandom(2) on Linux, arc4random on Apple platforms).
    public static func makeNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
