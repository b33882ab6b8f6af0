// Method: shared fixtures, not tests. Hand-picked messages that hit each field's edge values
// (zero, max, empty and large batches), a seeded random generator of messages and RESP values
// so randomized tests replay from their seed, and small helpers to tamper with frames.

import NIOCore
import PaxosCore
import PaxosWire
import Testing

/// A named value, so parameterized test output says which case failed.
struct Named<Value: Sendable>: Sendable, CustomTestStringConvertible {
    var name: String
    var value: Value
    var testDescription: String { name }
}

enum Fixtures {
    static let ballot = Ballot(round: 7, replica: ReplicaID(2))
    static let maxBallot = Ballot(round: .max, replica: ReplicaID(.max))

    static func put(_ client: UInt64, _ sequence: UInt64, key: String, value: [UInt8]) -> ClientRequest {
        ClientRequest(client: ClientID(client), sequence: sequence, operation: .put(key: Array(key.utf8), value: value))
    }

    static let batch = Command.batch([
        put(1, 1, key: "k", value: Array("v".utf8)),
        ClientRequest(client: ClientID(2), sequence: .max, operation: .delete(key: Array("gone".utf8))),
        put(3, 0, key: "", value: []),
        put(.max, 9, key: "bin\r\n\0", value: [0, 13, 10, 255]),
    ])

    /// One case per message kind and per interesting shape of each.
    static let messages: [Named<Message>] = [
        Named(name: "prepare", value: .prepare(ballot: ballot, fromSlot: Slot(41))),
        Named(name: "prepare zero", value: .prepare(ballot: .zero, fromSlot: .zero)),
        Named(name: "prepare max", value: .prepare(ballot: maxBallot, fromSlot: Slot(.max))),
        Named(name: "promise empty", value: .promise(ballot: ballot, entries: [], compactedThrough: .zero)),
        Named(
            name: "promise entries",
            value: .promise(
                ballot: ballot,
                entries: [
                    LogEntry(slot: Slot(1), ballot: .zero, command: .noop, chosen: true),
                    LogEntry(slot: Slot(2), ballot: maxBallot, command: batch, chosen: false),
                ], compactedThrough: Slot(.max))),
        Named(name: "accept empty", value: .accept(ballot: ballot, entries: [], chosenThrough: .zero)),
        Named(
            name: "accept batch",
            value: .accept(
                ballot: ballot,
                entries: [AcceptEntry(slot: Slot(5), command: batch), AcceptEntry(slot: Slot(6), command: .noop)],
                chosenThrough: Slot(4))),
        Named(name: "accept large", value: .accept(ballot: ballot, entries: largeAccept, chosenThrough: Slot(.max))),
        Named(
            name: "accept large value", value: .accept(ballot: ballot, entries: [largeValue], chosenThrough: Slot(1))),
        Named(name: "accepted empty", value: .accepted(ballot: ballot, slots: [])),
        Named(name: "accepted slots", value: .accepted(ballot: ballot, slots: [Slot(1), Slot(.max), .zero])),
        Named(name: "reject", value: .reject(ballot: ballot, promised: maxBallot)),
        Named(name: "heartbeat", value: .heartbeat(ballot: ballot, chosenThrough: Slot(99), readRound: 3)),
        Named(name: "heartbeat max", value: .heartbeat(ballot: maxBallot, chosenThrough: Slot(.max), readRound: .max)),
        Named(name: "heartbeatAck", value: .heartbeatAck(ballot: ballot, readRound: 0)),
        Named(name: "heartbeatAck incarnation", value: .heartbeatAck(ballot: ballot, readRound: 5, incarnation: Incarnation(.max))),
        Named(name: "accepted incarnation", value: .accepted(ballot: ballot, slots: [Slot(3)], incarnation: Incarnation(0xABCDEF))),
        Named(name: "accept configure", value: .accept(ballot: ballot, entries: [AcceptEntry(slot: Slot(9), command: .configure(membership))], chosenThrough: Slot(8))),
        Named(name: "catchUpRequest", value: .catchUpRequest(from: Slot(10), through: Slot(20))),
        Named(name: "prePrepare", value: .prePrepare(ballot: ballot, fromSlot: Slot(7))),
        Named(name: "prePrepare max", value: .prePrepare(ballot: maxBallot, fromSlot: Slot(.max))),
        Named(name: "prePromise granted", value: .prePromise(ballot: ballot, granted: true, promised: .zero)),
        Named(name: "prePromise refused", value: .prePromise(ballot: ballot, granted: false, promised: maxBallot)),
        Named(name: "handOver", value: .handOver(ballot: ballot, successor: ReplicaID(3))),
        Named(name: "handOver max", value: .handOver(ballot: maxBallot, successor: ReplicaID(.max))),
        Named(name: "catchUpReply empty", value: .catchUpReply(entries: [])),
        Named(
            name: "catchUpReply entries",
            value: .catchUpReply(entries: [
                ChosenEntry(slot: Slot(10), command: batch), ChosenEntry(slot: Slot(11), command: .noop),
            ])),
    ]

