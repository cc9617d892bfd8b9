#!/usr/bin/env python3
"""Forward-auth (GET /api/auth/verify) with moderation on (BAN_VIOLATIONS=true: a ban lookup for the
user and the IP on every request) vs off, and vs nginx `return 200`, interleaved in one run."""
import argparse
import os
import signal
import statistics
import sys
import tempfile

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth import start_portcullis, stop  # noqa: E402
from http_front import free_port, start_nginx, wrk  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    servers = {}
    for name, ban in (("on", "true"), ("off", "false")):
        data = tempfile.mkdtemp(prefix=f"portcullis-mod-{name}-")
        port = free_port()
        process, _ = start_portcullis(args.binary, port, data, BAN_VIOLATIONS=ban, ARGON2_MEMORY_KIB="1024", ARGON2_ITERATIONS="1")
        base = f"http://127.0.0.1:{port}"
        requests.post(base + "/api/auth/register", json={"name": "Bench User", "email": "b@bench.test",
                                                         "password": "benchmark password", "confirm_password": "benchmark password"})
        token = requests.post(base + "/api/auth/login", json={"email": "b@bench.test", "password": "benchmark password"}).json()["token"]
        servers[name] = (process, base, token)
    workdir = tempfile.mkdtemp(prefix="portcullis-nginx-")
    nginx_port = free_port()
    nginx_pid = start_nginx(nginx_port, workdir)
    rates = {"on": [], "off": [], "nginx": []}
    try:
        for _ in range(args.rounds):
            for name in ("off", "on"):
                _, base, token = servers[name]
                rates[name].append(wrk(base + "/api/auth/verify", ["-c64"], ["-H", f"Authorization: Bearer {token}"], args.seconds)["rate"])
            rates["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/json", ["-c64"], [], args.seconds)["rate"])
    finally:
        for process, _, _ in servers.values():
            stop(process)
        os.kill(nginx_pid, signal.SIGTERM)
    on, off, nginx = (statistics.median(rates[k]) for k in ("on", "off", "nginx"))
    print(f"\nGET /api/auth/verify, wrk -t2 -c64 -d{args.seconds}s, medians of {args.rounds} interleaved rounds:\n")
    print("| measurement | req/s | ratio | target |")
    print("|---|---:|---:|---:|")
    print(f"| moderation off | {off:,.0f} | | |")
    print(f"| moderation on (ban lookups for user and IP) | {on:,.0f} | {on / off:.2f}x of off ({(1 - on / off) * 100:.1f}% cost) | cost ≤ 5% |")
    print(f"| nginx return 200 | {nginx:,.0f} | ours (on) {on / nginx:.2f}x | ≥ 0.5x |")


if __name__ == "__main__":
    main()
