import PaxosCore

/// A JSON value with its object keys in a fixed order, for `paxos-inspect --json`.
///
/// Built by hand rather than with `JSONEncoder` so that the output is exactly the documented
/// schema (docs/paxos-inspect.md): keys in the documented order, `null` for absent values rather
/// than a missing key, and 64-bit unsigned numbers (slots, rounds, client ids) printed exactly
/// instead of through `Double`.
package enum InspectionJSON: Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case string(String)
    case array([InspectionJSON])
    case object([(String, InspectionJSON)])

    /// The version of the `--json` schema, printed as `"schema"` in every document. Bumped only
    /// when a field changes meaning or goes away; adding a field keeps the version. 2: `diff`
    /// prints one report per group, in `reports`, where 1 had one `report`.
    package static let schemaVersion: Int64 = 2

    /// One line of compact JSON.
    package func rendered() -> String {
        var output = ""
        render(into: &output)
        return output
    }

    private func render(into output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .string(let value): Self.renderString(value, into: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.render(into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output += "," }
                Self.renderString(key, into: &output)
                output += ":"
                value.render(into: &output)
            }
            output += "}"
        }
    }

    /// RFC 8259 string escaping (`JSONText`).
    private static func renderString(_ value: String, into output: inout String) {
        JSONText.appendString(value, to: &output)
    }
}

extension InspectionJSON {
    /// A slot, or `null`.
    static func slot(_ slot: Slot?) -> InspectionJSON { slot.map { .uint($0.rawValue) } ?? .null }

    /// `{"round": 7, "replica": 2}`.
    static func ballot(_ ballot: Ballot) -> InspectionJSON {
        .object([("round", .uint(ballot.round)), ("replica", .uint(UInt64(ballot.replica.rawValue)))])
    }

    /// A string, or `null`.
    static func string(_ value: String?) -> InspectionJSON { value.map { .string($0) } ?? .null }

    /// Bytes as text when they are valid UTF-8, else `null` (the `_hex` field beside it always
    /// has them).
    static func text(_ bytes: Bytes) -> InspectionJSON {
        guard let text = String(validating: bytes, as: UTF8.self) else { return .null }
        return .string(text)
    }

    static func count(_ value: Int) -> InspectionJSON { .int(Int64(value)) }

    /// The first lines of every document: the schema version, the command and whether it passed.
    static func document(_ command: String, ok: Bool, _ members: [(String, InspectionJSON)]) -> InspectionJSON {
        .object([("schema", .int(schemaVersion)), ("command", .string(command)), ("ok", .bool(ok))] + members)
    }
}
