import PaxosCore

/// The payloads of the Paxos message frames (see `PeerFrame` for the grammar). Pure functions over
/// `ByteWriter`/`ByteReader`; the frame header and checksum are `PeerFrame+Codec.swift`'s job.
extension Message {
    func encodePayload(into writer: inout ByteWriter) {
        switch self {
        case .prePrepare(let ballot, let fromSlot):
            writer.write(ballot)
            writer.write(fromSlot)
        case .prePromise(let ballot, let granted, let promised, let incarnation):
            writer.write(ballot)
            writer.write(UInt8(granted ? 1 : 0))
            writer.write(promised)
            writer.write(incarnation.rawValue)
        case .prepare(let ballot, let fromSlot):
            writer.write(ballot)
            writer.write(fromSlot)
        case .promise(let ballot, let entries, let compactedThrough, let incarnation):
            writer.write(ballot)
            writer.write(count: entries.count)
            for entry in entries {
                writer.write(entry.slot)
                writer.write(entry.ballot)
                writer.write(UInt8(entry.chosen ? 1 : 0))
                entry.command.encode(into: &writer)
            }
            writer.write(compactedThrough)
            writer.write(incarnation.rawValue)
        case .accept(let ballot, let entries, let chosenThrough):
            writer.write(ballot)
            writer.write(chosenThrough)
            writer.write(count: entries.count)
            for entry in entries {
                writer.write(entry.slot)
                entry.command.encode(into: &writer)
            }
        case .accepted(let ballot, let slots, let incarnation):
            writer.write(ballot)
            writer.write(count: slots.count)
            for slot in slots { writer.write(slot) }
            writer.write(incarnation.rawValue)
        case .reject(let ballot, let promised):
            writer.write(ballot)
            writer.write(promised)
        case .heartbeat(let ballot, let chosenThrough, let readRound):
            writer.write(ballot)
            writer.write(chosenThrough)
            writer.write(readRound)
        case .heartbeatAck(let ballot, let readRound, let incarnation):
            writer.write(ballot)
            writer.write(readRound)
            writer.write(incarnation.rawValue)
        case .catchUpRequest(let from, let through):
            writer.write(from)
            writer.write(through)
        case .catchUpReply(let entries):
            writer.write(count: entries.count)
            for entry in entries {
                writer.write(entry.slot)
                entry.command.encode(into: &writer)
            }
        case .handOver(let ballot, let successor):
            writer.write(ballot)
            writer.write(successor.rawValue)
        }
    }

    /// Decodes the payload of a message frame; the caller checks that the reader is then at its end.
    /// - Precondition: `type` is a message type, not a handshake frame.
    static func decodePayload(
        type: PeerFrameType, from reader: inout ByteReader
    ) throws(DecodingError) -> Message {
        switch type {
        case .prePrepare:
            return .prePrepare(ballot: try reader.readBallot(), fromSlot: try reader.readSlot())
        case .prePromise:
            return .prePromise(
                ballot: try reader.readBallot(), granted: try reader.readBool(what: "granted flag"),
                promised: try reader.readBallot(), incarnation: Incarnation(try reader.readUInt64()))
        case .prepare:
            return .prepare(ballot: try reader.readBallot(), fromSlot: try reader.readSlot())
        case .promise:
            let ballot = try reader.readBallot()
            let entries = try reader.readArray(minElementBytes: 22) { (reader) throws(DecodingError) in
                LogEntry(
                    slot: try reader.readSlot(), ballot: try reader.readBallot(),
                    chosen: try reader.readBool(what: "chosen flag"), command: try Command.decode(from: &reader))
            }
            return .promise(ballot: ballot, entries: entries, compactedThrough: try reader.readSlot(),
                            incarnation: Incarnation(try reader.readUInt64()))
        case .accept:
            let ballot = try reader.readBallot()
            let chosenThrough = try reader.readSlot()
            let entries = try reader.readArray(minElementBytes: 9) { (reader) throws(DecodingError) in
                AcceptEntry(slot: try reader.readSlot(), command: try Command.decode(from: &reader))
            }
            return .accept(ballot: ballot, entries: entries, chosenThrough: chosenThrough)
        case .accepted:
            let ballot = try reader.readBallot()
            let slots = try reader.readArray(minElementBytes: 8) { (reader) throws(DecodingError) in
                try reader.readSlot()
            }
            return .accepted(ballot: ballot, slots: slots, incarnation: Incarnation(try reader.readUInt64()))
        case .reject:
            return .reject(ballot: try reader.readBallot(), promised: try reader.readBallot())
        case .heartbeat:
            return .heartbeat(
                ballot: try reader.readBallot(), chosenThrough: try reader.readSlot(),
                readRound: try reader.readUInt64())
        case .heartbeatAck:
            return .heartbeatAck(ballot: try reader.readBallot(), readRound: try reader.readUInt64(),
                                 incarnation: Incarnation(try reader.readUInt64()))
        case .catchUpRequest:
            return .catchUpRequest(from: try reader.readSlot(), through: try reader.readSlot())
        case .catchUpReply:
            let entries = try reader.readArray(minElementBytes: 9) { (reader) throws(DecodingError) in
                ChosenEntry(slot: try reader.readSlot(), command: try Command.decode(from: &reader))
            }
            return .catchUpReply(entries: entries)
        case .handOver:
            return .handOver(ballot: try reader.readBallot(), successor: ReplicaID(try reader.readUInt32()))
        case .hello, .helloReject, .helloChallenge, .helloProof, .ping, .pong, .identity, .forward, .forwardReply, .snapshotChunk, .snapshotAck, .snapshotAbort:
            preconditionFailure("\(type) is not a Paxos message frame")
        }
    }
}

extension LogEntry {
    /// Field order as on the wire, so the decoder reads them in sequence.
    fileprivate init(slot: Slot, ballot: Ballot, chosen: Bool, command: Command) {
        self.init(slot: slot, ballot: ballot, command: command, chosen: chosen)
    }
}

extension ByteWriter {
    mutating func write(_ ballot: Ballot) {
        write(ballot.round)
        write(ballot.replica.rawValue)
    }

    mutating func write(_ slot: Slot) { write(slot.rawValue) }

    /// - Precondition: `count` fits in a u32; a frame bound far below that is checked later.
    mutating func write(count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "array of \(count) elements is too long to encode")
        write(UInt32(count))
    }
}

extension ByteReader {
    mutating func readBallot() throws(DecodingError) -> Ballot {
        Ballot(round: try readUInt64(), replica: ReplicaID(try readUInt32()))
    }

    mutating func readSlot() throws(DecodingError) -> Slot { Slot(try readUInt64()) }

    mutating func readBool(what: String) throws(DecodingError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .invalid("\(what) is \(other), not 0 or 1")
        }
    }

    /// Reads `count:u32` then `count` elements. The count is checked against the bytes that are
    /// actually left, so a corrupt count fails here instead of reserving memory for it.
    mutating func readArray<Element>(
        minElementBytes: Int, _ readElement: (inout ByteReader) throws(DecodingError) -> Element
    ) throws(DecodingError) -> [Element] {
        let count = Int(try readUInt32())
        guard count <= remaining / minElementBytes else {
            throw .truncated(needed: count * minElementBytes, offset: offset)
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try readElement(&self)) }
        return elements
    }

    /// A length-prefixed string that must be valid UTF-8.
    mutating func readString(limit: Int, what: String) throws(DecodingError) -> String {
        let bytes = try readLengthPrefixed(limit: limit)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw .invalid("\(what) is not valid UTF-8")
        }
        return string
    }
}
