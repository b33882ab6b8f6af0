#!/usr/bin/env python3
"""kv-bench: one load generator for PaxosKV (RESP) and etcd 3.4 (gRPC), so that the two systems
can be compared with the same client (tools/bench-vs-etcd, docs/benchmarks.md).

Why one driver: a comparison of PaxosKV driven by `paxosctl bench` (Swift) with etcd driven by
a Python gRPC client measures the clients as much as the servers, because the client shares the
machine's cores with the cluster. Here everything but the protocol adapter is shared: the
language, the worker processes, the event loop, the key and value choice, the start barrier,
the timing and the report. `--protocol etcd` (the default, so the old `tools/etcd-bench.py`,
now a thin alias of this file, keeps its meaning) speaks gRPC; `--protocol resp` speaks RESP
to PaxosKV over plain asyncio streams. Only the adapter classes (`EtcdAdapter`, `RespAdapter`)
know a protocol.

The load: N clients, spread round-robin over the endpoints (client i uses endpoint i mod the
endpoint count, as in paxosctl bench); writes of --value-size bytes (etcd Put, RESP SET), reads
linearizable reads of one key (etcd Range with serializable=false, RESP GET); keys bench:0 ..
bench:<keys-1>, chosen uniformly. The report has paxosctl bench's JSON shape (table, or --json).

Closed loop (the default): each client has one request outstanding at a time. Open loop
(`--rate R`): the clients together offer R requests per second on a timetable (client c sends
at t0 + c/R + k·clients/R), whatever the replies do, with at most --max-outstanding requests in
flight per client; a send that finds its client at that bound is skipped and counted as a miss,
so a system that cannot keep up shows misses rather than a slower timetable. Latency runs from
the actual send, as in closed loop; how late sends left against the timetable is reported
separately (schedule lag), so a saturated client is visible. Why not from the scheduled time,
as wrk2 does: asyncio sleeps in epoll's whole milliseconds, so every send leaves ~0.5-1 ms
late even on an idle machine, which would be added to both systems' latencies alike and hide
the difference; a delay caused by the server holding a client at its bound shows up as misses.

The adapters, and why they differ where they do:
- etcd: a process's clients share --conns gRPC channels (HTTP/2 connections) per endpoint,
  multiplexing their calls (cheaper than a channel per client here). One attempt per request:
  grpc retries are off, so a failure is counted rather than hidden inside a latency.
- resp: each client has its own TCP connection to its endpoint, because a RESP connection
  answers in order and PaxosKV serves one command per connection at a time. In open loop a
  client holds --max-outstanding connections, one per request in flight, so its concurrent
  requests are served concurrently, as etcd serves a client's concurrent calls on one HTTP/2
  connection; with --resp-pipeline they are pipelined on the client's one connection instead,
  and queue behind each other in the server (issue 21's "pipelined connections"). One attempt
  per request, as
  paxosctl bench does: an error reply (`-TIMEOUT`, `-NOLEADER`, `-ERR` ...) is counted; a
  dropped connection is counted and reopened to the same endpoint after 10 ms (paxosctl bench
  pauses as long, so a dead node is not spun on). No redirection is needed: a PaxosKV follower
  forwards a request to the leader itself, so any endpoint serves any request, like etcd's.

Why no generated stubs: the comparison must run on a fresh machine with only `grpcio` from
PyPI (and nothing at all for RESP), and the messages we send are tiny, so they are encoded by
hand (`put_request`, `range_request`, `resp_command`).

Why several processes: one Python process tops out at a few thousand requests per second on one
core, which is close to what the servers do here; a client at 100 % of a core would measure
itself. So the clients are split over --procs worker processes (default: one per core), each
with its own event loop and connections. A process with a single client makes blocking calls
instead (for one request in flight much cheaper than an event loop; see `run_sync_worker`).
Each worker keeps raw latency samples (a few bytes per operation, exact percentiles); the parent
merges them. The report includes the generator's own CPU time over the measured window, and
the window itself in CLOCK_MONOTONIC seconds (`window_monotonic`), so a caller can take the
servers' CPU over exactly that window.
"""

import argparse
import array
import asyncio
import json
import multiprocessing
import os
import random
import resource
import socket
import sys
import threading
import time

# A worker publishes its counters this often, so the parent's once-a-second progress line is
# current without every operation touching shared memory.
PUBLISH_SECONDS = 0.2

# Slots per worker in the shared counter array: completed operations, failed operations.
COUNTERS = 2

# How long a client waits after a connection-level failure before its next request: a refused
# connection fails in microseconds, and paxosctl bench pauses as long.
FAILURE_PAUSE_SECONDS = 0.01

# Open loop: how long after the start barrier the timetable begins, so every worker's first
# sends are on time rather than in a burst.
OPEN_LOOP_LEAD_SECONDS = 0.05


class UsageError(Exception):
    """A bad command line: reported with the usage line and exit status 2."""


class RequestFailed(Exception):
    """One request failed: counted (as a timeout or an error), not timed.

    `pause` marks a connection-level failure, after which the client waits FAILURE_PAUSE_SECONDS."""

    def __init__(self, message, timeout=False, pause=False):
        super().__init__(message)
        self.message = message
        self.timeout = timeout
        self.pause = pause


# --- etcd: protobuf by hand ------------------------------------------------------------------

# The two RPCs we need, by their full gRPC method names (etcd's api/etcdserverpb/rpc.proto).
PUT_METHOD = "/etcdserverpb.KV/Put"
RANGE_METHOD = "/etcdserverpb.KV/Range"


def varint(n):
    """Protobuf base-128 varint encoding of a non-negative integer."""
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field, payload):
    """A bytes field: tag (field number, wire type 2), length, payload."""
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def put_request(key, value):
    """PutRequest{key = 1, value = 2}; lease, prev_kv and the ignore flags stay at defaults."""
    return length_delimited(1, key) + length_delimited(2, value)


