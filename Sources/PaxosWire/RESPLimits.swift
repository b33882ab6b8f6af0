/// Bounds on what the RESP parsers accept, so no length read off the network is trusted before it
/// is checked (STYLE.md "put a limit on everything").
///
/// The defaults are Redis's own: 512 MiB bulk strings (`proto-max-bulk-len`), 64 KiB inline lines
/// (`PROTO_INLINE_MAX_SIZE`) and a 1 GiB query (`client-query-buffer-limit`). The server should
/// pass smaller ones that match its largest value.
public struct RESPLimits: Hashable, Sendable {
    /// The longest bulk string.
    public var maxBulkBytes: Int
    /// The most elements in one array (one command's arguments, or one reply array).
    public var maxArrayCount: Int
    /// The longest inline command, simple string or error line, without its line ending.
    public var maxInlineBytes: Int
    /// The most argument bytes in one command, summed over its bulk strings.
    public var maxCommandBytes: Int
    /// How deeply reply arrays may nest (client side only; commands are flat).
    public var maxNestingDepth: Int

    public init(
        maxBulkBytes: Int = 512 * 1024 * 1024,
        maxArrayCount: Int = 1024 * 1024,
        maxInlineBytes: Int = 64 * 1024,
        maxCommandBytes: Int = 1024 * 1024 * 1024,
        maxNestingDepth: Int = 32
    ) {
        precondition(
            maxBulkBytes >= 0 && maxArrayCount >= 0 && maxInlineBytes >= 0 && maxCommandBytes >= 0
                && maxNestingDepth >= 1,
            "RESP limits must be non-negative and allow one level of nesting")
        self.maxBulkBytes = maxBulkBytes
        self.maxArrayCount = maxArrayCount
        self.maxInlineBytes = maxInlineBytes
        self.maxCommandBytes = maxCommandBytes
        self.maxNestingDepth = maxNestingDepth
    }
}
