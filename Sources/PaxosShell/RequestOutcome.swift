public import PaxosCore

/// What a client (or a forwarding peer) gets back for one request.
public enum RequestOutcome: Hashable, Sendable {
    case applied(OperationResult)
    /// The answer to a read (`TrackedRequest.Kind.read`/`localRead`).
    case answer(ReadAnswer)
    /// The request failed before it could be answered; `code` is the RESP error prefix, and
    /// says whether the write may have been applied (`ServerErrorCode`).
    case failed(code: ServerErrorCode, message: String)
}
