// paxos-inspect tests.
