import Foundation
import NIOSSL

/// Optional TLS for a node's listeners and peer links: the node's certificate and key, and the
/// CA that signed every node's certificate.
///
/// - Clients: the client port speaks TLS; clients verify the node against the CA. Clients are
///   not asked for certificates; they prove who they are with AUTH.
/// - Peers: mutual TLS. A node presents its certificate when it dials and when it accepts, and
///   refuses a peer whose certificate the CA did not sign. Host names are not checked between
///   peers: the peer handshake inside TLS already proves which member is speaking, and members
///   are often listed by IP address. TLS adds confidentiality and integrity on the path, which
///   the handshake alone cannot give.
///
/// Paths may contain `{id}`, replaced by the replica id, so one cluster file names every node's
/// own files (`tls/node-{id}.crt`).
public struct NodeTLS: Sendable, Hashable {
    public var certificateFile: String
    public var keyFile: String
    public var caFile: String
    public var clients: Bool
    public var peers: Bool

    public init(certificateFile: String, keyFile: String, caFile: String, clients: Bool, peers: Bool) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.caFile = caFile
        self.clients = clients
        self.peers = peers
    }

    /// The contexts the listeners and links use, built once at start-up so that a missing or bad
    /// file stops the node with one sentence instead of failing every connection.
    func makeContexts() throws(NodeStartupError) -> NodeTLSContexts {
        func load() throws -> (chain: [NIOSSLCertificateSource], key: NIOSSLPrivateKeySource) {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            return (chain, .privateKey(key))
        }
        do {
            for (what, path) in [("certificate", certificateFile), ("key", keyFile), ("CA", caFile)]
            where !FileManager.default.isReadableFile(atPath: path) {
                throw NodeStartupError("TLS \(what) file \(path) cannot be read; tools/make-tls makes a local CA and node certificates")
            }
            let (chain, key) = try load()
            var clientsContext: NIOSSLContext?
            if clients {
                var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
                configuration.minimumTLSVersion = .tlsv12
                clientsContext = try NIOSSLContext(configuration: configuration)
            }
            var accepting: NIOSSLContext?
            var dialing: NIOSSLContext?
            if peers {
                var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
                server.minimumTLSVersion = .tlsv12
                server.trustRoots = .file(caFile)
                server.certificateVerification = .noHostnameVerification
                accepting = try NIOSSLContext(configuration: server)
                var client = TLSConfiguration.makeClientConfiguration()
                client.minimumTLSVersion = .tlsv12
                client.certificateChain = chain
                client.privateKey = key
                client.trustRoots = .file(caFile)
                client.certificateVerification = .noHostnameVerification
                dialing = try NIOSSLContext(configuration: client)
            }
            return NodeTLSContexts(clients: clientsContext, peersAccepting: accepting, peersDialing: dialing)
        } catch let error as NodeStartupError {
            throw error
        } catch {
            throw NodeStartupError("TLS: cannot use certificate \(certificateFile), key \(keyFile) or CA \(caFile): \(error)")
        }
    }

    /// `path` with `{id}` replaced by `id`.
    public static func expand(_ path: String, id: UInt32) -> String {
        path.replacingOccurrences(of: "{id}", with: String(id))
    }
}

/// The TLS contexts of a running node; nil where TLS is off.
struct NodeTLSContexts: Sendable {
    var clients: NIOSSLContext?
    var peersAccepting: NIOSSLContext?
    var peersDialing: NIOSSLContext?
}