    /// A membership with voters and a learner, at incarnations of every size.
    static let membership = Membership(
        epoch: 7,
        voters: [Member(id: ReplicaID(1), incarnation: Incarnation(1)), Member(id: ReplicaID(2), incarnation: Incarnation(.max)),
                 Member(id: ReplicaID(5), incarnation: Incarnation(0x1234))],
        learners: [Member(id: ReplicaID(9), incarnation: Incarnation(42))])

    /// Ten thousand slots: a leader catching a follower up in one frame.
    static let largeAccept: [AcceptEntry] = (1...10_000).map { (slot: Int) -> AcceptEntry in
        let value = [UInt8](repeating: UInt8(slot % 251), count: 20)
        let command: Command = slot % 7 == 0 ? .noop : .batch([put(UInt64(slot), 1, key: "key\(slot)", value: value)])
        return AcceptEntry(slot: Slot(UInt64(slot)), command: command)
    }

    /// One value of 1 MiB.
    static let largeValue = AcceptEntry(
        slot: Slot(1), command: .batch([put(1, 1, key: "big", value: [UInt8](repeating: 0xAB, count: 1 << 20))]))

    /// Handshake fields of the fixed size: 0x00…0x1F and 0xFF…0xE0, so a swap shows.
    static let nonce = (0..<32).map { UInt8($0) }
    static let proof = (0..<32).map { UInt8(0xFF - $0) }

