#!/usr/bin/env python3
"""What account protection costs a password login, in one run on this machine: login/s (Argon2id
defaults, DURABILITY=fsync) with the lockout checks and device cookies on vs off
(ACCOUNT_LOCKOUT_MAX=0, DEVICE_LOCKOUT_MAX=0), for right passwords (a window lookup and a device
cookie per login) and wrong ones (each failure journaled and made durable before the 404; the limit
raised so that nothing is refused). Rounds interleave the two servers; medians are printed."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth import seed, start_portcullis, stop  # noqa: E402
from http_front import free_port, wrk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=6)
    args = parser.parse_args()
    hashed = subprocess.run([args.binary, "hash-password"], input="benchmark password\n", capture_output=True,
                            text=True, check=True).stdout.strip()
    servers = {}
    settings = {"on": {"ACCOUNT_LOCKOUT_MAX": "1000", "DEVICE_LOCKOUT_MAX": "1000"},
                "off": {"ACCOUNT_LOCKOUT_MAX": "0", "DEVICE_LOCKOUT_MAX": "0"}}
    try:
        for name, env in settings.items():
            data = tempfile.mkdtemp(prefix=f"portcullis-lockout-{name}-")
            port = free_port()
            process, full = start_portcullis(args.binary, port, data, **env)
            servers[name] = (process, f"http://127.0.0.1:{port}")
            seed(args.binary, full, data, 2000, hashed)
        rates = {(kind, name): [] for kind in ("right", "wrong") for name in settings}
        for _ in range(args.rounds):
            for kind in ("right", "wrong"):
                os.environ["PASSWORD"] = "benchmark password" if kind == "right" else "not the password"
                for name in ("off", "on"):
                    result = wrk(servers[name][1], ["-c32"], ["-s", os.path.join(HERE, "login.lua")], args.seconds)
                    rates[(kind, name)].append(result["rate"])
    finally:
        for process, _ in servers.values():
            stop(process)
    print(f"\nPOST /api/auth/login, Argon2id m=19456 t=2 p=1, DURABILITY=fsync, wrk -t2 -c32 -d{args.seconds}s, "
          f"medians of {args.rounds} interleaved rounds:\n")
    print("| logins | checks off /s | checks on /s | on ÷ off | cost | target |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, label in (("right", "right password (200, device cookie issued)"), ("wrong", "wrong password (404, failure journaled)")):
        off, on = statistics.median(rates[(kind, "off")]), statistics.median(rates[(kind, "on")])
        print(f"| {label} | {off:,.1f} | {on:,.1f} | {on / off:.3f}x | {(1 - on / off) * 100:.1f}% | ≤ 3% |")


if __name__ == "__main__":
    main()
