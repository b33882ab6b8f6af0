#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
public import Logging
import PaxosCore

/// paxosd's log lines on standard error, with millisecond UTC timestamps (swift-log's own
/// handler prints whole seconds, too coarse to order a node's events against another's), as
/// text or as one JSON object per line (`paxosd --log-format json`, for log shippers).
///
/// Text keeps swift-log's layout, so what operators and tests grep for is where it was:
/// `2026-12-07T13:00:00.123Z info paxosd: peer.id=2 paxos.replica=1 [PaxosServer] message`.
/// JSON: `{"ts":"2026-12-07T13:00:00.123Z","level":"info","label":"paxosd","source":"PaxosServer",
/// "message":"…","peer.id":"2","paxos.replica":"1"}` with metadata keys sorted.
public struct PaxosLogHandler: LogHandler {
    public enum Format: String, CaseIterable, Sendable {
        case text
        case json
    }

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let format: Format
    /// Where lines go; standard error in paxosd, a buffer in tests.
    let write: @Sendable (String) -> Void

    public init(label: String, format: Format, write: @escaping @Sendable (String) -> Void = PaxosLogHandler.standardError) {
        self.label = label
        self.format = format
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let own = event.metadata { merged.merge(own) { _, new in new } }
        write(Self.line(format: format, time: Self.now(), level: event.level, label: label, source: event.source,
                        message: "\(event.message)", metadata: merged))
    }

    /// One line, newline included.
    static func line(format: Format, time: (seconds: Int, milliseconds: Int), level: Logger.Level, label: String,
                     source: String, message: String, metadata: Logger.Metadata) -> String {
        let stamp = timestamp(time)
        let pairs = metadata.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") }
        switch format {
        case .text:
            let meta = pairs.isEmpty ? "" : " " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            return "\(stamp) \(level) \(label):\(meta) [\(source)] \(message)\n"
        case .json:
            var fields = [("ts", stamp), ("level", "\(level)"), ("label", label), ("source", source), ("message", message)]
            fields += pairs.filter { key, _ in !["ts", "level", "label", "source", "message"].contains(key) }
            return "{" + fields.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}\n"
        }
    }

    /// `2026-12-07T13:00:00.123Z`.
    static func timestamp(_ time: (seconds: Int, milliseconds: Int)) -> String {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let millis = time.milliseconds < 10 ? "00\(time.milliseconds)" : time.milliseconds < 100 ? "0\(time.milliseconds)" : "\(time.milliseconds)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ text: String) -> String {
        var out = ""
        JSONText.appendString(text, to: &out)
        return out
    }

    static func now() -> (seconds: Int, milliseconds: Int) {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return (Int(spec.tv_sec), Int(spec.tv_nsec / 1_000_000))
    }

    /// One `write(2)` per line, so lines from different threads never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
