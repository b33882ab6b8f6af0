#!/usr/bin/env python3
"""redis-py's Lock against PaxosKV (docs/design/coordination-api.md §8, "lock_contention.py").

Usage: lock_contention.py HOST:PORT [HOST:PORT ...]

Eight processes, each with its own connection (spread over the given nodes; followers forward),
take `Lock("lock", timeout=2)` ROUNDS times. Inside the lock each appends "+id " to a log key,
increments a plain counter with GET and SET (not INCR: only mutual exclusion keeps it exact),
extends or reacquires the lock now and then (the EVALSHA scripts PaxosKV recognises), and
appends "-id " before releasing. Process 0 first holds the lock past its timeout without
touching the counter: its release must fail (the deadline passed at apply, the key expired),
so another process could take the lock meanwhile.

Checks, at the end: the counter equals the number of acquisitions, and the log is a sequence
of "+a -a" pairs (no two holders overlapped). Prints a one-line JSON summary; exits 1 on a
failed check.
"""
import json
import multiprocessing
import sys
import time

import redis
from redis.exceptions import LockNotOwnedError

PROCESSES = 8
ROUNDS = 6


def client(endpoint):
    host, port = endpoint.rsplit(":", 1)
    return redis.Redis(host=host, port=int(port), socket_timeout=10, retry_on_timeout=True)


def worker(index, endpoint, results):
    r = client(endpoint)
    acquired = 0
    expired_release = None
    if index == 0:
        lock = r.lock("lock", timeout=1, blocking_timeout=30)
        assert lock.acquire(), "process 0 could not take the lock"
        time.sleep(1.6)
        try:
            lock.release()
            expired_release = False
        except LockNotOwnedError:
            expired_release = True
    for round_ in range(ROUNDS):
        lock = r.lock("lock", timeout=2, sleep=0.02, blocking_timeout=60)
        if not lock.acquire():
            results.put({"index": index, "error": "blocking timeout"})
            return
        r.append("log", f"+{index} ")
        value = int(r.get("counter") or 0)
        r.set("counter", value + 1)
        if round_ % 3 == 1:
            assert lock.extend(1), "extend by the holder failed"
        elif round_ % 3 == 2:
            assert lock.reacquire(), "reacquire by the holder failed"
        r.append("log", f"-{index} ")
        lock.release()
        acquired += 1
    results.put({"index": index, "acquired": acquired, "expired_release": expired_release})


def main():
    endpoints = sys.argv[1:]
    if not endpoints:
        print(__doc__, file=sys.stderr)
        return 2
    r = client(endpoints[0])
    r.delete("lock", "counter", "log")
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=worker, args=(i, endpoints[i % len(endpoints)], results))
               for i in range(PROCESSES)]
    for w in workers:
        w.start()
    reports = [results.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    failures = [f"process {rep['index']}: {rep['error']}" for rep in reports if "error" in rep]
    acquisitions = sum(rep.get("acquired", 0) for rep in reports)
    counter = int(r.get("counter") or 0)
    if counter != acquisitions:
        failures.append(f"counter {counter} != acquisitions {acquisitions}")
    log = (r.get("log") or b"").decode().split()
    holder = None
    for entry in log:
        sign, who = entry[0], entry[1:]
        if sign == "+":
            if holder is not None:
                failures.append(f"{who} entered while {holder} held the lock")
                break
            holder = who
        else:
            if holder != who:
                failures.append(f"{who} left while {holder} held the lock")
                break
            holder = None
    if len(log) != 2 * acquisitions:
        failures.append(f"log has {len(log)} entries for {acquisitions} acquisitions")
    expired = [rep.get("expired_release") for rep in reports if rep.get("index") == 0]
    if expired != [True]:
        failures.append(f"process 0's release after its timeout did not fail as not owned: {expired}")
    print(json.dumps({"acquisitions": acquisitions, "counter": counter, "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
