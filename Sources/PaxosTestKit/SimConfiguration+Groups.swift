public import PaxosCore

/// What differs between groups when a node hosts several.
extension SimConfiguration {
    /// Draws every group's own weather and the takeover delay. Called after `swarm`, and only
    /// with more than one group, so a seed's base configuration and a one-group run's every draw
    /// are what they were before groups existed. Group 0 keeps the cluster-wide draws; the
    /// others draw their own from the same menus, so groups diverge in loss, duplication and
    /// delay, and with them in leadership and progress.
    mutating func drawGroups(_ count: Int, using random: inout SeededGenerator) {
        precondition(count >= 1 && count <= Int(GroupMap.maxGroups), "simulation: \(count) groups outside 1...\(GroupMap.maxGroups)")
        groups = count
        groupWeather = [SimWeather(dropRate: dropRate, duplicateRate: duplicateRate, maxDelayUnits: maxDelayUnits)]
        guard count > 1 else { return }
        // Every value exceeds the election timeout (10 ticks), as the core requires; 12 sits
        // close to it, where a takeover races elections that time out.
        takeoverTicks = [12, 30, 60].randomElement(using: &random)!
        for _ in 1..<count {
            groupWeather.append(SimWeather(
                dropRate: [0, 0, 0.01, 0.05, 0.2].randomElement(using: &random)!,
                duplicateRate: [0, 0, 0.02, 0.1].randomElement(using: &random)!,
                maxDelayUnits: [2, 10, 30, 80].randomElement(using: &random)!))
        }
    }

    /// The key → group map clients and checkers use.
    public var groupMap: GroupMap { GroupMap(count: UInt32(groups)) }

    /// The keys clients operate on: `keys` per group, the first names `k0`, `k1`, … that the
    /// group map sends to each group, so every group sees conflicting operations. With one
    /// group these are `k0 ..< k<keys>`, as before groups existed.
    public var keyspace: [Bytes] {
        let map = groupMap
        var perGroup = [Int](repeating: 0, count: groups)
        var chosen: [Bytes] = []
        var name = 0
        while chosen.count < keys * groups {
            let key = Array("k\(name)".utf8)
            let group = map.group(of: key).index
            if perGroup[group] < keys {
                perGroup[group] += 1
                chosen.append(key)
            }
            name += 1
        }
        return chosen
    }

    /// The longest a healthy preferred replica may wait before it takes over: its takeover delay
    /// doubled for each of up to five failed attempts (the core's cap), plus a few backed-off
    /// elections. A multi-group run gets this long beyond its usual grace to spread its leaders.
    var takeoverGraceUnits: UInt64 {
        guard groups > 1 else { return 0 }
        return ((takeoverTicks << 5) + 4 * knobs.electionTimeoutTicks * knobs.electionBackoffMax) * tickUnits
    }

    var groupsDescription: String {
        guard groups > 1 else { return "" }
        let bug = plantedBugGroup.map { " bug-group=\($0)" } ?? ""
        let weather = groupWeather.indices.dropFirst().map { "g\($0)[\(groupWeather[$0])]" }.joined(separator: " ")
        return " groups=\(groups) takeover=\(takeoverTicks)\(bug) \(weather)"
    }
}
