import Foundation
import Testing

/// The real `redis-cli`, for tests that prove Redis tools work against paxosd. A machine without
/// it fails the test with a sentence saying what to install (`.ci/run` installs redis-tools):
/// a compatibility test must never pass by skipping.
enum RedisCLI {
    static func executable() throws -> URL {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("redis-cli")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw HarnessError("redis-cli not found on PATH; install it (apt-get install redis-tools)")
    }

    static func run(_ arguments: [String], timeout: Duration = .seconds(10)) throws -> Paxosctl.Run {
        try Paxosctl.run(arguments, timeout: timeout, program: try executable())
    }
}

extension LocalCluster {
    /// Runs redis-cli against node `id` with `words`, expects it to exit 0, and returns its
    /// output without the final newline (what a person sees, `(nil)` printed as an empty line).
    func redisCLI(_ id: Int, _ words: [String]) throws -> String {
        let run = try RedisCLI.run(["-h", host(id), "-p", "\(clientPort(id))"] + words)
        #expect(run.status == 0, "\(run)")
        return run.standardOutput.trimmingCharacters(in: .newlines)
    }
}
