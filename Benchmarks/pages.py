#!/usr/bin/env python3
"""The sign-in page: rendered by Portcullis on every request (template, CSRF token, headers) vs nginx
serving the same HTML as a static file, wrk -t2 -c16, interleaved rounds, medians; p50/p99 latency."""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auth import start_portcullis, stop  # noqa: E402
from http_front import free_port, wait_for, wrk  # noqa: E402


def start_static_nginx(port, workdir, html):
    with open(os.path.join(workdir, "login.html"), "w") as f:
        f.write(html)
    config = os.path.join(workdir, "nginx.conf")
    with open(config, "w") as f:
        f.write(f"""worker_processes {os.cpu_count()};
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port} reuseport;
    root {workdir};
    location = /login {{ default_type text/html; try_files /login.html =404; }}
  }}
}}
""")
    subprocess.run(["nginx", "-c", config, "-p", workdir], check=True)
    wait_for(port)
    with open(os.path.join(workdir, "nginx.pid")) as f:
        return int(f.read().strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="portcullis-pages-")
    port = free_port()
    process, _ = start_portcullis(args.binary, port, data)
    workdir = tempfile.mkdtemp(prefix="portcullis-pages-nginx-")
    nginx_port = free_port()
    html = requests.get(f"http://127.0.0.1:{port}/login").text
    nginx_pid = start_static_nginx(nginx_port, workdir, html)
    results = {"ours": [], "nginx": []}
    try:
        for _ in range(args.rounds):
            results["ours"].append(wrk(f"http://127.0.0.1:{port}/login", ["-c16"], [], args.seconds))
            results["nginx"].append(wrk(f"http://127.0.0.1:{nginx_port}/login", ["-c16"], [], args.seconds))
    finally:
        stop(process)
        os.kill(nginx_pid, signal.SIGTERM)
    print(f"\nGET /login ({len(html)} bytes), wrk -t2 -c16 -d{args.seconds}s, medians of {args.rounds} interleaved rounds:\n")
    print("| server | req/s | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|")
    for name, label in (("ours", "Portcullis (prerendered once, CSRF token per request)"), ("nginx", "nginx (the same HTML, static file)")):
        rows = results[name]
        print(f"| {label} | {statistics.median(r['rate'] for r in rows):,.0f} | {statistics.median(r['p50'] for r in rows):.2f} | "
              f"{statistics.median(r['p99'] for r in rows):.2f} |")
    ours, nginx = (statistics.median(r["rate"] for r in results[k]) for k in ("ours", "nginx"))
    print(f"\nratio ours ÷ nginx: {ours / nginx:.2f}x")


if __name__ == "__main__":
    main()
