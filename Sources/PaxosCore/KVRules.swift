/// The parameters of the apply rule. They are part of the replicated state machine's
/// definition: every replica of a group MUST apply with equal rules, or their states diverge.
public struct KVRules: Hashable, Sendable {
    /// `ClientSession.expirySlots` outside tests, which shorten it to exercise expiry.
    public var sessionExpirySlots: UInt64

    public init(sessionExpirySlots: UInt64 = ClientSession.expirySlots) {
        self.sessionExpirySlots = sessionExpirySlots
    }
}
