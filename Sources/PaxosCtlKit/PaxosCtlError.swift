/// Why a paxosctl command failed, and so which exit code it ends with.
///
/// paxosctl follows redis-cli and the usual Unix split: a command that ran and failed (no node
/// answered, the server refused, the demo saw a wrong answer) exits 1; input paxosctl cannot use
/// at all (a bad endpoint, a missing cluster file, a bad option value) exits 2, the same code
/// argument-parsing errors get. "Key not found" is an answer, `(nil)`, and exits 0.
///
/// Two errors are equal when they are the same kind (`error == .usage("")`), like
/// `PaxosClientError`; the message is for people.
package struct PaxosCtlError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case usage
        case failed
    }

    private let code: Code
    /// One sentence naming the subject: "--endpoints: 'foo' has no ':port'".
    package let message: String
    package let file: String
    package let line: Int

    private init(_ code: Code, _ message: String, file: String, line: Int) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// Input paxosctl cannot use: exit code 2.
    package static func usage(_ message: String, file: String = #fileID, line: Int = #line) -> PaxosCtlError {
        PaxosCtlError(.usage, message, file: file, line: line)
    }

    /// A command that ran and failed: exit code 1.
    package static func failed(_ message: String, file: String = #fileID, line: Int = #line) -> PaxosCtlError {
        PaxosCtlError(.failed, message, file: file, line: line)
    }

    package static func == (lhs: PaxosCtlError, rhs: PaxosCtlError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(code) }

    package var isUsage: Bool { code == .usage }

    package var exitCode: Int32 {
        switch code {
        case .usage: 2
        case .failed: 1
        }
    }

    package var description: String { message }
}
