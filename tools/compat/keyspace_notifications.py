#!/usr/bin/env python3
"""redis-py 8 with its default settings (RESP3) receiving PaxosKV's keyspace notifications
(issue 20, slice 2: keyspace notifications and pub/sub).

Against the node given first (the subscriber's node), with writes through every node given:
- `config_set("notify-keyspace-events", "KEA")` is taken and `config_get` reads back "AKE";
- `pubsub().psubscribe(...)` confirms each pattern;
- 1,000 SETs of distinct keys, written one after another through the nodes in turn, arrive
  as keyspace messages (`__keyspace@0__:<key>` → "set") and keyevent messages
  (`__keyevent@0__:set` → key), all 1,000 of each, in the order written;
- a sequence of other commands produces Redis's events in order (incrby, append, expire,
  persist, del, set per MSET key, a failed SET NX none, GETDEL del, INCRBYFLOAT incrbyfloat);
- a key set with PX 200 is swept by the background expiry with an `expired` event;
- PUBLISH is refused; PUBSUB NUMPAT and INFO (pubsub_patterns, pubsub_clients) count them; CLIENT LIST TYPE pubsub lists the
  subscriber;
- a node where notify-keyspace-events was never set publishes nothing (the setting is per node);
- over RESP2 (protocol=2) a subscriber receives the same messages.

Usage: keyspace_notifications.py HOST:PORT [HOST:PORT ...]
Exit status 0 when every check holds, 1 otherwise (each failed check is printed).
"""
import sys
import time

import redis

failures = []


def check(condition: bool, what: str) -> None:
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}")


def connect(address: str, **options) -> redis.Redis:
    host, port = address.rsplit(":", 1)
    return redis.Redis(host=host, port=int(port), decode_responses=True, socket_timeout=30, **options)


def collect(pubsub, count: int, deadline_seconds: float) -> list:
    """The next `count` (p)message frames, or as many as arrive before the deadline."""
    messages = []
    deadline = time.monotonic() + deadline_seconds
    while len(messages) < count and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1.0)
        if message is not None and message["type"] in ("message", "pmessage"):
            messages.append(message)
    return messages


def ordered_writes(nodes: list) -> None:
    subscriber = connect(nodes[0])
    check(subscriber.config_set("notify-keyspace-events", "KEA") is True, "config_set notify-keyspace-events KEA")
    check(subscriber.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"},
          f"config_get reads back AKE: {subscriber.config_get('notify-keyspace-events')}")
    pubsub = subscriber.pubsub()
    pubsub.psubscribe("__keyspace@0__:order:*", "__keyevent@0__:set")
    confirmations = [pubsub.get_message(timeout=5.0) for _ in range(2)]
    check([c and c["type"] for c in confirmations] == ["psubscribe", "psubscribe"], f"psubscribe confirmed: {confirmations}")
    check(subscriber.pubsub_numpat() == 2, f"PUBSUB NUMPAT is 2: {subscriber.pubsub_numpat()}")
    stats, clients = subscriber.info("stats"), subscriber.info("clients")
    check(stats.get("pubsub_patterns") == 2 and stats.get("pubsub_channels") == 0 and clients.get("pubsub_clients") == 1,
          f"INFO counts the subscriptions: {stats.get('pubsub_patterns')}, {stats.get('pubsub_channels')}, {clients.get('pubsub_clients')}")
    listed = subscriber.client_list(_type="pubsub")
    check([c["psub"] for c in listed] == ["2"], f"CLIENT LIST TYPE pubsub lists the subscriber: {listed}")

    writers = [connect(node) for node in nodes]
    keys = [f"order:{i:04d}" for i in range(1000)]
    for i, key in enumerate(keys):
        check(writers[i % len(writers)].set(key, str(i)) is True, f"SET {key}")
    messages = collect(pubsub, 2000, 60)
    keyspace = [m for m in messages if m["pattern"] == "__keyspace@0__:order:*"]
    keyevent = [m for m in messages if m["pattern"] == "__keyevent@0__:set"]
    check([m["channel"] for m in keyspace] == [f"__keyspace@0__:{key}" for key in keys],
          f"1,000 keyspace messages in write order (got {len(keyspace)})")
    check(all(m["data"] == "set" for m in keyspace), "every keyspace message says set")
    check([m["data"] for m in keyevent] == keys, f"1,000 keyevent messages in write order (got {len(keyevent)})")
    print(f"ordered: {len(keyspace)} keyspace and {len(keyevent)} keyevent messages over {len(nodes)} nodes")
    pubsub.close()


