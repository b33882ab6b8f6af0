/// One value of RESP, the Redis serialization protocol, which is what PaxosKV speaks to clients so
/// that `redis-cli`, `redis-benchmark` and any Redis library work unchanged.
///
/// ```
/// +simple string\r\n      -error message\r\n      :42\r\n
/// $5\r\nhello\r\n         $-1\r\n  (null bulk)
/// *2\r\n<value><value>    *-1\r\n  (null array)
/// RESP3 only: %1 map, ~2 set, ,1.5 double, #t boolean, _ null, =7 verbatim, >3 push
/// ```
///
/// A connection speaks RESP2 until `HELLO 3`. Replies are built once, in the richest form, and
/// `forProtocol(_:)` turns them into what the connection speaks: a map becomes a flat array in
/// RESP2, a null bulk string the RESP3 null, as Redis answers the two protocols.
/// See https://redis.io/docs/latest/develop/reference/protocol-spec/.
public enum RESPValue: Hashable, Sendable {
    /// A status reply such as `OK` or `PONG`. CR and LF cannot appear on the wire; the serializer
    /// replaces them with spaces.
    case simpleString(String)
    /// An error reply, by convention starting with a code: `ERR unknown command 'FOO'`. CR and LF
    /// are replaced with spaces like in simple strings.
    case error(String)
    case integer(Int64)
    /// A binary-safe string; nil is the null bulk string (`GET` of a missing key).
    case bulkString([UInt8]?)
    /// nil is the null array.
    case array([RESPValue]?)
    /// RESP3: key-value pairs in order (HELLO, CONFIG GET). RESP2: a flat array.
    case map([Pair])
    /// RESP3: an unordered collection. RESP2: an array.
    case set([RESPValue])
    /// RESP3: a double (`inf`, `-inf`, `nan` included). RESP2: a bulk string of its text.
    case double(Double)
    /// RESP3: true or false. RESP2: the integer 1 or 0.
    case boolean(Bool)
    /// RESP3's one null. RESP2: the null bulk string.
    case null
    /// RESP3: text with a three-letter format (`txt`, `mkd`), as INFO and CLIENT LIST answer.
    /// RESP2: a bulk string of the text alone.
    case verbatim(format: String, text: String)
    /// RESP3: out-of-band data (pub/sub messages). RESP2: an array.
    case push([RESPValue])

    /// One entry of a map.
    public struct Pair: Hashable, Sendable {
        public var key: RESPValue
        public var value: RESPValue

        public init(_ key: RESPValue, _ value: RESPValue) {
            self.key = key
            self.value = value
        }
    }
}

extension RESPValue {
    /// A bulk string holding the UTF-8 bytes of `string`.
    public static func bulkString(_ string: String) -> RESPValue { .bulkString(Array(string.utf8)) }

    /// What clients send: an array of bulk strings, e.g. `["SET", "k", "v"]`.
    public static func command(_ arguments: [[UInt8]]) -> RESPValue {
        .array(arguments.map { .bulkString($0) })
    }
}

extension RESPValue {
    /// A map whose keys are bulk strings of `entries`' names, in order.
    public static func map(_ entries: KeyValuePairs<String, RESPValue>) -> RESPValue {
        .map(entries.map { Pair(.bulkString($0.key), $0.value) })
    }

    /// This value as a connection speaking RESP `version` (2 or 3) receives it: RESP3's types
    /// become their RESP2 forms (as Redis answers RESP2 clients), and in RESP3 the two RESP2
    /// nulls become RESP3's null. Values that need no change (most replies: scalars, arrays of
    /// bulk strings) are returned as they are, without copying.
    public func forProtocol(_ version: Int) -> RESPValue {
        guard needsConversion(forProtocol: version) else { return self }
        switch self {
        case .simpleString, .error, .integer: return self
        case .bulkString(nil), .array(nil), .null: return version >= 3 ? .null : .bulkString(nil)
        case .bulkString: return self
        case .array(let elements?): return .array(elements.map { $0.forProtocol(version) })
        case .map(let pairs):
            if version >= 3 { return .map(pairs.map { Pair($0.key.forProtocol(version), $0.value.forProtocol(version)) }) }
            return .array(pairs.flatMap { [$0.key.forProtocol(version), $0.value.forProtocol(version)] })
        case .set(let elements):
            return version >= 3 ? .set(elements.map { $0.forProtocol(version) }) : .array(elements.map { $0.forProtocol(version) })
        case .push(let elements):
            return version >= 3 ? .push(elements.map { $0.forProtocol(version) }) : .array(elements.map { $0.forProtocol(version) })
        case .double(let value): return .bulkString(Self.doubleText(value))
        case .boolean(let value): return .integer(value ? 1 : 0)
        case .verbatim(_, let text): return .bulkString(text)
        }
    }

    private func needsConversion(forProtocol version: Int) -> Bool {
        switch self {
        case .simpleString, .error, .integer, .bulkString(_?): false
        case .bulkString(nil), .array(nil): version >= 3
        case .null: version < 3
        case .array(let elements?): elements.contains { $0.needsConversion(forProtocol: version) }
        case .map(let pairs):
            version < 3 || pairs.contains { $0.key.needsConversion(forProtocol: version) || $0.value.needsConversion(forProtocol: version) }
        case .set(let elements), .push(let elements):
            version < 3 || elements.contains { $0.needsConversion(forProtocol: version) }
        case .double, .boolean, .verbatim: version < 3
        }
    }

    /// A double as Redis writes it: `inf`, `-inf`, `nan`, else the shortest text that reads back
    /// as the same double (`1.5`, `3`, `1e+300`).
    static func doubleText(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == value.rounded(), abs(value) < 1e17 { return String(Int64(value)) }
        return "\(value)"
    }
}
