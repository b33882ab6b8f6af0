/// `# HELP` lines for `/metrics`, from the catalog.
///
/// swift-prometheus 2.4 writes `# HELP` only for metrics made through its registry's `make…(help:)`
/// methods; metrics made through the swift-metrics facade (`Counter(label:)`, which the node,
/// its tests and the client handlers use) register with an empty help text, and the registry
/// crashes when one name is registered with two different help texts. Registering every metric
/// through the registry would tie `NodeMetrics` to Prometheus types and one global registry;
/// inserting the catalog's help line before each `# TYPE` line of the rendered text is simpler
/// and keeps one way of making a metric. A family missing from the catalog gets no HELP line,
/// which the exposition test and `promtool check metrics` both report.
extension MetricCatalog {
    public static func addingHelp(to exposition: [UInt8]) -> [UInt8] {
        let typePrefix = Array("# TYPE ".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(exposition.count + all.count * 96)
        for line in exposition.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: typePrefix) {
                let name = line.dropFirst(typePrefix.count).prefix { $0 != UInt8(ascii: " ") }
                if let descriptor = descriptor(named: String(decoding: name, as: UTF8.self)) {
                    output += Array("# HELP \(descriptor.name) \(escapedHelp(descriptor.help))\n".utf8)
                }
            }
            output += line
            output.append(UInt8(ascii: "\n"))
        }
        // split() yields an empty last piece after the final newline: do not double it.
        if exposition.last == UInt8(ascii: "\n") || exposition.isEmpty { output.removeLast() }
        return output
    }

    /// The text format's HELP escapes: backslash and line feed.
    static func escapedHelp(_ help: String) -> String {
        var escaped = ""
        for character in help {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
