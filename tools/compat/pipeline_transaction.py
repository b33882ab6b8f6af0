#!/usr/bin/env python3
"""redis-py's transaction pipeline against PaxosKV (docs/design/coordination-api.md §4, §8).

The regression of issue 19: a `pipeline(transaction=True)` with a bad command queued must apply
nothing (the server answers EXECABORT; redis-py raises the queued command's error), where
PaxosKV used to apply the queued SETs one by one. Also checks that a good transaction pipeline
applies every command and answers each one's reply, in order.

Usage: pipeline_transaction.py HOST:PORT
Exit status 0 when every check holds, 1 otherwise (each failed check is printed).
"""
import sys

import redis


def main() -> int:
    host, port = sys.argv[1].rsplit(":", 1)
    r = redis.Redis(host=host, port=int(port), socket_timeout=30)
    failed = []

    def check(condition: bool, what: str) -> None:
        print(("ok   " if condition else "FAIL ") + what)
        if not condition:
            failed.append(what)

    r.delete("pt:key", "pt:other", "pt:n")
    r.set("pt:key", "before")

    # A command the server refuses while queueing: nothing of the transaction applies.
    for bad in (("NOSUCHCOMMAND", "x"), ("INCRBY", "pt:n", "notanumber"), ("GET",)):
        pipe = r.pipeline(transaction=True)
        pipe.set("pt:key", "after")
        pipe.execute_command(*bad)
        pipe.set("pt:other", "x")
        try:
            pipe.execute()
            check(False, f"{bad[0]}: the pipeline raised")
        except redis.exceptions.ResponseError as error:
            check(True, f"{bad[0]}: the pipeline raised {type(error).__name__}: {error}")
        check(r.get("pt:key") == b"before", f"{bad[0]}: the queued SET before it was not applied")
        check(r.get("pt:other") is None, f"{bad[0]}: the queued SET after it was not applied")

    # A good transaction applies every command, each answering its own reply.
    pipe = r.pipeline(transaction=True)
    pipe.set("pt:key", "after").incr("pt:n").incr("pt:n").get("pt:key").mset({"pt:other": "y"}).exists("pt:key", "pt:none")
    replies = pipe.execute()
    check(replies == [True, 1, 2, b"after", True, 1], f"a good transaction's replies: {replies}")
    check(r.get("pt:other") == b"y", "a good transaction applied")

    # DISCARD (pipeline.reset after multi) applies nothing.
    pipe = r.pipeline(transaction=True)
    pipe.multi()
    pipe.set("pt:key", "discarded")
    pipe.reset()
    check(r.get("pt:key") == b"after", "a reset pipeline applied nothing")

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
