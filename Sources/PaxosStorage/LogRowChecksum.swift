import PaxosCore

/// The checksum stored with every log row: CRC-32C over the slot, the ballot and the encoded
/// command, all big-endian (see `Schema`). The `chosen` flag is left out on purpose: marking a
/// slot chosen then rewrites one small column instead of the whole command blob.
enum LogRowChecksum {
    static func compute(slot: Slot, ballot: Ballot, command: [UInt8]) -> UInt32 {
        var header = ByteWriter(capacity: 20)
        header.write(slot.rawValue)
        header.write(ballot.round)
        header.write(ballot.replica.rawValue)
        return CRC32C.finish(CRC32C.update(CRC32C.update(CRC32C.start, with: header.bytes), with: command))
    }
}

/// How `sessions.last_result` and `sessions.reply` store an `OperationResult` (see `Schema`).
package enum StoredResult {
    static func code(_ result: OperationResult) -> Int64 {
        switch result {
        case .ok: 0
        case .deleted(existed: false): 1
        case .deleted(existed: true): 2
        case .superseded: 3
        // Never stored (a refused request writes no session); coded only so the mapping is total.
        case .expired: 4
        case .reply: 5
        }
    }

    /// `sessions.reply`: the encoded `OpReply` of a code 5 result, else nil (NULL).
    static func reply(_ result: OperationResult) -> [UInt8]? {
        if case .reply(let reply) = result { reply.encoded() } else { nil }
    }

    /// The result a stored code and reply stand for; nil if they stand for none (an unknown
    /// code, a reply with a code other than 5, or a code 5 without a decodable reply).
    static func result(_ code: Int64, reply: [UInt8]? = nil) -> OperationResult? {
        switch (code, reply) {
        case (0, nil): .ok
        case (1, nil): .deleted(existed: false)
        case (2, nil): .deleted(existed: true)
        case (3, nil): .superseded
        case (5, let reply?): (try? OpReply.decode(reply)).map { .reply($0) }
        default: nil
        }
    }
}
