// Method: table-driven runs of paxosd with a bad configuration. Each case MUST exit by itself,
// with a non-zero status and exactly one line on stderr that names the problem, before it opens
// a database or binds a port. Covers ClusterConfiguration's validation as an operator sees it.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ProcessTests {
    @Suite("process: bad configuration")
    struct ConfigurationTests {
        struct Case: Sendable, CustomTestStringConvertible {
            var name: String
            /// The file's text, or nil for a path that does not exist.
            var json: (@Sendable (_ ports: Int, _ directory: String) -> String)?
            var id = 1
            /// The mode of the cluster secret written next to the file, or nil for none.
            var secretMode: Int16? = 0o600
            /// Words stderr must contain, case-insensitively.
            var words: [String]
            var testDescription: String { name }
        }

        static let cases: [Case] = [
            Case(name: "an even-sized cluster", json: { ports, directory in
                configuration(directory, replicas: (1...4).map { ($0, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
            }, words: ["4 replicas", "odd"]),
            Case(name: "a port used twice", json: { ports, directory in
                configuration(directory, replicas: [(1, ports, ports + 1, ports + 2), (2, ports + 3, ports + 1, ports + 5), (3, ports + 6, ports + 7, ports + 8)])
            }, words: ["used twice", "peerPort"]),
            Case(name: "an id not in the file", json: { ports, directory in
                configuration(directory, replicas: (1...3).map { ($0, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
            }, id: 9, words: ["replica 9", "not in"]),
            Case(name: "a duplicate replica id", json: { ports, directory in
                configuration(directory, replicas: [(1, ports, ports + 1, ports + 2), (1, ports + 3, ports + 4, ports + 5), (3, ports + 6, ports + 7, ports + 8)])
            }, words: ["replica id 1", "twice"]),
            Case(name: "a file that does not exist", json: nil, words: ["cannot read", "cluster configuration"]),
            Case(name: "a file that is not JSON", json: { _, _ in "{\"clusterID\": \"x\", \"replicas\": [" }, words: ["not a valid cluster configuration"]),
            Case(name: "no cluster secret", json: { ports, directory in
                configuration(directory, replicas: (1...3).map { ($0, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
            }, secretMode: nil, words: ["cluster secret", "cluster.secret", "openssl rand"]),
            Case(name: "a cluster secret others can read", json: { ports, directory in
                configuration(directory, replicas: (1...3).map { ($0, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
            }, secretMode: 0o644, words: ["cluster secret", "chmod 600"]),
        ]

        @Test("process: paxosd refuses a bad configuration with one clear line on stderr", arguments: cases)
        func refusesBadConfiguration(_ testCase: Case) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-config-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("cluster.json").path
            if let json = testCase.json {
                // Free ports, in case paxosd wrongly starts: it must not collide with anything.
                try json(try Ports.freeBlock(count: 15), directory.appendingPathComponent("nodes").path)
                    .write(toFile: path, atomically: true, encoding: .utf8)
            }
            if let mode = testCase.secretMode { try TestSecret.write(toDirectory: directory.path, mode: mode) }
            let exit = try Paxosd.runToExit(["--config", path, "--id", "\(testCase.id)"])
            let lines = exit.standardError.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            #expect(exit.status != 0 && !exit.signalled, "exit status \(exit.status), signalled \(exit.signalled)")
            try #require(lines.count == 1, "stderr should be one line, got \(lines.count):\n\(exit.standardError)")
            for word in testCase.words {
                #expect(lines[0].lowercased().contains(word.lowercased()), "stderr lacks '\(word)': \(lines[0])")
            }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("nodes").path), "a database was created")
        }

        @Test("process: paxosd whose client port is taken exits non-zero and says it cannot listen")
        func refusesTakenPort() throws {
            let (directory, path, ports) = try Self.threeNodeClusterFile()
            defer { try? FileManager.default.removeItem(at: directory) }
            let listener = try Listener(port: ports)
            defer { listener.close() }
            let exit = try Paxosd.runToExit(["--config", path, "--id", "1", "--log-level", "notice"])
            #expect(exit.status != 0 && !exit.signalled, "exit status \(exit.status)")
            #expect(exit.standardError.lowercased().contains("cannot listen"), "stderr: \(exit.standardError)")
            print("bad configuration: port taken: stderr was:\n\(exit.standardError)")
        }

        @Test("process: paxosd refuses to start on a disk without the free space --min-free-mib asks for, saying so")
        func refusesAFullDisk() throws {
            let (directory, path, _) = try Self.threeNodeClusterFile()
            defer { try? FileManager.default.removeItem(at: directory) }
            // 2^40 MiB is more than any disk here has: the check, not the disk, is what is tested.
            let exit = try Paxosd.runToExit(["--config", path, "--id", "1", "--log-level", "notice", "--min-free-mib", "\(1 << 40)"])
            #expect(exit.status != 0 && !exit.signalled, "exit status \(exit.status)")
            #expect(exit.standardError.contains("MiB free, less than"), "stderr: \(exit.standardError)")
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("nodes/1").path), "the refused node created its directory")
        }

        /// A scratch directory with a valid 3-node cluster file (on free ports) and its secret.
        static func threeNodeClusterFile() throws -> (directory: URL, path: String, firstPort: Int) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-config-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let ports = try Ports.freeBlock(count: 9)
            let path = directory.appendingPathComponent("cluster.json").path
            try configuration(directory.appendingPathComponent("nodes").path, replicas: (0..<3).map { ($0 + 1, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
                .write(toFile: path, atomically: true, encoding: .utf8)
            try TestSecret.write(toDirectory: directory.path)
            return (directory, path, ports)
        }

        static func configuration(_ directory: String, replicas: [(Int, Int, Int, Int)]) -> String {
            let entries = replicas.map { id, client, peer, metrics in
                "{\"id\": \(id), \"host\": \"127.0.0.1\", \"clientPort\": \(client), \"peerPort\": \(peer), \"metricsPort\": \(metrics)}"
            }
            return "{\"clusterID\": \"bad-config\", \"dataDirectory\": \"\(directory)\", \"replicas\": [\(entries.joined(separator: ", "))]}\n"
        }
    }
}

/// A listening socket on 127.0.0.1 that holds a port for the length of a test.
struct Listener {
    let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Ports.streamType, 0)
        guard descriptor >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var address = Ports.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            closeDescriptor(descriptor)
            throw HarnessError("cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
    }

    func close() { closeDescriptor(descriptor) }
}

/// `close(2)`, which `Listener.close` shadows.
private func closeDescriptor(_ descriptor: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(descriptor)
    #else
    _ = Darwin.close(descriptor)
    #endif
}
