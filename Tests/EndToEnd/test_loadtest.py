"""`portcullis loadtest` against the real server: its counts agree with the server's /metrics."""
import json
import os
import re
import subprocess

import requests

from conftest import BINARY


def metric(server, pattern):
    text = requests.get(server.url("/metrics")).text
    match = re.search(pattern + r" (\d+)", text)
    return int(match.group(1)) if match else 0


def run_load(server, *args):
    result = subprocess.run([BINARY, "loadtest", "--url", server.base, "--quiet", "--json", *args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_closed_loop_mixed_counts_match_the_server(server, tmp_path):
    csv, svg = tmp_path / "series.csv", tmp_path / "plot.svg"
    run_load(server, "--users", "5", "--accounts", "5", "--seed", "5", "--requests", "20")  # seeds and warms up
    before = {"login": metric(server, r'portcullis_logins_total\{result="success"\}'),
              "refresh": metric(server, r"portcullis_refreshes_total"),
              "user": metric(server, r'portcullis_http_requests_total\{route="GET /api/user",status="200"\}')}
    report = run_load(server, "--users", "40", "--accounts", "5", "--duration", "2", "--scenario", "mixed",
                      "--csv", str(csv), "--svg", str(svg))
    after = {"login": metric(server, r'portcullis_logins_total\{result="success"\}'),
             "refresh": metric(server, r"portcullis_refreshes_total"),
             "user": metric(server, r'portcullis_http_requests_total\{route="GET /api/user",status="200"\}')}
    operations = report["operations"]
    assert report["errors"] == {}
    for name in ("login", "refresh", "user"):
        assert operations[name]["requests"] == after[name] - before[name], name
        assert operations[name]["statuses"] == {"200": operations[name]["requests"]}
    for name in ("login", "user", "refresh", "logout"):
        assert 0 < operations[name]["p50_ms"] <= operations[name]["p99_ms"] <= operations[name]["max_ms"]
    assert csv.read_text().startswith("second,requests,errors,p50_ms,p99_ms\n")
    assert svg.read_text().startswith("<svg") and "polyline" in svg.read_text()


def test_open_loop_arrival_rate_and_other_scenarios(server):
    run_load(server, "--users", "4", "--accounts", "4", "--seed", "4", "--requests", "8")
    report = run_load(server, "--users", "20", "--accounts", "4", "--duration", "2", "--rate", "200", "--scenario", "verify-only")
    completed = report["completed"]
    assert 300 <= completed <= 440, completed  # 200/s for 2 s, plus the first logins
    assert report["rate"] == 200
    storm = run_load(server, "--users", "8", "--accounts", "4", "--requests", "200", "--scenario", "refresh-storm")
    assert storm["operations"]["refresh"]["statuses"] == {"200": storm["operations"]["refresh"]["requests"]}
    reg = run_load(server, "--users", "4", "--requests", "12", "--scenario", "register")
    statuses = reg["operations"]["register"]["statuses"]
    assert set(statuses) == {"200"} and statuses["200"] >= 12


def test_bad_arguments_are_refused():
    for args in (["--url", "ftp://x"], ["--scenario", "nonsense"]):
        result = subprocess.run([BINARY, "loadtest", *args, "--duration", "1"], capture_output=True, text=True, timeout=30)
        assert result.returncode != 0
