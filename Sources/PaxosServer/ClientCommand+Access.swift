public import PaxosAuth
import PaxosCore

/// Who may run a command: the one table of command → required role.
///
/// When the node has a users file, a connection starts unauthenticated and may run only the
/// commands marked `.anyone` (AUTH, HELLO, QUIT; like Redis, not even PING), answering
/// `-NOAUTH` to the rest. After AUTH it may run what its role allows, answering `-NOPERM`
/// otherwise. Without a users file the node listens on loopback only (protected mode) and every
/// local client may run everything, BACKUP included.
///
/// The switch is exhaustive on purpose: a new command (the membership commands to come) does not
/// compile until it names the role it needs. Commands that change the cluster MUST be `.admin`.
public enum CommandAccess: Hashable, Sendable {
    /// Allowed before authentication.
    case anyone
    case role(ClientRole)
}

extension ClientCommand {
    public var access: CommandAccess {
        switch self {
        case .auth, .hello, .quit: .anyone
        case .ping, .echo, .get, .exists, .info, .readonly, .readwrite, .compatibility, .time: .role(.readOnly)
        // Other connections' addresses and closing them: Redis's @admin commands.
        case .client(.list), .client(.kill): .role(.admin)
        case .client: .role(.readOnly)
        case .config(.set): .role(.admin)
        case .config, .command: .role(.readOnly)
        // Keyspace notifications name keys, not values: what a read-only user may list anyway.
        case .pubSub: .role(.readOnly)
        // The watch names keys and revisions, not values, as the notifications do.
        case .changes: .role(.readOnly)
        case .put, .delete: .role(.readWrite)
        case .data(.strlen): .role(.readOnly)
        // TTL and friends go through the log (`DataCommand+TTL.swift`) but change nothing.
        case .data(.write(let op, _)): if case .deadline = op { .role(.readOnly) } else { .role(.readWrite) }
        case .multiKey(let command): command.isWrite ? .role(.readWrite) : .role(.readOnly)
        // The queued commands are checked one by one as they are queued.
        case .transaction: .role(.readOnly)
        case .keyspace: .role(.readOnly)
        case .backup: .role(.admin)
        case .member(.list, _): .role(.readOnly)
        case .member: .role(.admin)
        }
    }

    /// Commands a connection that has not authenticated may send; everything else is answered
    /// `-NOAUTH` before it is parsed, so an anonymous client learns nothing about it.
    static let allowedBeforeAuthentication: Set<String> = ["AUTH", "HELLO", "QUIT"]
}
