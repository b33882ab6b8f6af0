// Method: black-box tests of client authentication, roles, protected mode and BACKUP's limits
// (DESIGN.md §7 "Clients"), against real paxosd processes. The users file is written with
// `paxosctl user add`, as an operator would; clients are PaxosClient, paxosctl, redis-cli and
// (when installed) redis-py, so what is checked is what each of them sees on the wire:
// - no AUTH → -NOAUTH (PING included, as in Redis); wrong password → -WRONGPASS, counted in
//   the node's metrics; a read-only user writing and a read-write user running BACKUP → -NOPERM;
// - an admin's BACKUP writes a bare name into the backup directory; a second BACKUP of the same
//   name is refused and leaves the file as it was; a path is refused and nothing is written;
// - redis-cli with --user/--pass and with -a (the `default` user) works;
// - protected mode: a node told to listen on 0.0.0.0 without a users file serves clients on
//   127.0.0.1 only (a connection to 127.0.0.2 is refused) and says so in its log, while
//   --protected-mode no serves 0.0.0.0.

import Foundation
import PaxosClient
import PaxosWire
import Testing

extension ProcessTests {
    @Suite("process: client AUTH, roles, protected mode, BACKUP")
    struct AuthTests {
        static let users: [(name: String, role: String, password: String)] = [
            ("admin", "admin", "admin-secret"), ("writer", "read-write", "writer-secret"),
            ("reader", "read-only", "reader-secret"), ("default", "read-only", "default-secret"),
        ]

        /// Writes the users file with `paxosctl user add`, passwords on stdin.
        static func writeUsersFile(at path: String) throws {
            for user in users {
                let run = try Paxosctl.run(["user", "add", path, user.name, "--role", user.role], input: user.password + "\n")
                try #require(run.status == 0, "\(run)")
            }
            let again = try Paxosctl.run(["user", "add", path, "admin", "--role", "admin", "--password", "x"])
            #expect(again.status == 1 && again.standardError.contains("--replace"), "\(again)")
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600)
        }

        static func client(_ cluster: LocalCluster, _ id: Int, user: String?, password: String?) throws -> PaxosClient {
            var configuration = PaxosClient.Configuration.patient
            configuration.maxAttempts = 1
            configuration.username = user
            configuration.password = password
            return try PaxosClient(endpoints: [cluster.endpoint(id)], configuration: configuration)
        }

        /// The server's error text for `arguments`, failing the test if it succeeded.
        static func refusal(_ client: PaxosClient, _ arguments: [String]) -> String {
            do {
                let reply = try client.command(arguments.map { Array($0.utf8) })
                Issue.record("\(arguments) answered \(reply), not an error")
                return ""
            } catch {
                return "\(error)"
            }
        }

