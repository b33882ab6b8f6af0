#!/usr/bin/env python3
"""etcd-bench: a closed-loop load generator for etcd 3.4 over gRPC, the etcd side of
PaxosKV's comparison (tools/bench-vs-etcd, docs/benchmarks.md).

It drives etcd the way `paxosctl bench` drives PaxosKV, so the two reports line up: N clients,
each with one request outstanding at a time, spread round-robin over the endpoints (client i
uses endpoint i mod the endpoint count); writes are Puts of --value-size bytes, reads are
linearizable Ranges of one key; keys are bench:0 .. bench:<keys-1>, chosen uniformly. The
report has the same shape as paxosctl's (table, or --json with the same keys).

Why no generated stubs: the comparison must run on a fresh machine with only `grpcio` from
PyPI, and the two messages we send are tiny, so they are encoded by hand (see `put_request`
and `range_request`) and sent as raw bytes through `channel.unary_unary` with no serializers.

Why several processes: one Python process running grpc.aio tops out at a few thousand RPCs
per second on one core, which is close to what etcd does here; a client at 100 % of a core
would measure itself. So the clients are split over --procs worker processes (default: one
per core), each with its own event loop and channels. Each worker keeps raw latency samples
(a few bytes per operation, exact percentiles, no bucketing error); the parent merges them.
The report includes the generator's own CPU time over the measured window, per process and
in total, so a saturated client is visible: the cluster under test shares the same cores.
"""

import argparse
import array
import asyncio
import json
import multiprocessing
import os
import random
import resource
import sys
import threading
import time

# The two RPCs we need, by their full gRPC method names (etcd's api/etcdserverpb/rpc.proto).
PUT_METHOD = "/etcdserverpb.KV/Put"
RANGE_METHOD = "/etcdserverpb.KV/Range"

# A worker publishes its counters this often, so the parent's once-a-second progress line is
# current without every operation touching shared memory.
PUBLISH_SECONDS = 0.2

# Slots per worker in the shared counter array: completed operations, failed operations.
COUNTERS = 2


class UsageError(Exception):
    """A bad command line: reported with the usage line and exit status 2."""


# --- protobuf, by hand ---------------------------------------------------------------------


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


def check_response(message, is_read):
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
    if is_read and fields.get(2, 0) != 1:
        return f"range found {fields.get(2, 0)} key-values, expected 1 (keys are written before a read run)"
    return None


# --- options -------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="etcd-bench",
        description="Closed-loop load on an etcd 3.4 cluster over gRPC; throughput and latency percentiles.",
        epilog="Example: tools/etcd-bench.py --endpoints 127.0.0.1:23791,127.0.0.1:23792 --clients 16 --duration 10",
    )
    parser.add_argument("--endpoints", default="127.0.0.1:2379", help="comma-separated host:port client endpoints (default %(default)s)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients, one outstanding request each (default %(default)s)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds to run, unless --requests is given (default %(default)s)")
    parser.add_argument("--requests", type=int, help="total requests over all clients; stops when they are done instead of after --duration")
    parser.add_argument("--value-size", type=int, default=256, help="bytes per written value (default %(default)s)")
    parser.add_argument("--keys", type=int, default=1000, help="size of the key space, keys bench:0 .. bench:<keys-1> (default %(default)s)")
    parser.add_argument("--reads", type=float, default=0.0, help="fraction of requests that are linearizable reads, 0 to 1 (default %(default)s)")
    parser.add_argument("--no-populate", action="store_true", help="with reads, do not write every key once before measuring")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores, %(default)s); never more than --clients")
    parser.add_argument("--conns", type=int, default=1, help="gRPC channels (TCP connections) per endpoint per process (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one request may take before it counts as a timeout (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the choice of keys and operations (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (latencies in microseconds)")
    args = parser.parse_args(argv)
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


def channel_options():
    return [
        # Each channel its own TCP connection: by default grpc shares one connection between
        # channels to the same target, and --conns would be a lie.
        ("grpc.use_local_subchannel_pool", 1),
        # One attempt per request, as in paxosctl bench: a retry would hide a failure inside a
        # latency.
        ("grpc.enable_retries", 0),
        # No bandwidth-probing pings: small unary calls gain nothing from them, and they cost
        # client CPU (measured: ~5-10 % per request).
        ("grpc.http2.bdp_probe", 0),
    ]


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

    def __init__(self, index, counters, check_reads):
        self.writes, self.reads = Tally(), Tally()
        self.index = index
        self.counters = counters
        self.check_reads = check_reads
        self.done = self.failed = 0
        self.published = 0.0

    def succeeded(self, is_read, response, began_ns):
        elapsed_us = (time.perf_counter_ns() - began_ns) // 1000
        problem = check_response(response, is_read and self.check_reads)
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

    def rpc_error(self, is_read, error):
        import grpc

        timeout = error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        self.failure(is_read, f"{error.code().name}: {error.details()}", timeout)

    def publish(self, force=False):
        # At most every PUBLISH_SECONDS: shared memory on every operation would cost CPU.
        now = time.monotonic()
        if force or now - self.published >= PUBLISH_SECONDS:
            self.counters[self.index * COUNTERS], self.counters[self.index * COUNTERS + 1] = self.done, self.failed
            self.published = now


