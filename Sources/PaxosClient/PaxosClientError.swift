public import PaxosCore
public import PaxosWire

/// Why a client call failed: the connection, the bytes on it, or the server's answer.
///
/// Two errors are equal when they are the same kind (`error == .timeout`); `description` carries
/// the endpoint and the detail for people, and `serverMessage` the server's own text. Whether a
/// failed write took effect is told by `outcomeIsUnknown`, not by the kind alone: a reply timeout
/// after the command was sent leaves it unknown, a refused connection does not.
public struct PaxosClientError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidEndpoint
        case cannotResolve
        case connectionRefused
        case connectFailed
        case timeout
        case connectionClosed
        case socketError
        case protocolError
        case serverError
        case unexpectedReply
        case tlsSetup
        case tlsHandshake
    }

    private let code: Code
    private let detail: String
    /// The node involved, when there is one.
    public let endpoint: Endpoint?
    /// The whole RESP error text for `.serverError`, e.g. `NOLEADER no leader is known; …`.
    public let serverMessage: String?
    /// True when the command may have reached the server: its effect, if any, is unknown.
    public let outcomeIsUnknown: Bool
    public let file: String
    public let line: Int

    private init(
        _ code: Code, _ detail: String = "", endpoint: Endpoint? = nil, serverMessage: String? = nil,
        outcomeIsUnknown: Bool = false, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.detail = detail
        self.endpoint = endpoint
        self.serverMessage = serverMessage
        self.outcomeIsUnknown = outcomeIsUnknown
        self.file = file
        self.line = line
    }

    /// An endpoint that is not `host:port`, or an empty endpoint list.
    public static let invalidEndpoint = PaxosClientError(.invalidEndpoint)
    /// The host name did not resolve to an address.
    public static let cannotResolve = PaxosClientError(.cannotResolve)
    /// Nothing listens at the endpoint: the node is down or the port is wrong.
    public static let connectionRefused = PaxosClientError(.connectionRefused)
    /// The TCP connection could not be set up for another reason (unreachable, reset, ...).
    public static let connectFailed = PaxosClientError(.connectFailed)
    /// Connecting, sending or waiting for the reply took longer than allowed.
    public static let timeout = PaxosClientError(.timeout)
    /// The server closed or reset the connection.
    public static let connectionClosed = PaxosClientError(.connectionClosed)
    /// A socket call failed with an errno the other kinds do not cover.
    public static let socketError = PaxosClientError(.socketError)
    /// The server's bytes are not valid RESP (or exceed the client's limits).
    public static let protocolError = PaxosClientError(.protocolError)
    /// The server answered with a RESP error (`-NOLEADER …`, `-ERR …`).
    public static let serverError = PaxosClientError(.serverError)
    /// The server answered with a valid reply of the wrong shape for the command.
    public static let unexpectedReply = PaxosClientError(.unexpectedReply)
    /// The client's TLS files could not be used (a missing or malformed CA, certificate or key).
    public static let tlsSetup = PaxosClientError(.tlsSetup)
    /// The TLS handshake failed: the server's certificate is not signed by the CA, does not name
    /// the host dialled, or the server does not speak TLS.
    public static let tlsHandshake = PaxosClientError(.tlsHandshake)

    public static func == (lhs: PaxosClientError, rhs: PaxosClientError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The code of a server error, its first word by Redis convention: `.noLeader`, `.timeout`,
    /// `.err`; `.unrecognized` for a code this build does not know.
    public var serverErrorCode: ServerErrorCode? {
        serverMessage.map { ServerErrorCode(errorText: $0) }
    }

    /// Whether trying again, on this or another node, can succeed: every connection-level failure,
    /// and server errors whose code is `transient`. Not a bad endpoint, a wrong reply
    /// shape or an `-ERR` (the command itself is wrong).
    public var isRetryable: Bool {
        switch code {
        case .cannotResolve, .connectionRefused, .connectFailed, .timeout, .connectionClosed, .socketError,
            .protocolError:
            true
        case .serverError:
            serverErrorCode?.transient ?? false
        case .invalidEndpoint, .unexpectedReply, .tlsSetup, .tlsHandshake:
            // A certificate that fails verification fails on every retry; say so at once.
            false
        }
    }

    public var description: String {
        let sentence =
            switch code {
            case .invalidEndpoint: "invalid endpoint"
            case .cannotResolve: "cannot resolve host"
            case .connectionRefused: "connection refused"
            case .connectFailed: "cannot connect"
            case .timeout: "timed out"
            case .connectionClosed: "connection closed by the server"
            case .socketError: "socket error"
            case .protocolError: "protocol error in the server's reply"
            case .serverError: "server error"
            case .unexpectedReply: "unexpected reply"
            case .tlsSetup: "cannot set up TLS"
            case .tlsHandshake: "TLS handshake failed"
            }
        var text = endpoint.map { "\($0): \(sentence)" } ?? sentence
        if let serverMessage { text += ": \(serverMessage)" }
        if !detail.isEmpty { text += " (\(detail))" }
        // paxosd's TIMEOUT texts already say so; do not say it twice.
        if outcomeIsUnknown && serverErrorCode != .timeout {
            text += "; the command may or may not have been applied"
        }
        return text
    }
}

extension PaxosClientError {
    /// A reply of a shape the command never answers (for callers composing their own commands).
    public static func unexpectedReply(_ detail: String, endpoint: Endpoint?) -> PaxosClientError {
        unexpectedReply.with(detail, endpoint: endpoint)
    }

    /// The same kind with a detail, and optionally the endpoint, for the description.
    func with(
        _ detail: String, endpoint: Endpoint? = nil, outcomeIsUnknown: Bool? = nil,
        file: String = #fileID, line: Int = #line
    ) -> PaxosClientError {
        PaxosClientError(
            code, detail.isEmpty ? self.detail : detail, endpoint: endpoint ?? self.endpoint,
            serverMessage: serverMessage, outcomeIsUnknown: outcomeIsUnknown ?? self.outcomeIsUnknown,
            file: file, line: line)
    }

    /// Adds context to an existing error, keeping its kind, location and flags.
    func appending(_ context: String) -> PaxosClientError {
        PaxosClientError(
            code, detail.isEmpty ? context : "\(detail); \(context)", endpoint: endpoint,
            serverMessage: serverMessage, outcomeIsUnknown: outcomeIsUnknown, file: file, line: line)
    }

    /// A RESP error reply from `endpoint`, classified by its code alone: an `outcomeUnknown`
    /// code leaves the outcome unknown; any other error means the server refused the command.
    static func server(_ message: String, endpoint: Endpoint, file: String = #fileID, line: Int = #line)
        -> PaxosClientError
    {
        let unknown = ServerErrorCode(errorText: message).outcomeUnknown
        return PaxosClientError(
            .serverError, endpoint: endpoint, serverMessage: message, outcomeIsUnknown: unknown, file: file,
            line: line)
    }
}
