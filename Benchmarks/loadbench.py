#!/usr/bin/env python3
"""The capacity table, with `portcullis loadtest` as the load generator (one run, this machine):
login/s vs the hashing limit, refresh/s and verify/s vs nginx `return 200`, p99 under an arrival
rate of 80% of the measured verify capacity, and the server's peak memory with 10,000 connected
virtual users."""
import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth import hash_rate, start_portcullis, stop  # noqa: E402
from http_front import free_port, start_nginx, wrk  # noqa: E402


def load(binary, port, *args):
    out = subprocess.run([binary, "loadtest", "--url", f"http://127.0.0.1:{port}", "--quiet", "--json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--crypto-bench", required=True)
    parser.add_argument("--seconds", type=int, default=6)
    args = parser.parse_args()
    cores = os.cpu_count()
    rows = []

    workdir = tempfile.mkdtemp(prefix="portcullis-nginx-")
    nginx_port = free_port()
    nginx_pid = start_nginx(nginx_port, workdir)
    nginx = wrk(f"http://127.0.0.1:{nginx_port}/json", ["-c64"], [], args.seconds)["rate"]
    os.kill(nginx_pid, signal.SIGTERM)

    data = tempfile.mkdtemp(prefix="portcullis-load-")
    port = free_port()
    process, _ = start_portcullis(args.binary, port, data)
    try:
        load(args.binary, port, "--users", "16", "--accounts", "64", "--seed", "64", "--requests", "64", "--scenario", "login-only")
        limit = cores * hash_rate(args.crypto_bench, "argon2id-owasp")
        logins = load(args.binary, port, "--users", "32", "--accounts", "64", "--duration", str(args.seconds), "--scenario", "login-only")
        op = logins["operations"]["login"]
        rows.append(("login/s (Argon2id m=19456 t=2 p=1)", op["perSecond"], op["p99_ms"], "hashing limit", limit))
        refresh = load(args.binary, port, "--users", "64", "--accounts", "64", "--duration", str(args.seconds), "--scenario", "refresh-storm")
        op = refresh["operations"]["refresh"]
        rows.append(("refresh/s (rotating, durable)", op["perSecond"], op["p99_ms"], "nginx return 200", nginx))
        verify = load(args.binary, port, "--users", "64", "--accounts", "64", "--duration", str(args.seconds), "--scenario", "verify-only")
        op = verify["operations"]["user"]
        capacity = op["perSecond"]
        rows.append(("GET /api/user/s", capacity, op["p99_ms"], "nginx return 200", nginx))
        for share in (0.5, 0.8):
            target = int(capacity * share)
            paced = load(args.binary, port, "--users", "256", "--accounts", "64", "--duration", str(args.seconds), "--rate", str(target),
                         "--scenario", "verify-only")
            op = paced["operations"]["user"]
            rows.append((f"GET /api/user at {target}/s ({int(share * 100)}% of capacity, open loop)", op["perSecond"], op["p99_ms"],
                         "arrival rate", target))
    finally:
        stop(process)

    data = tempfile.mkdtemp(prefix="portcullis-conn-")
    port = free_port()
    process, _ = start_portcullis(args.binary, port, data, ARGON2_MEMORY_KIB="1024", ARGON2_ITERATIONS="1")
    try:
        load(args.binary, port, "--users", "16", "--accounts", "64", "--seed", "64", "--requests", "64", "--scenario", "login-only")
        many = load(args.binary, port, "--users", "10000", "--threads", "2", "--accounts", "64", "--duration", str(args.seconds),
                    "--rate", "2000", "--scenario", "verify-only")
        peak = peak_rss_kib(process.pid)
        errors = sum(many["errors"].values())
    finally:
        stop(process)

    print(f"\nMachine: {platform.machine()}, {cores} cores; loadtest on the same cores; {args.seconds} s per row.\n")
    print("| measurement | Portcullis /s | p99 ms | reference | reference /s | ratio |")
    print("|---|---:|---:|---|---:|---:|")
    for name, ours, p99, reference, value in rows:
        print(f"| {name} | {ours:,.0f} | {p99:.2f} | {reference} | {value:,.0f} | {ours / value:.2f}x |")
    print(f"\n10,000 connected virtual users (verify-only, 2,000 arrivals/s): server peak RSS {peak / 1024:.0f} MiB; "
          f"{many['completed']:,} requests, {errors} errors.")


if __name__ == "__main__":
    main()