def range_request(key):
    """RangeRequest{key = 1}. serializable (field 7) is left false, so the read is
    linearizable: etcd confirms its leadership through the ReadIndex protocol first."""
    return length_delimited(1, key)


def top_level_fields(message):
    """Counts of each top-level field number in a protobuf message.

    Enough to check a response without its schema: every etcd response starts with a
    ResponseHeader in field 1, and a RangeResponse carries each key-value in field 2.
    Raises ValueError on bytes that are not a well-formed message.
    """
    counts = {}
    i, end = 0, len(message)
    while i < end:
        tag, i = read_varint(message, i)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            _, i = read_varint(message, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            size, i = read_varint(message, i)
            i += size
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wire} for field {field} at byte {i}")
        if i > end:
            raise ValueError(f"field {field} runs past the end of a {end}-byte message")
        counts[field] = counts.get(field, 0) + 1
    return counts


def read_varint(data, i):
    """Decodes a varint at data[i]; returns (value, index after it)."""
    value = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def check_etcd_response(message, is_read, check_reads):
    """None if the response looks like a success, else a description of what is wrong.

    etcd reports failures as gRPC status codes, which raise before we get here, so this only
    guards against a wrong method or a garbled reply being counted as a success. A read of a
    key we wrote during population must find it (one kv in field 2)."""
    try:
        fields = top_level_fields(message)
    except ValueError as error:
        return f"malformed response: {error}"
    if fields.get(1) != 1:
        return "response has no header (field 1)"
    if is_read and check_reads and fields.get(2, 0) != 1:
        return f"range found {fields.get(2, 0)} key-values, expected 1 (keys are written before a read run)"
    return None


# --- RESP by hand ----------------------------------------------------------------------------


class RespProtocolError(Exception):
    """Bytes from the server that are not a RESP reply."""


def resp_command(*arguments):
    """A RESP array of bulk strings, the form every Redis client sends commands in."""
    parts = [b"*%d\r\n" % len(arguments)]
    for argument in arguments:
        parts.append(b"$%d\r\n%s\r\n" % (len(argument), argument))
    return b"".join(parts)


def parse_line(line):
    """(type byte, body) of a reply's first line; raises on a closed or garbled stream."""
    if not line:
        raise ConnectionError("connection closed by the server")
    if len(line) < 3 or not line.endswith(b"\r\n"):
        raise RespProtocolError(f"garbled reply line {line[:40]!r}")
    return line[:1], line[1:-2]


def bulk_length(body):
    try:
        return int(body)
    except ValueError:
        raise RespProtocolError(f"bad length {body[:20]!r}") from None


async def read_reply(reader):
    """One RESP reply from an asyncio StreamReader, as (type byte, value): b"$" with bytes or
    None, b"*" with a list of replies, and the line's body for the one-line types (+ - : _ ...)."""
    kind, body = parse_line(await reader.readline())
    if kind == b"$":
        n = bulk_length(body)
        if n < 0:
            return kind, None
        data = await reader.readexactly(n + 2)
        return kind, data[:-2]
    if kind == b"*":
        n = bulk_length(body)
        return kind, None if n < 0 else [await read_reply(reader) for _ in range(n)]
    return kind, body


def read_reply_sync(stream):
    """read_reply over a blocking buffered file (socket.makefile)."""
    kind, body = parse_line(stream.readline())
    if kind == b"$":
        n = bulk_length(body)
        if n < 0:
            return kind, None
        data = stream.read(n + 2)
        if len(data) != n + 2:
            raise ConnectionError("connection closed by the server inside a reply")
        return kind, data[:-2]
    if kind == b"*":
        n = bulk_length(body)
        return kind, None if n < 0 else [read_reply_sync(stream) for _ in range(n)]
    return kind, body


def error_reply_failure(body):
    """A RESP error reply as a RequestFailed: `-TIMEOUT` counts as a timeout, as in paxosctl."""
    text = body.decode(errors="replace")
    return RequestFailed(text, timeout=text.startswith("TIMEOUT"))


def check_resp_reply(reply, is_read, check_reads):
    """None if the reply is what a successful SET (+OK) or GET (a bulk string) answers."""
    kind, value = reply
    if is_read:
        if kind != b"$":
            return f"GET answered type {kind!r}, expected a bulk string"
        if value is None and check_reads:
            return "GET found no value (keys are written before a read run)"
        return None
    if kind != b"+" or value != b"OK":
        return f"SET answered {kind!r} {value!r:.40}, expected +OK"
    return None


def split_endpoint(endpoint):
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


# --- the adapters ----------------------------------------------------------------------------


