// Method: the partition schedule's plan and shapes as values, no processes and no root needed.
// Over many seeds and every possible leader, each shape must be the partition its kind names
// (checked on the graph of links left uncut), a seed must give the same plan twice, and a plan
// must stay within its budget and hold every kind. A schedule that cut the wrong links would let
// the process tests pass without testing what they claim.

import PaxosCore
import Testing

@Suite("partition schedule: plans and shapes")
struct PartitionSchedulePlanTests {
    static let seeds: [UInt64] = Array(1...40)

    /// The peers node `id` still reaches directly.
    static func reachable(_ id: Int, ids: [Int], cuts: [[Int]]) -> Set<Int> {
        Set(ids.filter { $0 != id && !cuts.contains([min(id, $0), max(id, $0)]) })
    }

    @Test("plan: a seed gives the same plan and shapes twice; every kind appears; the plan ends within one episode of its budget",
          arguments: [3, 5])
    func planIsSeededAndBounded(nodes: Int) {
        for seed in Self.seeds {
            let a = PartitionSchedule(seed: seed, nodeCount: nodes, budget: .seconds(85))
            let b = PartitionSchedule(seed: seed, nodeCount: nodes, budget: .seconds(85))
            #expect(a.description == b.description)
            for (x, y) in zip(a.episodes, b.episodes) {
                #expect(x.shape(leader: 2, ids: Array(1...nodes)).summary == y.shape(leader: 2, ids: Array(1...nodes)).summary)
            }
            #expect(Set(a.episodes.map(\.kind)) == Set(PartitionSchedule.kinds(nodeCount: nodes)))
            let planned = a.plannedDuration
            let longest = Duration.milliseconds(a.episodes.map(\.plannedMilliseconds).max()!)
            #expect(planned >= .seconds(85) && planned < .seconds(85) + longest, "\(a)")
            #expect(a.episodes.allSatisfy { PartitionSchedule.holdMilliseconds.contains($0.holdMilliseconds) })
        }
        #expect(PartitionSchedule.kinds(nodeCount: 3).contains(.ring) == false, "a 3-node ring cuts nothing")
    }

    @Test("shape: each kind cuts what it names, for every leader", arguments: PartitionKind.allCases)
    func shapesCutWhatTheyName(kind: PartitionKind) {
        let ids = Array(1...5)
        for seed in Self.seeds {
            for leader in ids {
                let episode = PartitionSchedule.Episode(kind: kind, holdMilliseconds: 5_000, settleMilliseconds: 6_000, nodeSeed: seed)
                let shape = episode.shape(leader: leader, ids: ids)
                let degree = Dictionary(uniqueKeysWithValues: ids.map { ($0, Self.reachable($0, ids: ids, cuts: shape.cuts)) })
                switch kind {
                case .isolateLeader:
                    #expect(degree[leader]!.isEmpty && ids.filter { $0 != leader }.allSatisfy { degree[$0]!.count == 3 }, "\(shape)")
                case .split:
                    // Two cliques: a minority and a majority, nothing between them.
                    let sides = Set(ids.map { degree[$0]!.union([$0]) })
                    #expect(sides.count == 2 && sides.allSatisfy { side in side.allSatisfy { degree[$0]!.union([$0]) == side } },
                            "\(shape)")
                    #expect(sides.map(\.count).min()! <= 2, "\(shape)")
                case .bridge:
                    let bridges = ids.filter { degree[$0]!.count == 4 }
                    #expect(!bridges.isEmpty, "\(shape)")
                    let sides = Set(ids.filter { degree[$0]!.count < 4 }.map { degree[$0]!.union([$0]).subtracting(bridges) })
                    #expect(sides.count == 2 && sides.reduce(0) { $0 + $1.count } == ids.count - bridges.count, "\(shape)")
                case .ring:
                    #expect(ids.allSatisfy { degree[$0]!.count == 2 }, "\(shape)")
                    // Connected: walking the ring from node 1 visits everyone.
                    var seen: Set<Int> = [1]
                    var frontier = [1]
                    while let next = frontier.popLast() {
                        for peer in degree[next]! where seen.insert(peer).inserted { frontier.append(peer) }
                    }
                    #expect(seen.count == ids.count, "\(shape)")
                case .flapping:
                    #expect(shape.cuts.count == 1, "\(shape)")
                    #expect(shape.flapDelaysMilliseconds.reduce(0, +) >= episode.holdMilliseconds, "\(shape)")
                    #expect(shape.flapDelaysMilliseconds.allSatisfy {
                        PartitionSchedule.Episode.flapIntervalMilliseconds.contains($0)
                    }, "\(shape)")
                }
            }
        }
    }

    @Test("shape: the leader is sometimes in the minority, the bridge and on the flapping link, and sometimes not")
    func rolesVary() {
        let ids = Array(1...5)
        func episode(_ kind: PartitionKind, _ seed: UInt64) -> PartitionSchedule.Episode {
            .init(kind: kind, holdMilliseconds: 5_000, settleMilliseconds: 6_000, nodeSeed: seed)
        }
        let leader = 3
        let inMinority = Self.seeds.map { Self.reachable(leader, ids: ids, cuts: episode(.split, $0).shape(leader: leader, ids: ids).cuts).count < 2 }
        let isBridge = Self.seeds.map { Self.reachable(leader, ids: ids, cuts: episode(.bridge, $0).shape(leader: leader, ids: ids).cuts).count == 4 }
        let onLink = Self.seeds.map { episode(.flapping, $0).shape(leader: leader, ids: ids).cuts[0].contains(leader) }
        for (name, draws) in [("in the minority", inMinority), ("the bridge", isBridge), ("on the flapping link", onLink)] {
            #expect(draws.contains(true) && draws.contains(false), "the leader is never or always \(name)")
        }
    }
}
