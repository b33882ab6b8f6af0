/// One value of RESP2, the Redis serialization protocol, which is what PaxosKV speaks to clients so
/// that `redis-cli`, `redis-benchmark` and any Redis library work unchanged.
///
/// ```
/// +simple string\r\n      -error message\r\n      :42\r\n
/// $5\r\nhello\r\n         $-1\r\n  (null bulk)
/// *2\r\n<value><value>    *-1\r\n  (null array)
/// ```
///
/// Only RESP2: RESP3 (`HELLO 3`) adds types that `redis-cli` does not need, and a server that
/// never switches protocol keeps every client on the same grammar.
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
}

extension RESPValue {
    /// A bulk string holding the UTF-8 bytes of `string`.
    public static func bulkString(_ string: String) -> RESPValue { .bulkString(Array(string.utf8)) }

    /// What clients send: an array of bulk strings, e.g. `["SET", "k", "v"]`.
    public static func command(_ arguments: [[UInt8]]) -> RESPValue {
        .array(arguments.map { .bulkString($0) })
    }
}
