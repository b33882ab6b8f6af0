package import PaxosClient

/// A node paxosctl talks to: its client endpoint and, when a cluster file named it, its replica id.
///
/// With `--endpoints` the ids are unknown until a node answers `INFO` (`replica_id`); a node that
/// never answers is shown by its endpoint alone.
package struct NodeAddress: Hashable, Sendable, CustomStringConvertible {
    package var id: Int?
    package var endpoint: Endpoint

    package init(id: Int?, endpoint: Endpoint) {
        self.id = id
        self.endpoint = endpoint
    }

    /// "node 2 (127.0.0.1:6382)", or just the endpoint when the id is unknown.
    package var description: String { id.map { "node \($0) (\(endpoint))" } ?? "\(endpoint)" }

    /// Parses `--endpoints h:p,h:p,…`: comma-separated `host:port`, blanks around commas ignored.
    /// - Throws: `.usage` naming the first entry that is not `host:port`, or an empty list.
    package static func parseList(_ text: String) throws(PaxosCtlError) -> [NodeAddress] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingWhitespace() }
        guard entries.contains(where: { !$0.isEmpty }) else {
            throw .usage("--endpoints: no endpoint given; expected host:port[,host:port...]")
        }
        var nodes: [NodeAddress] = []
        for (index, entry) in entries.enumerated() {
            guard !entry.isEmpty else { throw .usage("--endpoints: entry \(index + 1) is empty in '\(text)'") }
            do {
                nodes.append(NodeAddress(id: nil, endpoint: try Endpoint(parsing: entry)))
            } catch {
                throw .usage("--endpoints: \(error)")
            }
        }
        return nodes
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
