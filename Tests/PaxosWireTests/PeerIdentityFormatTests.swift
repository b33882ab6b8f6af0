// Method: hand-built identity frames as three generations of builds write them: before the
// command format existed (no trailing byte), this build (one byte), and a later build (the byte
// and fields this build does not know). What it must guarantee: each decodes to the format its
// sender meant, so the command-format gate judges old members right and later builds can add
// fields without this one closing their connections.
import PaxosCore
import PaxosWire
import Testing

@Suite("peer identity: command format")
struct PeerIdentityFormatTests {
    /// The body of an identity frame with one group before genesis, and `tail` after it.
    static func identityBody(tail: [UInt8]) -> [UInt8] {
        // version, type 0x07, group 0, uuid "" (length 0), one group: incarnation 9, epoch 0, no genesis.
        var body: [UInt8] = [PeerFrame.version, 0x07, 0, 0, 0, 0, 0, 0, 0, 0] + UInt32(1).bigEndianBytes
        body += [0, 0, 0, 0, 0, 0, 0, 9] + [UInt8](repeating: 0, count: 8) + [0]
        return body + tail
    }

    static func decodedIdentity(tail: [UInt8]) throws -> PeerIdentity {
        guard case .identity(let identity) = try PeerFrame.decode(PeerFrameRejectionTests.frame(identityBody(tail: tail))) else {
            Issue.record("not an identity frame")
            return PeerIdentity(clusterUUID: "x", groups: [])
        }
        return identity
    }

    @Test("identity: a frame without the field is a build from before formats, format 1")
    func legacyFrame() throws {
        let identity = try Self.decodedIdentity(tail: [])
        #expect(identity.commandFormat == PeerIdentity.legacyCommandFormat)
        #expect(identity.groups == [GroupIdentity(incarnation: Incarnation(9), epoch: 0, genesis: nil)])
    }

    @Test("identity: this build sends its format, and it round-trips")
    func currentFrame() throws {
        let mine = PeerIdentity(clusterUUID: "u", groups: [GroupIdentity(incarnation: Incarnation(9), epoch: 0, genesis: nil)])
        #expect(mine.commandFormat == Operation.currentCommandFormat)
        #expect(try PeerFrame.decode(PeerFrame.identity(mine).encoded()) == .identity(mine))
        #expect(try Self.decodedIdentity(tail: [2]).commandFormat == 2)
    }

    @Test("identity: fields a later build appends after the format are skipped, not refused")
    func laterBuildFrame() throws {
        let identity = try Self.decodedIdentity(tail: [7, 0xDE, 0xAD, 0xBE, 0xEF])
        #expect(identity.commandFormat == 7)
        #expect(identity.groups.count == 1)
    }

    @Test("identity: format 0 does not exist and is refused")
    func formatZero() {
        #expect(throws: PeerWireError.self) { try Self.decodedIdentity(tail: [0]) }
    }
}