    static let frames: [Named<PeerFrame>] =
        [
            Named(name: "hello", value: .hello(.request(clusterID: "paxoskv-test", dialer: ReplicaID(3), acceptor: ReplicaID(1), nonce: nonce))),
            Named(name: "hello empty cluster id", value: .hello(.request(clusterID: "", dialer: ReplicaID(0), acceptor: ReplicaID(0), nonce: proof))),
            Named(name: "hello unicode cluster id", value: .hello(.request(clusterID: "klüster-東京", dialer: ReplicaID(.max), acceptor: ReplicaID(2), nonce: nonce))),
            Named(name: "helloChallenge", value: .hello(.challenge(nonce: nonce, proof: proof))),
            Named(name: "helloProof", value: .hello(.proof(proof))),
            Named(name: "helloReject", value: .helloReject(reason: "cluster id mismatch: expected a, got b")),
            Named(name: "helloReject empty", value: .helloReject(reason: "")),
            Named(name: "ping", value: .ping),
            Named(name: "pong", value: .pong),
            Named(name: "identity before genesis", value: .identity(PeerIdentity(clusterUUID: "", groups: [
                GroupIdentity(incarnation: Incarnation(77), epoch: 0, genesis: nil)]))),
            Named(name: "identity after genesis", value: .identity(PeerIdentity(clusterUUID: "6f1c2a9e-0b7d-4c55-9a51-2f0e3c1d7b88", groups: [
                GroupIdentity(incarnation: Incarnation(1), epoch: 3, genesis: membership),
                GroupIdentity(incarnation: Incarnation(.max), epoch: 1, genesis: membership)]))),
            Named(name: "forward write", value: .forward(group: 0, id: 7, .write(ClientRequest(
                client: ClientID(UInt64.max), sequence: 3, operation: .put(key: [1, 13, 10], value: [0]))))),
            Named(name: "forward delete", value: .forward(group: 0, id: 0, .write(ClientRequest(
                client: ClientID(1), sequence: 1, operation: .delete(key: []))))),
            Named(name: "forward write with an origin", value: .forward(group: 0, id: 8, .write(ClientRequest(
                client: ClientID(5), sequence: 2, operation: .put(key: [7], value: [8]), origin: Slot(1 << 62))))),
            Named(name: "forward read", value: .forward(group: 0, id: UInt64.max, .query(.value(of: Array("k".utf8))))),
            Named(name: "forward read group 3", value: .forward(group: 3, id: 9, .query(.value(of: Array("k".utf8))))),
            Named(name: "forward query of keys", value: .forward(group: 0, id: 11, .query(.keys([[1], [], [1]], fields: .both)))),
            Named(name: "forward query of one revision", value: .forward(group: 0, id: 12, .query(.keys([[1]], fields: .revision)))),
            Named(name: "forward scan page", value: .forward(group: 2, id: 16, .query(.scan(position: ScanCursor.positionLimit - 1, count: 10)))),
            Named(name: "forward key count", value: .forward(group: 0, id: 17, .query(.keyCount))),
            Named(name: "forwardReply page", value: .forwardReply(group: 1, id: 18, .answer(ReadAnswer(keyspace: .page(
                ScanPage(keys: [[1], [], [2, 3]], lastHash: 99, isGroupDone: false)))))),
            Named(name: "forwardReply last page of a group", value: .forwardReply(group: 1, id: 19, .answer(ReadAnswer(keyspace: .page(
                ScanPage(keys: [], lastHash: nil, isGroupDone: true)))))),
            Named(name: "forwardReply key count", value: .forwardReply(group: 0, id: 20, .answer(ReadAnswer(keyspace: .count(UInt64.max))))),
            Named(name: "forward composite write", value: .forward(group: 0, id: 13, .write(ClientRequest(
                client: ClientID(5), sequence: 3, operation: .txn(Transaction(compares: [Compare(key: [1], .revision(.none))],
                                                                              success: [.all([.put(key: [1], value: [2])])])),
                origin: Slot(3))))),
            Named(name: "forwardReply answer of keys", value: .forwardReply(group: 0, id: 14, .answer(ReadAnswer(fields: .both, entries: [
                ReadAnswer.Entry(value: [9], revision: Revision(slot: Slot(5), position: 2)), nil])))),
            Named(name: "forwardReply answer of no keys", value: .forwardReply(group: 0, id: 15, .answer(ReadAnswer(fields: .revision, entries: [])))),
            Named(name: "forwardReply reply transaction", value: .forwardReply(group: 0, id: 16, .applied(.reply(
                .transaction(succeeded: true, [.ok, .array([.null])]))))),
            Named(name: "forwardReply group 63", value: .forwardReply(group: 63, id: 9, .applied(.ok))),
            Named(name: "forwardReply ok", value: .forwardReply(group: 0, id: 1, .applied(.ok))),
            Named(name: "forwardReply deleted", value: .forwardReply(group: 0, id: 2, .applied(.deleted(existed: true)))),
            Named(name: "forwardReply superseded", value: .forwardReply(group: 0, id: 3, .applied(.superseded))),
            Named(name: "forwardReply expired", value: .forwardReply(group: 0, id: 3, .applied(.expired))),
            Named(name: "forwardReply reply integer", value: .forwardReply(group: 0, id: 3, .applied(.reply(.integer(-7))))),
            Named(name: "forwardReply reply bulk", value: .forwardReply(group: 0, id: 3, .applied(.reply(.bulk([0, 13, 10]))))),
            Named(name: "forwardReply reply null", value: .forwardReply(group: 0, id: 3, .applied(.reply(.null)))),
            Named(name: "forwardReply reply error", value: .forwardReply(group: 0, id: 3, .applied(.reply(.error(.overflow))))),
            Named(name: "forwardReply reply notRemembered", value: .forwardReply(group: 0, id: 3, .applied(.reply(.notRemembered)))),
            Named(name: "forward key operation", value: .forward(group: 0, id: 10, .write(ClientRequest(
                client: ClientID(5), sequence: 2, operation: .key(.incrementBy(key: [7], -1)), origin: Slot(3))))),
            Named(name: "forwardReply value", value: .forwardReply(group: 0, id: 4, .answer(.value([9, 9])))),
            Named(name: "forwardReply nil", value: .forwardReply(group: 0, id: 5, .answer(.value(nil)))),
            Named(name: "forwardReply not leader", value: .forwardReply(group: 0, id: 6, .notLeader(ReplicaID(3)))),
            Named(name: "forwardReply no leader", value: .forwardReply(group: 0, id: 6, .notLeader(nil))),
            Named(name: "forwardReply overloaded", value: .forwardReply(group: 0, id: 7, .overloaded)),
            Named(name: "forwardReply unavailable", value: .forwardReply(group: 0, id: 8, .unavailable)),
            Named(name: "snapshotChunk first", value: .snapshotChunk(group: 0, SnapshotChunk(
                transfer: 1, slot: Slot(10_000), index: 0, data: [0x48, 1, 2, 3], last: false, crc: 0xDEAD_BEEF))),
            Named(name: "snapshotChunk last empty", value: .snapshotChunk(group: 0, SnapshotChunk(
                transfer: .max, slot: Slot(.max), index: .max, data: [], last: true, crc: 0))),
            Named(name: "snapshotChunk in group 3", value: .snapshotChunk(group: 3, SnapshotChunk(
                transfer: 7, slot: .zero, index: 2, data: [0, 13, 10, 255], last: true, crc: .max))),
            Named(name: "snapshotChunk large", value: .snapshotChunk(group: 0, SnapshotChunk(
                transfer: 2, slot: Slot(5), index: 1, data: [UInt8](repeating: 0x5A, count: 256 * 1024), last: false, crc: 1))),
            Named(name: "snapshotAck", value: .snapshotAck(group: 0, transfer: 9, index: 4)),
            Named(name: "snapshotAck max", value: .snapshotAck(group: GroupID(.max), transfer: .max, index: .max)),
            Named(name: "snapshotAbort", value: .snapshotAbort(group: 0, transfer: 9, reason: "bad checksum in chunk 4")),
            Named(name: "snapshotAbort empty", value: .snapshotAbort(group: 1, transfer: 0, reason: "")),
            Named(name: "message in group 7", value: .message(group: 7, .heartbeatAck(ballot: ballot, readRound: 1))),
            Named(
                name: "message in group max", value: .message(group: GroupID(.max), .prepare(ballot: ballot, fromSlot: Slot(1)))),
        ] + messages.map { Named(name: $0.name, value: .message(group: 0, $0.value)) }
}

