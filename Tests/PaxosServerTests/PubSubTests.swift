// Method: table tests of the pub/sub commands as parsed (Redis's names, arities and refusals),
// of the node's subscription registry (who gets a `message`, who a `pmessage`), and of the
// frames' golden bytes in RESP3 (push, `>`) and RESP2 (arrays), as Redis sends them
// (https://redis.io/docs/latest/develop/pubsub/ and the RESP3 spec's push type).
import NIOCore
import PaxosCore
@testable import PaxosServer
import PaxosWire
import Testing

@Suite("server: pub/sub")
struct PubSubTests {
    static func b(_ s: String) -> Bytes { Array(s.utf8) }

    static func parse(_ words: [String]) throws(ClientCommandError) -> PubSubCommand {
        try PubSubCommand.parse(name: words[0], arguments: words.dropFirst().map { Array($0.utf8) })
    }

    static func bytes(_ value: RESPValue, protocol version: Int) -> String {
        var buffer = ByteBuffer()
        value.forProtocol(version).write(to: &buffer)
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    @Test("parsing: (P)(UN)SUBSCRIBE and PUBSUB; PUBLISH and shard channels are refused")
    func parsing() throws {
        #expect(try Self.parse(["SUBSCRIBE", "a", "b"]) == .subscribe(channels: [Self.b("a"), Self.b("b")]))
        #expect(try Self.parse(["PSUBSCRIBE", "__key*__:*"]) == .psubscribe(patterns: [Self.b("__key*__:*")]))
        #expect(try Self.parse(["UNSUBSCRIBE"]) == .unsubscribe(channels: []))
        #expect(try Self.parse(["PUNSUBSCRIBE", "p"]) == .punsubscribe(patterns: [Self.b("p")]))
        #expect(try Self.parse(["PUBSUB", "numpat"]) == .numpat)
        #expect(try Self.parse(["PUBSUB", "CHANNELS", "__key*"]) == .channels(pattern: Self.b("__key*")))
        #expect(try Self.parse(["PUBSUB", "NUMSUB"]) == .numsub(channels: []))
        #expect(throws: ClientCommandError("ERR wrong number of arguments for 'subscribe' command")) { _ = try Self.parse(["SUBSCRIBE"]) }
        #expect(throws: ClientCommandError("ERR wrong number of arguments for 'psubscribe' command")) { _ = try Self.parse(["PSUBSCRIBE"]) }
        let publish = #expect(throws: ClientCommandError.self) { _ = try Self.parse(["PUBLISH", "ch", "hello"]) }
        #expect(publish?.description.contains("keyspace notifications") == true)
        #expect(throws: ClientCommandError.self) { _ = try Self.parse(["SSUBSCRIBE", "ch"]) }
        #expect(throws: ClientCommandError.self) { _ = try Self.parse(["PUBSUB", "FROB"]) }
    }

    @Test("RESP2 subscribed mode: only pub/sub, PING and QUIT, refused with Redis's text")
    func subscribedMode() {
        #expect(PubSubCommand.allowedWhileSubscribed.isSuperset(of: ["SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "PING", "QUIT"]))
        #expect(!PubSubCommand.allowedWhileSubscribed.contains("GET"))
        #expect(PubSubCommand.refusalWhileSubscribed("GET")
                == "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
    }

    @Test("bounds: at most 1,024 channels and patterns per connection, names up to 2,048 bytes; repeats count once")
    func bounds() {
        let held = Set((0..<1_000).map { Self.b("c\($0)") })
        #expect(PubSubCommand.refusal(adding: (0..<24).map { Self.b("n\($0)") }, to: held, total: 1_000) == nil)
        #expect(PubSubCommand.refusal(adding: (0..<25).map { Self.b("n\($0)") }, to: held, total: 1_000)
                == "ERR a connection may hold at most 1024 channels and patterns; this one holds 1000")
        // Channels it already holds add nothing.
        #expect(PubSubCommand.refusal(adding: Array(held) + [Self.b("new")], to: held, total: 1_024) == "ERR a connection may hold at most 1024 channels and patterns; this one holds 1024")
        #expect(PubSubCommand.refusal(adding: Array(held.prefix(10)), to: held, total: 1_024) == nil)
        #expect(PubSubCommand.refusal(adding: [Array(repeating: 0x61, count: 2_049)], to: [], total: 0)
                == "ERR channel or pattern of 2049 bytes is over the limit of 2048")
    }

    @Test("registry: exact subscribers get message, matching patterns pmessage, others nothing")
    func registry() {
        var registry = PubSubRegistry()
        let (one, two, three) = (ClientID(rawValue: 1), ClientID(rawValue: 2), ClientID(rawValue: 3))
        registry.subscribe(one, channel: Self.b("__keyspace@0__:k"))
        registry.subscribe(two, pattern: Self.b("__keyspace@0__:*"))
        registry.subscribe(two, pattern: Self.b("__key*"))
        registry.subscribe(three, pattern: Self.b("__keyevent@0__:*"))
        // INFO's counts: a connection with a channel and patterns counts once.
        #expect(registry.channels.count == 1 && registry.patterns.count == 3 && registry.subscriberCount == 3)
        var out: [(ClientID, RESPValue)] = []
        registry.deliveries(channel: Self.b("__keyspace@0__:k"), payload: Self.b("set"), into: &out)
        let byClient = Dictionary(grouping: out, by: \.0).mapValues { $0.map(\.1) }
        #expect(byClient[one] == [PubSubReply.message(channel: Self.b("__keyspace@0__:k"), payload: Self.b("set"))])
        #expect(Set(byClient[two] ?? []) == [
            PubSubReply.patternMessage(pattern: Self.b("__keyspace@0__:*"), channel: Self.b("__keyspace@0__:k"), payload: Self.b("set")),
            PubSubReply.patternMessage(pattern: Self.b("__key*"), channel: Self.b("__keyspace@0__:k"), payload: Self.b("set")),
        ])
        #expect(byClient[three] == nil)
        // Leaving empties the registry, so publishing stops costing anything.
        registry.unsubscribe(one, channel: Self.b("__keyspace@0__:k"))
        registry.unsubscribe(two, pattern: Self.b("__keyspace@0__:*"))
        registry.unsubscribe(two, pattern: Self.b("__key*"))
        #expect(!registry.isEmpty && registry.subscriberCount == 1)
        registry.unsubscribe(three, pattern: Self.b("__keyevent@0__:*"))
        #expect(registry.isEmpty)
    }

    @Test("registry: distinct pattern bytes over all connections stay within the node's budget")
    func patternBudget() {
        var registry = PubSubRegistry()
        let (one, two) = (ClientID(rawValue: 1), ClientID(rawValue: 2))
        let big = (0..<32).map { Self.b(String(repeating: "*a", count: 1_000) + "\($0)") }  // 2,001 or 2,002 bytes
        #expect(registry.patternRefusal(adding: big) == nil)
        for pattern in big { registry.subscribe(one, pattern: pattern) }
        #expect(registry.patternBytes == big.reduce(0) { $0 + $1.count })
        // The same patterns from another connection cost nothing more; a new one past the budget is refused.
        #expect(registry.patternRefusal(adding: big) == nil)
        let extra = Self.b(String(repeating: "x", count: PubSubRegistry.maxPatternBytes - registry.patternBytes + 1))
        #expect(registry.patternRefusal(adding: [extra])?.contains("at most 65536 bytes") == true)
        #expect(registry.patternRefusal(adding: [Array(extra.dropLast())]) == nil, "exactly the budget fits")
        // Leaving frees the bytes once the last subscriber of a pattern leaves.
        for pattern in big { registry.subscribe(two, pattern: pattern) }
        for pattern in big { registry.unsubscribe(one, pattern: pattern) }
        #expect(registry.patternBytes > 0)
        for pattern in big { registry.unsubscribe(two, pattern: pattern) }
        #expect(registry.patternBytes == 0 && registry.isEmpty)
    }

    @Test("registry: a message is listed once for all its receivers, named by index")
    func sharedMessages() {
        var registry = PubSubRegistry()
        let (one, two) = (ClientID(rawValue: 1), ClientID(rawValue: 2))
        registry.subscribe(one, pattern: Self.b("__keyspace@0__:*"))
        registry.subscribe(two, pattern: Self.b("__keyspace@0__:*"))
        registry.subscribe(two, channel: Self.b("__keyspace@0__:k"))
        var messages: [RESPValue] = []
        var out: [(client: ClientID, message: Int)] = []
        registry.deliveries(channel: Self.b("__keyspace@0__:k"), payload: Self.b("set"), messages: &messages, into: &out)
        #expect(messages == [PubSubReply.message(channel: Self.b("__keyspace@0__:k"), payload: Self.b("set")),
                             PubSubReply.patternMessage(pattern: Self.b("__keyspace@0__:*"), channel: Self.b("__keyspace@0__:k"), payload: Self.b("set"))])
        #expect(out.filter { $0.message == 1 }.map(\.client).sorted { $0.rawValue < $1.rawValue } == [one, two])
        #expect(out.filter { $0.message == 0 }.map(\.client) == [two])
    }

    @Test("encoder: a reply is encoded as RESP, pre-encoded bytes pass as they are")
    func outboundEncoder() throws {
        let encoder = ClientOutboundEncoder()
        var out = ByteBuffer()
        try encoder.encode(data: .value(.bulkString(Self.b("v"))), out: &out)
        var once = ByteBuffer()
        PubSubReply.message(channel: Self.b("c"), payload: Self.b("set")).forProtocol(3).write(to: &once)
        try encoder.encode(data: .encoded(once), out: &out)
        #expect(String(decoding: out.readableBytesView, as: UTF8.self) == "$1\r\nv\r\n>3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$3\r\nset\r\n")
    }

    @Test("channels of an event: keyspace carries the event name, keyevent the key")
    func eventChannels() throws {
        let event = KVEvent(.set, Self.b("user:1"))
        let both = PubSubReply.channels(of: event, flags: try #require(KeyspaceEventFlags(parsing: "KEA")))
        #expect(both.map { String(decoding: $0.channel, as: UTF8.self) } == ["__keyspace@0__:user:1", "__keyevent@0__:set"])
        #expect(both.map { String(decoding: $0.payload, as: UTF8.self) } == ["set", "user:1"])
        #expect(PubSubReply.channels(of: event, flags: try #require(KeyspaceEventFlags(parsing: "Kg"))).isEmpty)
    }

    struct Golden: CustomTestStringConvertible, Sendable {
        var name: String
        var value: RESPValue
        var resp2: String
        var resp3: String
        var testDescription: String { name }
    }

    static let golden: [Golden] = [
        Golden(name: "subscribe", value: PubSubReply.confirmation("subscribe", b("ch"), count: 1),
               resp2: "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", resp3: ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"),
        Golden(name: "unsubscribe with nothing to leave", value: PubSubReply.confirmation("unsubscribe", nil, count: 0),
               resp2: "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n", resp3: ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"),
        Golden(name: "message", value: PubSubReply.message(channel: b("__keyevent@0__:del"), payload: b("k")),
               resp2: "*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$1\r\nk\r\n",
               resp3: ">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n$1\r\nk\r\n"),
        Golden(name: "pmessage", value: PubSubReply.patternMessage(pattern: b("__key*"), channel: b("__keyspace@0__:k"), payload: b("set")),
               resp2: "*4\r\n$8\r\npmessage\r\n$6\r\n__key*\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n",
               resp3: ">4\r\n$8\r\npmessage\r\n$6\r\n__key*\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n"),
        Golden(name: "PING while subscribed (RESP2's form)", value: PubSubReply.pong(nil),
               resp2: "*2\r\n$4\r\npong\r\n$0\r\n\r\n", resp3: "*2\r\n$4\r\npong\r\n$0\r\n\r\n"),
    ]

    @Test("frames: RESP3 pushes, RESP2 arrays", arguments: golden)
    func frames(_ g: Golden) {
        #expect(Self.bytes(g.value, protocol: 2) == g.resp2)
        #expect(Self.bytes(g.value, protocol: 3) == g.resp3)
    }
}
