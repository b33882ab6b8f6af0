public import PaxosCore

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`, parsed as Redis parses it: options
/// in any order and case, a repeated one overriding the earlier, Redis's error texts.
///
/// The cursor is checked against the node's group count when the scan runs (`ScanCursor`);
/// here only its form: an unsigned 64-bit decimal, as `strtoull` reads it (Redis answers
/// `ERR invalid cursor` to anything else).
public struct ScanArguments: Hashable, Sendable {
    public var cursor: UInt64
    /// Nil: every key (no MATCH, or MATCH `*`, which Redis also skips).
    public var match: GlobPattern?
    /// How many rows a page visits (Redis's hint, default 10; at most `maxCount`).
    public var count: Int
    /// TYPE: nil for none; PaxosKV holds only strings, so any other type matches nothing.
    public var type: String?

    public static let defaultCount = 10
    /// A page's rows are held in memory and sent at once; larger COUNTs are cut to this.
    public static let maxCount = 10_000

    /// Whether a key of this store passes TYPE.
    public var typeMatchesStrings: Bool { type.map { $0.lowercased() == "string" } ?? true }

    static func parse(_ arguments: [Bytes]) throws(ClientCommandError) -> ScanArguments {
        guard let first = arguments.first else { throw ClientCommandError("ERR wrong number of arguments for 'scan' command") }
        guard !first.isEmpty, first.count <= 20, first.allSatisfy({ (0x30...0x39).contains($0) }),
              let cursor = UInt64(String(decoding: first, as: UTF8.self)) else {
            throw ClientCommandError("ERR invalid cursor")
        }
        var result = ScanArguments(cursor: cursor, match: nil, count: defaultCount, type: nil)
        var index = 1
        while index < arguments.count {
            let option = String(decoding: arguments[index], as: UTF8.self).uppercased()
            guard index + 1 < arguments.count else { throw DataCommand.syntaxError }
            let value = arguments[index + 1]
            switch option {
            case "MATCH":
                let pattern = GlobPattern(value)
                result.match = pattern.matchesEverything ? nil : pattern
            case "COUNT":
                guard let count = RedisInteger.parse(value) else { throw DataCommand.notInteger }
                guard count >= 1 else { throw DataCommand.syntaxError }
                result.count = Int(min(count, Int64(maxCount)))
            case "TYPE":
                result.type = String(decoding: value, as: UTF8.self)
            default:
                throw DataCommand.syntaxError
            }
            index += 2
        }
        return result
    }
}
