import Foundation

extension ClusterConfiguration {
    /// The optional `tls` object of a cluster file: where every node finds its certificate, key
    /// and the cluster's CA, and where TLS is on.
    ///
    /// ```json
    /// "tls": { "certificateFile": "tls/node-{id}.crt", "keyFile": "tls/node-{id}.key",
    ///          "caFile": "tls/ca.crt", "clients": true, "peers": true }
    /// ```
    /// `{id}` becomes the replica id; relative paths are relative to the cluster file's directory.
    /// `clients` and `peers` default to true when the object is present.
    public struct TLSFiles: Codable, Hashable, Sendable {
        public var certificateFile: String
        public var keyFile: String
        public var caFile: String
        public var clients: Bool?
        public var peers: Bool?

        public init(certificateFile: String, keyFile: String, caFile: String, clients: Bool? = nil, peers: Bool? = nil) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.caFile = caFile
            self.clients = clients
            self.peers = peers
        }

        /// Node `id`'s settings, with relative paths resolved against the cluster file's directory.
        public func resolved(id: UInt32, configurationPath: String) -> NodeTLS {
            func path(_ template: String) -> String {
                ClusterConfiguration.resolve(NodeTLS.expand(template, id: id), relativeToFileAt: configurationPath)
            }
            return NodeTLS(certificateFile: path(certificateFile), keyFile: path(keyFile), caFile: path(caFile),
                           clients: clients ?? true, peers: peers ?? true)
        }
    }
}
