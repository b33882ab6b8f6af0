public import PaxosCore

/// Why a peer frame could not be encoded or decoded.
///
/// Every error here is an operating error: it comes from bytes on the network, never from a bug in
/// this process, so the decoder reports it instead of trapping, and the connection that sent the
/// bytes is the only thing that has to go. Two errors are equal when they are the same kind
/// (`error == .badChecksum`); the detail in `description` is for people.
public struct PeerWireError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case badLength
        case frameTooLarge
        case badChecksum
        case unsupportedVersion
        case unknownType
        case truncatedPayload
        case trailingBytes
        case malformedPayload
        case truncatedFrame
        case fieldTooLong
    }

    private let code: Code
    private let detail: String
    /// The payload decoding failure underneath `truncatedPayload`, `trailingBytes` and
    /// `malformedPayload`, if that is what went wrong.
    public let decodingError: DecodingError?
    public let file: String
    public let line: Int

    private init(
        _ code: Code, _ detail: String = "", decodingError: DecodingError? = nil,
        file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.detail = detail
        self.decodingError = decodingError
        self.file = file
        self.line = line
    }

    /// The length field is below the smallest possible frame.
    public static let badLength = PeerWireError(.badLength)
    /// The length field is above the configured maximum frame size.
    public static let frameTooLarge = PeerWireError(.frameTooLarge)
    /// The CRC32C trailer does not match the frame's contents.
    public static let badChecksum = PeerWireError(.badChecksum)
    /// The frame's version byte is one this build does not speak.
    public static let unsupportedVersion = PeerWireError(.unsupportedVersion)
    /// The frame's type byte names no frame this build knows.
    public static let unknownType = PeerWireError(.unknownType)
    /// The payload ended before its last field.
    public static let truncatedPayload = PeerWireError(.truncatedPayload)
    /// The payload has bytes left over after its last field, or a buffer holds more than one frame.
    public static let trailingBytes = PeerWireError(.trailingBytes)
    /// A payload field holds a value no encoder writes.
    public static let malformedPayload = PeerWireError(.malformedPayload)
    /// The stream ended in the middle of a frame.
    public static let truncatedFrame = PeerWireError(.truncatedFrame)
    /// A string field is longer than its bound, so the frame was not encoded.
    public static let fieldTooLong = PeerWireError(.fieldTooLong)

    public static func == (lhs: PeerWireError, rhs: PeerWireError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String {
        let sentence =
            switch code {
            case .badLength: "peer frame length is below the minimum frame size"
            case .frameTooLarge: "peer frame is larger than the maximum frame size"
            case .badChecksum: "peer frame checksum does not match its contents"
            case .unsupportedVersion: "peer frame has an unsupported version"
            case .unknownType: "peer frame has an unknown type"
            case .truncatedPayload: "peer frame payload ends before its last field"
            case .trailingBytes: "peer frame has bytes left over after its last field"
            case .malformedPayload: "peer frame payload is malformed"
            case .truncatedFrame: "peer stream ended in the middle of a frame"
            case .fieldTooLong: "peer frame field is too long to encode"
            }
        return detail.isEmpty ? sentence : "\(sentence): \(detail)"
    }
}

extension PeerWireError {
    static func badLength(_ length: Int, minimum: Int, file: String = #fileID, line: Int = #line) -> PeerWireError {
        PeerWireError(.badLength, "length \(length) is below \(minimum)", file: file, line: line)
    }

    static func frameTooLarge(_ length: Int, limit: Int, file: String = #fileID, line: Int = #line) -> PeerWireError {
        PeerWireError(.frameTooLarge, "length \(length) exceeds the limit of \(limit)", file: file, line: line)
    }

    static func badChecksum(
        expected: UInt32, actual: UInt32, file: String = #fileID, line: Int = #line
    ) -> PeerWireError {
        PeerWireError(.badChecksum, "computed \(hex(expected)), frame says \(hex(actual))", file: file, line: line)
    }

    static func unsupportedVersion(_ version: UInt8, file: String = #fileID, line: Int = #line) -> PeerWireError {
        PeerWireError(.unsupportedVersion, "version \(version)", file: file, line: line)
    }

    static func unknownType(_ type: UInt8, file: String = #fileID, line: Int = #line) -> PeerWireError {
        PeerWireError(.unknownType, "type \(type)", file: file, line: line)
    }

    static func truncatedFrame(buffered: Int, file: String = #fileID, line: Int = #line) -> PeerWireError {
        PeerWireError(.truncatedFrame, "\(buffered) bytes of an unfinished frame", file: file, line: line)
    }

    static func trailingBytes(afterFrame count: Int, file: String = #fileID, line: Int = #line) -> PeerWireError {
        PeerWireError(.trailingBytes, "\(count) bytes after the frame", file: file, line: line)
    }

    static func fieldTooLong(
        _ field: String, length: Int, limit: Int, file: String = #fileID, line: Int = #line
    ) -> PeerWireError {
        PeerWireError(.fieldTooLong, "\(field) of \(length) bytes exceeds \(limit)", file: file, line: line)
    }

    /// Wraps a payload decoding failure in the kind that says what happened to the frame.
    static func payload(
        _ error: DecodingError, frameType: String, file: String = #fileID, line: Int = #line
    ) -> PeerWireError {
        let code: Code =
            switch error {
            case .truncated: .truncatedPayload
            case .trailingBytes: .trailingBytes
            case .tooLong, .unknownTag, .invalid: .malformedPayload
            }
        return PeerWireError(code, "\(frameType): \(error)", decodingError: error, file: file, line: line)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }
}
