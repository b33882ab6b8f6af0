// Method: the client-facing pieces that decide who may do what, as values: ClientCommand
// parsing of BACKUP names, AUTH and HELLO (table-driven), the command → role table, the
// protected-mode listen address, the backup directory's refusals (in a temporary directory,
// symlinks included) and the rate limit on AUTH failure logs.
import Foundation
import NIOCore
import PaxosAuth
import PaxosCore
import Testing

@testable import PaxosServer

@Suite("client access")
struct ClientAccessTests {
    static func parse(_ words: [String]) throws(ClientCommandError) -> ClientCommand {
        try ClientCommand.parse(name: words[0], arguments: words.dropFirst().map { Array($0.utf8) }, maxKeyBytes: 1_024, maxValueBytes: 1 << 20)
    }

    @Test("BACKUP refuses paths, dot names, NUL and odd characters", arguments: [
        "/etc/x", "../x", "a/b", "", "x\0", ".", "..", ".hidden", "/tmp/../etc/pkv-probe.sqlite", "a b", "x\n",
        String(repeating: "x", count: 129),
    ])
    func backupRefusesNames(name: String) {
        #expect(throws: ClientCommandError.self) { try Self.parse(["BACKUP", name]) }
    }

    @Test("MEMBER refuses malformed arguments with a usage error, never a change", arguments: [
        ["MEMBER"], ["MEMBER", "ADD"], ["MEMBER", "ADD", "0"], ["MEMBER", "ADD", "-1"], ["MEMBER", "ADD", "4294967296"],
        ["MEMBER", "ADD", "x"], ["MEMBER", "ADD", "4", "5"], ["MEMBER", "DROP", "4"], ["MEMBER", "LIST", "4"],
        ["MEMBER", "ADD", "4", "GROUP", "x"], ["MEMBER", "REMOVE", "4", "GROUP", "-1"],
        ["MEMBER", "ADD", "4", "h", "1", "2"], ["MEMBER", "ADD", "4", "h", "1", "2", "0"],
        ["MEMBER", "ADD", "4", "h", "1", "2", "70000"], ["MEMBER", "ADD", "4", "h", "1", "1", "2"],
        ["MEMBER", "REMOVE", "4", "h", "1", "2", "3"],
    ])
    func memberRefusesGarbage(words: [String]) {
        #expect(throws: ClientCommandError.self) { try Self.parse(words) }
    }