class EtcdAdapter:
    """etcd over gRPC: Put and linearizable Range, raw bytes through `unary_unary`."""

    name = "etcd"
    tool = "grpc"

    def __init__(self, args):
        self.args = args

    def write_request(self, key, value):
        return put_request(key, value)

    def read_request(self, key):
        return range_request(key)

    def check(self, response, is_read, check_reads):
        return check_etcd_response(response, is_read, check_reads)

    @staticmethod
    def channel_options():
        return [
            # Each channel its own TCP connection: by default grpc shares one connection between
            # channels to the same target, and --conns would be a lie.
            ("grpc.use_local_subchannel_pool", 1),
            # One attempt per request: a retry would hide a failure inside a latency.
            ("grpc.enable_retries", 0),
            # No bandwidth-probing pings: small unary calls gain nothing from them, and they cost
            # client CPU (measured: ~5-10 % per request).
            ("grpc.http2.bdp_probe", 0),
        ]

    def sync_connection(self, endpoint):
        return EtcdSyncConnection(endpoint, self.args.timeout)

    async def async_connections(self, client_ids):
        """Connects --conns channels per endpoint; returns {client: connection}, and the closer."""
        import grpc  # here so `--help` and usage errors work without grpcio installed

        args = self.args
        channels = {e: [grpc.aio.insecure_channel(e, options=self.channel_options()) for _ in range(args.conns)] for e in args.endpoints}

        async def close():
            for endpoint_channels in channels.values():
                for channel in endpoint_channels:
                    await channel.close()

        try:
            # Connect before the clock starts, so connection setup is not counted as latency.
            for endpoint, endpoint_channels in channels.items():
                for channel in endpoint_channels:
                    try:
                        await asyncio.wait_for(channel.channel_ready(), timeout=args.timeout)
                    except asyncio.TimeoutError:
                        raise RuntimeError(f"could not connect to {endpoint} within {args.timeout:g} s") from None
        except BaseException:
            await close()
            raise
        n = len(args.endpoints)
        connections = {c: EtcdAsyncCalls(channels[endpoint_of(c, args)][(c // n) % args.conns]) for c in client_ids}
        return connections, close

    async def populate(self, args, value):
        import grpc

        channels = [grpc.aio.insecure_channel(e, options=self.channel_options()) for e in args.endpoints]
        puts = [c.unary_unary(PUT_METHOD, request_serializer=None, response_deserializer=None) for c in channels]

        async def put(slot, key):
            try:
                await puts[slot % len(puts)](put_request(key, value), timeout=args.timeout)
                return None
            except grpc.aio.AioRpcError as error:
                return f"{error.code().name}: {error.details()}"

        try:
            return await populate_with(args, put)
        finally:
            for channel in channels:
                await channel.close()


def grpc_failure(error):
    import grpc

    code = error.code()
    return RequestFailed(f"{code.name}: {error.details()}", timeout=code == grpc.StatusCode.DEADLINE_EXCEEDED,
                         pause=code == grpc.StatusCode.UNAVAILABLE)


class EtcdSyncConnection:
    """A blocking gRPC channel for a process's lone client."""

    def __init__(self, endpoint, timeout):
        import grpc

        self.channel = grpc.insecure_channel(endpoint, options=EtcdAdapter.channel_options())
        try:
            grpc.channel_ready_future(self.channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            self.channel.close()
            raise RuntimeError(f"could not connect to {endpoint} within {timeout:g} s") from None
        self.calls = {
            False: self.channel.unary_unary(PUT_METHOD, request_serializer=None, response_deserializer=None),
            True: self.channel.unary_unary(RANGE_METHOD, request_serializer=None, response_deserializer=None),
        }

    def call(self, is_read, payload, timeout):
        import grpc

        try:
            return self.calls[is_read](payload, timeout=timeout)
        except grpc.RpcError as error:
            raise grpc_failure(error) from None

    def close(self):
        self.channel.close()


class EtcdAsyncCalls:
    """One client's calls on a shared grpc.aio channel."""

    def __init__(self, channel):
        self.calls = {
            False: channel.unary_unary(PUT_METHOD, request_serializer=None, response_deserializer=None),
            True: channel.unary_unary(RANGE_METHOD, request_serializer=None, response_deserializer=None),
        }

    async def call(self, is_read, payload, timeout):
        import grpc

        try:
            return await self.calls[is_read](payload, timeout=timeout)
        except grpc.aio.AioRpcError as error:
            raise grpc_failure(error) from None


class RespAdapter:
    """PaxosKV over RESP: SET key value and GET key, a connection per client."""

    name = "resp"

    def __init__(self, args):
        self.args = args

    def write_request(self, key, value):
        return resp_command(b"SET", key, value)

    def read_request(self, key):
        return resp_command(b"GET", key)

    def check(self, response, is_read, check_reads):
        return check_resp_reply(response, is_read, check_reads)

    def sync_connection(self, endpoint):
        connection = RespSyncConnection(endpoint, self.args.timeout)
        try:
            connection.connect()
        except OSError as error:
            raise RuntimeError(f"could not connect to {endpoint}: {error}") from None
        return connection

    async def async_connections(self, client_ids):
        args = self.args
        if args.rate is not None and not args.resp_pipeline:
            connections = {c: RespPool(endpoint_of(c, args), args.timeout, args.max_outstanding) for c in client_ids}
        else:
            connections = {c: RespAsyncConnection(endpoint_of(c, args), args.timeout) for c in client_ids}

        async def close():
            for connection in connections.values():
                connection.drop()

        try:
            # Connect before the clock starts, so connection setup is not counted as latency.
            await asyncio.gather(*(connection.connect() for connection in connections.values()))
        except (OSError, asyncio.TimeoutError) as error:
            await close()
            raise RuntimeError(f"could not connect: {error or type(error).__name__}") from None
        return connections, close

    async def populate(self, args, value):
        connections = [RespAsyncConnection(args.endpoints[slot % len(args.endpoints)], args.timeout) for slot in range(populate_width(args))]

        async def put(slot, key):
            try:
                return check_resp_reply(await connections[slot].call(False, resp_command(b"SET", key, value), args.timeout), False, False)
            except RequestFailed as failure:
                return failure.message

        try:
            return await populate_with(args, put)
        finally:
            for connection in connections:
                connection.drop()


class RespSyncConnection:
    """A blocking socket for a process's lone client."""

    def __init__(self, endpoint, timeout):
        self.endpoint = endpoint
        self.timeout = timeout
        self.sock = self.stream = None

    def connect(self):
        self.sock = socket.create_connection(split_endpoint(self.endpoint), timeout=self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.stream = self.sock.makefile("rb")

    def call(self, is_read, payload, timeout):
        try:
            if self.sock is None:
                self.connect()
            self.sock.sendall(payload)
            kind, value = read_reply_sync(self.stream)
        except TimeoutError:
            self.drop()  # the reply may still come: this connection's order is lost
            raise RequestFailed(f"{self.endpoint}: timed out", timeout=True) from None
        except (OSError, RespProtocolError) as error:
            self.drop()
            raise RequestFailed(f"{self.endpoint}: {error}", pause=True) from None
        if kind == b"-":
            raise error_reply_failure(value)
        return kind, value

    def drop(self):
        if self.sock is not None:
            self.stream.close()
            self.sock.close()
        self.sock = self.stream = None

    def close(self):
        self.drop()


class RespLink:
    """One TCP connection: its streams, and the lock that hands out its replies in order."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        # asyncio.Lock wakes its waiters in FIFO order, and a request is written just before its
        # sender queues for the lock, without an await in between: so the n-th reader to get the
        # lock reads the n-th reply, which is what pipelined requests (open loop) need.
        self.reading = asyncio.Lock()


class RespAsyncConnection:
    """A client's RESP connection on the event loop, reopened after a failure."""

    def __init__(self, endpoint, timeout):
        self.endpoint = endpoint
        self.timeout = timeout
        self.link = None

    async def connect(self):
        host, port = split_endpoint(self.endpoint)
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=self.timeout)
        # asyncio sets TCP_NODELAY on its TCP transports already; say it, do not rely on it.
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.link is None:
            self.link = RespLink(reader, writer)
        else:  # an open-loop sibling request reconnected while we did: use its connection
            writer.close()

    async def call(self, is_read, payload, timeout):
        if self.link is None:
            try:
                await self.connect()
            except (OSError, asyncio.TimeoutError) as error:
                raise RequestFailed(f"{self.endpoint}: cannot connect: {error or 'timed out'}", pause=True) from None
        link = self.link
        link.writer.write(payload)
        try:
            async with asyncio_timeout(timeout):
                async with link.reading:
                    kind, value = await read_reply(link.reader)
        except (TimeoutError, asyncio.TimeoutError):
            self.drop(link)  # the reply may still come: this connection's order is lost
            raise RequestFailed(f"{self.endpoint}: timed out", timeout=True) from None
        except (OSError, asyncio.IncompleteReadError, RespProtocolError) as error:
            self.drop(link)
            raise RequestFailed(f"{self.endpoint}: {error or type(error).__name__}", pause=True) from None
        if kind == b"-":
            raise error_reply_failure(value)
        return kind, value

    def drop(self, link=None):
        link = link or self.link
        if link is not None:
            link.writer.close()
        if link is self.link:
            self.link = None


class RespPool:
    """An open-loop client's connections, one per request it may have in flight: a request
    takes an idle one and gives it back. There is always one, because the client never has
    more than `size` requests in flight."""

    def __init__(self, endpoint, timeout, size):
        self.idle = [RespAsyncConnection(endpoint, timeout) for _ in range(size)]

    async def connect(self):
        await asyncio.gather(*(connection.connect() for connection in self.idle))

    async def call(self, is_read, payload, timeout):
        connection = self.idle.pop()  # the most recently used: its buffers are warm
        try:
            return await connection.call(is_read, payload, timeout)
        finally:
            self.idle.append(connection)

    def drop(self):
        for connection in self.idle:
            connection.drop()


def asyncio_timeout(seconds):
    """asyncio.timeout (Python 3.11+): a timer handle, where wait_for would wrap every request
    in a task of its own. Older Pythons get a cheap stand-in without a timeout."""
    if hasattr(asyncio, "timeout"):
        return asyncio.timeout(seconds)
    import contextlib

    return contextlib.nullcontext()


PROTOCOLS = {"etcd": EtcdAdapter, "resp": RespAdapter}


# --- options -------------------------------------------------------------------------------


def parse_args(argv, prog="kv-bench"):
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Load on a PaxosKV (RESP) or etcd 3.4 (gRPC) cluster from the same Python client; throughput and latency percentiles.",
        epilog="Examples: tools/kv-bench.py --protocol resp --endpoints 127.0.0.1:6381,127.0.0.1:6382,127.0.0.1:6383 --clients 16; "
               "tools/kv-bench.py --protocol etcd --endpoints 127.0.0.1:23791 --clients 16 --rate 2000",
    )
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), default="etcd", help="etcd (gRPC) or resp (PaxosKV, Redis protocol) (default %(default)s)")
    parser.add_argument("--endpoints", help="comma-separated host:port client endpoints (default 127.0.0.1:2379 for etcd, 127.0.0.1:6381 for resp)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default %(default)s)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to run, unless --requests is given (default %(default)s)")
    parser.add_argument("--requests", type=int, help="total requests over all clients (closed loop only); stops when they are done instead of after --duration")
    parser.add_argument("--rate", type=float, help="open loop: offer this many requests per second in total, on a timetable, whatever the replies do")
    parser.add_argument("--max-outstanding", type=int, default=8, help="open loop: requests in flight per client at most; a send beyond it is a miss (default %(default)s)")
    parser.add_argument("--resp-pipeline", action="store_true",
                        help="open loop, resp: pipeline a client's requests on its one connection instead of a connection per request in flight")
    parser.add_argument("--value-size", type=int, default=256, help="bytes per written value (default %(default)s)")
    parser.add_argument("--keys", type=int, default=1000, help="size of the key space, keys bench:0 .. bench:<keys-1> (default %(default)s)")
    parser.add_argument("--reads", type=float, default=0.0, help="fraction of requests that are linearizable reads, 0 to 1 (default %(default)s)")
    parser.add_argument("--no-populate", action="store_true", help="with reads, do not write every key once before measuring")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores, %(default)s); never more than --clients")
    parser.add_argument("--conns", type=int, default=1, help="etcd: gRPC channels (TCP connections) per endpoint per process (default %(default)s); resp always uses one per client")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one request may take before it counts as a timeout (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the choice of keys and operations (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (latencies in microseconds)")
    args = parser.parse_args(argv)
    if args.endpoints is None:
        args.endpoints = "127.0.0.1:2379" if args.protocol == "etcd" else "127.0.0.1:6381"
    try:
        args.endpoints = parse_endpoints(args.endpoints)
        validate(args)
    except UsageError as error:
        parser.error(str(error))
    args.procs = min(args.procs, args.clients)
    return args


def parse_endpoints(text):
    endpoints = [part.strip() for part in text.split(",") if part.strip()]
    if not endpoints:
        raise UsageError("--endpoints lists no endpoint")
    for endpoint in endpoints:
        host, _, port = endpoint.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UsageError(f"--endpoints: '{endpoint}' is not host:port")
    return endpoints


def validate(args):
    if not 1 <= args.clients <= 4096:
        raise UsageError(f"--clients must be between 1 and 4096, got {args.clients}")
    if not 0 < args.duration <= 86400:
        raise UsageError(f"--duration must be between 0 and 86400 seconds, got {args.duration}")
    if args.requests is not None and args.requests < 1:
        raise UsageError(f"--requests must be at least 1, got {args.requests}")
    if args.rate is not None:
        if not 0 < args.rate <= 1_000_000:
            raise UsageError(f"--rate must be between 0 and 1000000 requests per second, got {args.rate}")
        if args.requests is not None:
            raise UsageError("--rate and --requests do not go together: an open-loop run lasts --duration")
    if not 1 <= args.max_outstanding <= 1024:
        raise UsageError(f"--max-outstanding must be between 1 and 1024, got {args.max_outstanding}")
    # etcd's default request size limit is 1.5 MiB; keep well inside it.
    if not 0 <= args.value_size <= 1 << 20:
        raise UsageError(f"--value-size must be between 0 and 1048576 bytes, got {args.value_size}")
    if args.keys < 1:
        raise UsageError(f"--keys must be at least 1, got {args.keys}")
    if not 0 <= args.reads <= 1:
        raise UsageError(f"--reads must be between 0 and 1, got {args.reads}")
    if args.procs < 1 or args.conns < 1:
        raise UsageError("--procs and --conns must be at least 1")
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout}")


# --- one worker process --------------------------------------------------------------------


def cpu_seconds():
    """(user, system) CPU seconds of this process, all its threads (grpc runs its own)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


class Tally:
    """One operation kind's results in one process: latency samples (µs) and failures."""

    def __init__(self):
        self.samples = array.array("q")
        self.errors = 0
        self.timeouts = 0
        self.first_error = None

    def fail(self, message, timeout=False):
        if timeout:
            self.timeouts += 1
        else:
            self.errors += 1
        if self.first_error is None:
            self.first_error = message

    def as_dict(self):
        return {"samples": self.samples.tobytes(), "errors": self.errors, "timeouts": self.timeouts, "first_error": self.first_error}


class Results:
    """What one worker process measured, and its share of the parent's progress counters."""

    def __init__(self, index, counters, adapter, check_reads):
        self.writes, self.reads = Tally(), Tally()
        self.index = index
        self.counters = counters
        self.check = adapter.check
        self.check_reads = check_reads
        self.done = self.failed = 0
        self.published = 0.0
        # Open loop only: sends skipped at the outstanding bound, and how late sends left (µs).
        self.scheduled = self.missed = 0
        self.lag = array.array("q")

    def succeeded(self, is_read, response, began_ns):
        elapsed_us = (time.perf_counter_ns() - began_ns) // 1000
        problem = self.check(response, is_read, self.check_reads)
        if problem is not None:
            self.failure(is_read, problem)
            return
        (self.reads if is_read else self.writes).samples.append(elapsed_us)
        self.done += 1
        self.publish()

    def failure(self, is_read, message, timeout=False):
        (self.reads if is_read else self.writes).fail(message, timeout)
        self.failed += 1
        self.publish()

    def publish(self, force=False):
        # At most every PUBLISH_SECONDS: shared memory on every operation would cost CPU.
        now = time.monotonic()
        if force or now - self.published >= PUBLISH_SECONDS:
            self.counters[self.index * COUNTERS], self.counters[self.index * COUNTERS + 1] = self.done, self.failed
            self.published = now


class Client:
    """One client's stream of requests: which key, read or write, and when to stop."""

    def __init__(self, client, args, adapter, deadline):
        self.rng = random.Random(args.seed * 1_000_003 + client)
        # A few distinct values, made once: generating 256 random bytes per write would cost
        # client CPU that paxosctl does not spend either, and neither server compresses values.
        letters = b"abcdefghijklmnopqrstuvwxyz"
        self.values = [bytes(self.rng.choice(letters) for _ in range(args.value_size)) for _ in range(8)]
        self.adapter = adapter
        self.keys = args.keys
        self.reads = args.reads
        self.deadline = deadline
        self.timeout = args.timeout
        self.quota = None
        if args.requests is not None:
            self.quota = args.requests // args.clients + (1 if client < args.requests % args.clients else 0)
        self.sent = 0

    def next(self):
        """(is_read, request bytes) for the next request, or None when this client is done."""
        if self.quota is not None:
            if self.sent >= self.quota:
                return None
        elif time.monotonic() >= self.deadline:
            return None
        return self.request()

    def request(self):
        """(is_read, request bytes) of a new request, whatever the stop condition says."""
        self.sent += 1
        key = b"bench:%d" % self.rng.randrange(self.keys)
        if self.rng.random() < self.reads:
            return True, self.adapter.read_request(key)
        return False, self.adapter.write_request(key, self.values[self.sent & 7])


def endpoint_of(client, args):
    """Client i uses endpoint i mod the endpoint count, as in paxosctl bench."""
    return args.endpoints[client % len(args.endpoints)]


def worker_main(index, client_ids, args, counters, barrier, results):
    """Entry point of a worker process: run, then hand the results to the parent."""
    try:
        adapter = PROTOCOLS[args.protocol](args)
        if len(client_ids) == 1 and args.rate is None:
            result = run_sync_worker(index, client_ids[0], args, adapter, counters, barrier)
        else:
            result = asyncio.run(run_async_worker(index, client_ids, args, adapter, counters, barrier))
    except BaseException as error:  # reported by the parent, which exits non-zero
        barrier.abort()  # the parent and the other workers must not wait for us forever
        result = {"index": index, "error": f"worker {index}: {type(error).__name__}: {error}"}
    results.put(result)


def report_of(index, results, started, finished, cpu_start, cpu_end):
    results.publish(force=True)
    return {
        "index": index,
        "started": started,
        "finished": finished,
        "cpu_user": cpu_end[0] - cpu_start[0],
        "cpu_system": cpu_end[1] - cpu_start[1],
        "writes": results.writes.as_dict(),
        "reads": results.reads.as_dict(),
        "scheduled": results.scheduled,
        "missed": results.missed,
        "lag": results.lag.tobytes(),
    }


def run_sync_worker(index, client, args, adapter, counters, barrier):
    """A process with a single client makes blocking calls. For one request in flight this is
    much cheaper than an event loop (measured for gRPC: ~270 against ~420 µs of client CPU per
    request, and ~0.5 against ~0.9 ms per round trip to a one-node etcd, because grpc.aio hands
    every completion over from grpc's poller thread); the single-client latency would otherwise
    be the client's as much as the server's. RESP gets the same structure: a blocking socket."""
    connection = adapter.sync_connection(endpoint_of(client, args))
    try:
        results = Results(index, counters, adapter, check_reads=not args.no_populate)
        barrier.wait(barrier_seconds(args))
        cpu_start, started = cpu_seconds(), time.monotonic()
        stream = Client(client, args, adapter, None if args.requests is not None else started + args.duration)
        while (request := stream.next()) is not None:
            is_read, payload = request
            began = time.perf_counter_ns()
            try:
                response = connection.call(is_read, payload, args.timeout)
            except RequestFailed as failure:
                results.failure(is_read, failure.message, failure.timeout)
                if failure.pause:
                    time.sleep(FAILURE_PAUSE_SECONDS)
                continue
            results.succeeded(is_read, response, began)
        finished, cpu_end = time.monotonic(), cpu_seconds()
        return report_of(index, results, started, finished, cpu_start, cpu_end)
    finally:
        connection.close()


async def run_async_worker(index, client_ids, args, adapter, counters, barrier):
    """A process with several clients (or any open-loop run) runs each client as a task on one
    event loop, over the connections the adapter opens before the clock starts."""
    connections, close = await adapter.async_connections(client_ids)
    try:
        results = Results(index, counters, adapter, check_reads=not args.no_populate)
        # The barrier lines every worker up, so they all start loading at the same moment. It
        # is bounded so an orphaned worker (its parent killed) cannot wait forever.
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait, barrier_seconds(args))
        cpu_start, started = cpu_seconds(), time.monotonic()
        deadline = None if args.requests is not None else started + args.duration
        if args.rate is None:
            tasks = [run_closed_loop_client(connections[c], Client(c, args, adapter, deadline), results) for c in client_ids]
        else:
            begin = started + OPEN_LOOP_LEAD_SECONDS
            deadline = begin + args.duration
            tasks = [run_open_loop_client(connections[c], Client(c, args, adapter, deadline), results,
                                          begin + c / args.rate, args.clients / args.rate, deadline, args.max_outstanding)
                     for c in client_ids]
        await asyncio.gather(*tasks)
        finished, cpu_end = time.monotonic(), cpu_seconds()
        if args.rate is not None:
            started = begin  # the lead before the timetable is not part of the measured window
        return report_of(index, results, started, finished, cpu_start, cpu_end)
    finally:
        await close()


async def run_closed_loop_client(connection, stream, results):
    """One client on the event loop: one request at a time until its stream ends."""
    while (request := stream.next()) is not None:
        is_read, payload = request
        began = time.perf_counter_ns()
        try:
            response = await connection.call(is_read, payload, stream.timeout)
        except RequestFailed as failure:
            results.failure(is_read, failure.message, failure.timeout)
            if failure.pause:
                await asyncio.sleep(FAILURE_PAUSE_SECONDS)
            continue
        results.succeeded(is_read, response, began)


async def run_open_loop_client(connection, stream, results, first, interval, deadline, max_outstanding):
    """One client's timetable: a request at first, first + interval, ... before deadline, each
    sent on time whatever the earlier ones are doing, unless max_outstanding are in flight (a
    miss). Latency counts from the actual send; the lateness of sends is kept apart."""
    loop = asyncio.get_running_loop()  # loop.time() is time.monotonic(), as the timetable is
    in_flight = set()
    k = 0
    while (due := first + k * interval) < deadline:
        k += 1
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        results.scheduled += 1
        if len(in_flight) >= max_outstanding:
            results.missed += 1
            continue
        results.lag.append(int((loop.time() - due) * 1e6))
        task = loop.create_task(open_loop_request(connection, stream, results, *stream.request(), time.perf_counter_ns()))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)