        @Test("process: NOAUTH, WRONGPASS, NOPERM by role, admin-only BACKUP into the backup directory, redis-cli")
        func rolesAndBackup() throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-auth-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let usersFile = scratch.appendingPathComponent("users.json").path
            try Self.writeUsersFile(at: usersFile)
            let backups = scratch.appendingPathComponent("backups").path
            try LocalCluster.run(size: 3, name: "auth", arguments: ["--users-file", usersFile, "--backup-dir", backups],
                                 credentials: ("admin", "admin-secret")) { cluster in
                let leader = try cluster.waitForLeader()
                let follower = cluster.ids.first { $0 != leader }!

                // No AUTH: everything but AUTH/HELLO/QUIT is refused, PING too.
                let anonymous = try Self.client(cluster, follower, user: nil, password: nil)
                for command in [["PING"], ["GET", "k"], ["SET", "k", "v"], ["BACKUP", "x.sqlite"], ["INFO"]] {
                    let text = Self.refusal(anonymous, command)
                    #expect(text.contains("NOAUTH Authentication required."), "\(command): \(text)")
                }
                // HELLO without AUTH is refused the same way, in either protocol; HELLO 4 is not spoken.
                #expect(Self.refusal(anonymous, ["HELLO", "2"]).contains("NOAUTH"))
                #expect(Self.refusal(anonymous, ["HELLO", "3"]).contains("NOAUTH"))
                #expect(Self.refusal(anonymous, ["HELLO", "4"]).contains("NOPROTO"))

                // A wrong password: WRONGPASS, counted and logged.
                let wrong = Self.refusal(anonymous, ["AUTH", "admin", "not-the-password"])
                #expect(wrong.contains("WRONGPASS invalid username-password pair or user is disabled."), "\(wrong)")
                #expect(Self.refusal(anonymous, ["AUTH", "nobody", "admin-secret"]).contains("WRONGPASS"))
                #expect(Self.refusal(anonymous, ["GET", "k"]).contains("NOAUTH"), "a failed AUTH authenticates nobody")
                #expect(try Self.metric(cluster, follower, "paxos_client_auth_failures_total") >= 2)
                #expect(try String(contentsOfFile: cluster.logPath(follower), encoding: .utf8).contains("client AUTH refused"))

                // HELLO 2 AUTH authenticates, as redis-py and newer clients do it.
                if case .array(let fields?) = try anonymous.command(["HELLO", "2", "AUTH", "reader", "reader-secret"].map { Array($0.utf8) }) {
                    #expect(fields.first == .bulkString(Array("server".utf8)))
                } else {
                    Issue.record("HELLO 2 AUTH did not answer the field list")
                }
                #expect(try anonymous.get("k") == nil)

                // Roles: the writer writes (through a follower, forwarded to the leader), the
                // reader reads, neither backs up.
                let writer = try Self.client(cluster, follower, user: "writer", password: "writer-secret")
                try writer.put("k", "v")
                let reader = try Self.client(cluster, follower, user: "reader", password: "reader-secret")
                #expect(try reader.get("k") == "v")
                let readOnlyWrite = Self.refusal(reader, ["SET", "k", "w"])
                #expect(readOnlyWrite.contains("NOPERM this user has no permissions to run the 'set' command"), "\(readOnlyWrite)")
                #expect(Self.refusal(reader, ["DEL", "k"]).contains("NOPERM"))
                #expect(try writer.get("k") == "v", "the refused write changed nothing")
                let writerBackup = Self.refusal(writer, ["BACKUP", "w.sqlite"])
                #expect(writerBackup.contains("NOPERM this user has no permissions to run the 'backup' command"), "\(writerBackup)")
                #expect(!FileManager.default.fileExists(atPath: backups + "/w.sqlite"))

                // The admin backs up by name into the backup directory; never over a file, never
                // along a path.
                let admin = try Self.client(cluster, follower, user: "admin", password: "admin-secret")
                let reply = try admin.command(["BACKUP", "node.sqlite"].map { Array($0.utf8) })
                let written = backups + "/node.sqlite"
                #expect(reply == .bulkString(Array(written.utf8)), "\(reply)")
                let before = try Data(contentsOf: URL(fileURLWithPath: written))
                #expect(before.count >= 4_096)
                #expect(Self.refusal(admin, ["BACKUP", "node.sqlite"]).contains("already exists"))
                #expect(try Data(contentsOf: URL(fileURLWithPath: written)) == before, "the existing backup is untouched")
                let probe = scratch.appendingPathComponent("pkv-probe.sqlite").path
                for name in [probe, "../pkv-probe.sqlite", backups + "/../pkv-probe.sqlite"] {
                    let text = Self.refusal(admin, ["BACKUP", name])
                    #expect(text.contains("bare file name"), "\(name): \(text)")
                }
                #expect(!FileManager.default.fileExists(atPath: probe))
                // Another node's backup of an existing name is refused too (one directory, shared).
                let leaderAdmin = try Self.client(cluster, leader, user: "admin", password: "admin-secret")
                #expect(Self.refusal(leaderAdmin, ["BACKUP", "node.sqlite"]).contains("already exists"))

                try redisCLI(cluster, leader)
                try paxosctl(cluster, backups: backups)
            }
        }

        /// paxosctl with --user and the password from PAXOS_PASSWORD or --password.
        func paxosctl(_ cluster: LocalCluster, backups: String) throws {
            let all = "--endpoints=" + cluster.endpoints.map(\.description).joined(separator: ",")
            let anonymous = try Paxosctl.run(["get", "k", all])
            #expect(anonymous.status == 1 && anonymous.standardError.contains("NOAUTH"), "\(anonymous)")
            let read = try Paxosctl.run(["get", "k", "--user", "reader", all], environment: ["PAXOS_PASSWORD": "reader-secret"])
            #expect(read.status == 0 && read.standardOutput == "v\n", "\(read)")
            let write = try Paxosctl.run(["put", "k", "x", "--user", "reader", all], environment: ["PAXOS_PASSWORD": "reader-secret"])
            #expect(write.status == 1 && write.standardError.contains("NOPERM"), "\(write)")
            let wrong = try Paxosctl.run(["get", "k", "--user", "reader", "--password", "nope", all])
            #expect(wrong.status == 1 && wrong.standardError.contains("WRONGPASS"), "\(wrong)")
            let save = try Paxosctl.run(["snapshot", "save", "by-paxosctl.sqlite", "--user", "admin", "--password", "admin-secret", all])
            #expect(save.status == 0 && save.standardOutput.hasPrefix("OK: \(backups)/by-paxosctl.sqlite written by "), "\(save)")
        }

        /// A counter's value from node `id`'s /metrics (Prometheus text), 0 if absent.
        static func metric(_ cluster: LocalCluster, _ id: Int, _ name: String) throws -> Double {
            let connection = try RawConnection(port: cluster.clientPort(id) + 2)
            defer { connection.close() }
            try connection.write(Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
            let text = String(decoding: try connection.readUntilClosed(), as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
                return Double(line.split(separator: " ").last ?? "") ?? 0
            }
            return 0
        }

        /// redis-cli with --user/--pass, and with -a for the `default` user.
        func redisCLI(_ cluster: LocalCluster, _ id: Int) throws {
            let port = "\(cluster.clientPort(id))"
            let set = try Self.runRedisCLI(["-p", port, "--user", "writer", "--pass", "writer-secret", "SET", "cli", "yes"])
            #expect(set.output == "OK\n", "\(set)")
            let get = try Self.runRedisCLI(["-p", port, "--no-auth-warning", "-a", "default-secret", "GET", "cli"])
            #expect(get.output == "yes\n", "\(get)")
            let denied = try Self.runRedisCLI(["-p", port, "--no-auth-warning", "-a", "default-secret", "SET", "cli", "no"])
            #expect(denied.output.contains("NOPERM"), "\(denied)")
            let wrong = try Self.runRedisCLI(["-p", port, "--user", "writer", "--pass", "nope", "--no-auth-warning", "GET", "cli"])
            #expect((wrong.output + wrong.error).contains("WRONGPASS"), "\(wrong)")
        }

        static func runRedisCLI(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
            let run = try RedisCLI.run(arguments)
            return (run.status, run.standardOutput, run.standardError)
        }

        static var redisPyAvailable: Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", "import redis"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }

        @Test("process: redis-py Redis(username=, password=) authenticates and is limited by its role")
        func redisPy() throws {
            // A compatibility test never passes by skipping: .ci/run installs redis-py.
            try #require(Self.redisPyAvailable, "redis-py is not installed for python3; run `python3 -m pip install redis` (.ci/run does)")
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-auth-py-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let usersFile = scratch.appendingPathComponent("users.json").path
            try Self.writeUsersFile(at: usersFile)
            try LocalCluster.run(size: 3, name: "auth-redis-py", arguments: ["--users-file", usersFile],
                                 credentials: ("admin", "admin-secret")) { cluster in
                let script = """
                    import redis, sys
                    port = int(sys.argv[1])
                    w = redis.Redis(port=port, username="writer", password="writer-secret")
                    assert w.set("py", "1") is True
                    r = redis.Redis(port=port, username="reader", password="reader-secret")
                    assert r.get("py") == b"1"
                    try:
                        r.set("py", "2"); sys.exit("read-only write accepted")
                    except redis.exceptions.NoPermissionError:
                        pass
                    try:
                        redis.Redis(port=port, username="reader", password="wrong").get("py"); sys.exit("wrong password accepted")
                    except redis.exceptions.AuthenticationError:
                        pass
                    print("ok")
                    """
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", "-c", script, "\(cluster.clientPort(try cluster.waitForLeader()))"]
                let output = Pipe()
                process.standardOutput = output
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                #expect(process.terminationStatus == 0 && String(decoding: data, as: UTF8.self) == "ok\n")
            }
        }

        /// How a users file (named `usersFile: users.json` in the cluster file, so relative to
        /// it) is spoiled, and a word the one line on stderr must hold.
        static let badUsersFiles: [(name: String, words: [String])] = [
            ("missing", ["cannot be read", "paxosctl user add"]), ("malformed", ["not valid"]),
            ("writable by others", ["chmod 600"]), ("no admin", ["no admin"]),
        ]

        @Test("process: paxosd refuses a users file that is missing, malformed, writable by others or without an admin, in one line",
              arguments: badUsersFiles.map(\.name))
        func refusesBadUsersFile(_ name: String) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-users-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // A valid cluster secret, so the users file is the only thing wrong.
            _ = try TestSecret.write(toDirectory: directory.path)
            let users = directory.appendingPathComponent("users.json").path
            switch name {
            case "malformed": try "{\"users\": [".write(toFile: users, atomically: true, encoding: .utf8)
            case "no admin", "writable by others":
                let role = name == "no admin" ? "read-write" : "admin"
                try #require(try Paxosctl.run(["user", "add", users, "someone", "--role", role, "--password", "pw"]).status == 0)
                if name == "writable by others" { try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: users) }
            default: break
            }
            let ports = try Ports.freeBlock(count: 9)
            let path = directory.appendingPathComponent("cluster.json").path
            try ConfigurationTests.configuration(directory.appendingPathComponent("nodes").path,
                                                 replicas: (0..<3).map { ($0 + 1, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
                .replacingOccurrences(of: "\"replicas\"", with: "\"usersFile\": \"users.json\", \"replicas\"")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let exit = try Paxosd.runToExit(["--config", path, "--id", "1"])
            let lines = exit.standardError.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            #expect(exit.status == 2 && !exit.signalled, "exit status \(exit.status): \(exit.standardError)")
            try #require(lines.count == 1, "stderr should be one line:\n\(exit.standardError)")
            #expect(lines[0].contains(users), "\(lines[0])")
            for word in Self.badUsersFiles.first(where: { $0.name == name })!.words {
                #expect(lines[0].contains(word), "stderr lacks '\(word)': \(lines[0])")
            }
        }

        @Test("process: paxosd refuses a backup directory inside its node directory at start-up")
        func refusesBackupDirectoryInsideNode() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paxos-backupdir-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            _ = try TestSecret.write(toDirectory: directory.path)
            let ports = try Ports.freeBlock(count: 9)
            let nodes = directory.appendingPathComponent("nodes").path
            let path = directory.appendingPathComponent("cluster.json").path
            try ConfigurationTests.configuration(nodes, replicas: (0..<3).map { ($0 + 1, ports + 3 * $0, ports + 3 * $0 + 1, ports + 3 * $0 + 2) })
                .write(toFile: path, atomically: true, encoding: .utf8)
            let exit = try Paxosd.runToExit(["--config", path, "--id", "1", "--backup-dir", nodes + "/2/backups"])
            #expect(exit.status != 0 && !exit.signalled, "exit status \(exit.status)")
            #expect(exit.standardError.contains("is, or is inside, the node directory"), "\(exit.standardError)")
        }

        @Test("process: protected mode serves clients on 127.0.0.1 only when a node without users is told 0.0.0.0")
        func protectedMode() throws {
            try LocalCluster.run(size: 3, name: "protected", arguments: ["--host", "0.0.0.0"]) { cluster in
                try cluster.waitForLeader()
                let elsewhere = Endpoint(host: "127.0.0.2", port: cluster.clientPort(1))
                var configuration = PaxosClient.Configuration.patient
                configuration.maxAttempts = 1
                let outside = try PaxosClient(endpoints: [elsewhere], configuration: configuration)
                let error = #expect(throws: PaxosClientError.self) { try outside.ping() }
                #expect("\(error.map { "\($0)" } ?? "")".contains("refused"), "\(String(describing: error))")
                try cluster.client(only: 1).ping()
                let log = try String(contentsOfFile: cluster.logPath(1), encoding: .utf8)
                #expect(log.contains("protected mode: no users file, so clients are served on 127.0.0.1 only"), "\(log)")
                // Still reachable with no password locally, BACKUP included (documented).
                try cluster.client(only: 1).ping()
            }
            try LocalCluster.run(size: 3, name: "unprotected", arguments: ["--host", "0.0.0.0", "--protected-mode", "no"]) { cluster in
                try cluster.waitForLeader()
                var configuration = PaxosClient.Configuration.patient
                configuration.maxAttempts = 1
                let outside = try PaxosClient(endpoints: [Endpoint(host: "127.0.0.2", port: cluster.clientPort(1))], configuration: configuration)
                try outside.ping()
                #expect(try String(contentsOfFile: cluster.logPath(1), encoding: .utf8).contains("--protected-mode no"))
            }
        }
    }
}
