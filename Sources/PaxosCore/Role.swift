/// What a replica is doing about leadership, as other layers see it.
///
/// The raw values are the words INFO, `/health`, paxosctl and the logs have always printed
/// (`follower`, `candidate`, `leader`); they are part of the text contract and MUST NOT change.
/// Code compares `Role` values; only the places that write or read text use `rawValue`.
///
/// The replica's own working state for each role (a candidate's promises, a leader's pipeline)
/// lives in the internal `RoleState`; `Replica.role` projects it onto this enum.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case follower
    case candidate
    case leader

    public var description: String { rawValue }
}
