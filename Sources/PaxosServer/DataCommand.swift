public import PaxosCore

/// A Redis data command beyond plain GET/SET/DEL/EXISTS, parsed and checked; the node compiles
/// it to one key operation through the log (`write`) or one read (`strlen`).
///
/// Everything that can be checked without the state is checked here, and a refusal is never
/// logged: a non-integer INCRBY argument, NX with XX, a non-finite INCRBYFLOAT increment.
/// What depends on the stored value (INCR of "abc", an overflow) is decided at apply
/// (`OperationExecutor`) and comes back as an `OpReply.error`. Parsing is in
/// `DataCommand+Parse.swift`, rendering in `DataCommand+Render.swift`.
public enum DataCommand: Hashable, Sendable {
    /// A single-key write; the reply is rendered as `rendering` says.
    case write(KeyOp, rendering: Rendering)
    /// STRLEN: a read; 0 for a missing key.
    case strlen(key: Bytes)

    /// How a command shows its `OpReply`: most as it is; SETNX as Redis's 1/0.
    public enum Rendering: Hashable, Sendable {
        case reply
        /// `.ok` → `:1`, `.null` → `:0` (SETNX).
        case setFlag
        /// As `reply`, but `invalidExpireTime` names the command, as Redis does (`DataCommand+TTL.swift`).
        case expiry(command: String)
        /// TTL (`rounded`) and EXPIRETIME: the milliseconds of `KeyOp.deadline` as seconds.
        case seconds(rounded: Bool)
    }

    var isWrite: Bool {
        if case .write = self { true } else { false }
    }
}
