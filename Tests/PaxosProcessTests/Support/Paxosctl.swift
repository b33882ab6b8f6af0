import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running the `paxosctl` executable as an operator would, for the paxosctl tests.
///
/// Found like `paxosd`, by `BuiltExecutable`.
enum Paxosctl {
    static func executable() throws -> URL { try BuiltExecutable.find("paxosctl") }

    /// What one paxosctl run printed and how it ended.
    struct Run: CustomStringConvertible {
        var program = "paxosctl"
        var arguments: [String]
        var status: Int32
        var signalled: Bool
        var standardOutput: String
        var standardError: String

        var outputLines: [String] { standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

        var description: String {
            "\(program) \(arguments.joined(separator: " ")): exit \(status)\(signalled ? " (signal)" : "")\n"
                + "--- stdout:\n\(standardOutput)--- stderr:\n\(standardError)"
        }
    }

    /// Runs `paxosctl arguments` in `directory` (default: a fresh empty one, so no
    /// `data/cluster.json` is picked up by accident) with `input` on stdin, and waits for it to
    /// exit; it is killed by pid after `timeout`.
    /// `environment` entries are added to this process's environment; `program` runs another
    /// executable the same way (redis-cli for the TLS tests).
    static func run(
        _ arguments: [String], input: String = "", in directory: URL? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(30), program: URL? = nil
    ) throws -> Run {
        let process = Process()
        process.executableURL = try program ?? executable()
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let workDirectory = try directory ?? emptyDirectory()
        defer { if directory == nil { try? FileManager.default.removeItem(at: workDirectory) } }
        process.currentDirectoryURL = workDirectory
        let stdin = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Pipes are drained on threads, so a chatty child cannot block on a full pipe.
        let outputData = ThreadGroup(1, name: "paxosctl-stdout") { _ in output.fileHandleForReading.readDataToEndOfFile() }
        let errorData = ThreadGroup(1, name: "paxosctl-stderr") { _ in errors.fileHandleForReading.readDataToEndOfFile() }
        // A paxosctl that exits before reading its input (a usage error) closes the pipe; the
        // write must then fail with EPIPE, not kill the test process with SIGPIPE.
        _ = signal(SIGPIPE, SIG_IGN)
        var inputError: (any Error)?
        do {
            if !input.isEmpty { try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
            try stdin.fileHandleForWriting.close()
        } catch {
            inputError = error
        }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { pause(.milliseconds(5)) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let run = Run(
            program: process.executableURL?.lastPathComponent ?? "paxosctl", arguments: arguments, status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            standardOutput: String(decoding: outputData.join().first ?? Data(), as: UTF8.self),
            standardError: String(decoding: errorData.join().first ?? Data(), as: UTF8.self))
        if timedOut { throw HarnessError("still running after \(timeout), killed: \(run)") }
        if let inputError, run.status == 0 { throw HarnessError("could not write stdin (\(inputError)) yet: \(run)") }
        return run
    }

    private static func emptyDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxosctl-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
