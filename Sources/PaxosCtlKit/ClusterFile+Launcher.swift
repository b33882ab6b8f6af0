package import Foundation

/// What `tools/cluster` needs from a cluster file, so the launcher needs no JSON tool of its own
/// (`paxosctl cluster-file replicas` and `sized`): the replicas as plain lines, and the file an
/// N-node cluster starts from.
///
/// The sized file is the shipped one with every key kept (TLS, users file, groups, keys a later
/// release adds) except two: the bootstrap replicas after the first N are marked spares
/// (`"bootstrap": false`, listed so the nodes let them connect, voters only once added), and
/// `secretFile` names the secret every size of the local cluster shares. Keys are written
/// sorted, so the same input always gives the same bytes.
extension ClusterFile {
    /// One replica as the launcher reads it.
    package struct LauncherReplica: Hashable, Sendable {
        package var id: Int
        package var host: String
        package var clientPort: Int
        package var peerPort: Int
        package var metricsPort: Int
        /// False for a spare (`"bootstrap": false`); a replica without the key is a bootstrap member.
        package var bootstrap: Bool

        /// `id host clientPort peerPort metricsPort boot|spare`: one line `read` splits in bash.
        package var line: String { "\(id) \(host) \(clientPort) \(peerPort) \(metricsPort) \(bootstrap ? "boot" : "spare")" }
    }

    /// Every replica of the file, in file order, spares included.
    /// - Throws: `.usage` when the file is not a cluster file or a replica lacks a field the
    ///   launcher needs; the message names the file and the replica.
    package static func launcherReplicas(_ data: Data, source: String) throws(PaxosCtlError) -> [LauncherReplica] {
        let replicas = try replicaObjects(try rootObject(data, source: source), source: source)
        var result: [LauncherReplica] = []
        for (index, replica) in replicas.enumerated() {
            func number(_ key: String) throws(PaxosCtlError) -> Int {
                guard let value = replica[key] as? Int, value >= 0 else {
                    throw .usage("\(source): replicas[\(index)] has no usable \"\(key)\"")
                }
                return value
            }
            guard let host = replica["host"] as? String, !host.isEmpty, !host.contains(where: \.isWhitespace) else {
                throw .usage("\(source): replicas[\(index)] has no usable \"host\"")
            }
            var bootstrap = true
            if let mark = replica["bootstrap"] {
                guard let flag = mark as? Bool else { throw .usage("\(source): replicas[\(index)].bootstrap is not true or false") }
                bootstrap = flag
            }
            result.append(LauncherReplica(id: try number("id"), host: host, clientPort: try number("clientPort"),
                                          peerPort: try number("peerPort"), metricsPort: try number("metricsPort"),
                                          bootstrap: bootstrap))
        }
        return result
    }

    /// The file an N-node cluster starts from: the first `size` bootstrap replicas stay
    /// bootstrap members, the later ones become spares, and `secretFile` (when given) is set.
    /// - Throws: `.usage` when the file is not a cluster file or lists fewer than `size`
    ///   bootstrap replicas.
    package static func sized(_ data: Data, source: String, size: Int, secretFile: String?) throws(PaxosCtlError) -> Data {
        var root = try rootObject(data, source: source)
        var replicas = try replicaObjects(root, source: source)
        var members = 0
        for index in replicas.indices where (replicas[index]["bootstrap"] as? Bool) != false {
            members += 1
            if members > size { replicas[index]["bootstrap"] = false }
        }
        guard size >= 1, members >= size else {
            throw .usage("\(source) lists \(members) bootstrap replicas; a \(size)-node cluster needs \(size)")
        }
        root["replicas"] = replicas
        if let secretFile { root["secretFile"] = secretFile }
        do {
            var written = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            written.append(UInt8(ascii: "\n"))
            return written
        } catch {
            throw .failed("cannot write the \(size)-node cluster file: \(error.localizedDescription)")
        }
    }

    private static func rootObject(_ data: Data, source: String) throws(PaxosCtlError) -> [String: Any] {
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw .usage("\(source) is not a cluster file: not valid JSON")
        }
        guard let root = parsed as? [String: Any] else { throw .usage("\(source) is not a cluster file: not a JSON object") }
        return root
    }

    private static func replicaObjects(_ root: [String: Any], source: String) throws(PaxosCtlError) -> [[String: Any]] {
        guard let replicas = root["replicas"] as? [[String: Any]] else {
            throw .usage("\(source) is not a cluster file: missing \"replicas\"")
        }
        guard !replicas.isEmpty else { throw .usage("\(source) lists no replicas") }
        return replicas
    }
}
