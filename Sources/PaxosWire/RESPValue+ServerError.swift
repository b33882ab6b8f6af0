public import PaxosCore

extension RESPValue {
    /// An error reply with `code` as its first word.
    public static func error(_ code: ServerErrorCode, _ message: String) -> RESPValue {
        .error(code.text(message))
    }
}
