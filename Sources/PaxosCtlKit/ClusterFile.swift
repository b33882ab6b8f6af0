package import Foundation
import PaxosClient

/// The nodes paxosctl talks to when no `--endpoints` are given: the client addresses in a
/// cluster file (`data/cluster.json`, the file `paxosd --config` and `tools/cluster` read).
///
/// Only `replicas[].id`, `host` and `clientPort` are read, so paxosctl needs nothing from the
/// server modules. The file is looked up relative to the current directory, which is where an
/// operator stands in a checkout. After `tools/cluster up N` with N smaller than the shipped
/// cluster, the file that cluster was started from (`data/launcher/cluster-N.json`, N read from
/// `data/launcher/cluster.size`) comes first, so paxosctl does not go looking for nodes that were
/// never started. When no file is there, the shipped cluster's addresses, 127.0.0.1:6381 to
/// 6385, are used. A file that exists but cannot be used is an error, not a reason to fall back
/// silently: the operator would otherwise talk to a different cluster.
package enum ClusterFile {
    /// The cluster file paxosctl looks for when `--config` is not given.
    package static let defaultPath = "data/cluster.json"
    /// Where `tools/cluster` keeps the size of the cluster it last started and the configuration
    /// it generated for a cluster smaller than `defaultPath`'s; older versions kept them in
    /// `legacyLauncherDirectory`, next to the node directories, which is read when this one has
    /// no size.
    package static let launcherDirectory = "data/launcher"
    package static let legacyLauncherDirectory = "data/nodes"

    /// The shipped 5-node loopback cluster: node n serves clients on 127.0.0.1:638n.
    package static let fallbackNodes: [NodeAddress] = (1...5).map {
        NodeAddress(id: $0, endpoint: Endpoint(host: "127.0.0.1", port: 6380 + $0))
    }

    private struct File: Decodable {
        struct Replica: Decodable {
            var id: Int
            var host: String
            var clientPort: Int
            /// False for a spare (see the server's `ClusterConfiguration.ReplicaAddress.bootstrap`).
            var bootstrap: Bool?
        }
        var replicas: [Replica]
    }

    /// The nodes named by `path`; when `path` is nil, by `defaultFile(in:)` if there is one, else
    /// `fallbackNodes`.
    /// - Throws: `.usage` when an explicit file is missing, or any file is unreadable or malformed.
    package static func nodes(path: String?, directory: String = ".", includeSpares: Bool = false) throws(PaxosCtlError) -> [NodeAddress] {
        if let path { return try load(path, includeSpares: includeSpares) }
        guard let file = defaultFile(in: directory) else { return fallbackNodes }
        return try load(file, includeSpares: includeSpares)
    }

    /// The cluster file to use without `--config`, relative to `directory` (a checkout): the one
    /// `tools/cluster` generated for the smaller cluster it last started, else `defaultPath`.
    package static func defaultFile(in directory: String) -> String? {
        let root = URL(fileURLWithPath: directory)
        for launcher in [launcherDirectory, legacyLauncherDirectory] {
            let records = root.appendingPathComponent(launcher)
            let sizeFile = records.appendingPathComponent("cluster.size").path
            guard let text = try? String(contentsOfFile: sizeFile, encoding: .utf8) else { continue }
            if let size = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                let generated = records.appendingPathComponent("cluster-\(size).json").path
                if FileManager.default.fileExists(atPath: generated) { return generated }
            }
            break
        }
        let shipped = root.appendingPathComponent(defaultPath).path
        return FileManager.default.fileExists(atPath: shipped) ? shipped : nil
    }

    /// Reads the replicas of the cluster file at `path`.
    package static func load(_ path: String, includeSpares: Bool = false) throws(PaxosCtlError) -> [NodeAddress] {
        try parse(try read(path), source: path, includeSpares: includeSpares)
    }

    /// The bytes of the cluster file at `path`.
    /// - Throws: `.usage` when it is missing or unreadable.
    package static func read(_ path: String) throws(PaxosCtlError) -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw .usage("cluster file \(path) not found") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .usage("cannot read cluster file \(path): \(error.localizedDescription)")
        }
    }

    /// Parses cluster-file JSON; `source` names it in errors. Spares (`"bootstrap": false`: not
    /// voters until an operator adds them) only with `includeSpares`, so status and failover show
    /// the cluster's first members.
    package static func parse(_ data: Data, source: String, includeSpares: Bool = false) throws(PaxosCtlError) -> [NodeAddress] {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let error as DecodingError {
            throw .usage("\(source) is not a cluster file: \(explain(error))")
        } catch {
            throw .usage("\(source) is not a cluster file: \(error)")
        }
        guard !file.replicas.isEmpty else { throw .usage("\(source) lists no replicas") }
        var nodes: [NodeAddress] = []
        for replica in file.replicas where includeSpares || replica.bootstrap != false {
            guard (1...65_535).contains(replica.clientPort), !replica.host.isEmpty else {
                throw .usage("\(source): replica \(replica.id) has an unusable client address '\(replica.host):\(replica.clientPort)'")
            }
            nodes.append(NodeAddress(id: replica.id, endpoint: Endpoint(host: replica.host, port: replica.clientPort)))
        }
        return nodes
    }

    /// A decoding error as one short phrase: what is wrong and where.
    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "the top level" : String(keys.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            let place = context.codingPath.isEmpty ? "" : " in \(path(context))"
            return "missing \"\(key.stringValue)\"\(place)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}
