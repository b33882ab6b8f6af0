// Method: log lines rendered for fixed times and metadata, byte for byte, in both formats; JSON
// lines parsed back with JSONSerialization (escapes of quotes, newlines and control bytes);
// the handler end to end through a Logger into a buffer.
import Foundation
import Logging
@testable import PaxosServer
import Synchronization
import Testing

@Suite("server: log lines")
struct PaxosLogHandlerTests {
    static let time = (seconds: 1_796_601_600, milliseconds: 7)  // 2026-12-07T00:00:00.007Z

    @Test("text: swift-log's layout with a millisecond UTC timestamp and sorted metadata")
    func text() {
        let line = PaxosLogHandler.line(format: .text, time: Self.time, level: .warning, label: "paxosd", source: "PaxosServer",
                                        message: "peer link silent", metadata: ["peer.id": "2", "a": "x"])
        #expect(line == "2026-12-07T00:00:00.007Z warning paxosd: a=x peer.id=2 [PaxosServer] peer link silent\n")
        #expect(PaxosLogHandler.line(format: .text, time: (0, 999), level: .info, label: "l", source: "s", message: "m", metadata: [:])
                == "1970-01-01T00:00:00.999Z info l: [s] m\n")
    }

    @Test("json: one object per line that parses back, escapes included, metadata as strings")
    func json() throws {
        let line = PaxosLogHandler.line(format: .json, time: Self.time, level: .error, label: "paxosd", source: "PaxosServer",
                                        message: "bad \"frame\"\nfrom\tpeer \u{1}", metadata: ["peer.id": "2", "level": "shadowed"])
        #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == ["ts": "2026-12-07T00:00:00.007Z", "level": "error", "label": "paxosd", "source": "PaxosServer",
                           "message": "bad \"frame\"\nfrom\tpeer \u{1}", "peer.id": "2"])
    }

    @Test("through a Logger: level filtering, handler and call metadata merged")
    func endToEnd() {
        let lines = Mutex<[String]>([])
        var handler = PaxosLogHandler(label: "t", format: .json) { line in lines.withLock { $0.append(line) } }
        handler.logLevel = .notice
        handler[metadataKey: "paxos.replica"] = "3"
        let logger = Logger(label: "t") { _ in handler }
        logger.info("dropped")
        logger.warning("kept", metadata: ["k": "v"])
        let got = lines.withLock { $0 }
        #expect(got.count == 1)
        #expect(got.first?.contains("\"message\":\"kept\"") == true && got.first?.contains("\"paxos.replica\":\"3\"") == true
                && got.first?.contains("\"k\":\"v\"") == true)
    }
}
