/// One client command: `SET k v` arrives as name `SET` and arguments `[k, v]`.
///
/// The name is ASCII-uppercased because Redis command names are case-insensitive (`get`, `Get`);
/// arguments stay raw bytes because keys and values are binary-safe.
public struct RESPCommand: Hashable, Sendable, CustomStringConvertible {
    /// The uppercased command name; bytes that are not UTF-8 become U+FFFD.
    public var name: String
    public var arguments: [[UInt8]]
    /// Set when the request broke a size limit with lengths the parser could still follow (a
    /// bulk string or the command's total over the limit): its arguments were skipped, not
    /// kept, and the stream is still aligned. The server MUST answer it with an error, in its
    /// place in the pipeline, and may go on serving the connection.
    public var refusal: RESPError?

    public init(name: String, arguments: [[UInt8]], refusal: RESPError? = nil) {
        self.name = name
        self.arguments = arguments
        self.refusal = refusal
    }

    /// Splits a parsed request into name and arguments.
    /// - Precondition: `words` is not empty (the parsers skip empty requests).
    init(words: [[UInt8]]) {
        precondition(!words.isEmpty, "a command has at least a name")
        let name = words[0].map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }
        self.init(name: String(decoding: name, as: UTF8.self), arguments: Array(words.dropFirst()))
    }

    /// The name and the argument count, never the arguments: they hold keys and values.
    public var description: String { "\(name) (\(arguments.count) arguments)" }
}
