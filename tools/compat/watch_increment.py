#!/usr/bin/env python3
"""Redis's optimistic increment against PaxosKV, with redis-py (docs/design/coordination-api.md §8).

Each of --clients threads runs, --increments times, the canonical loop: WATCH k; v = GET k;
MULTI; SET k v+1; EXEC, retrying on WatchError. The clients are spread over the given nodes,
so WATCH reads and EXECs are forwarded to the leader too. With linearizable WATCH/EXEC the final
value is exactly clients x increments; a lost update makes it smaller.

Usage: watch_increment.py HOST:PORT [HOST:PORT ...] [--clients 16] [--increments 200] [--key k]
Exit status 0 when the final value is exact, 1 otherwise.
"""
import argparse
import sys
import threading

import redis


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("nodes", nargs="+", help="HOST:PORT of each node")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--increments", type=int, default=200)
    parser.add_argument("--key", default="compat:watch-increment")
    args = parser.parse_args()
    addresses = [(node.rsplit(":", 1)[0], int(node.rsplit(":", 1)[1])) for node in args.nodes]

    first = redis.Redis(host=addresses[0][0], port=addresses[0][1], socket_timeout=30)
    first.delete(args.key)
    retries = [0] * args.clients
    failures = []

    def client(index: int) -> None:
        host, port = addresses[index % len(addresses)]
        r = redis.Redis(host=host, port=port, socket_timeout=30)
        try:
            for _ in range(args.increments):
                with r.pipeline() as pipe:
                    while True:
                        try:
                            pipe.watch(args.key)
                            value = int(pipe.get(args.key) or 0)
                            pipe.multi()
                            pipe.set(args.key, value + 1)
                            pipe.execute()
                            break
                        except redis.WatchError:
                            retries[index] += 1
        except Exception as error:  # report every failure, not only the first thread's
            failures.append(f"client {index}: {error!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    expected = args.clients * args.increments
    final = int(first.get(args.key) or 0)
    print(f"final={final} expected={expected} retries={sum(retries)} failures={len(failures)}")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 0 if final == expected and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