    @Test("MEMBER: subcommands, ids and GROUP parse; LIST needs read-only, every change admin")
    func memberParsesAndNeedsAdmin() throws {
        #expect(try Self.parse(["MEMBER", "list"]) == .member(.list, group: nil))
        #expect(try Self.parse(["MEMBER", "add", "4"]) == .member(.add(ReplicaID(4)), group: nil))
        #expect(try Self.parse(["MEMBER", "REPLACE", "2", "group", "3"]) == .member(.replace(ReplicaID(2)), group: 3))
        let address = MemberAddress(host: "10.0.0.4", clientPort: 6379, peerPort: 7379, metricsPort: 9379)
        #expect(try Self.parse(["MEMBER", "ADD", "4", "10.0.0.4", "6379", "7379", "9379", "GROUP", "1"])
            == .member(.add(ReplicaID(4), address: address), group: 1))
        #expect(try Self.parse(["MEMBER", "LIST"]).access == .role(.readOnly))
        for verb in ["ADD", "PROMOTE", "REMOVE", "REPLACE"] {
            #expect(try Self.parse(["MEMBER", verb, "4"]).access == .role(.admin), "MEMBER \(verb)")
        }
    }

    @Test("BACKUP takes bare names", arguments: ["node1.sqlite", "nightly-2026_01_31", "a", String(repeating: "x", count: 128)])
    func backupAcceptsNames(name: String) throws {
        #expect(try Self.parse(["BACKUP", name]) == .backup(name: name))
    }

    @Test("AUTH with one argument is the default user; with two, the named one")
    func auth() throws {
        #expect(try Self.parse(["AUTH", "pw"]) == .auth(user: "default", password: Array("pw".utf8)))
        #expect(try Self.parse(["AUTH", "alice", "pw"]) == .auth(user: "alice", password: Array("pw".utf8)))
        #expect(throws: ClientCommandError.self) { try Self.parse(["AUTH"]) }
        #expect(throws: ClientCommandError.self) { try Self.parse(["AUTH", "a", "b", "c"]) }
    }

    @Test("HELLO: version, AUTH and SETNAME options")
    func hello() throws {
        #expect(try Self.parse(["HELLO"]) == .hello(protocolVersion: nil, user: nil, password: nil))
        #expect(try Self.parse(["HELLO", "3"]) == .hello(protocolVersion: 3, user: nil, password: nil))
        #expect(try Self.parse(["HELLO", "2", "AUTH", "u", "p", "SETNAME", "n"])
            == .hello(protocolVersion: 2, user: "u", password: Array("p".utf8), name: "n"))
        #expect(throws: ClientCommandError.self) { try Self.parse(["HELLO", "3", "SETNAME", "a b"]) }
        #expect(throws: ClientCommandError.self) { try Self.parse(["HELLO", "two"]) }
        #expect(throws: ClientCommandError.self) { try Self.parse(["HELLO", "2", "AUTH", "u"]) }
    }

    @Test("command → role: reads need read-only, writes read-write, BACKUP admin, AUTH/HELLO/QUIT nobody", arguments: [
        (["GET", "k"], CommandAccess.role(.readOnly)), (["EXISTS", "k"], .role(.readOnly)), (["PING"], .role(.readOnly)),
        (["ECHO", "x"], .role(.readOnly)), (["INFO"], .role(.readOnly)), (["READONLY"], .role(.readOnly)),
        (["CONFIG", "GET", "x"], .role(.readOnly)),
        (["SET", "k", "v"], .role(.readWrite)), (["PUT", "k", "v"], .role(.readWrite)), (["DEL", "k"], .role(.readWrite)),
        (["DELETE", "k"], .role(.readWrite)),
        (["BACKUP", "b.sqlite"], .role(.admin)),
        (["CLIENT", "ID"], .role(.readOnly)), (["CLIENT", "SETINFO", "LIB-NAME", "x"], .role(.readOnly)), (["TIME"], .role(.readOnly)),
        (["CLIENT", "LIST"], .role(.admin)), (["CLIENT", "KILL", "ID", "3"], .role(.admin)),
        (["AUTH", "p"], .anyone), (["HELLO"], .anyone), (["QUIT"], .anyone),
    ])
    func roles(words: [String], access: CommandAccess) throws {
        #expect(try Self.parse(words).access == access)
    }

    @Test("exactly the commands anyone may run are let through before AUTH")
    func beforeAuthentication() throws {
        for name in ClientCommand.allowedBeforeAuthentication {
            let words = name == "AUTH" ? [name, "p"] : [name]
            #expect(try Self.parse(words).access == .anyone, "\(name)")
        }
        #expect(!ClientCommand.allowedBeforeAuthentication.contains("PING"))
    }

    static func settings(host: String, users: UsersFile?, protectedMode: Bool = true, data: String = "/tmp/data") -> NodeSettings {
        let cluster = ClusterConfiguration(
            clusterID: "test", dataDirectory: data,
            replicas: (1...3).map { .init(id: $0, host: host, clientPort: 6380 + Int($0), peerPort: 7380 + Int($0), metricsPort: 9380 + Int($0)) })
        var settings = NodeSettings(cluster: cluster, id: ReplicaID(1), host: host, clientPort: 6381, peerPort: 7381,
                                    metricsPort: 9381, databasePath: "\(data)/1/paxos.sqlite", seed: 1)
        settings.users = users
        settings.protectedMode = protectedMode
        return settings
    }

    @Test("protected mode: without users a non-loopback host is served on loopback; with users or opted out, as configured")
    func protectedMode() {
        let users = UsersFile(users: [.init(name: "a", role: .admin, password: PasswordHash(password: "p", rounds: PasswordHash.minimumRounds))])
        #expect(Self.settings(host: "0.0.0.0", users: nil).clientListenHost == "127.0.0.1")
        #expect(Self.settings(host: "10.1.2.3", users: nil).clientListenHost == "127.0.0.1")
        #expect(Self.settings(host: "::", users: nil).clientListenHost == "::1")
        #expect(Self.settings(host: "127.0.0.1", users: nil).clientListenHost == "127.0.0.1")
        #expect(Self.settings(host: "0.0.0.0", users: users).clientListenHost == "0.0.0.0")
        #expect(Self.settings(host: "0.0.0.0", users: nil, protectedMode: false).clientListenHost == "0.0.0.0")
    }

    @Test("the default backup directory is next to the data directory, outside every node's")
    func defaultBackupDirectory() {
        #expect(NodeSettings.defaultBackupDirectory(databasePath: "/srv/pkv/nodes/3/paxos.sqlite") == "/srv/pkv/backups")
        #expect(Self.settings(host: "127.0.0.1", users: nil, data: "/srv/pkv/nodes").backupDirectory == "/srv/pkv/backups")
    }

    @Test("a backup directory inside a node's directory is refused, through a symlink too")
    func backupDirectoryRefusals() throws {
        let root = NSTemporaryDirectory() + "paxoskv-backupdir-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for id in 1...3 { try FileManager.default.createDirectory(atPath: "\(root)/nodes/\(id)", withIntermediateDirectories: true) }
        var settings = Self.settings(host: "127.0.0.1", users: nil, data: "\(root)/nodes")
        #expect(throws: Never.self) { try BackupDirectory(settings: settings).checkAtStartup() }
        guard case .success(let resolved) = BackupDirectory(settings: settings).prepare() else {
            Issue.record("the default backup directory was refused")
            return
        }
        #expect(resolved.hasSuffix("/backups"))
        for inside in ["\(root)/nodes/1", "\(root)/nodes/1/sub", "\(root)/nodes/2"] {
            settings.backupDirectory = inside
            #expect(throws: NodeStartupError.self) { try BackupDirectory(settings: settings).checkAtStartup() }
            guard case .failure = BackupDirectory(settings: settings).prepare() else {
                Issue.record("\(inside) accepted")
                continue
            }
        }
        try FileManager.default.createSymbolicLink(atPath: "\(root)/sneaky", withDestinationPath: "\(root)/nodes/1")
        settings.backupDirectory = "\(root)/sneaky"
        guard case .failure(let refusal) = BackupDirectory(settings: settings).prepare() else {
            Issue.record("a symlink into the node directory was accepted")
            return
        }
        #expect(refusal.description.contains("node directory"))
    }

    @Test("a backup directory other users may write is refused")
    func backupDirectoryWritableByOthers() throws {
        let root = NSTemporaryDirectory() + "paxoskv-backupdir-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/shared", withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: "\(root)/shared")
        var settings = Self.settings(host: "127.0.0.1", users: nil, data: "\(root)/nodes")
        settings.backupDirectory = "\(root)/shared"
        guard case .failure(let refusal) = BackupDirectory(settings: settings).prepare() else {
            Issue.record("a world-writable backup directory was accepted")
            return
        }
        #expect(refusal.description.contains("writable by other users"))
    }

    @Test("AUTH failures are logged at most once per interval, with the count in between")
    func failureLogRateLimit() {
        var log = LogThrottle()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let first = log.shouldLog(now: start)
        #expect(first.log && first.suppressed == 0)
        #expect(log.shouldLog(now: start + .seconds(1)).log == false)
        #expect(log.shouldLog(now: start + .seconds(9)).log == false)
        let next = log.shouldLog(now: start + .seconds(10))
        #expect(next.log && next.suppressed == 2)
        #expect(log.shouldLog(now: start + .seconds(11)).log == false)
    }
}
