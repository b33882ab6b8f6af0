public import NIOCore

extension RESPValue {
    /// Appends the encoding of this value; RESP3's types in RESP3's form (call
    /// `forProtocol(_:)` first for a RESP2 connection).
    ///
    /// Simple strings and errors are single lines on the wire, so any CR or LF in them (an error
    /// message quoting a client's argument, say) becomes a space instead of corrupting the stream.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let string):
            writeLine(prefix: "+", string, to: &buffer)
        case .error(let message):
            writeLine(prefix: "-", message, to: &buffer)
        case .integer(let value):
            buffer.writeString(":\(value)\r\n")
        case .bulkString(nil):
            buffer.writeStaticString("$-1\r\n")
        case .bulkString(let bytes?):
            buffer.writeString("$\(bytes.count)\r\n")
            buffer.writeBytes(bytes)
            buffer.writeStaticString("\r\n")
        case .array(nil):
            buffer.writeStaticString("*-1\r\n")
        case .array(let elements?):
            buffer.writeString("*\(elements.count)\r\n")
            for element in elements { element.write(to: &buffer) }
        case .map(let pairs):
            buffer.writeString("%\(pairs.count)\r\n")
            for pair in pairs {
                pair.key.write(to: &buffer)
                pair.value.write(to: &buffer)
            }
        case .set(let elements):
            buffer.writeString("~\(elements.count)\r\n")
            for element in elements { element.write(to: &buffer) }
        case .push(let elements):
            buffer.writeString(">\(elements.count)\r\n")
            for element in elements { element.write(to: &buffer) }
        case .double(let value):
            buffer.writeString(",\(Self.doubleText(value))\r\n")
        case .boolean(let value):
            buffer.writeStaticString(value ? "#t\r\n" : "#f\r\n")
        case .null:
            buffer.writeStaticString("_\r\n")
        case .verbatim(let format, let text):
            // The format is exactly three bytes; anything else would misframe the text.
            let format = format.utf8.count == 3 ? format : "txt"
            buffer.writeString("=\(text.utf8.count + 4)\r\n\(format):")
            buffer.writeString(text)
            buffer.writeStaticString("\r\n")
        }
    }

    private func writeLine(prefix: StaticString, _ text: String, to buffer: inout ByteBuffer) {
        buffer.writeStaticString(prefix)
        if text.utf8.contains(where: { $0 == .cr || $0 == .lf }) {
            buffer.writeBytes(text.utf8.map { $0 == .cr || $0 == .lf ? UInt8(ascii: " ") : $0 })
        } else {
            buffer.writeString(text)
        }
        buffer.writeStaticString("\r\n")
    }
}

extension UInt8 {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
}
