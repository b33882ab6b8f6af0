/// The parameters of the apply rule. They are part of the replicated state machine's
/// definition: every replica of a group MUST apply with equal rules, or their states diverge.
public struct KVRules: Hashable, Sendable {
    /// `ClientSession.expirySlots` outside tests, which shorten it to exercise expiry.
    public var sessionExpirySlots: UInt64
    /// The longest value APPEND may produce (Redis's `proto-max-bulk-len`, ours smaller).
    public var maxValueBytes: Int
    /// The largest encoded `OpReply` a session remembers (`ClientSession.remembered`).
    public var maxRememberedReplyBytes: Int
    /// How many expired rows each timed batch removes before its requests (background expiry,
    /// `OperationExecutor.sweep`). Part of the apply rule like the rest: changing it needs a
    /// recorded rule version.
    public var sweepKeysPerSlot = 256
    /// A deliberately wrong rule the simulator plants (`StateMachineBug`); nil on every node.
    public var plantedBug: StateMachineBug? = nil

    public init(sessionExpirySlots: UInt64 = ClientSession.expirySlots, maxValueBytes: Int = Command.maxValueBytes,
                maxRememberedReplyBytes: Int = ClientSession.maxRememberedReplyBytes) {
        self.sessionExpirySlots = sessionExpirySlots
        self.maxValueBytes = maxValueBytes
        self.maxRememberedReplyBytes = maxRememberedReplyBytes
    }
}
