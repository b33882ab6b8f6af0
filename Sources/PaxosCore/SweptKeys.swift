/// The keys background expiry removed during one apply (`OperationExecutor.sweptKeys`).
public final class SweptKeys: @unchecked Sendable {
    // @unchecked Sendable: made, filled and read by the one thread that binds it around an
    // apply (a node's storage thread); it is never shared.
    public var keys: [Bytes] = []
    public init() {}
}
