#!/usr/bin/env python3
"""The OpenID provider's token endpoint under wrk (-t2 -c2: one connection per thread, so each
thread's codes and rotated refresh tokens stay in order), vs nginx `return 200` measured in the same
run as the ceiling of the HTTP path alone. Each exchange and each refresh signs an RS256 access token
and an RS256 id_token; the signing rates of our RSA-2048 and P-256 keys vs `openssl speed` are in
Benchmarks/run-crypto."""
import argparse
import concurrent.futures
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.parse

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth import start_portcullis, stop  # noqa: E402
from http_front import free_port, start_nginx, wrk  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CALLBACK = "https://chat.example/oauth/openid/callback"


def codes(base, cookies, client_id, count):
    """`count` fresh authorization codes for a signed-in browser (they live 60 s: made just before use)."""
    def one(_):
        with requests.Session() as session:
            session.cookies.update(cookies)
            answer = session.get(base + "/oidc/authorize", params={
                "client_id": client_id, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid email",
                "state": "s"}, allow_redirects=False, timeout=10)
            return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(answer.headers["Location"]).query))["code"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def run_wrk(port, mode, items, client_id, secret, seconds, workdir):
    path = os.path.join(workdir, f"{mode}.txt")
    with open(path, "w") as f:
        f.write("\n".join(items) + "\n")
    os.environ.update(MODE=mode, TOKEN_FILE=path, TOKENS_PER_THREAD=str(len(items) // 2), CLIENT_ID=client_id,
                      CLIENT_SECRET=secret, REDIRECT_URI=urllib.parse.quote(CALLBACK, safe=""))
    return wrk(f"http://127.0.0.1:{port}/oidc/token", ["-c2"], ["-s", os.path.join(HERE, "oidc.lua")], seconds)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="portcullis-oidc-")
    workdir = tempfile.mkdtemp(prefix="portcullis-oidc-wrk-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, env = start_portcullis(args.binary, port, data, DOMAIN_SERVER=base, DOMAIN_CLIENT=base,
                                     OIDC_CODE_MAX="100000")
    nginx_port = free_port()
    nginx_pid = start_nginx(nginx_port, workdir)
    results = {"code": [], "refresh": [], "nginx": []}
    try:
        added = subprocess.run([args.binary, "oidc-client", "add", "--name", "Bench", "--redirect-uri", CALLBACK,
                                "--first-party"], env=env, cwd=data, check=True, capture_output=True, text=True).stdout
        fields = dict(line.split(":", 1) for line in added.splitlines() if line.startswith("client_"))
        client_id, secret = fields["client_id"].strip(), fields["client_secret"].strip()
        email, password = "bench@example.com", "correct horse battery"
        requests.post(base + "/api/auth/register", json={"name": "Bench User", "email": email, "password": password,
                                                         "confirm_password": password}, timeout=30).raise_for_status()
        browser = requests.Session()
        browser.post(base + "/api/auth/login", json={"email": email, "password": password}, timeout=30).raise_for_status()
        cookies = browser.cookies.get_dict()

        def grants():
            # One grant per queue slot (64 per thread), made by real exchanges; fresh each round, as the
            # last round's tokens rotated inside wrk (presenting them again would be reuse, and revoke).
            tokens = []
            for code in codes(base, cookies, client_id, 128):
                answer = requests.post(base + "/oidc/token", data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": client_id,
                    "client_secret": secret}, timeout=30)
                tokens.append(answer.json()["refresh_token"])
            return tokens

        # Enough codes for the fastest round seen on this machine, with room (each is good once).
        per_round = 1200 * args.seconds
        for _ in range(args.rounds):
            results["code"].append(run_wrk(port, "code", codes(base, cookies, client_id, per_round), client_id, secret,
                                           args.seconds, workdir))
            results["refresh"].append(run_wrk(port, "refresh", grants(), client_id, secret, args.seconds, workdir))
            results["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/", ["-c2"], [], args.seconds))
    finally:
        stop(process)
        os.kill(nginx_pid, signal.SIGTERM)
    for name in ("code", "refresh"):
        for row in results[name]:
            assert row["non2xx"] == 0 and not row["socket_errors"], (name, row)
    print(f"\nPOST /oidc/token, wrk -t2 -c2 -d{args.seconds}s, medians of {args.rounds} interleaved rounds:\n")
    print("| request | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    labels = {"code": "authorization_code exchange (2 RS256 signatures)",
              "refresh": "refresh_token grant with rotation (2 RS256 signatures)", "nginx": "nginx `return 200` (ceiling)"}
    for name, label in labels.items():
        rows = results[name]
        print(f"| {label} | {statistics.median(r['rate'] for r in rows):,.0f} | "
              f"{statistics.median(r['p50'] for r in rows):.2f} | {statistics.median(r['p99'] for r in rows):.2f} |")
    nginx = statistics.median(r["rate"] for r in results["nginx"])
    for name in ("code", "refresh"):
        print(f"ratio {name} ÷ nginx: {statistics.median(r['rate'] for r in results[name]) / nginx:.3f}x")


if __name__ == "__main__":
    main()
