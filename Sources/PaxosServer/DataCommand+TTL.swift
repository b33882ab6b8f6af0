import PaxosCore

/// The TTL commands (docs/design/coordination-api.md §1.1, §3), parsed as Redis parses them:
/// SET's EX/PX/EXAT/PXAT/KEEPTTL, SETEX, PSETEX, GETEX, (P)EXPIRE(AT) with NX/XX/GT/LT,
/// PERSIST, and TTL, PTTL, EXPIRETIME, PEXPIRETIME.
///
/// Relative times become `Expiry.after` and are added to the log's clock at apply, never to
/// this node's clock; absolute ones become `Expiry.at`. What can be refused from the arguments
/// alone is refused here with Redis's texts (a non-positive SET EX, seconds that overflow as
/// milliseconds); a deadline that overflows only once the clock is added is refused at apply
/// (`OpError.invalidExpireTime`), rendered with the command's name.
///
/// TTL, PTTL, EXPIRETIME and PEXPIRETIME go through the log too (`KeyOp.deadline`): one slot
/// each, but linearizable and judged by the same clock as every write. They move to the read
/// path once it answers multi-field reads.
extension DataCommand {
    static let ttlNames: Set<String> = ["SETEX", "PSETEX", "GETEX", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST",
                                        "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]

    static func invalidExpireTime(_ command: String) -> ClientCommandError {
        ClientCommandError("ERR invalid expire time in '\(command.lowercased())' command")
    }

    static func parseTTL(name: String, arguments a: [Bytes]) throws(ClientCommandError) -> DataCommand {
        func arity(_ counts: ClosedRange<Int>) throws(ClientCommandError) {
            guard counts.contains(a.count) else { throw ClientCommandError("ERR wrong number of arguments for '\(name.lowercased())' command") }
        }
        let rendering = Rendering.expiry(command: name.lowercased())
        switch name {
        case "SETEX", "PSETEX":
            try arity(3...3)
            let expiry = try setExpiry(name == "SETEX" ? "EX" : "PX", a[1], command: name)
            return .write(.set(key: a[0], value: a[2], SetOptions(expiry: expiry)), rendering: rendering)
        case "GETEX":
            // Redis answers extra options with a syntax error, not an arity error.
            try arity(1...Int.max)
            return .write(.getExpire(key: a[0], try getExpiry(Array(a.dropFirst()))), rendering: rendering)
        case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
            try arity(2...6)
            guard let number = RedisInteger.parse(a[1]) else { throw notInteger }
            let milliseconds = name.hasPrefix("P") ? number : number.multipliedReportingOverflow(by: 1_000).overflow ? nil : number * 1_000
            guard let milliseconds else { throw invalidExpireTime(name) }
            let expiry: Expiry = name.hasSuffix("AT") ? .at(LeaderTime(rawValue: UInt64(max(milliseconds, 0))))
                : .after(milliseconds: milliseconds)
            return .write(.expire(key: a[0], expiry, try expireCondition(Array(a.dropFirst(2))), ifEquals: nil), rendering: rendering)
        case "PERSIST":
            try arity(1...1)
            return .write(.expire(key: a[0], .clear, .always, ifEquals: nil), rendering: rendering)
        case "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME":
            try arity(1...1)
            let remaining = name.hasSuffix("TTL")
            let seconds = !name.hasPrefix("P")
            return .write(.deadline(key: a[0], remaining: remaining),
                          rendering: seconds ? .seconds(rounded: remaining) : rendering)
        default:
            preconditionFailure("DataCommand.parseTTL called for '\(name)'")
        }
    }

    /// SET's (and SETEX's) EX/PX/EXAT/PXAT argument: a positive integer whose milliseconds fit.
    static func setExpiry(_ option: String, _ argument: Bytes, command: String) throws(ClientCommandError) -> Expiry {
        guard let number = RedisInteger.parse(argument) else { throw notInteger }
        guard number > 0 else { throw invalidExpireTime(command) }
        let inSeconds = option == "EX" || option == "EXAT"
        let (milliseconds, overflow) = number.multipliedReportingOverflow(by: inSeconds ? 1_000 : 1)
        guard !overflow else { throw invalidExpireTime(command) }
        return option.hasSuffix("AT") ? .at(LeaderTime(rawValue: UInt64(milliseconds))) : .after(milliseconds: milliseconds)
    }

    /// SET's TTL option at `a[index]` (EX/PX/EXAT/PXAT take the next argument; KEEPTTL none).
    /// - Returns: the expiry and how many arguments it used.
    static func parseSetExpiry(_ option: String, _ a: [Bytes], at index: Int, given: Bool) throws(ClientCommandError) -> (Expiry, Int) {
        guard !given else { throw syntaxError }
        if option == "KEEPTTL" { return (.keep, 1) }
        guard index + 1 < a.count else { throw syntaxError }
        return (try setExpiry(option, a[index + 1], command: "SET"), 2)
    }

    /// GETEX's options: none (read only), EX/PX/EXAT/PXAT n, or PERSIST; one at most.
    static func getExpiry(_ options: [Bytes]) throws(ClientCommandError) -> Expiry {
        guard let first = options.first else { return .keep }
        let option = String(decoding: first, as: UTF8.self).uppercased()
        switch (option, options.count) {
        case ("PERSIST", 1): return .clear
        case ("EX", 2), ("PX", 2), ("EXAT", 2), ("PXAT", 2): return try setExpiry(option, options[1], command: "GETEX")
        default: throw syntaxError
        }
    }

    /// EXPIRE's NX/XX/GT/LT, with Redis's texts for the combinations it refuses.
    static func expireCondition(_ options: [Bytes]) throws(ClientCommandError) -> ExpireCondition {
        var given: Set<String> = []
        for raw in options {
            let option = String(decoding: raw, as: UTF8.self).uppercased()
            guard ["NX", "XX", "GT", "LT"].contains(option) else { throw ClientCommandError("ERR Unsupported option \(String(decoding: raw, as: UTF8.self))") }
            given.insert(option)
        }
        if given.contains("NX") && given.count > 1 {
            throw ClientCommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
        }
        if given.contains("GT") && given.contains("LT") {
            throw ClientCommandError("ERR GT and LT options at the same time are not compatible")
        }
        // XX with GT or LT: both must hold; GT and LT already require a deadline for a change
        // to be "greater" (GT) — for LT, XX adds the requirement.
        if given.contains("XX") && given.contains("LT") { return .ifLessWithDeadline }
        if given.contains("GT") { return .ifGreater }
        if given.contains("LT") { return .ifLess }
        if given.contains("XX") { return .ifHasDeadline }
        if given.contains("NX") { return .ifNoDeadline }
        return .always
    }
}

extension DataCommand.Rendering {
    /// TTL and EXPIRETIME: milliseconds to seconds (TTL rounds to the nearest, as Redis does;
    /// EXPIRETIME truncates); -1 and -2 stay.
    static func seconds(_ milliseconds: Int64, rounded: Bool) -> Int64 {
        guard milliseconds >= 0 else { return milliseconds }
        return rounded ? (milliseconds + 500) / 1_000 : milliseconds / 1_000
    }
}
