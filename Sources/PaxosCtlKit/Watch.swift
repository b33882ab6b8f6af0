public import PaxosClient
import PaxosCore

/// `paxosctl watch`: a loop of `CHANGES` calls, each from the `next` revision of the one
/// before, printing every change once. The revision is the only state, so a failover to
/// another node (`PaxosClient` moves on when a node fails) resumes exactly where it was.
public struct Watch {
    public struct Settings: Sendable {
        /// The first revision to print; nil: from now (`CHANGES $`).
        public var from: UInt64?
        public var prefix: [UInt8]?
        public var group: UInt32?
        public var json = false
        /// Stop after this many changes (nil: never).
        public var limit: Int?
        /// How long one call waits for a change before asking again.
        public var blockMilliseconds = 2_000
        /// Changes one call asks for at most.
        public var count = 1_000

        public init() {}
    }

    public let settings: Settings
    /// The revision the next call asks from (after `start`, never nil).
    public private(set) var next: UInt64?
    /// Changes printed so far.
    public private(set) var printed = 0

    public init(_ settings: Settings) {
        self.settings = settings
        self.next = settings.from
    }

    /// Whether `limit` is reached.
    public var isDone: Bool { settings.limit.map { printed >= $0 } ?? false }

    /// One call: fetches the page from `next` with `fetch` (the client's `changes`), hands each
    /// change's line to `emit` (up to `limit`) and moves `next` on.
    public mutating func step(fetch: (_ from: UInt64?) throws -> PaxosClient.ChangesPage, emit: (String) -> Void) throws {
        let page = try fetch(next)
        for change in page.changes {
            guard !isDone else { break }
            emit(Self.line(change, json: settings.json))
            printed += 1
            next = change.revision + 1
        }
        // A page is printed whole unless the limit cut it; only then is `next` inside it.
        if !isDone { next = max(page.next, next ?? 0) }
    }

    /// `revision event key` (the key as its bytes), or one JSON object per line.
    public static func line(_ change: PaxosClient.Change, json: Bool) -> String {
        let key = String(decoding: change.key, as: UTF8.self)
        guard json else { return "\(change.revision) \(change.event) \(key)" }
        var line = "{\"revision\":\(change.revision),\"event\":"
        JSONText.appendString(change.event, to: &line)
        line += ",\"key\":"
        JSONText.appendString(key, to: &line)
        return line + "}"
    }
}