async def open_loop_request(connection, stream, results, is_read, payload, began_ns):
    try:
        response = await connection.call(is_read, payload, stream.timeout)
    except RequestFailed as failure:
        results.failure(is_read, failure.message, failure.timeout)
        return
    results.succeeded(is_read, response, began_ns)


# --- population ----------------------------------------------------------------------------


def populate_width(args):
    """Concurrent writers while populating: up to 64, never more than keys."""
    return min(64, args.keys)


async def populate_with(args, put):
    """Writes every key once through put(slot, key) -> None or a failure message, from
    populate_width concurrent writers; returns the failure messages."""
    pending = iter(range(args.keys))
    failures = []

    async def writer(slot):
        for key in pending:
            problem = await put(slot, b"bench:%d" % key)
            if problem is not None:
                failures.append(f"bench:{key}: {problem}")

    await asyncio.gather(*(writer(slot) for slot in range(populate_width(args))))
    return failures


async def populate(args):
    """Writes every key once, so reads find values; not measured. Returns the number of failed
    writes."""
    failures = await PROTOCOLS[args.protocol](args).populate(args, b"p" * args.value_size)
    if failures:
        print(f"kv-bench: {len(failures)} of {args.keys} key writes failed while populating; first: {failures[0]}", file=sys.stderr)
    return len(failures)


