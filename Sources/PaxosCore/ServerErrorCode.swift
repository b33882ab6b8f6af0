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
/// - `NOAUTH`, `WRONGPASS`, `NOPROTO`: the Redis codes for authentication and `HELLO`; nothing
///   was applied, and the same command fails again until the client changes it.
/// - `COMPACTED`: a `CHANGES` read from a revision this node no longer holds; the message ends
///   with the revision to resume from (`resume from revision R`), after re-reading the keys.
///
/// The raw value is the code as written on the wire. A code this build does not know (from an
/// older or newer server) is carried as `.unrecognized` and treated as neither transient nor
/// outcome-unknown, like `ERR`. Clients MUST classify a reply by its code alone, never by the
/// words of the message after it: the message is for people and may change.
public enum ServerErrorCode: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    case err
    case busy
    case unavailable
    case noLeader
    case timeout
    case shutdown
    case partial
    case noAuth
    case wrongPass
    case noProto
    case compacted
    /// A code paxosd does not send today, kept as written.
    case unrecognized(String)

    /// Every code paxosd sends.
    public static let known: [ServerErrorCode] = [
        .err, .busy, .unavailable, .noLeader, .timeout, .shutdown, .partial, .noAuth, .wrongPass, .noProto, .compacted,
    ]

    public init(rawValue: String) {
        self = Self.known.first { $0.rawValue == rawValue } ?? .unrecognized(rawValue)
    }

    /// The code of a whole RESP error text: its first word, by Redis convention.
    public init(errorText: String) {
        self.init(rawValue: String(errorText.prefix { $0 != " " }))
    }

    public var rawValue: String {
        switch self {
        case .err: "ERR"
        case .busy: "BUSY"
        case .unavailable: "UNAVAILABLE"
        case .noLeader: "NOLEADER"
        case .timeout: "TIMEOUT"
        case .shutdown: "SHUTDOWN"
        case .partial: "PARTIAL"
        case .noAuth: "NOAUTH"
        case .wrongPass: "WRONGPASS"
        case .noProto: "NOPROTO"
        case .compacted: "COMPACTED"
        case .unrecognized(let code): code
        }
    }

    public var description: String { rawValue }

    /// Whether a write answered with this code may have been applied.
    public var outcomeUnknown: Bool {
        switch self {
        case .noLeader, .timeout, .shutdown, .partial: true
        case .err, .busy, .unavailable, .noAuth, .wrongPass, .noProto, .compacted, .unrecognized: false
        }
    }

    /// Whether trying again, here or on another node, may succeed.
    public var transient: Bool {
        switch self {
        case .busy, .unavailable: true
        default: outcomeUnknown
        }
    }

    /// The RESP error text: the code, a space, and `message` for people.
    public func text(_ message: String) -> String { "\(rawValue) \(message)" }

    /// The error text for a command of several writes, run one key after another, that failed
    /// with `code`/`message` after `applied` of its `total` keys were applied. Once some keys
    /// are applied, a code that promises nothing was (`BUSY`, `UNAVAILABLE`) would be a lie, so
    /// it becomes `PARTIAL`; an unknown-outcome code stays, with the count added.
    public static func multiKeyFailure(code: ServerErrorCode, message: String, applied: Int, of total: Int) -> String {
        guard applied > 0 else { return code.text(message) }
        let context = "after \(applied) of \(total) keys were applied"
        if code.outcomeUnknown { return code.text("\(message) (\(context))") }
        return ServerErrorCode.partial.text("\(context), the next failed: \(code) \(message)")
    }
}
