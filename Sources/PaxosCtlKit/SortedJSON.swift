import Foundation

/// paxosctl's `--json` output: pretty-printed, keys sorted, so scripts and diffs see a stable
/// layout.
enum SortedJSON {
    /// - Precondition: `value` encodes only strings, integers, finite doubles, bools and nulls
    ///   (true of every report paxosctl prints), so encoding cannot fail; a failure is a bug.
    static func render(_ value: some Encodable, what: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            preconditionFailure("\(what) JSON encoding failed: \(error)")
        }
    }
}
