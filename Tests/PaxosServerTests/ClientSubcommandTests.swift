// Method: table tests of CLIENT's subcommands as parsed (Redis's names, arities and error texts),
// of CLIENT KILL's filters against connection descriptions, and of the CLIENT LIST line.
import PaxosCore
@testable import PaxosServer
import PaxosWire
import Testing

@Suite("server: CLIENT subcommands")
struct ClientSubcommandTests {
    static func parse(_ words: [String]) throws(ClientCommandError) -> ClientSubcommand {
        try ClientSubcommand.parse(words.map { Array($0.utf8) })
    }

    @Test("parsing: each subcommand, case-insensitive")
    func parsing() throws {
        #expect(try Self.parse(["id"]) == .id)
        #expect(try Self.parse(["INFO"]) == .info)
        #expect(try Self.parse(["LIST"]) == .list(ids: nil))
        #expect(try Self.parse(["LIST", "TYPE", "normal"]) == .list(ids: nil, subscribed: false))
        #expect(try Self.parse(["LIST", "TYPE", "pubsub"]) == .list(ids: nil, subscribed: true))
        #expect(try Self.parse(["LIST", "TYPE", "replica"]) == .list(ids: []))
        #expect(try Self.parse(["LIST", "ID", "3", "5"]) == .list(ids: [3, 5]))
        #expect(try Self.parse(["GETNAME"]) == .getName)
        #expect(try Self.parse(["SETNAME", "worker-1"]) == .setName("worker-1"))
        #expect(try Self.parse(["SETNAME", ""]) == .setName(""))
        #expect(try Self.parse(["SETNAME", String(repeating: "n", count: 256)]) == .setName(String(repeating: "n", count: 256)))
        #expect(try Self.parse(["SETINFO", "lib-name", "redis-py"]) == .setInfo(.name, "redis-py"))
        #expect(try Self.parse(["SETINFO", "LIB-VER", "8.2.0"]) == .setInfo(.version, "8.2.0"))
        #expect(try Self.parse(["NO-EVICT", "on"]) == .accepted)
        #expect(try Self.parse(["NO-TOUCH", "OFF"]) == .accepted)
        #expect(try Self.parse(["HELP"]) == .help)
        #expect(try Self.parse(["KILL", "127.0.0.1:5000"]) == .kill(ClientKillFilter(address: "127.0.0.1:5000"), legacy: true))
        var filter = ClientKillFilter()
        filter.id = 7
        filter.skipMe = false
        #expect(try Self.parse(["KILL", "ID", "7", "SKIPME", "no"]) == .kill(filter, legacy: false))
    }

    @Test("refusals carry Redis's texts", arguments: [
        (["SETNAME", "a b"], "ERR Client names cannot contain spaces, newlines or special characters."),
        (["SETINFO", "lib-name", "a\nb"], "ERR lib-name cannot contain spaces, newlines or special characters."),
        (["SETINFO", "lib-color", "x"], "ERR Unrecognized option 'lib-color'"),
        (["SETNAME", String(repeating: "n", count: 257)], "ERR Client names are limited to 256 bytes in PaxosKV"),
        (["SETINFO", "lib-ver", String(repeating: "9", count: 257)], "ERR lib-ver is limited to 256 bytes in PaxosKV"),
        (["ID", "extra"], "ERR wrong number of arguments for 'client|id' command"),
        (["FROB"], "ERR unknown subcommand 'FROB'. Try CLIENT HELP."),
        (["TRACKING", "on"], "ERR PaxosKV does not support CLIENT TRACKING"),
        (["KILL", "ID", "0"], "ERR client-id should be greater than 0"),
        (["KILL", "ID", "3", "USER"], "ERR syntax error"),
        (["KILL", "SKIPME", "maybe"], "ERR syntax error"),
        (["NO-EVICT", "perhaps"], "ERR syntax error"),
        (["LIST", "TYPE", "weird"], "ERR Unknown client type 'weird'"),
        ([], "ERR wrong number of arguments for 'client' command"),
    ])
    func refusals(words: [String], message: String) {
        #expect(throws: ClientCommandError(message)) { _ = try Self.parse(words) }
    }

    static func connection(id: UInt64, address: String = "127.0.0.1:5000", user: String = "default", age: UInt64 = 10) -> ClientConnectionInfo {
        ClientConnectionInfo(id: id, session: 99, address: address, localAddress: "127.0.0.1:6381", name: "", ageSeconds: age,
                             idleSeconds: 0, queuedInTransaction: nil, watchedKeys: 0, readOnly: false, queryBufferBytes: 0,
                             lastCommand: "get", user: user, protocolVersion: 2, libraryName: "", libraryVersion: "")
    }

