public import PaxosCore

extension DataCommand {
    /// The command names this file parses.
    static let names: Set<String> = ["SETNX", "GETSET", "GETDEL", "DELIFEQ", "INCR", "DECR", "INCRBY", "DECRBY",
                                     "INCRBYFLOAT", "APPEND", "STRLEN"]

    /// Redis's text for an option it cannot parse.
    static let syntaxError = ClientCommandError("ERR syntax error")
    static let notInteger = ClientCommandError(OpError.notInteger.redisText)

    /// Parses one of `names`, or SET with options (plain `SET k v` stays `ClientCommand.put`).
    /// - Precondition: the key and value sizes were checked by the caller (`ClientCommand.parse`).
    static func parse(name: String, arguments a: [Bytes]) throws(ClientCommandError) -> DataCommand {
        func arity(_ count: Int) throws(ClientCommandError) {
            guard a.count == count else { throw ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command") }
        }
        switch name {
        case "SET":
            return try parseSet(a)
        case "SETNX":
            try arity(2)
            return .write(.set(key: a[0], value: a[1], SetOptions(condition: .ifAbsent)), rendering: .setFlag)
        case "GETSET":
            try arity(2)
            return .write(.set(key: a[0], value: a[1], SetOptions(returnsOld: true)), rendering: .reply)
        case "GETDEL":
            try arity(1)
            return .write(.getDelete(key: a[0]), rendering: .reply)
        case "DELIFEQ":
            try arity(2)
            return .write(.delete(keys: [a[0]], ifEquals: a[1]), rendering: .reply)
        case "INCR", "DECR":
            try arity(1)
            return .write(.incrementBy(key: a[0], name == "INCR" ? 1 : -1), rendering: .reply)
        case "INCRBY", "DECRBY":
            try arity(2)
            guard let by = RedisInteger.parse(a[1]) else { throw notInteger }
            if name == "INCRBY" { return .write(.incrementBy(key: a[0], by), rendering: .reply) }
            // Redis refuses to negate the smallest integer.
            guard by != .min else { throw ClientCommandError("ERR decrement would overflow") }
            return .write(.incrementBy(key: a[0], -by), rendering: .reply)
        case "INCRBYFLOAT":
            try arity(2)
            guard let by = DecimalText.parse(a[1]) else { throw ClientCommandError(OpError.notFloat.redisText) }
            guard by.isFinite else { throw ClientCommandError(OpError.nanOrInfinity.redisText) }
            return .write(.incrementByFloat(key: a[0], bits: by.bitPattern), rendering: .reply)
        case "APPEND":
            try arity(2)
            return .write(.append(key: a[0], a[1]), rendering: .reply)
        case "STRLEN":
            try arity(1)
            return .strlen(key: a[0])
        default:
            return try parseTTL(name: name, arguments: a)
        }
    }

    /// `SET key value [NX | XX | IFEQ old] [GET]`, options in any order and any case, as Redis
    /// parses them; a repeated or conflicting condition is `ERR syntax error`. The TTL options
    /// are refused until TTLs exist.
    static func parseSet(_ a: [Bytes]) throws(ClientCommandError) -> DataCommand {
        guard a.count >= 2 else { throw ClientCommandError("ERR wrong number of arguments for 'set' command") }
        var options = SetOptions()
        var conditionGiven = false
        var expiryGiven = false
        var index = 2
        while index < a.count {
            let option = String(decoding: a[index], as: UTF8.self).uppercased()
            switch option {
            case "NX", "XX":
                guard !conditionGiven else { throw syntaxError }
                options.condition = option == "NX" ? .ifAbsent : .ifPresent
                conditionGiven = true
            case "IFEQ":
                guard !conditionGiven, index + 1 < a.count else { throw syntaxError }
                options.condition = .ifEquals(a[index + 1])
                conditionGiven = true
                index += 1
            case "GET":
                guard !options.returnsOld else { throw syntaxError }
                options.returnsOld = true
            case "EX", "PX", "EXAT", "PXAT", "KEEPTTL":
                let (expiry, used) = try parseSetExpiry(option, a, at: index, given: expiryGiven)
                options.expiry = expiry
                expiryGiven = true
                index += used - 1
            default:
                throw syntaxError
            }
            index += 1
        }
        return .write(.set(key: a[0], value: a[1], options), rendering: expiryGiven ? .expiry(command: "set") : .reply)
    }
}
