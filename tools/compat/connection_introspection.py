#!/usr/bin/env python3
"""redis-py 8 with its default settings against PaxosKV (issue 20, "truthful introspection").

redis-py 8 opens every connection with `HELLO 3` and, when a server refuses it, logs "does not
support HELLO (RESP3). Falling back to RESP2" on every connection. This checks, over RESP3 and
over RESP2 (protocol=2), that:
- no such warning is logged (the connection speaks RESP3);
- `client_id()` is an integer equal to HELLO's `id`, and different for two connections;
- `client_setname`/`client_getname` keep a name; `client_info()` and `client_list()` describe
  the connections with their ids, names, library name (redis-py sends CLIENT SETINFO), RESP
  version and last command; `client_kill_filter(_id=…)` closes the other connection;
- `info("keyspace")` counts keys, `info("server")` is the server section alone, `info()` has
  every section, `info("bogus")` is empty;
- `config_get("*")` lists the parameters PaxosKV has and `config_set` is refused;
- TIME answers the current time; SELECT 0 is accepted and SELECT 1 refused;
- replies keep their meaning in RESP3: a missing key is None, MGET with a missing key, a WATCH
  conflict raises WatchError, INCRBYFLOAT, TTL of a missing key.

Usage: connection_introspection.py HOST:PORT
Exit status 0 when every check holds, 1 otherwise (each failed check is printed).
"""
import logging
import sys
import time

