// Method: the RESP channel handlers driven through EmbeddedChannel and NIOTestUtils'
// ByteToMessageDecoderVerifier (whole, coalesced and byte-by-byte input). A server pipeline
// (RESPDecoder + RESPEncoder) and a client pipeline (RESPEncoder + RESPReplyDecoder) talk to
// each other; protocol errors must surface as RESPError from the pipeline.

import NIOCore
import NIOEmbedded
import NIOTestUtils
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: RESP channel handlers")
struct RESPChannelTests {
    @Test("wire: command decoder passes the byte-to-message verifier")
    func commandVerifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("*1\r\n$4\r\nPING\r\n", [RESPCommand(name: "PING", arguments: [])]),
                ("set k \"v v\"\r\n", [RESPCommand(name: "SET", arguments: [Array("k".utf8), Array("v v".utf8)])]),
                (
                    "*2\r\n$3\r\nGET\r\n$4\r\n\r\n\r\n\r\n",
                    [RESPCommand(name: "GET", arguments: [Array("\r\n\r\n".utf8)])]
                ),
                (
                    "PING\r\nPING\r\n",
                    [RESPCommand(name: "PING", arguments: []), RESPCommand(name: "PING", arguments: [])]
                ),
            ],
            decoderFactory: { RESPDecoder() })
    }

    @Test("wire: reply decoder passes the byte-to-message verifier")
    func replyVerifier() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("+OK\r\n", [RESPValue.simpleString("OK")]),
                ("$-1\r\n", [.bulkString(nil)]),
                ("*2\r\n$1\r\na\r\n:5\r\n", [.array([.bulkString("a"), .integer(5)])]),
                ("-ERR x\r\n:1\r\n", [.error("ERR x"), .integer(1)]),
            ],
            decoderFactory: { RESPReplyDecoder() })
    }

    @Test("wire: a client and a server pipeline understand each other")
    func clientServer() throws {
        let server = EmbeddedChannel()
        try server.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPDecoder()), MessageToByteHandler(RESPEncoder()),
        ])
        let client = EmbeddedChannel()
        try client.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPReplyDecoder()), MessageToByteHandler(RESPEncoder()),
        ])

        let value = [UInt8](repeating: 0x0D, count: 1000) + [0x0A]
        try client.writeOutbound(RESPValue.command([Array("set".utf8), Array("k".utf8), value]))
        try client.writeOutbound(RESPValue.command([Array("GET".utf8), Array("k".utf8)]))
        while let bytes = try client.readOutbound(as: ByteBuffer.self) { try server.writeInbound(bytes) }
        #expect(
            try server.readInbound(as: RESPCommand.self)
                == RESPCommand(name: "SET", arguments: [Array("k".utf8), value]))
        #expect(try server.readInbound(as: RESPCommand.self) == RESPCommand(name: "GET", arguments: [Array("k".utf8)]))

        try server.writeOutbound(RESPValue.simpleString("OK"))
        try server.writeOutbound(RESPValue.bulkString(value))
        while let bytes = try server.readOutbound(as: ByteBuffer.self) { try client.writeInbound(bytes) }
        #expect(try client.readInbound(as: RESPValue.self) == .simpleString("OK"))
        #expect(try client.readInbound(as: RESPValue.self) == .bulkString(value))
        #expect(try server.finish().isClean)
        #expect(try client.finish().isClean)
    }

    @Test("wire: a malformed request surfaces as a pipeline error after the good ones")
    func protocolError() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        #expect(throws: RESPError.invalidMultibulkLength) {
            try channel.writeInbound(ByteBuffer(string: "PING\r\n*-5\r\nPING\r\n"))
        }
        #expect(try channel.readInbound(as: RESPCommand.self) == RESPCommand(name: "PING", arguments: []))
        #expect(try channel.readInbound(as: RESPCommand.self) == nil)
        _ = try? channel.finish()
    }

    @Test("wire: a client hanging up mid-command loses only that command")
    func hangUpMidCommand() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(RESPDecoder()))
        try channel.writeInbound(ByteBuffer(string: "PING\r\n*2\r\n$3\r\nGET\r\n$1\r\n"))
        #expect(try channel.readInbound(as: RESPCommand.self) == RESPCommand(name: "PING", arguments: []))
        #expect(try channel.finish().isClean)
    }
}
