import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding and running the `paxosd` executable.
enum Paxosd {
    /// `paxosd` as `swift test` leaves it (see `BuiltExecutable`).
    static func executable() throws -> URL { try BuiltExecutable.find("paxosd") }

    /// What a paxosd run that was expected to stop by itself left behind.
    struct Exit {
        var status: Int32
        var signalled: Bool
        var standardError: String
        var standardOutput: String
    }

    /// Runs paxosd with `arguments` and waits for it to exit, killing it (by pid) after `timeout`.
    static func runToExit(_ arguments: [String], timeout: Duration = .seconds(10)) throws -> Exit {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Pipes are drained on threads, so a chatty child cannot block on a full pipe.
        let outputData = ThreadGroup(1, name: "paxosd-stdout") { _ in output.fileHandleForReading.readDataToEndOfFile() }
        let errorData = ThreadGroup(1, name: "paxosd-stderr") { _ in errors.fileHandleForReading.readDataToEndOfFile() }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { pause(.milliseconds(10)) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let exit = Exit(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            standardError: String(decoding: errorData.join().first ?? Data(), as: UTF8.self),
            standardOutput: String(decoding: outputData.join().first ?? Data(), as: UTF8.self))
        if timedOut {
            throw HarnessError("paxosd \(arguments.joined(separator: " ")) was still running after \(timeout); stderr: \(exit.standardError)")
        }
        return exit
    }
}
