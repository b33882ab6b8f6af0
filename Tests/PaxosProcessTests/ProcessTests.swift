// Process tests: real paxosd processes on loopback, driven through PaxosClient.
//
// Method: black-box testing of the whole system. Every test starts its own cluster of `paxosd`
// processes (LocalCluster) in a fresh temporary directory with fresh ports, talks RESP to it,
// and injects the one fault a process test can inject faithfully: a process crash (SIGKILL),
// followed by a restart from the node's own database. What is checked is what a client can see:
// - a single leader, elected again after the leader crashes (Lamport, "Paxos Made Simple" §3,
//   the distinguished proposer; Multi-Paxos leader change);
// - safety of acknowledged writes across crashes of a minority (§2.2: a chosen value stays
//   chosen), read back linearizably and from each replica's own applied state;
// - learning of chosen values by a replica that missed them (§2.3, "Learning a Chosen Value"),
//   observed as equal INFO `chosen_frontier`/`applied_slot` and equal stale reads;
// - liveness with a majority up, and refusal (not a wrong answer) without one.
// Timing is only printed, never asserted, except as generous deadlines: the machine is shared.
//
// All suites nest in `ProcessTests`, which is `.serialized`: only one cluster runs at a time, the
// machine has two cores. The time limit is per test and generous because the nemesis test's
// long run (PAXOS_NEMESIS_SECONDS=600: ~260k operations, whose linearizability check alone took
// 10 minutes on a loaded machine) lives here too; the CI runs take well under a minute each.

import Testing

@Suite("process", .serialized, .timeLimit(.minutes(60)))
struct ProcessTests {}