    @Test("KILL filters: every condition must hold; the caller is spared unless SKIPME no")
    func killFilters() throws {
        guard case .kill(let byAddress, _) = try Self.parse(["KILL", "ADDR", "127.0.0.1:5000"]) else { Issue.record("parse"); return }
        #expect(byAddress.matches(Self.connection(id: 2), caller: 1))
        #expect(!byAddress.matches(Self.connection(id: 2, address: "127.0.0.1:5001"), caller: 1))
        #expect(!byAddress.matches(Self.connection(id: 1), caller: 1), "SKIPME yes by default")
        guard case .kill(let legacy, _) = try Self.parse(["KILL", "127.0.0.1:5000"]) else { Issue.record("parse"); return }
        #expect(legacy.matches(Self.connection(id: 1), caller: 1), "the old form kills the caller too")
        guard case .kill(let byUserAndAge, _) = try Self.parse(["KILL", "USER", "alice", "MAXAGE", "5"]) else { Issue.record("parse"); return }
        #expect(byUserAndAge.matches(Self.connection(id: 2, user: "alice", age: 6), caller: 1))
        #expect(!byUserAndAge.matches(Self.connection(id: 2, user: "alice", age: 4), caller: 1))
        #expect(!byUserAndAge.matches(Self.connection(id: 2, user: "bob", age: 6), caller: 1))
        // A connection with channels or patterns is a pub/sub one, not a normal one.
        var subscriber = Self.connection(id: 2)
        subscriber.patterns = 1
        guard case .kill(let pubSub, _) = try Self.parse(["KILL", "TYPE", "pubsub"]),
              case .kill(let normal, _) = try Self.parse(["KILL", "TYPE", "normal"]) else { Issue.record("parse"); return }
        #expect(pubSub.matches(subscriber, caller: 1) && !pubSub.matches(Self.connection(id: 2), caller: 1))
        #expect(normal.matches(Self.connection(id: 2), caller: 1) && !normal.matches(subscriber, caller: 1))
    }

    @Test("a CLIENT LIST line: Redis's key=value fields, flags for MULTI and READONLY, and the session")
    func line() {
        var info = Self.connection(id: 4)
        info.name = "w1"
        info.queuedInTransaction = 2
        info.readOnly = true
        info.libraryName = "redis-py"
        #expect(info.line == "id=4 addr=127.0.0.1:5000 laddr=127.0.0.1:6381 name=w1 age=10 idle=0 flags=xr db=0 sub=0 psub=0 ssub=0 multi=2 watch=0 qbuf=0 cmd=get user=default resp=2 lib-name=redis-py lib-ver= session=99")
        #expect(Self.connection(id: 1).line.contains(" flags=N "))
        #expect(Self.connection(id: 1).line.contains(" multi=-1 "))
        var subscriber = Self.connection(id: 1)
        (subscriber.channels, subscriber.patterns) = (2, 1)
        #expect(subscriber.line.contains(" flags=P db=0 sub=2 psub=1 ssub=0 "))
    }
}

@Suite("server: CONFIG")
struct ConfigCommandTests {
    static func parse(_ words: [String]) throws(ClientCommandError) -> ConfigCommand {
        try ConfigCommand.parse(words.map { Array($0.utf8) })
    }

    @Test("parsing: GET with patterns, SET, HELP; refusals say why")
    func parsing() throws {
        #expect(try Self.parse(["get", "save", "appendonly"]) == .get(patterns: [Array("save".utf8), Array("appendonly".utf8)]))
        #expect(try Self.parse(["SET", "Notify-Keyspace-Events", "KEA"]) == .set([.init("notify-keyspace-events", "KEA")]))
        #expect(throws: ClientCommandError.self) { _ = try Self.parse(["SET", "MaxMemory", "1"]) }
        #expect(throws: ClientCommandError.self) { _ = try Self.parse(["SET", "notify-keyspace-events", "K", "maxmemory", "1"]) }
        #expect(throws: ClientCommandError("ERR CONFIG SET failed - duplicate parameter")) {
            _ = try Self.parse(["SET", "notify-keyspace-events", "K", "notify-keyspace-events", "E"])
        }
        #expect(try Self.parse(["HELP"]) == .help)
        #expect(throws: ClientCommandError("ERR wrong number of arguments for 'config|get' command")) { _ = try Self.parse(["GET"]) }
        #expect(throws: ClientCommandError("ERR wrong number of arguments for 'config|set' command")) { _ = try Self.parse(["SET", "a"]) }
        #expect(throws: ClientCommandError("ERR unknown subcommand 'FROB'. Try CONFIG HELP.")) { _ = try Self.parse(["FROB"]) }
        #expect(throws: ClientCommandError.self) { _ = try Self.parse(["RESETSTAT"]) }
    }

    @Test("SET notify-keyspace-events: Redis's letters are taken, a bad one is refused with Redis's text")
    func setKeyspaceEvents() {
        #expect(ConfigCommand.keyspaceEvents([.init("notify-keyspace-events", "KEA")]) == .success([.keyspace, .keyevent, .all]))
        #expect(ConfigCommand.keyspaceEvents([.init("notify-keyspace-events", "")]) == .success([]))
        #expect(ConfigCommand.keyspaceEvents([.init("notify-keyspace-events", "KEQ")]) == .failure(ClientCommandError(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")))
    }

    @Test("GET: globs match parameter names case-insensitively, each parameter once, in table order")
    func matching() {
        let table = [(name: "save", value: ""), (name: "appendonly", value: "yes"), (name: "maxclients", value: "10")]
        let names = { (patterns: [String]) in ConfigCommand.matching(patterns.map { Array($0.utf8) }, in: table).map(\.name) }
        #expect(names(["*"]) == ["save", "appendonly", "maxclients"])
        #expect(names(["MAX*", "*clients", "save"]) == ["save", "maxclients"])
        #expect(names(["nothing"]) == [])
        #expect(names(["a?pendonly"]) == ["appendonly"])
    }
}

