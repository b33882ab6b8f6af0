public import NIOSSL

/// TLS for client connections to paxosd's client port: the CA that signed the nodes'
/// certificates, and optionally a client certificate for a node that asks for one.
///
/// The server's certificate is verified against `caFile` and against the name dialled: a host
/// name must be in the certificate's DNS names; an IP address (the usual `127.0.0.1`) must be in
/// its IP addresses. The context is built once and shared by every connection that uses it, so
/// reconnecting does not re-read the files.
public final class ClientTLS: Sendable {
    public let caFile: String
    let context: NIOSSLContext

    /// Reads the CA (and the optional certificate and key) now, so a wrong path fails at once.
    public init(caFile: String, certificateFile: String? = nil, keyFile: String? = nil) throws(PaxosClientError) {
        self.caFile = caFile
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(caFile)
            configuration.minimumTLSVersion = .tlsv12
            if let certificateFile, let keyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw PaxosClientError.tlsSetup.with("CA \(caFile): \(error)", endpoint: nil)
        }
    }
}
