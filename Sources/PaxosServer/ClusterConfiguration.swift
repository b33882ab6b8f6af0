public import Foundation
public import PaxosCore

/// The cluster as `data/cluster.json` describes it: every replica's id and addresses, the
/// cluster id that peers check in their handshake, where the shared secret and node data live.
///
/// ```json
/// { "clusterID": "paxoskv-local", "dataDirectory": "data/nodes", "groups": 1, "secretFile": "cluster.secret",
///   "replicas": [ { "id": 1, "host": "127.0.0.1", "clientPort": 6381, "peerPort": 7381, "metricsPort": 9381 }, … ] }
/// ```
public struct ClusterConfiguration: Codable, Hashable, Sendable {
    public var clusterID: String
    /// Node `n` keeps its database in `<dataDirectory>/<n>/`. Relative paths are relative to
    /// the current directory.
    public var dataDirectory: String
    public var replicas: [ReplicaAddress]
    /// Consensus groups per node (optional; 1 when absent). Every node must run the same
    /// number; `paxosd --groups` overrides it.
    public var groups: UInt32?
    /// The cluster secret file peers authenticate with (optional; `cluster.secret` when absent).
    /// A relative path is relative to the directory of the configuration file, so a cluster
    /// file and its secret move together. `paxosd --secret-file` overrides it.
    public var secretFile: String?
    /// TLS for clients and peers (optional; plain TCP when absent). See `TLSFiles`.
    public var tls: TLSFiles?
    /// The users file clients authenticate against (optional; see `UsersFile`). A relative path
    /// is relative to the directory of the configuration file; `paxosd --users-file` overrides it.
    public var usersFile: String?

    public struct ReplicaAddress: Codable, Hashable, Sendable {
        public var id: UInt32
        public var host: String
        public var clientPort: Int
        public var peerPort: Int
        public var metricsPort: Int
        /// Whether this replica is a voter of the first membership, recorded at genesis
        /// (optional; true when absent). A replica listed with `false` is a spare: peers know
        /// its address and let it connect, and it follows the cluster as a learner once an
        /// operator adds it (`paxosctl member add`). After genesis the replicated membership,
        /// not this file, decides who votes.
        public var bootstrap: Bool?

        public init(id: UInt32, host: String, clientPort: Int, peerPort: Int, metricsPort: Int, bootstrap: Bool? = nil) {
            self.id = id
            self.host = host
            self.clientPort = clientPort
            self.peerPort = peerPort
            self.metricsPort = metricsPort
            self.bootstrap = bootstrap
        }
    }

    public init(clusterID: String, dataDirectory: String, replicas: [ReplicaAddress]) {
        self.clusterID = clusterID
        self.dataDirectory = dataDirectory
        self.replicas = replicas
    }

    /// Reads and validates a configuration file. Every failure is one sentence that says what
    /// to fix.
    public static func load(path: String) throws(ClusterConfigurationError) -> ClusterConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ClusterConfigurationError("cannot read cluster configuration \(path): \(error.localizedDescription)")
        }
        let configuration: ClusterConfiguration
        do {
            configuration = try JSONDecoder().decode(ClusterConfiguration.self, from: data)
        } catch let error as Swift.DecodingError {
            throw ClusterConfigurationError("\(path) is not a valid cluster configuration: \(Self.explain(error))")
        } catch {
            throw ClusterConfigurationError("\(path) is not a valid cluster configuration: \(error)")
        }
        try configuration.validate(source: path)
        return configuration
    }

    /// Checks ids, ports and size. - Parameter source: names the file in messages.
    public func validate(source: String = "the cluster configuration") throws(ClusterConfigurationError) {
        if clusterID.isEmpty || clusterID.utf8.count > 128 {
            throw ClusterConfigurationError("\(source): clusterID must be 1 to 128 bytes")
        }
        if let groups, !(1...GroupMap.maxGroups).contains(groups) {
            throw ClusterConfigurationError("\(source): groups is \(groups); use 1 to \(GroupMap.maxGroups)")
        }
        if replicas.isEmpty { throw ClusterConfigurationError("\(source): no replicas are listed") }
        let first = bootstrapMembers.count
        if first == 0 { throw ClusterConfigurationError("\(source): no replica is a bootstrap member; mark at least one without \"bootstrap\": false") }
        if first % 2 == 0 {
            throw ClusterConfigurationError("\(source): \(first) replicas listed as bootstrap members; use an odd number (3, 5, 7) so a majority is unambiguous (list spares with \"bootstrap\": false)")
        }
        var ids = Set<UInt32>()
        var endpoints = [String: String]()
        for replica in replicas {
            if replica.id == 0 { throw ClusterConfigurationError("\(source): replica id 0 is reserved; number replicas from 1") }
            if !ids.insert(replica.id).inserted { throw ClusterConfigurationError("\(source): replica id \(replica.id) is listed twice") }
            for (name, port) in [("clientPort", replica.clientPort), ("peerPort", replica.peerPort), ("metricsPort", replica.metricsPort)] {
                guard (1...65535).contains(port) else {
                    throw ClusterConfigurationError("\(source): replica \(replica.id) has \(name) \(port), outside 1-65535")
                }
                let endpoint = "\(replica.host):\(port)"
                if let other = endpoints[endpoint] {
                    throw ClusterConfigurationError("\(source): \(endpoint) is used twice (replica \(replica.id) \(name) and \(other)); give each its own port")
                }
                endpoints[endpoint] = "replica \(replica.id) \(name)"
            }
        }
    }

    public func address(of id: ReplicaID) -> ReplicaAddress? {
        replicas.first { $0.id == id.rawValue }
    }

    /// Every replica listed: who may connect as a peer, and whose address we know.
    public var members: [ReplicaID] { replicas.map { ReplicaID($0.id) } }

    /// The voters of the first membership (every replica not marked `"bootstrap": false`).
    public var bootstrapMembers: [ReplicaID] { replicas.filter { $0.bootstrap != false }.map { ReplicaID($0.id) } }

    /// Where the cluster secret is for a configuration read from `configurationPath`.
    public func secretPath(configurationPath: String) -> String {
        Self.resolve(secretFile ?? "cluster.secret", relativeToFileAt: configurationPath)
    }

    /// A path named in the cluster file (secret, users file, TLS files): absolute as given, else
    /// relative to the file's directory, so a cluster file and what it names move together.
    public static func resolve(_ path: String, relativeToFileAt configurationPath: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        let directory = (configurationPath as NSString).deletingLastPathComponent
        return directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
    }

    private static func explain(_ error: Swift.DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(context.debugDescription) \(context.underlyingError.map { "(\($0.localizedDescription))" } ?? "")"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ context: Swift.DecodingError.Context) -> String {
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "the top level" : path
    }
}

public struct ClusterConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
