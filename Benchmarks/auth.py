#!/usr/bin/env python3
"""The engine under load, in one run on this machine:
- login/s at bcrypt cost 10 and at Argon2id defaults vs the hashing limit (cores ÷ one hash's CPU
  time, measured here with CryptoBench);
- GET /api/user (valid token) and POST /api/auth/refresh (real rotation) req/s and p99 with wrk, vs
  nginx `return 200` measured in the same run;
- resident memory per user with 1,000,000 imported users."""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import bcrypt
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_front import free_port, rss_kib, start_nginx, wait_for, wrk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def start_portcullis(binary, port, data, **env):
    full = dict(os.environ, PORT=str(port), PORTCULLIS_DATA_DIR=data, JWT_SECRET="bench-secret-0123456789",
                JWT_REFRESH_SECRET="bench-refresh-0123456789", ALLOW_REGISTRATION="true",
                LOGIN_MAX="1000000", REGISTER_MAX="1000000")  # LibreChat's per-IP limits would stop a benchmark at once
    full.update(env)
    process = subprocess.Popen([binary, "serve"], env=full, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port, timeout=60)
    return process, full


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def seed(binary, env, data, count, password_hash):
    path = os.path.join(data, "seed.jsonl")
    with open(path, "w") as f:
        for i in range(count):
            f.write(json.dumps({"_id": {"$oid": f"{i:024x}"}, "name": f"User {i}", "username": f"user{i}",
                                "email": f"user{i}@bench.test", "emailVerified": True, "password": password_hash,
                                "provider": "local", "role": "USER"}) + "\n")
    started = time.time()
    out = subprocess.run([binary, "import-users", path, "--batch", "20000"], env=env, cwd=data, check=True,
                         capture_output=True, text=True).stdout
    os.remove(path)
    return json.loads(out)["imported"], time.time() - started


def hash_rate(crypto_bench, operation):
    return float(subprocess.run([crypto_bench, operation, "2"], check=True, capture_output=True, text=True).stdout.split()[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--crypto-bench", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--users", type=int, default=1_000_000)
    args = parser.parse_args()
    cores = os.cpu_count()
    rows = []

    # 1. Login throughput vs the hashing limit.
    password = b"benchmark password"
    for label, env, operation, peer_hash in (
        ("bcrypt cost 10", {"PASSWORD_HASH_ALGORITHM": "bcrypt", "BCRYPT_COST": "10"}, "bcrypt-10",
         bcrypt.hashpw(password, bcrypt.gensalt(10)).decode()),
        ("Argon2id m=19456 t=2 p=1", {}, "argon2id-owasp", None),
    ):
        data = tempfile.mkdtemp(prefix="portcullis-auth-")
        port = free_port()
        process, full = start_portcullis(args.binary, port, data, **env)
        try:
            if peer_hash is None:
                out = subprocess.run([args.binary, "hash-password"], input="benchmark password\n", capture_output=True, text=True, check=True)
                peer_hash = out.stdout.strip()
            seed(args.binary, full, data, 2000, peer_hash)
            limit = cores * hash_rate(args.crypto_bench, operation)
            result = wrk(f"http://127.0.0.1:{port}", ["-c32"], ["-s", os.path.join(HERE, "login.lua")], args.seconds)
            rows.append((f"login/s, {label}", result["rate"], f"{result['p50']:.1f} / {result['p99']:.1f}",
                         f"hashing limit {cores} cores × {limit / cores:.1f}/s", limit, 0.9, result["non2xx"]))
        finally:
            stop(process)

    # 2. Token verification and refresh vs nginx.
    workdir = tempfile.mkdtemp(prefix="portcullis-nginx-")
    nginx_port = free_port()
    nginx_pid = start_nginx(nginx_port, workdir)
    data = tempfile.mkdtemp(prefix="portcullis-auth-")
    port = free_port()
    process, full = start_portcullis(args.binary, port, data, ARGON2_MEMORY_KIB="1024", ARGON2_ITERATIONS="1",
                                     REFRESH_REUSE_GRACE="0")
    try:
        base = f"http://127.0.0.1:{port}"
        requests.post(base + "/api/auth/register", json={"name": "Bench User", "email": "bench@bench.test",
                                                         "password": "benchmark password", "confirm_password": "benchmark password"})
        token = requests.post(base + "/api/auth/login", json={"email": "bench@bench.test", "password": "benchmark password"}).json()["token"]
        nginx = statistics.median(wrk(f"http://127.0.0.1:{nginx_port}/json", ["-c64"], [], args.seconds)["rate"] for _ in range(2))
        user = wrk(base + "/api/user", ["-c64"], ["-H", f"Authorization: Bearer {token}"], args.seconds)
        rows.append(("GET /api/user (Bearer)", user["rate"], f"{user['p50']:.2f} / {user['p99']:.2f}", "nginx return 200", nginx, 0.5, user["non2xx"]))

        token_file = os.path.join(data, "tokens.txt")
        with open(token_file, "w") as f:
            for _ in range(2 * 96):
                r = requests.post(base + "/api/auth/login", json={"email": "bench@bench.test", "password": "benchmark password"})
                f.write(r.cookies["refreshToken"] + "\n")
        os.environ["TOKEN_FILE"] = token_file
        os.environ["TOKENS_PER_THREAD"] = "96"
        refresh = wrk(base, ["-c64"], ["-s", os.path.join(HERE, "refresh.lua")], args.seconds)
        rows.append(("POST /api/auth/refresh (rotating)", refresh["rate"], f"{refresh['p50']:.2f} / {refresh['p99']:.2f}",
                     "nginx return 200", nginx, 0.3, refresh["non2xx"]))
    finally:
        stop(process)
        os.kill(nginx_pid, signal.SIGTERM)

    # 3. Memory per user.
    data = tempfile.mkdtemp(prefix="portcullis-mem-")
    port = free_port()
    process, full = start_portcullis(args.binary, port, data)
    try:
        time.sleep(0.5)
        before = rss_kib(process.pid)
        imported, seconds = seed(args.binary, full, data, args.users, bcrypt.hashpw(password, bcrypt.gensalt(4)).decode())
        time.sleep(1)
        after = rss_kib(process.pid)
    finally:
        stop(process)

    print(f"\nMachine: {cores} cores; wrk -t2 -d{args.seconds}s; one run.\n")
    print("| measurement | Portcullis | p50 / p99 ms | reference | reference | ratio | target |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for name, ours, latency, reference, value, target, bad in rows:
        note = f" ({bad} non-2xx)" if bad else ""
        print(f"| {name} | {ours:,.0f}{note} | {latency} | {reference} | {value:,.0f} | {ours / value:.2f}x | ≥ {target}x |")
    per_user = (after - before) * 1024 / max(imported, 1)
    print(f"\n{imported:,} users imported in {seconds:.1f} s; RSS {before / 1024:.0f} MiB → {after / 1024:.0f} MiB: "
          f"{per_user:,.0f} bytes per user (target ≤ 1024).")


if __name__ == "__main__":
    main()
