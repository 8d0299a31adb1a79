#!/usr/bin/env python3
"""Clients that connect to a TCP port and never say anything (port scanners, TCP checks), for the
HTTP endpoint's tests. Held in a process of their own, so their file descriptors come out of this
process's budget, not the test runner's, which the suite's parallel tests share.

Opens --count connections to 127.0.0.1:--port one after another, then writes one line to --out:
"held N" once all are open, or "failed after N: <error>" at the first that fails. It keeps them
open until SIGTERM or SIGKILL.
"""

import argparse
import os
import resource
import signal
import socket
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.count + 64), hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    held = []
    result = None
    for _ in range(args.count):
        try:
            held.append(socket.create_connection(("127.0.0.1", args.port), timeout=600))
        except OSError as error:
            result = "failed after %d: %s" % (len(held), error)
            break
    with open(args.out + ".part", "w") as out:
        out.write((result or "held %d" % len(held)) + "\n")
    # Renamed into place whole, so the test never reads half a line.
    os.rename(args.out + ".part", args.out)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