class Client:
    """One client's stream of requests: which key, read or write, and when to stop."""

    def __init__(self, client, args, deadline):
        self.rng = random.Random(args.seed * 1_000_003 + client)
        # A few distinct values, made once: generating 256 random bytes per Put would cost
        # client CPU that paxosctl does not spend either, and etcd does not compress values.
        letters = b"abcdefghijklmnopqrstuvwxyz"
        self.values = [bytes(self.rng.choice(letters) for _ in range(args.value_size)) for _ in range(8)]
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
        self.sent += 1
        key = b"bench:%d" % self.rng.randrange(self.keys)
        if self.rng.random() < self.reads:
            return True, range_request(key)
        return False, put_request(key, self.values[self.sent & 7])


def endpoint_of(client, args):
    """Client i uses endpoint i mod the endpoint count, as in paxosctl bench."""
    return args.endpoints[client % len(args.endpoints)]


def worker_main(index, client_ids, args, counters, barrier, results):
    """Entry point of a worker process: run, then hand the results to the parent."""
    try:
        if len(client_ids) == 1:
            result = run_sync_worker(index, client_ids[0], args, counters, barrier)
        else:
            result = asyncio.run(run_async_worker(index, client_ids, args, counters, barrier))
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
    }


def run_sync_worker(index, client, args, counters, barrier):
    """A process with a single client makes blocking calls. For one request in flight this
    is much cheaper than grpc.aio (measured: ~270 against ~420 µs of client CPU per request,
    and ~0.5 against ~0.9 ms per round trip to a one-node etcd), whose event loop hands every
    completion over from grpc's poller thread; the single-client latency would otherwise be
    the client's as much as etcd's."""
    import grpc

    endpoint = endpoint_of(client, args)
    channel = grpc.insecure_channel(endpoint, options=channel_options())
    try:
        try:
            grpc.channel_ready_future(channel).result(timeout=args.timeout)
        except grpc.FutureTimeoutError:
            raise RuntimeError(f"could not connect to {endpoint} within {args.timeout:g} s") from None
        calls = {
            False: channel.unary_unary(PUT_METHOD, request_serializer=None, response_deserializer=None),
            True: channel.unary_unary(RANGE_METHOD, request_serializer=None, response_deserializer=None),
        }
        results = Results(index, counters, check_reads=not args.no_populate)
        barrier.wait(barrier_seconds(args))
        cpu_start, started = cpu_seconds(), time.monotonic()
        stream = Client(client, args, None if args.requests is not None else started + args.duration)
        while (request := stream.next()) is not None:
            is_read, payload = request
            began = time.perf_counter_ns()
            try:
                response = calls[is_read](payload, timeout=args.timeout)
            except grpc.RpcError as error:
                results.rpc_error(is_read, error)
                continue
            results.succeeded(is_read, response, began)
        finished, cpu_end = time.monotonic(), cpu_seconds()
        return report_of(index, results, started, finished, cpu_start, cpu_end)
    finally:
        channel.close()