def event_names(nodes: list) -> None:
    subscriber = connect(nodes[0])
    pubsub = subscriber.pubsub()
    pubsub.psubscribe("__keyevent@0__:*")
    check(pubsub.get_message(timeout=5.0)["type"] == "psubscribe", "psubscribe __keyevent@0__:*")
    w = connect(nodes[-1])
    w.set("ev:n", "1")                         # set
    w.incr("ev:n")                             # incrby
    w.decrby("ev:n", 5)                        # incrby
    w.append("ev:n", "0")                      # append
    w.expire("ev:n", 100)                      # expire
    w.persist("ev:n")                          # persist
    w.persist("ev:n")                          # nothing: no deadline left
    w.set("ev:n", "x", nx=True)                # nothing: the key exists
    w.delete("ev:n")                           # del
    w.delete("ev:n")                           # nothing: already gone
    w.mset({"ev:a": "1", "ev:b": "2"})         # set, set
    w.getdel("ev:a")                           # del
    w.incrbyfloat("ev:f", 1.5)                 # incrbyfloat
    w.set("ev:t", "v", ex=100)                 # set, expire
    try:
        w.incr("ev:b2-text") if w.set("ev:b2-text", "abc") else None  # set, then INCR fails: nothing
    except redis.ResponseError:
        pass
    expected = [("set", "ev:n"), ("incrby", "ev:n"), ("incrby", "ev:n"), ("append", "ev:n"), ("expire", "ev:n"),
                ("persist", "ev:n"), ("del", "ev:n"), ("set", "ev:a"), ("set", "ev:b"), ("del", "ev:a"),
                ("incrbyfloat", "ev:f"), ("set", "ev:t"), ("expire", "ev:t"), ("set", "ev:b2-text")]
    messages = collect(pubsub, len(expected) + 1, 5)
    got = [(m["channel"].removeprefix("__keyevent@0__:"), m["data"]) for m in messages]
    check(got == expected, f"events in order: {got}")
    try:
        w.publish("__keyevent@0__:set", "forged")
        check(False, "PUBLISH is refused")
    except redis.ResponseError as error:
        check("keyspace notifications" in str(error), f"PUBLISH is refused: {error}")
    pubsub.close()


def expired_event(nodes: list) -> None:
    subscriber = connect(nodes[0])
    pubsub = subscriber.pubsub()
    pubsub.subscribe("__keyspace@0__:ttl:gone", "__keyevent@0__:expired")
    check([pubsub.get_message(timeout=5.0)["type"] for _ in range(2)] == ["subscribe", "subscribe"], "subscribe for expired")
    connect(nodes[1 % len(nodes)]).set("ttl:gone", "v", px=200)
    messages = collect(pubsub, 4, 10)
    got = [(m["channel"], m["data"]) for m in messages]
    check(got == [("__keyspace@0__:ttl:gone", "set"), ("__keyspace@0__:ttl:gone", "expire"),
                  ("__keyspace@0__:ttl:gone", "expired"), ("__keyevent@0__:expired", "ttl:gone")],
          f"a key whose deadline passes is swept with an expired event: {got}")
    pubsub.close()


def off_elsewhere(nodes: list) -> None:
    """notify-keyspace-events is per node: a node where it was never set publishes nothing."""
    if len(nodes) < 2:
        return
    pubsub = connect(nodes[1]).pubsub()
    pubsub.psubscribe("__key*")
    check(pubsub.get_message(timeout=5.0)["type"] == "psubscribe", "psubscribe on a second node")
    connect(nodes[0]).set("elsewhere", "v")
    messages = collect(pubsub, 1, 2)
    check(messages == [], f"a node whose notify-keyspace-events is empty publishes nothing: {messages}")
    pubsub.close()


def resp2_subscriber(nodes: list) -> None:
    subscriber = connect(nodes[0], protocol=2)
    pubsub = subscriber.pubsub()
    pubsub.subscribe("__keyspace@0__:resp2")
    check(pubsub.get_message(timeout=5.0)["type"] == "subscribe", "RESP2 subscribe confirmed")
    connect(nodes[1 % len(nodes)]).set("resp2", "v")
    messages = collect(pubsub, 1, 10)
    check([(m["channel"], m["data"]) for m in messages] == [("__keyspace@0__:resp2", "set")], f"RESP2 message: {messages}")
    pubsub.close()


def main() -> int:
    nodes = sys.argv[1:]
    if not nodes:
        print(__doc__)
        return 2
    ordered_writes(nodes)
    event_names(nodes)
    expired_event(nodes)
    off_elsewhere(nodes)
    resp2_subscriber(nodes)
    print("failures:", len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
