import PaxosWire

/// Redis's documentation notation of a command's arguments, `key value [NX | XX] [EX seconds |
/// PX milliseconds] [key value ...]`, read into the argument tree `COMMAND DOCS` answers:
/// lower-case words are arguments (typed by name: `key`, numbers, patterns, Unix times, else
/// strings), an upper-case word is a token (of the argument after it, or alone a pure token),
/// `[…]` is optional, `a | b` one of, and `...` after an argument or group makes it multiple.
struct CommandSyntax {
    struct Argument: Hashable, Sendable {
        var name: String
        var type: String
        var token: String?
        var optional = false
        var multiple = false
        var children: [Argument] = []

        /// The map of one argument in `COMMAND DOCS`.
        var docs: RESPValue {
            var fields: [RESPValue.Pair] = [RESPValue.Pair(.bulkString("name"), .bulkString(name)),
                                            RESPValue.Pair(.bulkString("type"), .bulkString(type))]
            if type == "key" { fields.append(RESPValue.Pair(.bulkString("key_spec_index"), .integer(0))) }
            if let token { fields.append(RESPValue.Pair(.bulkString("token"), .bulkString(token))) }
            let flags = (optional ? ["optional"] : []) + (multiple ? ["multiple"] : [])
            if !flags.isEmpty { fields.append(RESPValue.Pair(.bulkString("flags"), .set(flags.map { .simpleString($0) }))) }
            if !children.isEmpty { fields.append(RESPValue.Pair(.bulkString("arguments"), .array(children.map(\.docs)))) }
            return .map(fields)
        }
    }

    static func arguments(_ syntax: String) -> [Argument] {
        var tokens = tokenize(syntax)[...]
        return sequence(&tokens, until: nil)
    }

    private static func tokenize(_ syntax: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        for character in syntax {
            if character == "[" || character == "]" || character == "|" || character == " " {
                if !word.isEmpty { tokens.append(word); word = "" }
                if character != " " { tokens.append(String(character)) }
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    /// Arguments up to `closing` (or the end), alternatives joined into a `oneof`.
    private static func sequence(_ tokens: inout ArraySlice<String>, until closing: String?) -> [Argument] {
        var alternatives: [[Argument]] = [[]]
        while let token = tokens.first {
            tokens.removeFirst()
            switch token {
            case closing: return combine(alternatives)
            case "|": alternatives.append([])
            case "[":
                var inner = sequence(&tokens, until: "]")
                // `[key value ...]` after `key value`: the repetition of what came before.
                if inner.last?.name == "..." {
                    inner.removeLast()
                    if let last = alternatives[alternatives.count - 1].indices.last, inner.count == 1,
                       alternatives[alternatives.count - 1][last].name == inner[0].name {
                        alternatives[alternatives.count - 1][last].multiple = true
                        continue
                    }
                    for index in inner.indices { inner[index].multiple = true }
                }
                let group = inner.count == 1 ? inner[0] : Argument(name: inner.map(\.name).joined(separator: "-"), type: "block", children: inner)
                var optional = group
                optional.optional = true
                alternatives[alternatives.count - 1].append(optional)
            case "...":
                alternatives[alternatives.count - 1].append(Argument(name: "...", type: "string"))
            default:
                if token == token.uppercased(), token.contains(where: \.isLetter) {
                    // A token: of the argument that follows it, unless another token, a group or
                    // the end follows (then it stands alone).
                    if let next = tokens.first, next != "[", next != "]", next != "|", next != "...", next != next.uppercased() {
                        tokens.removeFirst()
                        alternatives[alternatives.count - 1].append(Argument(name: next, type: type(of: next), token: token))
                    } else {
                        alternatives[alternatives.count - 1].append(Argument(name: token.lowercased(), type: "pure-token", token: token))
                    }
                } else {
                    alternatives[alternatives.count - 1].append(Argument(name: token, type: type(of: token)))
                }
            }
        }
        return combine(alternatives)
    }

    private static func combine(_ alternatives: [[Argument]]) -> [Argument] {
        guard alternatives.count > 1 else { return alternatives[0] }
        let choices = alternatives.map { $0.count == 1 ? $0[0] : Argument(name: $0.map(\.name).joined(separator: "-"), type: "block", children: $0) }
        return [Argument(name: choices.map(\.name).joined(separator: "-or-"), type: "oneof", children: choices)]
    }

    private static func type(of name: String) -> String {
        switch name {
        case "key": "key"
        case "pattern": "pattern"
        case "unix-time-seconds", "unix-time-milliseconds": "unix-time"
        case "seconds", "milliseconds", "increment", "decrement", "count", "cursor", "revision", "numkeys", "index", "protover", "id",
             "client-port", "peer-port", "metrics-port": "integer"
        default: "string"
        }
    }
}