async def run_async_worker(index, client_ids, args, counters, barrier):
    """A process with several clients runs each as a task on one grpc.aio event loop, over
    --conns channels per endpoint (HTTP/2 multiplexes the clients' calls on them)."""
    import grpc  # imported here so `--help` and usage errors work without grpcio installed

    channels = {e: [grpc.aio.insecure_channel(e, options=channel_options()) for _ in range(args.conns)] for e in args.endpoints}
    try:
        # Connect before the clock starts, so connection setup is not counted as latency.
        for endpoint, endpoint_channels in channels.items():
            for channel in endpoint_channels:
                try:
                    await asyncio.wait_for(channel.channel_ready(), timeout=args.timeout)
                except asyncio.TimeoutError:
                    raise RuntimeError(f"could not connect to {endpoint} within {args.timeout:g} s") from None
        results = Results(index, counters, check_reads=not args.no_populate)
        # The barrier lines every worker up, so they all start loading at the same moment. It
        # is bounded so an orphaned worker (its parent killed) cannot wait forever.
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait, barrier_seconds(args))
        cpu_start, started = cpu_seconds(), time.monotonic()
        deadline = None if args.requests is not None else started + args.duration
        tasks = []
        for client in client_ids:
            channel = channels[endpoint_of(client, args)][(client // len(args.endpoints)) % args.conns]
            tasks.append(run_async_client(channel, Client(client, args, deadline), results))
        await asyncio.gather(*tasks)
        finished, cpu_end = time.monotonic(), cpu_seconds()
        return report_of(index, results, started, finished, cpu_start, cpu_end)
    finally:
        for endpoint_channels in channels.values():
            for channel in endpoint_channels:
                await channel.close()


async def run_async_client(channel, stream, results):
    """One client on the event loop: one request at a time until its stream ends."""
    import grpc

    calls = {
        False: channel.unary_unary(PUT_METHOD, request_serializer=None, response_deserializer=None),
        True: channel.unary_unary(RANGE_METHOD, request_serializer=None, response_deserializer=None),
    }
    while (request := stream.next()) is not None:
        is_read, payload = request
        began = time.perf_counter_ns()
        try:
            response = await calls[is_read](payload, timeout=stream.timeout)
        except grpc.aio.AioRpcError as error:
            results.rpc_error(is_read, error)
            continue
        results.succeeded(is_read, response, began)


# --- population ----------------------------------------------------------------------------


async def populate(args):
    """Writes every key once, from up to 64 concurrent requests over all endpoints, so reads
    find values; not measured. Returns the number of failed writes."""
    import grpc

    channels = [grpc.aio.insecure_channel(e, options=channel_options()) for e in args.endpoints]
    value = b"p" * args.value_size
    pending = iter(range(args.keys))
    failures = []

    async def writer(slot):
        put = channels[slot % len(channels)].unary_unary(PUT_METHOD, request_serializer=None, response_deserializer=None)
        for key in pending:
            try:
                await put(put_request(b"bench:%d" % key, value), timeout=args.timeout)
            except grpc.aio.AioRpcError as error:
                failures.append(f"bench:{key}: {error.code().name}: {error.details()}")

    await asyncio.gather(*(writer(slot) for slot in range(min(64, args.keys))))
    for channel in channels:
        await channel.close()
    if failures:
        print(f"etcd-bench: {len(failures)} of {args.keys} key writes failed while populating; first: {failures[0]}", file=sys.stderr)
    return len(failures)


# --- the parent ----------------------------------------------------------------------------


def run(args):
    """Starts the workers, prints progress, and returns the merged report (a dict)."""
    if args.reads > 0 and not args.no_populate:
        print(f"etcd-bench: writing {args.keys} keys first, so reads find values", file=sys.stderr)
        if asyncio.run(populate(args)) == args.keys:
            raise RuntimeError("etcd-bench: every populating write failed; is etcd running at " + ",".join(args.endpoints) + "?")
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
        print(f"etcd-bench: {now - started:5.1f} s  {rate:9.1f} ops/s  {done} done  {failed} failed", file=sys.stderr)
        last_time, last_done, next_line = now, done, now + 1
        dead = [p for p in workers if not p.is_alive() and p.exitcode not in (0, None)]
        if dead and results.empty():
            raise RuntimeError(f"etcd-bench: worker process exited with status {dead[0].exitcode} without a report")
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


def merge(args, reports, cpu_before, cpu_after):
    """One report in paxosctl bench's JSON shape, plus the per-process CPU figures."""
    elapsed = max(r["finished"] for r in reports) - min(r["started"] for r in reports)
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
    return {
        "tool": "etcd-bench",
        "clients": args.clients,
        "endpoints": args.endpoints,
        "keys": args.keys,
        "value_bytes": args.value_size,
        "read_fraction": args.reads,
        "elapsed_seconds": round(elapsed, 3),
        "operations": operations,
        "cores": os.cpu_count() or 1,
        "procs": args.procs,
        "conns_per_endpoint_per_proc": args.conns,
        "client_cpu": {
            "user_seconds": round(user, 3),
            "system_seconds": round(system, 3),
            "percent_of_one_core": round(100 * (user + system) / elapsed, 1) if elapsed > 0 else 0.0,
            "per_process_percent_of_one_core": per_process,
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
        f"etcd-bench: {report['clients']} client(s) over {len(report['endpoints'])} endpoint(s) from {report['procs']} process(es), "
        f"{report['elapsed_seconds']:.2f} s, {report['value_bytes']}-byte values, {report['keys']} keys, "
        f"{round(report['read_fraction'] * 100)} % reads; latency in ms"
    ]
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


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import grpc  # noqa: F401 -- fail early and clearly, not inside a worker
    except ImportError:
        print("etcd-bench: the Python package grpcio is missing; install it: pip install grpcio", file=sys.stderr)
        return 1
    try:
        report = run(args)
    except (RuntimeError, OSError) as error:
        print(f"etcd-bench: {error}" if not str(error).startswith("etcd-bench") else str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("etcd-bench: interrupted", file=sys.stderr)
        return 130
    print(json.dumps(report, indent=2, sort_keys=True) if args.json else table(report))
    if not any(op["count"] for op in report["operations"]):
        first = next((op["first_error"] for op in report["operations"] if op["first_error"]), "no operation was attempted")
        print(f"etcd-bench: no operation succeeded; first failure: {first}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
