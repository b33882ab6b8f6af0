/// The last request applied for one client, remembered so a retry is answered, not re-applied.
///
/// Sessions expire so the table stays bounded (a node sees millions of connections over its
/// life): a session not written for more than `expirySlots` slots is no longer *live*, and
/// every state machine drops such sessions at the slots `pruneInterval` divides. Expiry is by
/// slot, never by a replica's clock, so every replica decides alike.
///
/// Why a late retry cannot be applied twice: a request carries its `origin`, the applied slot
/// of the node that first submitted it, and is refused in any slot more than `expirySlots`
/// above it. A copy applied in slot s1 landed above its origin (a slot the submitter had
/// applied was chosen before the request existed, so every leader proposes it higher), and
/// left the session written at s1 or later. Any later copy that is not refused lands at most
/// `expirySlots` above the origin, so less than `expirySlots` above s1: the session is still
/// live there and answers the copy as a duplicate (or superseded).
public struct ClientSession: Hashable, Sendable {
    public var lastSequence: UInt64
    public var lastResult: OperationResult
    /// The slot of the last applied request. - Invariant: only grows.
    public var slot: Slot

    public init(lastSequence: UInt64, lastResult: OperationResult, slot: Slot) {
        self.lastSequence = lastSequence
        self.lastResult = lastResult
        self.slot = slot
    }

    /// Slots a session stays live without a write, and the most a request may land above its
    /// origin. The same on every replica of a cluster: it is part of the apply rule. At the
    /// highest commit rate measured on the development machine (about 9,000 slots a second)
    /// this is over 11 seconds, longer than a request is retried (5 s by default), so an
    /// honest request is refused only when its submitter lags that far behind the log.
    public static let expirySlots: UInt64 = 100_000
    /// The largest encoded reply a session keeps: 1 MiB. A larger one (a GETSET or GETDEL of a
    /// big value) is answered in full the first time and remembered as `.notRemembered`, so a
    /// session costs at most about this much however large the values are.
    public static let maxRememberedReplyBytes = 1 << 20

    /// What a session remembers of `result`: the result itself, or `.reply(.notRemembered)`
    /// for a reply over `limit` encoded bytes. Both storages call this, so their tables agree.
    public static func remembered(_ result: OperationResult, limit: Int = maxRememberedReplyBytes) -> OperationResult {
        guard case .reply(let reply) = result, reply.encodedBytes > limit else { return result }
        return .reply(.notRemembered)
    }

    /// Expired sessions are deleted after applying every slot this number divides.
    public static let pruneInterval: UInt64 = 1024

    public enum Decision: Hashable, Sendable {
        /// First time this request is seen: apply it.
        case execute
        /// A retry of the last applied request: answer with the remembered result.
        case duplicate(OperationResult)
        /// Older than the last applied request: it was applied before; its reply is gone.
        case superseded
        /// Landed too far above its origin: refuse it, apply nothing (`OperationResult.expired`).
        case expired
    }

    /// Whether the session still counts when applying `slot`.
    public func isLive(at slot: Slot, expirySlots: UInt64 = ClientSession.expirySlots) -> Bool {
        slot.rawValue <= self.slot.rawValue || slot.rawValue - self.slot.rawValue <= expirySlots
    }

    /// Whether the state machines delete expired sessions after applying `slot`.
    public static func prunes(after slot: Slot) -> Bool { slot.rawValue % pruneInterval == 0 }

    /// The exactly-once rule, shared by every state machine implementation. `session` is the
    /// client's stored row, live or not (pruning runs only every `pruneInterval` slots).
    public static func decide(_ session: ClientSession?, request: ClientRequest, at slot: Slot,
                              expirySlots: UInt64 = ClientSession.expirySlots) -> Decision {
        var current = session
        if let origin = request.origin {
            // An origin at or above the slot is impossible for an honest submitter (see the
            // type's comment); refusing it keeps the argument true for any input.
            guard origin < slot, slot.rawValue - origin.rawValue <= expirySlots else { return .expired }
            if let session, !session.isLive(at: slot, expirySlots: expirySlots) { current = nil }
        }
        // Requests without an origin were logged before sessions expired: the rule of that time.
        guard let current else { return .execute }
        if request.sequence > current.lastSequence { return .execute }
        if request.sequence == current.lastSequence { return .duplicate(current.lastResult) }
        return .superseded
    }
}
