/// Why bytes from a RESP peer could not be parsed.
///
/// The server replies `-ERR Protocol error: <description>` and closes that one connection, as
/// Redis does; nothing else is affected. Descriptions reuse Redis's wording where Redis has one,
/// so client libraries and people recognise them. Two errors are equal when they are the same
/// kind (`error == .invalidBulkLength`); the detail in `description` is for people.
public struct RESPError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidMultibulkLength
        case invalidBulkLength
        case expectedBulkString
        case missingCRLF
        case lineTooLong
        case unbalancedQuotes
        case arrayTooLong
        case bulkTooLong
        case commandTooLarge
        case invalidInteger
        case unknownType
        case nestingTooDeep
    }

    private let code: Code
    private let detail: String
    public let file: String
    public let line: Int

    private init(_ code: Code, _ detail: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// An array header (`*n`) whose count is not a number, or is below -1.
    public static let invalidMultibulkLength = RESPError(.invalidMultibulkLength)
    /// A bulk header (`$n`) whose length is not a number, or is negative where null is not allowed.
    public static let invalidBulkLength = RESPError(.invalidBulkLength)
    /// A command array holds something other than bulk strings.
    public static let expectedBulkString = RESPError(.expectedBulkString)
    /// A line or a bulk string is not followed by CRLF.
    public static let missingCRLF = RESPError(.missingCRLF)
    /// No line ending within the line limit.
    public static let lineTooLong = RESPError(.lineTooLong)
    /// An inline command has an unterminated or misplaced quote.
    public static let unbalancedQuotes = RESPError(.unbalancedQuotes)
    /// An array has more elements than `RESPLimits.maxArrayCount`.
    public static let arrayTooLong = RESPError(.arrayTooLong)
    /// A bulk string is longer than `RESPLimits.maxBulkBytes`.
    public static let bulkTooLong = RESPError(.bulkTooLong)
    /// A command's arguments add up to more than `RESPLimits.maxCommandBytes`.
    public static let commandTooLarge = RESPError(.commandTooLarge)
    /// An integer reply (`:n`) that is not a 64-bit decimal.
    public static let invalidInteger = RESPError(.invalidInteger)
    /// A reply starts with a byte that is no RESP2 type.
    public static let unknownType = RESPError(.unknownType)
    /// Reply arrays nest deeper than `RESPLimits.maxNestingDepth`.
    public static let nestingTooDeep = RESPError(.nestingTooDeep)

    public static func == (lhs: RESPError, rhs: RESPError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        let sentence =
            switch code {
            case .invalidMultibulkLength: "invalid multibulk length"
            case .invalidBulkLength: "invalid bulk length"
            case .expectedBulkString: "expected '$'"
            case .missingCRLF: "expected CRLF"
            case .lineTooLong: "line too long"
            case .unbalancedQuotes: "unbalanced quotes in request"
            case .arrayTooLong: "too many array elements"
            case .bulkTooLong: "bulk string too long"
            case .commandTooLarge: "command too large"
            case .invalidInteger: "invalid integer"
            case .unknownType: "unknown RESP type"
            case .nestingTooDeep: "arrays nested too deeply"
            }
        return detail.isEmpty ? sentence : "\(sentence) (\(detail))"
    }
}

extension RESPError {
    /// The same kind with a detail saying where or what, for the description.
    func with(_ detail: String, file: String = #fileID, line: Int = #line) -> RESPError {
        RESPError(code, detail, file: file, line: line)
    }
}

extension UInt8 {
    /// `'x'` for a printable ASCII byte, `0x0D` otherwise, so error text never carries control bytes.
    var respPrintable: String {
        guard (0x21...0x7E).contains(self) else {
            let hex = String(self, radix: 16, uppercase: true)
            return "0x" + (hex.count == 1 ? "0" + hex : hex)
        }
        return "'\(Character(Unicode.Scalar(self)))'"
    }
}
