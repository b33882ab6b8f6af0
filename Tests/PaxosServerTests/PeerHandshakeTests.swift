// Method: the handshake proofs as pure functions with fixed nonces and a fixed secret. A
// known-answer test pins the MAC input layout (computed independently with Python's hmac module
// from the layout in PeerHandshake.swift); then each field of the transcript, the secret and the
// direction is changed in turn, and the proof MUST no longer verify.
import PaxosAuth
import PaxosCore
import Testing

@Suite("peer handshake proofs")
struct PeerHandshakeTests {
    static let secret = try! ClusterSecret(Array(repeating: UInt8(ascii: "k"), count: 32))
    static let transcript = PeerHandshake.Transcript(
        clusterID: "kv-test", dialer: ReplicaID(2), acceptor: ReplicaID(1),
        dialerNonce: Array(0..<32), acceptorNonce: Array(32..<64))

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test("proofs match the documented MAC input (known answer)")
    func knownAnswer() {
        #expect(Self.hex(PeerHandshake.proof(.acceptor, for: Self.transcript, secret: Self.secret))
            == "dff776c074f4450bffc7aba6d9912fd6bc09e7ec91bc0ff96d6d13e0e9e24a2a")
        #expect(Self.hex(PeerHandshake.proof(.dialer, for: Self.transcript, secret: Self.secret))
            == "e251b4ba9ffa44986eadb3e6c37dc5fa35aa9be6290cf1212f42ed3cb3808dad")
    }

    @Test("the right secret verifies in both directions")
    func rightSecret() {
        for direction in [PeerHandshake.Direction.acceptor, .dialer] {
            let proof = PeerHandshake.proof(direction, for: Self.transcript, secret: Self.secret)
            #expect(PeerHandshake.verify(proof, direction, for: Self.transcript, secret: Self.secret))
        }
    }

    @Test("a proof made with another secret fails")
    func wrongSecret() throws {
        let other = try ClusterSecret(Array(repeating: UInt8(ascii: "j"), count: 32))
        let proof = PeerHandshake.proof(.dialer, for: Self.transcript, secret: other)
        #expect(!PeerHandshake.verify(proof, .dialer, for: Self.transcript, secret: Self.secret))
    }

    @Test("a proof for one direction is useless in the other (no reflection)")
    func wrongDirection() {
        let acceptorProof = PeerHandshake.proof(.acceptor, for: Self.transcript, secret: Self.secret)
        #expect(!PeerHandshake.verify(acceptorProof, .dialer, for: Self.transcript, secret: Self.secret))
        let dialerProof = PeerHandshake.proof(.dialer, for: Self.transcript, secret: Self.secret)
        #expect(!PeerHandshake.verify(dialerProof, .acceptor, for: Self.transcript, secret: Self.secret))
    }

    static let altered: [(String, PeerHandshake.Transcript)] = {
        let base = transcript
        var swappedIDs = base
        (swappedIDs.dialer, swappedIDs.acceptor) = (base.acceptor, base.dialer)
        var swappedNonces = base
        (swappedNonces.dialerNonce, swappedNonces.acceptorNonce) = (base.acceptorNonce, base.dialerNonce)
        var otherCluster = base
        otherCluster.clusterID = "kv-other"
        var otherDialer = base
        otherDialer.dialer = ReplicaID(3)
        var replayedNonce = base
        replayedNonce.acceptorNonce[31] ^= 1
        // The same bytes, moved from one nonce to the other: only the length prefixes tell them apart.
        var shifted = base
        shifted.dialerNonce = base.dialerNonce + [base.acceptorNonce[0]]
        shifted.acceptorNonce = Array(base.acceptorNonce.dropFirst())
        return [("swapped replica ids", swappedIDs), ("swapped nonces", swappedNonces),
                ("another cluster id", otherCluster), ("another dialer", otherDialer),
                ("a different acceptor nonce", replayedNonce), ("a byte shifted between nonces", shifted)]
    }()

    @Test("a proof does not verify for a changed transcript", arguments: 0..<6)
    func changedTranscript(index: Int) {
        let (name, changed) = Self.altered[index]
        for direction in [PeerHandshake.Direction.acceptor, .dialer] {
            let proof = PeerHandshake.proof(direction, for: Self.transcript, secret: Self.secret)
            #expect(!PeerHandshake.verify(proof, direction, for: changed, secret: Self.secret), "\(name)")
        }
    }

    @Test("truncated, empty and zero proofs fail")
    func malformedProofs() {
        let proof = PeerHandshake.proof(.dialer, for: Self.transcript, secret: Self.secret)
        for bad in [Array(proof.dropLast()), [], [UInt8](repeating: 0, count: 32), proof + [0]] {
            #expect(!PeerHandshake.verify(bad, .dialer, for: Self.transcript, secret: Self.secret))
        }
    }

    @Test("nonces are 32 bytes and differ between calls")
    func nonces() {
        let first = PeerHandshake.makeNonce()
        let second = PeerHandshake.makeNonce()
        #expect(first.count == PeerHandshake.nonceBytes && second.count == PeerHandshake.nonceBytes)
        #expect(first != second)
    }
}
