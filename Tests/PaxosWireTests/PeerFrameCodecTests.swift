// Method: round-trip and golden-bytes tests of the pure frame codec (`PeerFrame.encoded` /
// `PeerFrame.decode`). Every Message case is encoded and decoded from a table of hand-picked
// values (edge values, empty and large batches), then from seeded random messages; two golden
// frames pin the byte layout documented in PeerFrame.swift so an accidental format change fails.

import NIOCore
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: peer frame codec")
struct PeerFrameCodecTests {
    @Test("wire: every frame kind round-trips", arguments: Fixtures.frames)
    func roundTrip(frame: Named<PeerFrame>) throws {
        let bytes = try frame.value.encoded()
        #expect(try PeerFrame.decode(bytes) == frame.value)
    }

    @Test("wire: the NIO encoder writes the same bytes as the pure encoder", arguments: Fixtures.frames)
    func encoderMatchesPureCodec(frame: Named<PeerFrame>) throws {
        var buffer = ByteBuffer()
        try PeerFrameEncoder().encode(data: frame.value, out: &buffer)
        #expect(Array(buffer.readableBytesView) == (try frame.value.encoded()))
    }

    @Test("wire: seeded random messages round-trip", arguments: 0..<20 as Range<UInt64>)
    func randomRoundTrip(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<200 {
            let frame = PeerFrame.message(group: GroupID(UInt32.random(in: 0...3, using: &random)), random.message())
            let decoded = try PeerFrame.decode(try frame.encoded())
            #expect(decoded == frame, "PAXOS_SEED=\(seed)")
        }
    }

    @Test("wire: a prepare frame has the documented layout")
    func goldenPrepare() throws {
        let frame = PeerFrame.message(
            group: 0, .prepare(ballot: Ballot(round: 7, replica: ReplicaID(2)), fromSlot: Slot(41)))
        #expect(hex(try frame.encoded()) == "0000001e0410000000000000000000000007000000020000000000000029a918bbd0")
    }

    @Test("wire: a hello frame has the documented layout")
    func goldenHello() throws {
        let frame = PeerFrame.hello(.request(clusterID: "kv-1", dialer: ReplicaID(3), acceptor: ReplicaID(1), nonce: Fixtures.nonce))
        #expect(hex(try frame.encoded()) == "0000003a040100000000000000046b762d310000000300000001000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f023f24ca")
    }

    @Test("wire: ping and pong are empty connection frames of their own types", arguments: [(PeerFrame.ping, "05"), (.pong, "06")])
    func livenessFrameLayout(frame: PeerFrame, type: String) throws {
        let bytes = try frame.encoded()
        #expect(bytes.count == 14)
        #expect(hex(bytes).hasPrefix("0000000a04\(type)00000000"))
    }

    @Test("wire: the length field counts everything after itself")
    func lengthField() throws {
        for frame in Fixtures.frames {
            let bytes = try frame.value.encoded()
            let length = bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
            #expect(length == bytes.count - 4, "\(frame.name)")
        }
    }

    @Test("wire: a long reject reason is cut at a scalar boundary, never split")
    func longReasonIsTruncated() throws {
        let reason = String(repeating: "é", count: 600)  // 1200 UTF-8 bytes, 2 per scalar
        guard case .helloReject(let decoded) = try PeerFrame.decode(try PeerFrame.helloReject(reason: reason).encoded())
        else {
            Issue.record("not a helloReject")
            return
        }
        #expect(decoded.utf8.count == PeerFrame.maxReasonBytes)
        #expect(reason.hasPrefix(decoded))
    }

    @Test("wire: encoding refuses a cluster id over the bound")
    func longClusterID() throws {
        let frame = PeerFrame.hello(.request(
            clusterID: String(repeating: "x", count: PeerFrame.maxClusterIDBytes + 1), dialer: ReplicaID(1),
            acceptor: ReplicaID(2), nonce: Fixtures.nonce))
        #expect(throws: PeerWireError.fieldTooLong) { try frame.encoded() }
        let longest = PeerFrame.hello(.request(
            clusterID: String(repeating: "x", count: PeerFrame.maxClusterIDBytes), dialer: ReplicaID(1),
            acceptor: ReplicaID(2), nonce: Fixtures.nonce))
        #expect(try PeerFrame.decode(try longest.encoded()) == longest)
    }

    @Test("wire: encoding refuses a frame over the maximum, at the sender")
    func encoderRefusesOversizedFrame() throws {
        let frame = PeerFrame.message(
            group: 0, .accept(ballot: Fixtures.ballot, entries: [Fixtures.largeValue], chosenThrough: .zero))
        #expect(throws: PeerWireError.frameTooLarge) { try frame.encoded(maxFrameBytes: 1 << 20) }
        var buffer = ByteBuffer()
        #expect(throws: PeerWireError.frameTooLarge) {
            try PeerFrameEncoder(maxFrameBytes: 1 << 20).encode(data: frame, out: &buffer)
        }
        let exact = try frame.encoded().count - 4
        #expect(try PeerFrame.decode(try frame.encoded(maxFrameBytes: exact), maxFrameBytes: exact) == frame)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
