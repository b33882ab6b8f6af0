import Crypto
public import PaxosCore
import Synchronization

/// The Lua scripts PaxosKV recognises: redis-py's `Lock` release, extend and reacquire
/// (redis-py 8.2, `redis/lock.py`). PaxosKV runs no Lua; it recognises these three texts,
/// whitespace collapsed, and compiles each into one key operation through the log
/// (docs/design/coordination-api.md §1.4 "Known scripts"):
/// - release   → `KeyOp.delete([k], ifEquals: token)`: 1 if the lock held our token and is gone;
/// - extend    → `KeyOp.expire(k, .extend(ms) or .after(ms), .ifHasDeadline, ifEquals: token)`;
/// - reacquire → `KeyOp.expire(k, .after(ms), .always, ifEquals: token)`.
/// A non-positive time changes no deadline, as the scripts' `tonumber(...) <= 0` branches do
/// (`.keep`; for extend's "add" mode this differs from the script when a negative addition
/// would still leave time, which redis-py never sends).
///
/// redis-py sends `EVALSHA sha`, and on `-NOSCRIPT` `SCRIPT LOAD text` and `EVALSHA` again.
/// `SCRIPT LOAD` and `EVAL` of a recognised text record its SHA-1 here, in a small bounded map
/// per process (one node per process), so after a failover the client reloads on the new node.
/// Any other text is refused at load, so a client learns at once, not at first use.
public enum KnownScript: Hashable, Sendable {
    case release, extend, reacquire

    static let texts: [String: KnownScript] = [
        "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 end redis.call('del', KEYS[1]) return 1": .release,
        "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 end local expiration = redis.call('pttl', KEYS[1]) "
            + "if not expiration then expiration = 0 end if expiration < 0 then return 0 end local newttl = ARGV[2] if ARGV[3] == \"0\" then "
            + "newttl = ARGV[2] + expiration end if tonumber(newttl) <= 0 then return 1 end redis.call('pexpire', KEYS[1], newttl) return 1": .extend,
        "local token = redis.call('get', KEYS[1]) if not token or token ~= ARGV[1] then return 0 end if tonumber(ARGV[2]) > 0 then "
            + "redis.call('pexpire', KEYS[1], ARGV[2]) end return 1": .reacquire,
    ]

    static let notLua = ClientCommandError("ERR PaxosKV does not run Lua scripts; it recognises only redis-py's Lock scripts")
    static let noScript = ClientCommandError("NOSCRIPT No matching script. Please use EVAL.")
    /// Most SHA-1s remembered; beyond, the map starts over (clients reload on NOSCRIPT).
    static let maxRemembered = 64
    private static let loaded = Mutex<[String: KnownScript]>([:])

    /// The script `text` is, whitespace collapsed; nil for any other text.
    public static func recognise(_ text: Bytes) -> KnownScript? {
        let words = String(decoding: text, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        return texts[words.joined(separator: " ")]
    }

    /// The lowercase hex SHA-1 of `text`, as Redis names scripts.
    public static func sha1(_ text: Bytes) -> String {
        Insecure.SHA1.hash(data: text).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// SCRIPT LOAD / EVAL: recognises `text` and remembers its SHA-1. - Returns: the SHA-1.
    static func load(_ text: Bytes) throws(ClientCommandError) -> (sha: String, script: KnownScript) {
        guard let script = recognise(text) else { throw notLua }
        let sha = sha1(text)
        loaded.withLock { map in
            if map[sha] == nil, map.count >= maxRemembered { map.removeAll() }
            map[sha] = script
        }
        return (sha, script)
    }

    /// EVALSHA: the script loaded under `sha`, or NOSCRIPT.
    static func script(sha: Bytes) throws(ClientCommandError) -> KnownScript {
        let name = String(decoding: sha, as: UTF8.self).lowercased()
        guard let script = loaded.withLock({ $0[name] }) else { throw noScript }
        return script
    }

    /// The key operation this script is with these keys and arguments.
    func compile(keys: [Bytes], arguments a: [Bytes]) throws(ClientCommandError) -> DataCommand {
        let expected = self == .extend ? 3 : self == .release ? 1 : 2
        guard keys.count == 1, a.count == expected else {
            throw ClientCommandError("ERR redis-py's Lock \(self) script takes 1 key and \(expected) arguments")
        }
        let (key, token) = (keys[0], a[0])
        switch self {
        case .release:
            return .write(.delete(keys: [key], ifEquals: token), rendering: .reply)
        case .extend:
            let ms = try Self.milliseconds(a[1])
            let expiry: Expiry = ms <= 0 ? .keep : a[2] == Array("0".utf8) ? .extend(milliseconds: ms) : .after(milliseconds: ms)
            return .write(.expire(key: key, expiry, .ifHasDeadline, ifEquals: token), rendering: .expiry(command: "evalsha"))
        case .reacquire:
            let ms = try Self.milliseconds(a[1])
            return .write(.expire(key: key, ms <= 0 ? .keep : .after(milliseconds: ms), .always, ifEquals: token),
                          rendering: .expiry(command: "evalsha"))
        }
    }

    private static func milliseconds(_ argument: Bytes) throws(ClientCommandError) -> Int64 {
        guard let ms = RedisInteger.parse(argument) else { throw DataCommand.notInteger }
        return ms
    }

    /// `EVAL script numkeys key… arg…` and `EVALSHA sha numkeys key… arg…`.
    static func parseEval(name: String, arguments a: [Bytes]) throws(ClientCommandError) -> DataCommand {
        guard a.count >= 2 else { throw ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command") }
        let script = name == "EVAL" ? try load(a[0]).script : try Self.script(sha: a[0])
        guard let count = RedisInteger.parse(a[1]), count >= 0 else { throw DataCommand.notInteger }
        guard count <= a.count - 2 else { throw ClientCommandError("ERR Number of keys can't be greater than number of args") }
        let keys = Array(a[2..<(2 + Int(count))])
        return try script.compile(keys: keys, arguments: Array(a[(2 + Int(count))...]))
    }
}
