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

/// How `sessions.last_result` stores an `OperationResult` (see `Schema`).
enum StoredResult {
    static func code(_ result: OperationResult) -> Int64 {
        switch result {
        case .ok: 0
        case .deleted(existed: false): 1
        case .deleted(existed: true): 2
        case .superseded: 3
        // Never stored (a refused request writes no session); coded only so the mapping is total.
        case .expired: 4
        }
    }

    static func result(_ code: Int64) -> OperationResult? {
        switch code {
        case 0: .ok
        case 1: .deleted(existed: false)
        case 2: .deleted(existed: true)
        case 3: .superseded
        default: nil
        }
    }
}
