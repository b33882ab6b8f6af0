#!/usr/bin/env python3
"""etcd-bench: the etcd side of PaxosKV's comparison, kept as a thin alias of
`tools/kv-bench.py --protocol etcd` (one driver, a gRPC and a RESP adapter; see that file's
notes). Every option of kv-bench works here; the protocol defaults to etcd."""

import os
import sys

if __name__ == "__main__":
    driver = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kv-bench.py")
    # exec, not import: kv-bench's worker processes are spawned and re-import their main
    # script by path, which must be kv-bench.py itself.
    os.execv(sys.executable, [sys.executable, driver, "--protocol", "etcd", *sys.argv[1:]])
