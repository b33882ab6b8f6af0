/// The RESP error codes paxosd answers with (the first word of a `-` reply), and what each says
/// about a write: one definition for the server that sends them and the client that reads them.
///
/// - `BUSY`, `UNAVAILABLE`: the write was **not** applied (paxosd sends them only for a write
///   that no routing has proposed or forwarded yet); trying again may succeed.
/// - `NOLEADER`, `TIMEOUT`, `SHUTDOWN`, `PARTIAL`: the write **may or may not** have been
///   applied; trying again may succeed. `NOLEADER` is among them because paxosd answers it when
///   a request has no route at its deadline, which can follow an earlier route to a leader that
///   has since failed. `PARTIAL` is a multi-key `DEL` that failed after some of its keys were
///   applied (see `multiKeyFailure`).
/// - `ERR`: the command itself is wrong; it fails the same way everywhere.
public enum ServerErrorCode {
    /// Codes after which a write may have been applied.
    public static let outcomeUnknown: Set<String> = ["NOLEADER", "TIMEOUT", "SHUTDOWN", "PARTIAL"]
    /// Codes after which trying again, here or on another node, may succeed.
    public static let transient: Set<String> = outcomeUnknown.union(["BUSY", "UNAVAILABLE"])

    /// The error text for a command of several writes, run one key after another, that failed
    /// with `code`/`message` after `applied` of its `total` keys were applied. Once some keys
    /// are applied, a code that promises nothing was (`BUSY`, `UNAVAILABLE`) would be a lie, so
    /// it becomes `PARTIAL`; an unknown-outcome code stays, with the count added.
    public static func multiKeyFailure(code: String, message: String, applied: Int, of total: Int) -> String {
        guard applied > 0 else { return "\(code) \(message)" }
        let context = "after \(applied) of \(total) keys were applied"
        if outcomeUnknown.contains(code) { return "\(code) \(message) (\(context))" }
        return "PARTIAL \(context), the next failed: \(code) \(message)"
    }
}