import redis


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def main() -> int:
    host, port = sys.argv[1].rsplit(":", 1)
    captured = Captured()
    logging.getLogger("redis").addHandler(captured)
    failed = []

    def check(condition: bool, what: str) -> None:
        print(("ok   " if condition else "FAIL ") + what)
        if not condition:
            failed.append(what)

    for protocol in (None, 2):
        label = "default (RESP3)" if protocol is None else f"protocol={protocol}"
        kwargs = {} if protocol is None else {"protocol": protocol}
        r = redis.Redis(host=host, port=int(port), socket_timeout=30, **kwargs)
        other = redis.Redis(host=host, port=int(port), socket_timeout=30, **kwargs)

        hello = r.execute_command("HELLO", 3 if protocol is None else 2)
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in
                  (hello.items() if isinstance(hello, dict) else zip(hello[::2], hello[1::2]))}
        check(fields.get("proto") == (3 if protocol is None else 2), f"{label}: HELLO answers proto {fields.get('proto')}")
        ident = r.client_id()
        check(isinstance(ident, int) and ident == fields.get("id"), f"{label}: client_id() {ident!r} equals HELLO's id {fields.get('id')!r}")
        other_id = other.client_id()
        check(isinstance(other_id, int) and other_id != ident, f"{label}: a second connection has its own id {other_id!r}")

        check(r.client_getname() is None, f"{label}: a new connection has no name")
        check(r.client_setname("introspect-a") is True, f"{label}: client_setname")
        check(r.client_getname() in ("introspect-a", b"introspect-a"), f"{label}: client_getname {r.client_getname()!r}")
        other.client_setname("introspect-b")
        try:
            r.client_setname("has space")
            check(False, f"{label}: a name with a space is refused")
        except redis.exceptions.ResponseError as error:
            check("cannot contain spaces" in str(error), f"{label}: a name with a space is refused: {error}")

        info = r.client_info()
        check(info.get("id") == str(ident) or info.get("id") == ident, f"{label}: client_info() id {info.get('id')!r}")
        check(info.get("name") == "introspect-a", f"{label}: client_info() name {info.get('name')!r}")
        check(str(info.get("resp")) == ("3" if protocol is None else "2"), f"{label}: client_info() resp {info.get('resp')!r}")
        check(info.get("lib-name") == "redis-py", f"{label}: client_info() lib-name {info.get('lib-name')!r} (CLIENT SETINFO)")
        check(info.get("cmd") == "client|info", f"{label}: client_info() cmd {info.get('cmd')!r}")

        listed = {str(c.get("id")): c for c in r.client_list()}
        check(str(ident) in listed and str(other_id) in listed, f"{label}: client_list() lists both connections ({len(listed)} listed)")
        check(listed.get(str(other_id), {}).get("name") == "introspect-b", f"{label}: client_list() shows the other's name")

        config = r.config_get("*")
        check(config.get("maxclients", "").isdigit() and config.get("databases") == "1" and config.get("appendonly") == "yes",
              f"{label}: config_get('*') has maxclients, databases=1, appendonly=yes ({len(config)} parameters)")
        check(r.config_get("save") == {"save": ""}, f"{label}: config_get('save') {r.config_get('save')!r}")
        check(r.config_get("nonexistent-*") == {}, f"{label}: config_get of an unknown pattern is empty")
        try:
            r.config_set("maxmemory", "1")
            check(False, f"{label}: config_set is refused")
        except redis.exceptions.ResponseError as error:
            check("not supported" in str(error), f"{label}: config_set is refused: {error}")

        r.set("ci:k", "v")
        keyspace = r.info("keyspace")
        keys = keyspace.get("db0", {}).get("keys", 0) if isinstance(keyspace.get("db0"), dict) else 0
        check(keys >= 1, f"{label}: info('keyspace') counts the keys ({keyspace!r})")
        server = r.info("server")
        check(server.get("redis_mode") == "standalone" and "uptime_in_seconds" in server and "process_id" in server,
              f"{label}: info('server') has redis_mode, uptime, process_id")
        check("connected_clients" not in server, f"{label}: info('server') is only the server section")
        everything = r.info()
        check(everything.get("connected_clients", 0) >= 2 and everything.get("total_commands_processed", 0) > 0
              and everything.get("used_memory", 0) > 0 and "replica_id" in everything,
              f"{label}: info() has clients, stats, memory and PaxosKV's replication fields")
        check(r.info("bogus") == {}, f"{label}: info('bogus') is empty, as in Redis")
        check("replica_id" in r.info("paxos"), f"{label}: info('paxos') is PaxosKV's replication section")

        count = r.command_count()
        check(isinstance(count, int) and count >= 60, f"{label}: command_count() {count!r}")
        # One string, so redis-py applies no COMMAND reply callback (it has none for DOCS).
        docs = r.execute_command("COMMAND DOCS", "getrev")
        check("summary" in str(docs) and "revision" in str(docs), f"{label}: COMMAND DOCS getrev has a summary")
        commands = r.command()
        check(isinstance(commands, dict) and "getrev" in commands and commands["getrev"].get("arity") == 2,
              f"{label}: command() describes getrev (arity {commands.get('getrev', {}).get('arity') if isinstance(commands, dict) else None})")

        seconds, micros = r.time()
        check(abs(seconds + micros / 1e6 - time.time()) < 5, f"{label}: TIME {seconds}.{micros:06d} is now")
        check(r.execute_command("SELECT", 0) in (True, b"OK", "OK"), f"{label}: SELECT 0 accepted")
        try:
            r.execute_command("SELECT", 1)
            check(False, f"{label}: SELECT 1 refused")
        except redis.exceptions.ResponseError as error:
            check(True, f"{label}: SELECT 1 refused: {error}")

        r.delete("ci:k", "ci:f", "ci:w")
        check(r.get("ci:missing") is None, f"{label}: GET of a missing key is None")
        r.set("ci:k", "v")
        check(r.mget("ci:k", "ci:missing") == [b"v", None], f"{label}: MGET with a missing key")
        check(r.incrbyfloat("ci:f", 1.5) == 1.5, f"{label}: INCRBYFLOAT")
        check(r.ttl("ci:missing") == -2, f"{label}: TTL of a missing key is -2")
        pipe = r.pipeline()
        pipe.watch("ci:w")
        other.set("ci:w", "changed")
        pipe.multi()
        pipe.set("ci:w", "mine")
        try:
            pipe.execute()
            check(False, f"{label}: a WATCH conflict raises WatchError")
        except redis.exceptions.WatchError:
            check(True, f"{label}: a WATCH conflict raises WatchError")
        check(r.get("ci:w") == b"changed", f"{label}: the conflicting transaction applied nothing")

        killed = r.client_kill_filter(_id=other_id)
        check(killed == 1, f"{label}: CLIENT KILL ID closes the other connection ({killed})")
        time.sleep(0.2)
        remaining = {str(c.get("id")) for c in r.client_list()}
        check(str(other_id) not in remaining, f"{label}: the killed connection is gone from client_list()")
        r.close()

    hello_warnings = [m for m in captured.messages if "HELLO" in m]
    check(not hello_warnings, f"no HELLO fallback warning logged ({hello_warnings[:1]})")
    print(f"checks failed: {len(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