# --- the parent ----------------------------------------------------------------------------


def run(args):
    """Starts the workers, prints progress, and returns the merged report (a dict)."""
    if args.reads > 0 and not args.no_populate:
        print(f"kv-bench: writing {args.keys} keys first, so reads find values", file=sys.stderr)
        if asyncio.run(populate(args)) == args.keys:
            raise RuntimeError(f"kv-bench: every populating write failed; is the {args.protocol} cluster running at " + ",".join(args.endpoints) + "?")
    # spawn, not fork: grpc's threads and the parent's channels do not survive a fork.
    context = multiprocessing.get_context("spawn")
    counters = context.RawArray("q", args.procs * COUNTERS)
    barrier = context.Barrier(args.procs + 1)
    results = context.Queue()
    cpu_before = os.times()
    workers = []
    for index in range(args.procs):
        client_ids = list(range(index, args.clients, args.procs))
        process = context.Process(target=worker_main, args=(index, client_ids, args, counters, barrier, results), daemon=True)
        process.start()
        workers.append(process)
    try:
        try:
            barrier.wait(timeout=barrier_seconds(args))
        except threading.BrokenBarrierError:
            pass  # a worker failed to connect; its error arrives through `results`
        reports = collect(args, workers, counters, results)
    finally:
        for process in workers:
            if process.is_alive():
                process.terminate()
            process.join()
    failed = [r["error"] for r in reports if "error" in r]
    if failed:
        raise RuntimeError("; ".join(failed))
    cpu_after = os.times()
    return merge(args, reports, cpu_before, cpu_after)