@Suite("server: INFO sections")
struct INFOSectionsTests {
    static let snapshot = INFOSections.Snapshot(
        replication: NodeInfo(replicaID: 2, clusterID: "c", clusterUUID: nil, members: [1, 2, 3], peersConnected: [1, 3],
                              peers: [], retainSlots: 10, retainBytes: 20, databaseBytes: 4_096, failRate: 0,
                              synchronous: .full, tickMilliseconds: 10, groups: []),
        processID: 42, clientPort: 6382, uptimeSeconds: 90_000, serverTimeMicroseconds: 1_700_000_000_000_001, tickMilliseconds: 10,
        executable: "/bin/paxosd", connectedClients: 3, maxClients: 100, usedMemoryBytes: 3 << 20, residentBytes: 1_536,
        totalConnectionsReceived: 7, totalCommandsProcessed: 1_000, rejectedConnections: 1, cpuSystemSeconds: 1.5,
        cpuUserSeconds: 0.000_25, keys: [5, 7], pubsubChannels: 2, pubsubPatterns: 1, pubsubClients: 3)

    @Test("sections asked for: all by default, case-insensitive, paxos names replication, unknown selects nothing")
    func selection() {
        #expect(INFOSections.selected([]) == INFOSections.allSections)
        #expect(INFOSections.selected(["ALL"]) == INFOSections.allSections)
        #expect(INFOSections.selected(["keyspace", "Server"]) == ["server", "keyspace"])
        #expect(INFOSections.selected(["paxos"]) == ["replication"])
        #expect(INFOSections.selected(["bogus"]) == [])
        #expect(INFOSections.render([], Self.snapshot) == "")
    }

    @Test("each section: Redis's heading and key:value lines with CRLF; keyspace sums the groups")
    func rendering() {
        #expect(INFOSections.render(["clients", "keyspace"], Self.snapshot)
                == "# Clients\r\nconnected_clients:3\r\nmaxclients:100\r\nblocked_clients:0\r\npubsub_clients:3\r\n\r\n# Keyspace\r\ndb0:keys=12\r\n")
        #expect(INFOSections.section(named: "stats", Self.snapshot)
                == "# Stats\r\ntotal_connections_received:7\r\ntotal_commands_processed:1000\r\nrejected_connections:1\r\n"
                   + "pubsub_channels:2\r\npubsub_patterns:1\r\n")
        #expect(INFOSections.section(named: "cpu", Self.snapshot) == "# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:0.000250\r\n")
        let server = INFOSections.section(named: "server", Self.snapshot)
        #expect(server.hasPrefix("# Server\r\nredis_version:7.2.0\r\n"))
        #expect(server.contains("\r\nuptime_in_seconds:90000\r\nuptime_in_days:1\r\nhz:100\r\n"))
        let memory = INFOSections.section(named: "memory", Self.snapshot)
        #expect(memory.contains("used_memory:3145728\r\nused_memory_human:3.00M\r\nused_memory_rss:1536\r\nused_memory_rss_human:1.50K\r\n"))
        #expect(INFOSections.section(named: "replication", Self.snapshot).hasPrefix("# Replication\r\nreplica_id:2\r\n"))
        var empty = Self.snapshot
        empty.keys = [0]
        #expect(INFOSections.section(named: "keyspace", empty) == "# Keyspace\r\n", "no db0 line for an empty database, as Redis")
    }
}
