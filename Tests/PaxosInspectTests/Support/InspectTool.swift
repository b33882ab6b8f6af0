// Running the built `paxos-inspect` executable as a subprocess, as an operator or a script
// would, to check its exit status, its stderr and the shape of its --json output.

import Foundation

enum InspectTool {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String

        /// stdout parsed as one JSON object.
        func json() throws -> [String: Any] {
            let value = try JSONSerialization.jsonObject(with: Data(standardOutput.utf8))
            guard let object = value as? [String: Any] else { throw ToolError("stdout is JSON but not an object: \(standardOutput)") }
            return object
        }
    }

    struct ToolError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// `paxos-inspect` next to the test bundle (`swift build --build-tests` builds every product
    /// into the same directory), in a directory above it, or in the package's `.build/debug`.
    static func executable() throws -> URL {
        let name = "paxos-inspect"
        var candidates: [URL] = []
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" && !directory.path.isEmpty {
            candidates.append(directory.appendingPathComponent(name))
            directory.deleteLastPathComponent()
        }
        // Tests/PaxosInspectTests/Support/InspectTool.swift → the package root.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        candidates.append(root.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ToolError("\(name) not found next to \(CommandLine.arguments[0]) nor in \(root.path)/.build/debug; "
                + "run `swift build --build-tests`")
        }
        return found
    }

    /// Runs `paxos-inspect arguments…` to its end; kills it (by its pid) after `timeout`.
    static func run(_ arguments: [String], timeout: Double = 20) throws -> Run {
        let process = Process()
        process.executableURL = try executable()
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        // Output goes to files, not pipes, so a long listing cannot fill a pipe and stall the
        // child while this thread waits for it.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-inspect-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer {
            // Litter in /tmp at worst.
            do { try FileManager.default.removeItem(at: scratch) } catch {}
        }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw ToolError("cannot create output files in \(scratch.path)")
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            do { try out.close(); try err.close() } catch {}
        }
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw ToolError("paxos-inspect \(arguments.joined(separator: " ")) still ran after \(timeout) seconds; killed")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   standardOutput: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                   standardError: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
