import PaxosCore
import PaxosShell

/// Whether a client may write an operation, given the command formats the group's members
/// reported (`PeerIdentity.commandFormat`, `Operation.commandFormat`).
///
/// A member that reported an older format could not apply the operation once chosen: it would
/// stop with a corruption report. So the node a client talks to refuses such a write before
/// routing it (`-UNAVAILABLE`, not applied), and the client can retry once every member runs a
/// build that knows the operation: a rolling upgrade never chooses a command a voter cannot read.
///
/// A member not heard from since this node started is assumed to run this build: refusing would
/// make every new command unavailable while any member is down, and a member down through a
/// whole upgrade is restarted on the new build. (A member restarted on an *older* build after
/// new commands were chosen stops at the first one, loudly; downgrades are not supported.)
enum CommandFormatGate {
    /// The member (lowest id first) that blocks an operation needing `needed`, with the format
    /// it reported; nil when every member reported `needed` or newer, or nothing.
    static func blocker(needed: UInt8, members: [ReplicaID], reported: [ReplicaID: UInt8]) -> (member: ReplicaID, format: UInt8)? {
        for member in members.sorted() {
            if let format = reported[member], format < needed { return (member, format) }
        }
        return nil
    }

    /// The refusal a client sees.
    static func refusal(needed: UInt8, blocker: (member: ReplicaID, format: UInt8)) -> RequestOutcome {
        .failed(code: .unavailable, message: "this command needs every member to decode command format \(needed), "
                + "and replica \(blocker.member) runs an older PaxosKV (format \(blocker.format)); upgrade it, then retry")
    }
}
