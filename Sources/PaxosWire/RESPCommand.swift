/// One client command: `SET k v` arrives as name `SET` and arguments `[k, v]`.
///
/// The name is ASCII-uppercased because Redis command names are case-insensitive (`get`, `Get`);
/// arguments stay raw bytes because keys and values are binary-safe.
public struct RESPCommand: Hashable, Sendable, CustomStringConvertible {
    /// The uppercased command name; bytes that are not UTF-8 become U+FFFD.
    public var name: String
    public var arguments: [[UInt8]]

    public init(name: String, arguments: [[UInt8]]) {
        self.name = name
        self.arguments = arguments
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
