import PaxosCore

/// Membership changes asked of this node's replica (see `Membership`).
extension GroupNode {
    /// The core's answer to a membership change. Nothing asks for one yet.
    func onMembershipReply(_ reply: ClientReply) {}
}