def barrier_seconds(args):
    """How long the start barrier waits: connecting takes at most --timeout per channel, and
    spawning an interpreter that imports grpc takes a few seconds on a busy machine."""
    return args.timeout * args.conns * len(args.endpoints) + 30


def collect(args, workers, counters, results):
    """Prints a progress line each second until every worker has reported; returns reports.

    The queue is drained while the workers run: a worker blocks on exit until its (large)
    result has been read, so joining first could deadlock."""
    reports = []
    started = time.monotonic()
    last_time, last_done = started, 0
    next_line = started + 1
    while len(reports) < len(workers):
        try:
            reports.append(results.get(timeout=max(0.05, next_line - time.monotonic())))
            continue
        except Exception:  # queue.Empty: time for a progress line
            pass
        now = time.monotonic()
        done = sum(counters[i * COUNTERS] for i in range(args.procs))
        failed = sum(counters[i * COUNTERS + 1] for i in range(args.procs))
        rate = (done - last_done) / max(now - last_time, 1e-9)
        print(f"kv-bench: {now - started:5.1f} s  {rate:9.1f} ops/s  {done} done  {failed} failed", file=sys.stderr)
        last_time, last_done, next_line = now, done, now + 1
        dead = [p for p in workers if not p.is_alive() and p.exitcode not in (0, None)]
        if dead and results.empty():
            raise RuntimeError(f"kv-bench: worker process exited with status {dead[0].exitcode} without a report")
    return reports


