// Method: hostile-input tests of the frame decoder. Valid frames are damaged in every way the
// network or a confused peer can damage them: cut at every byte, every byte flipped, bad
// version, unknown type, impossible lengths, payloads too short or too long, invalid field
// values (re-sealed with a correct checksum so the payload parser itself is exercised), and
// seeded random garbage. Each must end in a typed PeerWireError, never in a crash or in a
// frame different from the one sent.

import NIOCore
import PaxosCore
import PaxosWire
import Testing

@Suite("wire: peer frame rejection")
struct PeerFrameRejectionTests {
    static let samples: [Named<PeerFrame>] = Fixtures.frames.filter { !$0.name.contains("large") }

    @Test("wire: a frame cut at any byte is truncated, not misread", arguments: samples)
    func truncatedAtEveryCut(frame: Named<PeerFrame>) throws {
        let bytes = try frame.value.encoded()
        for cut in 0..<bytes.count {
            #expect(throws: PeerWireError.truncatedFrame) { try PeerFrame.decode(Array(bytes[..<cut])) }
        }
    }

    @Test("wire: a flipped bit after the length field is caught by the checksum", arguments: samples)
    func flippedBytes(frame: Named<PeerFrame>) throws {
        let bytes = try frame.value.encoded()
        for index in 4..<bytes.count {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[index] ^= mask
                #expect(throws: PeerWireError.badChecksum) { try PeerFrame.decode(damaged) }
            }
        }
    }

    @Test("wire: a flipped bit in the length field never yields a frame", arguments: samples)
    func flippedLength(frame: Named<PeerFrame>) throws {
        let bytes = try frame.value.encoded()
        for index in 0..<4 {
            for bit in 0..<8 {
                var damaged = bytes
                damaged[index] ^= 1 << bit
                #expect(throws: PeerWireError.self) { try PeerFrame.decode(damaged) }
            }
        }
    }

    @Test("wire: an unknown version is refused even with a good checksum")
    func badVersion() throws {
        for version: UInt8 in [0, 1, 2, 3, 5, 255] {
            var bytes = try PeerFrame.hello(.request(clusterID: "c", dialer: ReplicaID(1), acceptor: ReplicaID(2), nonce: Fixtures.nonce)).encoded()
            bytes[4] = version
            #expect(throws: PeerWireError.unsupportedVersion) { try PeerFrame.decode(bytes.resealed()) }
        }
    }

    // 0x05/0x06 are ping/pong, 0x07 identity, 0x19/0x1A prePrepare/prePromise and 0x1B handOver; 0x08 and 0x1C are free.
    @Test("wire: an unknown type is refused", arguments: [0x00, 0x08, 0x0F, 0x1C, 0x2F, 0x33, 0x7F, 0xFF] as [UInt8])
    func unknownType(type: UInt8) throws {
        var bytes = try PeerFrame.message(group: 0, .heartbeatAck(ballot: .zero, readRound: 0)).encoded()
        bytes[5] = type
        #expect(throws: PeerWireError.unknownType) { try PeerFrame.decode(bytes.resealed()) }
    }

    @Test("wire: lengths below the minimum or above the maximum are refused from the length alone")
    func badLengths() {
        for length: UInt32 in [0, 1, 9] {
            #expect(throws: PeerWireError.badLength) { try PeerFrame.decode(length.bigEndianBytes) }
        }
        for length: UInt32 in [UInt32(PeerFrame.defaultMaxFrameBytes) + 1, .max] {
            #expect(throws: PeerWireError.frameTooLarge) { try PeerFrame.decode(length.bigEndianBytes) }
        }
        #expect(throws: PeerWireError.frameTooLarge) {
            try PeerFrame.decode(UInt32(1025).bigEndianBytes, maxFrameBytes: 1024)
        }
    }

    @Test("wire: bytes after the frame are refused")
    func trailingBytesAfterFrame() throws {
        let bytes = try PeerFrame.helloReject(reason: "no").encoded()
        #expect(throws: PeerWireError.trailingBytes) { try PeerFrame.decode(bytes + [0]) }
    }

    @Test("wire: a payload with a byte too many or too few is refused", arguments: samples)
    func payloadLengthMismatch(frame: Named<PeerFrame>) throws {
        let bytes = try frame.value.encoded()
        var longer = bytes
        longer.insert(0, at: bytes.count - 4)
        if case .identity(let identity) = frame.value {
            // The one extensible frame: bytes after the command format are a later build's
            // fields (skipped), and a frame ending before it is an older build's (format 1).
            // PeerIdentityFormatTests covers both.
            #expect(try PeerFrame.decode(longer.resealed()) == .identity(identity))
            var older = bytes
            older.remove(at: bytes.count - 5)
            var legacy = identity
            legacy.commandFormat = PeerIdentity.legacyCommandFormat
            #expect(try PeerFrame.decode(older.resealed()) == .identity(legacy))
            return
        }
        #expect(throws: PeerWireError.trailingBytes) { try PeerFrame.decode(longer.resealed()) }
        guard !bytes.payloadRange.isEmpty else { return }
        var shorter = bytes
        shorter.remove(at: bytes.count - 5)
        #expect(throws: PeerWireError.truncatedPayload) { try PeerFrame.decode(shorter.resealed()) }
    }

    @Test("wire: keyspace queries and answers outside their bounds are refused")
    func keyspaceBounds() throws {
        // A frame whose payload is `tail` after a forward's or a forward reply's id.
        func forward(_ type: UInt8, _ tail: [UInt8]) -> [UInt8] {
            Self.frame([PeerFrame.version, type, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + tail)
        }
        let u64 = { (value: UInt64) in (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
        // A scan page of 0 rows, of more than the most, or at a position no hash has.
        for (position, count) in [(UInt64(0), UInt32(0)), (0, UInt32(ReadQuery.maxScanCount + 1)), (ScanCursor.positionLimit, 1)] {
            #expect(throws: PeerWireError.self) { try PeerFrame.decode(forward(0x20, [5, 1] + u64(position) + count.bigEndianBytes)) }
        }
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(forward(0x20, [5, 9])) }
        // A page of more keys than any page holds, one ending past the last hash, an unknown kind.
        let tooMany = UInt32(ReadQuery.maxScanCount + ReadAnswer.maxTiedKeys + 1)
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(forward(0x21, [11, 1] + tooMany.bigEndianBytes)) }
        #expect(throws: PeerWireError.self) {
            try PeerFrame.decode(forward(0x21, [11, 1] + UInt32(0).bigEndianBytes + [1] + u64(ScanCursor.positionLimit) + [1]))
        }
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(forward(0x21, [11, 3])) }
        // The well-formed ones decode (the same framing, so the refusals above are the bounds).
        #expect(try PeerFrame.decode(forward(0x20, [5, 2])) == .forward(group: 0, id: 0, .query(.keyCount)))
        #expect(try PeerFrame.decode(forward(0x21, [11, 1] + UInt32(0).bigEndianBytes + [0, 1]))
                == .forwardReply(group: 0, id: 0, .answer(ReadAnswer(keyspace: .page(ScanPage(keys: [], lastHash: nil, isGroupDone: true))))))
    }

    @Test("wire: invalid field values are malformed payloads")
    func malformedFields() throws {
        // The chosen flag of the first promise entry (after ballot 12 + count 4 + slot 8 + ballot 12).
        var promise = try PeerFrame.message(
            group: 0,
            .promise(ballot: .zero, entries: [LogEntry(slot: Slot(1), ballot: .zero, command: .noop, chosen: true)], compactedThrough: .zero)
        ).encoded()
        promise[10 + 36] = 2
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(promise.resealed()) }

        // The command tag of the first accept entry (after ballot 12 + chosenThrough 8 + count 4 + slot 8).
        var accept = try PeerFrame.message(
            group: 0,
            .accept(ballot: .zero, entries: [AcceptEntry(slot: Slot(1), command: .noop)], chosenThrough: .zero)
        ).encoded()
        accept[10 + 32] = 9
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(accept.resealed()) }

        // A prePromise's granted flag (after ballot 12) is 0 or 1.
        var prePromise = try PeerFrame.message(group: 0, .prePromise(ballot: .zero, granted: true, promised: .zero)).encoded()
        prePromise[10 + 12] = 2
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(prePromise.resealed()) }

        // A cluster id that is not UTF-8.
        var hello = try PeerFrame.hello(.request(clusterID: "ab", dialer: ReplicaID(1), acceptor: ReplicaID(2), nonce: Fixtures.nonce)).encoded()
        hello[14] = 0xFF
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(hello.resealed()) }

        // A connection frame in a group other than 0.
        var reject = try PeerFrame.helloReject(reason: "r").encoded()
        reject[9] = 1
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(reject.resealed()) }
        var proof = try PeerFrame.hello(.proof(Fixtures.proof)).encoded()
        proof[9] = 1
        #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(proof.resealed()) }
        for liveness: PeerFrame in [.ping, .pong] {
            var bytes = try liveness.encoded()
            bytes[9] = 1
            #expect(throws: PeerWireError.malformedPayload) { try PeerFrame.decode(bytes.resealed()) }
        }
    }

    @Test("wire: a huge element count fails on the bytes present instead of allocating")
    func hugeCount() throws {
        // (message, bytes after the element count: the trailing fields, then the 4-byte checksum)
        for (message, after): (Message, Int) in [
            (.promise(ballot: .zero, entries: [], compactedThrough: .zero), 8 + 8 + 4),
            (.accepted(ballot: .zero, slots: []), 8 + 4), (.catchUpReply(entries: []), 4),
        ] {
            var bytes = try PeerFrame.message(group: 0, message).encoded()
            bytes.replaceSubrange((bytes.count - after - 4)..<(bytes.count - after), with: UInt32.max.bigEndianBytes)
            let error = #expect(throws: PeerWireError.truncatedPayload) { try PeerFrame.decode(bytes.resealed()) }
            #expect(error?.decodingError != nil)
        }
    }

    @Test("wire: an identity frame claiming more groups than the bound, or a genesis that is not a membership, is refused")
    func forgedIdentity() throws {
        // uuid "" (length 0), then a group count over PeerIdentity.maxGroups and nothing else.
        var body: [UInt8] = [PeerFrame.version, 0x07, 0, 0, 0, 0, 0, 0, 0, 0]
        body += UInt32(PeerIdentity.maxGroups + 1).bigEndianBytes
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(Self.frame(body)) }
        // One group whose genesis flag is set but whose command is a no-op.
        body = [PeerFrame.version, 0x07, 0, 0, 0, 0, 0, 0, 0, 0] + UInt32(1).bigEndianBytes
        body += [UInt8](repeating: 0, count: 16) + [1, 0x00]
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(Self.frame(body)) }
        // A count of groups the bytes cannot hold fails on the bytes present.
        body = [PeerFrame.version, 0x07, 0, 0, 0, 0, 0, 0, 0, 0] + UInt32(PeerIdentity.maxGroups).bigEndianBytes
        #expect(throws: PeerWireError.self) { try PeerFrame.decode(Self.frame(body)) }
    }

    /// A whole frame (length, body, CRC32C) around `body`.
    static func frame(_ body: [UInt8]) -> [UInt8] {
        UInt32(body.count + 4).bigEndianBytes + body + CRC32C.checksum(body).bigEndianBytes
    }

    @Test("wire: errors describe what went wrong")
    func descriptions() throws {
        var bytes = try PeerFrame.hello(.request(clusterID: "c", dialer: ReplicaID(1), acceptor: ReplicaID(2), nonce: Fixtures.nonce)).encoded()
        bytes[5] = 0x7F
        let error = #expect(throws: PeerWireError.unknownType) { try PeerFrame.decode(bytes.resealed()) }
        #expect(error?.description == "peer frame has an unknown type: type 127")
    }

    @Test("wire: seeded random garbage and re-sealed mutations never crash", arguments: 0..<10 as Range<UInt64>)
    func fuzz(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        for _ in 0..<500 {
            let garbage = random.bytes(maxCount: 64)
            #expect(throws: PeerWireError.self) { try PeerFrame.decode(garbage) }

            var frame = try PeerFrame.message(group: 0, random.message()).encoded()
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                frame[Int.random(in: 4..<frame.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            // Either the mutation hit a don't-care spot and the frame still decodes, or it is refused.
            do {
                _ = try PeerFrame.decode(frame.resealed())
            } catch {
                // Typed throws: a PeerWireError is the only way out, which is the property tested.
            }
        }
    }
}