// MARK: - Seeded random values

extension SeededGenerator {
    mutating func bytes(maxCount: Int) -> [UInt8] {
        (0..<Int.random(in: 0...maxCount, using: &self)).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    mutating func ballot() -> Ballot {
        Ballot(
            round: UInt64.random(in: 0...3, using: &self) == 0 ? .max : next() >> 8,
            replica: ReplicaID(UInt32.random(in: 0...UInt32.max, using: &self)))
    }

    mutating func slot() -> Slot { Slot(next() >> UInt64.random(in: 0...63, using: &self)) }

    mutating func command() -> Command {
        if Int.random(in: 0..<8, using: &self) == 0 {
            let ids = (1...UInt32.random(in: 1...6, using: &self)).map { ReplicaID($0) }
            let learners = Bool.random(using: &self) ? [Member(id: ReplicaID(100), incarnation: Incarnation(next()))] : []
            return .configure(Membership(epoch: next(), voters: ids.map { Member(id: $0, incarnation: Incarnation(next())) }, learners: learners))
        }
        guard Bool.random(using: &self) else { return .noop }
        return .batch(
            (0..<Int.random(in: 0...4, using: &self)).map { _ in
                let operation: Operation =
                    Bool.random(using: &self)
                    ? .put(key: bytes(maxCount: 16), value: bytes(maxCount: 64)) : .delete(key: bytes(maxCount: 16))
                let origin = Bool.random(using: &self) ? Slot(next() % Slot.max.rawValue) : nil
                return ClientRequest(client: ClientID(next()), sequence: next(), operation: operation, origin: origin)
            })
    }

    mutating func message() -> Message {
        let count = Int.random(in: 0...5, using: &self)
        switch Int.random(in: 0..<12, using: &self) {
        case 0: return .prepare(ballot: ballot(), fromSlot: slot())
        case 1:
            return .promise(
                ballot: ballot(),
                entries: (0..<count).map { _ in
                    LogEntry(slot: slot(), ballot: ballot(), command: command(), chosen: Bool.random(using: &self))
                }, compactedThrough: slot(), incarnation: Incarnation(next()))
        case 2:
            return .accept(
                ballot: ballot(), entries: (0..<count).map { _ in AcceptEntry(slot: slot(), command: command()) },
                chosenThrough: slot())
        case 3: return .accepted(ballot: ballot(), slots: (0..<count).map { _ in slot() }, incarnation: Incarnation(next()))
        case 4: return .reject(ballot: ballot(), promised: ballot())
        case 5: return .heartbeat(ballot: ballot(), chosenThrough: slot(), readRound: next())
        case 6: return .heartbeatAck(ballot: ballot(), readRound: next(), incarnation: Incarnation(next()))
        case 7: return .catchUpRequest(from: slot(), through: slot())
        case 8: return .prePrepare(ballot: ballot(), fromSlot: slot())
        case 9: return .prePromise(ballot: ballot(), granted: Bool.random(using: &self), promised: ballot(), incarnation: Incarnation(next()))
        case 10: return .handOver(ballot: ballot(), successor: ReplicaID(UInt32(truncatingIfNeeded: next())))
        default: return .catchUpReply(entries: (0..<count).map { _ in ChosenEntry(slot: slot(), command: command()) })
        }
    }

    mutating func respValue(depth: Int = 0) -> RESPValue {
        switch Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &self) {
        case 0: return .simpleString(printable())
        case 1: return .error(printable())
        case 2: return .integer(Int64(bitPattern: next()))
        case 3: return .bulkString(bytes(maxCount: 40))
        case 4: return .bulkString(nil)
        case 5: return .array(nil)
        default: return .array((0..<Int.random(in: 0...4, using: &self)).map { _ in respValue(depth: depth + 1) })
        }
    }

    /// Text without CR or LF, which simple strings cannot carry.
    mutating func printable() -> String {
        String(
            decoding: (0..<Int.random(in: 0...20, using: &self)).map { _ in UInt8.random(in: 0x20...0x7E, using: &self)
            }, as: UTF8.self)
    }
}

// MARK: - Frame surgery

extension Array where Element == UInt8 {
    /// Replaces the checksum with a correct one for the (tampered) contents, so tests reach the
    /// checks that come after it.
    func resealed() -> [UInt8] {
        var frame = self
        let length = UInt32(frame.count - 4)
        frame.replaceSubrange(0..<4, with: length.bigEndianBytes)
        let crc = CRC32C.checksum(frame[4..<(frame.count - 4)])
        frame.replaceSubrange((frame.count - 4)..., with: crc.bigEndianBytes)
        return frame
    }

    /// The payload bytes of a frame (after the 10-byte header, before the checksum).
    var payloadRange: Range<Int> { 10..<(count - 4) }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] {
        [UInt8(self >> 24), UInt8(self >> 16 & 0xFF), UInt8(self >> 8 & 0xFF), UInt8(self & 0xFF)]
    }
}
