#!/usr/bin/env python3
"""Portcullis's HTTP front vs nginx `return 200 '{"ok":true}'`, measured with wrk in one run.

Both servers get one worker/event loop per core. Each round runs every scenario against nginx and
then against us, interleaved; the table reports medians of requests/s and of wrk's p50/p99.
Then: 10,000 idle keep-alive connections are opened to our server, its resident memory is read,
and a wrk run on other connections is compared with the same run without them."""
import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

SCENARIOS = [
    ("keep-alive, 64 connections", ["-c64"], [], 1.0),
    ("keep-alive, 256 connections", ["-c256"], [], 1.0),
    ("Connection: close, 64 connections", ["-c64"], ["-H", "Connection: close"], 0.7),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def wrk(url, connections, extra, seconds, threads=2):
    out = subprocess.run(["wrk", f"-t{threads}", *connections, f"-d{seconds}s", "--latency", *extra, url],
                         check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def percentile(name):
        match = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rate": rate, "p50": percentile("50"), "p99": percentile("99"),
            "non2xx": int(errors.group(1)) if errors else 0, "socket_errors": socket_errors.group(1) if socket_errors else ""}


def start_nginx(port, workdir):
    config = os.path.join(workdir, "nginx.conf")
    with open(config, "w") as f:
        f.write(f"""worker_processes {os.cpu_count()};
worker_rlimit_nofile 65536;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {{
    listen 127.0.0.1:{port} reuseport;
    location / {{ default_type application/json; return 200 '{{"ok":true}}'; }}
  }}
}}
""")
    subprocess.run(["nginx", "-c", config, "-p", workdir], check=True)
    wait_for(port)
    with open(os.path.join(workdir, "nginx.pid")) as f:
        return int(f.read().strip())


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def hold_idle_connections(port, count):
    sockets = []
    request = f"GET /json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(request)
        sockets.append(s)
    for s in sockets:
        data = b""
        while b'{"ok":true}' not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError("server closed an idle connection early")
            data += chunk
    return sockets


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--idle", type=int, default=10_000)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    workdir = tempfile.mkdtemp(prefix="portcullis-bench-")
    nginx_port, our_port = free_port(), free_port()
    nginx_pid = start_nginx(nginx_port, workdir)
    ours = subprocess.Popen([args.binary, str(our_port), str(os.cpu_count())], stdout=subprocess.DEVNULL)
    try:
        wait_for(our_port)
        results = {name: {"nginx": [], "ours": []} for name, *_ in SCENARIOS}
        for round_index in range(args.rounds):
            print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr)
            for name, connections, extra, _ in SCENARIOS:
                results[name]["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/json", connections, extra, args.seconds))
                results[name]["ours"].append(wrk(f"http://127.0.0.1:{our_port}/json", connections, extra, args.seconds))

        baseline = statistics.median(wrk(f"http://127.0.0.1:{our_port}/json", ["-c64"], [], args.seconds)["rate"] for _ in range(2))
        rss_before = rss_kib(ours.pid)
        held = hold_idle_connections(our_port, args.idle)
        time.sleep(0.5)
        rss_idle = rss_kib(ours.pid)
        loaded = statistics.median(wrk(f"http://127.0.0.1:{our_port}/json", ["-c64"], [], args.seconds)["rate"] for _ in range(2))
        rss_after = rss_kib(ours.pid)
        alive = sum(1 for s in held if s.fileno() >= 0)
        for s in held:
            s.close()

        cpu = "unknown CPU"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
        print(f"\nMachine: {os.cpu_count()} cores, {cpu}; {nginx_version}; wrk -t2 -d{args.seconds}s; "
              f"medians of {args.rounds} interleaved rounds; endpoint GET /json -> {{\"ok\":true}}.\n")
        print("| scenario | Portcullis req/s | p50 / p99 ms | nginx req/s | p50 / p99 ms | ratio | target |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, _, _, target in SCENARIOS:
            mine, theirs = results[name]["ours"], results[name]["nginx"]
            rate = statistics.median(r["rate"] for r in mine)
            nginx_rate = statistics.median(r["rate"] for r in theirs)
            lat = f"{statistics.median(r['p50'] for r in mine):.2f} / {statistics.median(r['p99'] for r in mine):.2f}"
            nlat = f"{statistics.median(r['p50'] for r in theirs):.2f} / {statistics.median(r['p99'] for r in theirs):.2f}"
            bad = sum(r["non2xx"] for r in mine)
            note = f" ({bad} non-2xx)" if bad else ""
            print(f"| {name} | {rate:,.0f}{note} | {lat} | {nginx_rate:,.0f} | {nlat} | {rate / nginx_rate:.2f}x | ≥ {target}x |")
        print(f"\nIdle keep-alive connections held: {alive:,} (each served one request first).")
        print(f"Server RSS: {rss_before / 1024:.1f} MiB before, {rss_idle / 1024:.1f} MiB with them idle, "
              f"{rss_after / 1024:.1f} MiB after the loaded run (target ≤ 100 MiB).")
        print(f"wrk -c64 with them open: {loaded:,.0f} req/s vs {baseline:,.0f} req/s without: "
              f"{loaded / baseline:.2f}x (target ≥ 0.8x).")
    finally:
        ours.send_signal(signal.SIGTERM)
        try:
            ours.wait(timeout=10)
        except subprocess.TimeoutExpired:
            ours.kill()
        os.kill(nginx_pid, signal.SIGTERM)
        time.sleep(0.2)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
