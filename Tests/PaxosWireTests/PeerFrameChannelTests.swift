// Method: the NIO glue driven through EmbeddedChannel and NIOTestUtils'
// ByteToMessageDecoderVerifier, which replays the input whole, in one buffer with everything,
// and byte by byte. Frames written through PeerFrameEncoder are read back through
// PeerFrameDecoder; errors must surface as PeerWireError from the pipeline, including for a
// stream that ends mid-frame and for a length over the limit that arrives alone.

import NIOCore
import NIOEmbedded
import NIOTestUtils
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: peer frame channel handlers")
struct PeerFrameChannelTests {
    @Test("wire: decoder passes the byte-to-message verifier")
    func verifier() throws {
        let frames = Fixtures.frames.filter { !$0.name.contains("large") }.map(\.value)
        let pairs = try frames.map { frame in (ByteBuffer(bytes: try frame.encoded()), [frame]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { PeerFrameDecoder() }
    }

    @Test("wire: frames written by the encoder are read back by the decoder, in order")
    func encoderToDecoder() throws {
        let sender = EmbeddedChannel(handler: MessageToByteHandler(PeerFrameEncoder()))
        let receiver = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        let frames = Fixtures.frames.map(\.value)
        for frame in frames { try sender.writeOutbound(frame) }
        while let bytes = try sender.readOutbound(as: ByteBuffer.self) { try receiver.writeInbound(bytes) }
        for frame in frames { #expect(try receiver.readInbound(as: PeerFrame.self) == frame) }
        #expect(try receiver.readInbound(as: PeerFrame.self) == nil)
        #expect(try sender.finish().isClean)
        #expect(try receiver.finish().isClean)
    }

    @Test("wire: several frames in one read and a frame split across reads")
    func coalescedAndSplit() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        let first = PeerFrame.hello(.request(clusterID: "c", dialer: ReplicaID(1), acceptor: ReplicaID(2), nonce: Fixtures.nonce))
        let second = PeerFrame.message(
            group: 0, .heartbeat(ballot: Fixtures.ballot, chosenThrough: Slot(3), readRound: 9))
        let bytes = try first.encoded() + second.encoded() + second.encoded()
        let cut = bytes.count - 5
        try channel.writeInbound(ByteBuffer(bytes: bytes[..<cut]))
        #expect(try channel.readInbound(as: PeerFrame.self) == first)
        #expect(try channel.readInbound(as: PeerFrame.self) == second)
        #expect(try channel.readInbound(as: PeerFrame.self) == nil)
        try channel.writeInbound(ByteBuffer(bytes: bytes[cut...]))
        #expect(try channel.readInbound(as: PeerFrame.self) == second)
        #expect(try channel.finish().isClean)
    }

    @Test("wire: an oversized length is refused as soon as its four bytes arrive")
    func oversizedLengthAlone() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder(maxFrameBytes: 1024)))
        #expect(throws: PeerWireError.frameTooLarge) {
            try channel.writeInbound(ByteBuffer(bytes: UInt32(1025).bigEndianBytes))
        }
        _ = try? channel.finish()
    }

    @Test("wire: a corrupt frame surfaces as a pipeline error")
    func corruptFrame() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
        var bytes = try PeerFrame.helloReject(reason: "mismatch").encoded()
        bytes[12] ^= 0x40
        #expect(throws: PeerWireError.badChecksum) { try channel.writeInbound(ByteBuffer(bytes: bytes)) }
        _ = try? channel.finish()
    }

    @Test("wire: a stream that ends mid-frame reports a truncated frame")
    func endOfStreamMidFrame() throws {
        let bytes = try PeerFrame.hello(.request(clusterID: "c", dialer: ReplicaID(1), acceptor: ReplicaID(2), nonce: Fixtures.nonce)).encoded()
        for cut in 1..<bytes.count {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerFrameDecoder()))
            try channel.writeInbound(ByteBuffer(bytes: bytes[..<cut]))
            #expect(try channel.readInbound(as: PeerFrame.self) == nil)
            #expect(throws: PeerWireError.truncatedFrame) { try channel.finish() }
        }
    }
}
