/// The conditions of (P)EXPIRE(AT) (Redis 7's NX, XX, GT, LT). A key without a deadline counts
/// as one at infinity for GT and LT, as in Redis: GT never applies to it, LT always does.
public enum ExpireCondition: UInt8, Hashable, Sendable, CaseIterable {
    case always = 0
    /// NX: only if the key has no deadline.
    case ifNoDeadline = 1
    /// XX: only if the key has a deadline (also redis-py Lock.extend's "pttl ≥ 0" check).
    case ifHasDeadline = 2
    /// GT: only if the new deadline is later than the current one.
    case ifGreater = 3
    /// LT: only if the new deadline is earlier than the current one.
    case ifLess = 4
    /// XX LT: only if the key has a deadline and the new one is earlier.
    case ifLessWithDeadline = 5

    /// Whether the condition lets `new` replace `current` (nil: no deadline, i.e. infinity).
    func holds(current: LeaderTime?, new: LeaderTime) -> Bool {
        switch self {
        case .always: true
        case .ifNoDeadline: current == nil
        case .ifHasDeadline: current != nil
        case .ifGreater: current.map { new > $0 } ?? false
        case .ifLess: current.map { new < $0 } ?? true
        case .ifLessWithDeadline: current.map { new < $0 } ?? false
        }
    }
}

/// A deadline beyond Unix milliseconds in an Int64: the operation answers `invalidExpireTime`.
struct ExpiryOverflow: Error {}

extension Expiry {
    /// The deadline a write leaves on its row, given the old row's and the slot's clock.
    /// - Returns: `.success(nil)` for no deadline, `.failure` when the deadline overflows the
    ///   stored range (Unix ms in an Int64): the operation answers `invalidExpireTime`.
    func deadline(old: LeaderTime?, clock: LeaderTime) -> Result<LeaderTime?, ExpiryOverflow> {
        let base: LeaderTime
        let milliseconds: Int64
        switch self {
        case .clear: return .success(nil)
        case .keep: return .success(old)
        case .at(let time):
            guard time.rawValue <= UInt64(Int64.max) else { return .failure(ExpiryOverflow()) }
            return .success(time)
        case .after(let ms): (base, milliseconds) = (clock, ms)
        case .extend(let ms):
            // Only reached with a deadline (the extend script's condition is ifHasDeadline); a
            // row without one is extended from the clock, which is what PEXPIRE would do.
            (base, milliseconds) = (old ?? clock, ms)
        }
        let start = Int64(clamping: base.rawValue)
        let (sum, overflow) = start.addingReportingOverflow(milliseconds)
        guard !overflow else { return .failure(ExpiryOverflow()) }
        return .success(LeaderTime(rawValue: UInt64(max(sum, 0))))
    }
}

extension Expiry {
    /// `expiry := 0 | 1 | 2 ms:i64 | 3 time:u64 | 4 ms:i64` (`Operation+Encoding.swift`).
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .clear: writer.write(UInt8(0))
        case .keep: writer.write(UInt8(1))
        case .after(let ms):
            writer.write(UInt8(2))
            writer.write(UInt64(bitPattern: ms))
        case .at(let time):
            writer.write(UInt8(3))
            writer.write(time.rawValue)
        case .extend(let ms):
            writer.write(UInt8(4))
            writer.write(UInt64(bitPattern: ms))
        }
    }

    static func decode(from reader: inout ByteReader) throws(DecodingError) -> Expiry {
        switch try reader.readUInt8() {
        case 0: return .clear
        case 1: return .keep
        case 2: return .after(milliseconds: Int64(bitPattern: try reader.readUInt64()))
        case 3:
            let raw = try reader.readUInt64()
            guard raw <= UInt64(Int64.max) else { throw .invalid("expiry time \(raw) is beyond the largest storable one") }
            return .at(LeaderTime(rawValue: raw))
        case 4: return .extend(milliseconds: Int64(bitPattern: try reader.readUInt64()))
        case let tag: throw .unknownTag(what: "expiry", tag: tag)
        }
    }
}
