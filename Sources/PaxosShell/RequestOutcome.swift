public import PaxosCore

/// What a client (or a forwarding peer) gets back for one request.
public enum RequestOutcome: Hashable, Sendable {
    case applied(OperationResult)
    case value(Bytes?)
    /// The request failed before it could be answered; `code` is the RESP error prefix, and
    /// says whether the write may have been applied (`ServerErrorCode`).
    case failed(code: ServerErrorCode, message: String)
}
