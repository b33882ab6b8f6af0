// Method: the handshake frames of version 3 (hello, helloChallenge, helloProof) checked byte by
// byte against the layout in PeerFrame.swift, damaged in the ways that matter for them (a nonce
// or proof of the wrong size, a version-2 hello), and the decoder's small frame limit before
// authentication driven through EmbeddedChannel: a stranger's 60 MiB length prefix is refused
// from its four bytes, and only a decoded helloProof lifts the limit.

import NIOCore
import NIOEmbedded
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: handshake frames")
struct HandshakeFrameTests {
    @Test("wire: helloChallenge and helloProof have the documented layout")
    func layouts() throws {
        let challenge = try PeerFrame.hello(.challenge(nonce: Fixtures.nonce, proof: Fixtures.proof)).encoded()
        #expect(challenge.count == 4 + 10 + 64)
        #expect(Array(challenge[4..<10]) == [PeerFrame.version, 0x03, 0, 0, 0, 0], "version, type 0x03, group 0")
        #expect(Array(challenge[10..<42]) == Fixtures.nonce)
        #expect(Array(challenge[42..<74]) == Fixtures.proof)
        let proof = try PeerFrame.hello(.proof(Fixtures.proof)).encoded()
        #expect(proof.count == 4 + 10 + 32)
        #expect(Array(proof[4..<10]) == [PeerFrame.version, 0x04, 0, 0, 0, 0], "version, type 0x04, group 0")
        #expect(Array(proof[10..<42]) == Fixtures.proof)
    }

    @Test("wire: the largest hello fits the limit before authentication")
    func largestHelloFits() throws {
        let hello = PeerFrame.hello(.request(clusterID: String(repeating: "x", count: PeerFrame.maxClusterIDBytes),
                                             dialer: ReplicaID(.max), acceptor: ReplicaID(.max), nonce: Fixtures.nonce))
        let bytes = try hello.encoded()
        #expect(bytes.count - 4 <= PeerFrame.handshakeMaxFrameBytes)
        #expect(try PeerFrame.decode(bytes, maxFrameBytes: PeerFrame.handshakeMaxFrameBytes) == hello)
    }

    @Test("wire: a nonce or proof one byte short or long is refused",
          arguments: [PeerHello.request(clusterID: "c", dialer: ReplicaID(1), acceptor: ReplicaID(2), nonce: Fixtures.nonce),
                      .challenge(nonce: Fixtures.nonce, proof: Fixtures.proof), .proof(Fixtures.proof)])
    func wrongFieldSize(hello: PeerHello) throws {
        let bytes = try PeerFrame.hello(hello).encoded()
        var short = bytes
        short.remove(at: bytes.count - 5)
        #expect(throws: PeerWireError.truncatedPayload) { try PeerFrame.decode(short.resealed()) }
        var long = bytes
        long.insert(0xAA, at: bytes.count - 4)
        #expect(throws: PeerWireError.trailingBytes) { try PeerFrame.decode(long.resealed()) }
    }

    @Test("wire: a version-2 hello (no nonce) is refused as an unsupported version")
    func versionTwoHello() throws {
        // Version 2's hello: clusterID:string replica:u32.
        var writer = ByteWriter()
        writer.write(UInt8(2))
        writer.write(UInt8(0x01))
        writer.write(UInt32(0))
        writer.writeLengthPrefixed(Array("c".utf8))
        writer.write(UInt32(1))
        var frame = UInt32(writer.bytes.count + 4).bigEndianBytes + writer.bytes
        frame += CRC32C.checksum(writer.bytes).bigEndianBytes
        #expect(throws: PeerWireError.unsupportedVersion) { try PeerFrame.decode(frame) }
    }

    @Test("wire: before a helloProof the decoder refuses a 60 MiB length prefix from its four bytes")
    func hugeLengthBeforeAuthentication() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        #expect(throws: PeerWireError.frameTooLarge) {
            try channel.writeInbound(ByteBuffer(bytes: UInt32(60 << 20).bigEndianBytes))
        }
        _ = try? channel.finish()
    }

    @Test("wire: a frame over 4 KiB is refused before a helloProof and accepted after one")
    func limitLiftsAfterProof() throws {
        let big = PeerFrame.message(group: 0, .accept(ballot: Fixtures.ballot, entries: [AcceptEntry(
            slot: Slot(1), command: .batch([Fixtures.put(1, 1, key: "k", value: [UInt8](repeating: 1, count: 8_192))]))],
            chosenThrough: .zero))
        let before = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        try before.writeInbound(ByteBuffer(bytes: try PeerFrame.hello(.challenge(nonce: Fixtures.nonce, proof: Fixtures.proof)).encoded()))
        #expect(try before.readInbound(as: PeerFrame.self) != nil)
        #expect(throws: PeerWireError.frameTooLarge) { try before.writeInbound(ByteBuffer(bytes: try big.encoded())) }
        _ = try? before.finish()

        let after = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        // The proof and the big frame in one read, as a dialer pipelines them.
        try after.writeInbound(ByteBuffer(bytes: try PeerFrame.hello(.proof(Fixtures.proof)).encoded() + big.encoded()))
        #expect(try after.readInbound(as: PeerFrame.self) == .hello(.proof(Fixtures.proof)))
        #expect(try after.readInbound(as: PeerFrame.self) == big)
        #expect(try after.finish().isClean)
    }
}
