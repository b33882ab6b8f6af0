/// Command formats: which log encodings a build can decode and apply.
///
/// A replica that meets an operation tag it does not know while applying a chosen slot cannot
/// go on (its state would diverge), and reports corruption. So a node MUST NOT let a client write
/// an operation that some member of the group could not apply: nodes report the newest format
/// they decode in their identity (`PeerIdentity.commandFormat`), and the node a client talks to
/// refuses an operation whose `commandFormat` is above what every member reported
/// (`CommandFormatGate`). A format, once used in a log, stays decodable by every later build.
///
/// - Format 1: `.put` and `.delete` (operation tags 0x01, 0x02), the only ones before formats.
/// - Format 2: key operations (`.key`, tag 0x03), `.all` and `.txn` (0x04, 0x05), and
///   everything else issue 19 adds before its first release (timed batches among them).
extension Operation {
    /// The format this build writes and decodes.
    public static let currentCommandFormat: UInt8 = 2

    /// The oldest format that can decode and apply this operation.
    public var commandFormat: UInt8 {
        switch self {
        case .put, .delete: 1
        case .key, .all, .txn: 2
        }
    }
}
