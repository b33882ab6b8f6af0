import PaxosClient

/// What a writer learned about one write, for the checks that follow: acknowledged; refused
/// (the client was told it was not applied, so it MUST NOT be); or unknown (it may have been).
enum WriteOutcome: Sendable {
    case acknowledged, refused, unknown

    /// The outcome of a write that threw `failure`.
    init(failure: PaxosClientError) {
        self = failure.outcomeIsUnknown ? .unknown : .refused
    }
}