def percentile(sorted_samples, fraction):
    """The nearest-rank percentile: the smallest sample with at least `fraction` of all
    samples at or below it (HdrHistogram's valueAtPercentile, without the bucketing)."""
    if not sorted_samples:
        return 0
    rank = max(1, -(-int(round(fraction * len(sorted_samples) * 1e6)) // 1_000_000))
    return sorted_samples[min(rank, len(sorted_samples)) - 1]


def operation(name, tallies, elapsed):
    samples = array.array("q")
    errors = timeouts = 0
    first_error = None
    for tally in tallies:
        samples.frombytes(tally["samples"])
        errors += tally["errors"]
        timeouts += tally["timeouts"]
        first_error = first_error or tally["first_error"]
    ordered = sorted(samples)
    count = len(ordered)
    return {
        "name": name,
        "count": count,
        "ops_per_second": round(count / elapsed, 1) if elapsed > 0 else 0.0,
        "errors": errors,
        "timeouts": timeouts,
        "first_error": first_error,
        "latency_us": {
            "p50": percentile(ordered, 0.50),
            "p90": percentile(ordered, 0.90),
            "p99": percentile(ordered, 0.99),
            "p99_9": percentile(ordered, 0.999),
            "max": ordered[-1] if ordered else 0,
            "mean": round(sum(ordered) / count, 1) if count else 0.0,
        },
    }


def open_loop_summary(args, reports, elapsed):
    """The open-loop figures: what was offered, what was skipped, how late sends left."""
    lag = array.array("q")
    for report in reports:
        lag.frombytes(report["lag"])
    ordered = sorted(lag)
    scheduled = sum(r["scheduled"] for r in reports)
    return {
        "offered_per_second": args.rate,
        "max_outstanding_per_client": args.max_outstanding,
        "scheduled": scheduled,
        "scheduled_per_second": round(scheduled / elapsed, 1) if elapsed > 0 else 0.0,
        "missed": sum(r["missed"] for r in reports),
        "schedule_lag_us": {"p50": percentile(ordered, 0.50), "p99": percentile(ordered, 0.99), "max": ordered[-1] if ordered else 0},
    }


def merge(args, reports, cpu_before, cpu_after):
    """One report in paxosctl bench's JSON shape, plus the per-process CPU figures."""
    window = (min(r["started"] for r in reports), max(r["finished"] for r in reports))
    elapsed = window[1] - window[0]
    writes = operation("write", [r["writes"] for r in reports], elapsed)
    reads = operation("read", [r["reads"] for r in reports], elapsed)
    operations = [op for op in (writes, reads) if op["count"] or op["errors"] or op["timeouts"]]
    if len(operations) > 1:
        operations.append(operation("total", [r["writes"] for r in reports] + [r["reads"] for r in reports], elapsed))
    user = sum(r["cpu_user"] for r in reports)
    system = sum(r["cpu_system"] for r in reports)
    per_process = [round(100 * (r["cpu_user"] + r["cpu_system"]) / elapsed, 1) if elapsed > 0 else 0.0 for r in reports]
    # Everything the generator burned, start-up, population and the parent included.
    overall = (cpu_after.children_user - cpu_before.children_user) + (cpu_after.children_system - cpu_before.children_system)
    overall += (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    completed = sum(op["count"] for op in (writes, reads))
    return {
        "tool": "kv-bench",
        "protocol": args.protocol,
        "clients": args.clients,
        "endpoints": args.endpoints,
        "keys": args.keys,
        "value_bytes": args.value_size,
        "read_fraction": args.reads,
        "elapsed_seconds": round(elapsed, 3),
        # CLOCK_MONOTONIC seconds (Python's time.monotonic in any process on this machine).
        "window_monotonic": [round(window[0], 6), round(window[1], 6)],
        "open_loop": open_loop_summary(args, reports, elapsed) if args.rate is not None else None,
        "operations": operations,
        "cores": os.cpu_count() or 1,
        "procs": args.procs,
        "conns_per_endpoint_per_proc": args.conns if args.protocol == "etcd" else None,
        "resp_connections_per_client": (None if args.protocol != "resp" else
                                        args.max_outstanding if args.rate is not None and not args.resp_pipeline else 1),
        "client_cpu": {
            "user_seconds": round(user, 3),
            "system_seconds": round(system, 3),
            "percent_of_one_core": round(100 * (user + system) / elapsed, 1) if elapsed > 0 else 0.0,
            "per_process_percent_of_one_core": per_process,
            "us_per_operation": round(1e6 * (user + system) / completed, 1) if completed else None,
            "including_startup_seconds": round(overall, 3),
        },
    }


def table(report):
    """The report as paxosctl bench prints its own: latencies in milliseconds."""
    ms = lambda us: f"{us / 1000:.3f}"
    header = ["op", "count", "ops/s", "p50", "p90", "p99", "p99.9", "max", "mean", "errors", "timeouts"]
    rows = [header]
    for op in report["operations"]:
        lat = op["latency_us"]
        rows.append([op["name"], str(op["count"]), f"{op['ops_per_second']:.1f}", ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]),
                     ms(lat["p99_9"]), ms(lat["max"]), ms(lat["mean"]), str(op["errors"]), str(op["timeouts"])])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        f"kv-bench ({report['protocol']}): {report['clients']} client(s) over {len(report['endpoints'])} endpoint(s) from {report['procs']} process(es), "
        f"{report['elapsed_seconds']:.2f} s, {report['value_bytes']}-byte values, {report['keys']} keys, "
        f"{round(report['read_fraction'] * 100)} % reads; latency in ms"
    ]
    if report["open_loop"]:
        ol = report["open_loop"]
        lines.append(f"open loop: {ol['offered_per_second']:g} requests/s offered, {ol['scheduled']} scheduled, {ol['missed']} missed "
                     f"(at {ol['max_outstanding_per_client']} in flight per client); send lag p50/p99 "
                     f"{ms(ol['schedule_lag_us']['p50'])}/{ms(ol['schedule_lag_us']['p99'])} ms")
    lines += ["  ".join(cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    for op in report["operations"]:
        if op["name"] != "total" and op["first_error"]:
            lines.append(f"first {op['name']} failure: {op['first_error']}")
    cpu = report["client_cpu"]
    lines.append(
        f"client CPU: {cpu['user_seconds']:.2f} s user + {cpu['system_seconds']:.2f} s system = {cpu['percent_of_one_core']:.1f} % "
        f"of one core (per process: {', '.join(f'{p:.1f} %' for p in cpu['per_process_percent_of_one_core'])}; the machine has {report['cores']})"
    )
    return "\n".join(lines)


def main(argv=None, prog="kv-bench"):
    args = parse_args(sys.argv[1:] if argv is None else argv, prog)
    if args.protocol == "etcd":
        try:
            import grpc  # noqa: F401 -- fail early and clearly, not inside a worker
        except ImportError:
            print("kv-bench: the Python package grpcio is missing; install it: pip install grpcio", file=sys.stderr)
            return 1
    try:
        report = run(args)
    except (RuntimeError, OSError) as error:
        print(f"kv-bench: {error}" if not str(error).startswith("kv-bench") else str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kv-bench: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else table(report))
    if not any(op["count"] for op in report["operations"]):
        first = next((op["first_error"] for op in report["operations"] if op["first_error"]), "no operation was attempted")
        print(f"kv-bench: no operation succeeded; first failure: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
