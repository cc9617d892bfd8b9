"""Durability with the real binary: kill -9 at random moments, damaged files, round trips."""
import concurrent.futures
import glob
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import threading
import time
import zlib

import requests

from conftest import BINARY, Server, login, register


def restart(server, kill=True):
    """Stops the server (kill -9 by default) and starts a new one on the same data directory."""
    if kill:
        server.process.send_signal(signal.SIGKILL)
    else:
        server.process.terminate()
    server.process.wait(timeout=20)
    server.log.close()
    env = {k: v for k, v in server.env.items() if k not in ("PORT", "PORTCULLIS_DATA_DIR")}
    fresh = Server.__new__(Server)
    fresh.port, fresh.data, fresh.env = server.port, server.data, server.env
    fresh.log_path = server.log_path + ".next"
    fresh.log = open(fresh.log_path, "w")
    fresh.process = subprocess.Popen([BINARY, "serve"], env=server.env, cwd=server.data, stdout=fresh.log, stderr=subprocess.STDOUT)
    fresh.base = server.base
    deadline = time.time() + 30
    while time.time() < deadline:
        if fresh.process.poll() is not None:
            return fresh
        try:
            if requests.get(fresh.base + "/health", timeout=0.5).text == "OK":
                return fresh
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError("server did not restart")


def test_kill_minus_nine_keeps_every_acknowledged_change(start_server):
    server = start_server(REFRESH_REUSE_GRACE="0", SNAPSHOT_INTERVAL="1")
    acknowledged = {"users": {}, "revoked": [], "live": {}}
    lock = threading.Lock()
    stop = threading.Event()

    def worker(worker_id):
        n = 0
        while not stop.is_set():
            n += 1
            email = f"w{worker_id}-{n}@example.com"
            password = f"password number {n} of {worker_id}"
            try:
                r = register(server, email, password)
                if r.status_code != 200:
                    continue
                with lock:
                    acknowledged["users"][email] = password
                session = requests.Session()
                r = login(server, email, password, session=session)
                if r.status_code != 200:
                    continue
                first = session.cookies["refreshToken"]
                r = session.post(server.url("/api/auth/refresh"), timeout=5)
                if r.status_code == 200:
                    with lock:
                        acknowledged["revoked"].append(first)  # rotated away, grace 0: must stay dead
                        acknowledged["live"][email] = session.cookies["refreshToken"]
                if n % 3 == 0:
                    token = r.json()["token"] if r.status_code == 200 else None
                    if token:
                        current = session.cookies["refreshToken"]
                        r = session.post(server.url("/api/auth/logout"), headers={"Authorization": f"Bearer {token}"}, timeout=5)
                        if r.status_code == 200:
                            with lock:
                                acknowledged["revoked"].append(current)
                                acknowledged["live"].pop(email, None)
            except requests.RequestException:
                pass  # the server was killed mid-request: nothing was acknowledged

    for round_number in range(4):
        stop.clear()
        threads = [threading.Thread(target=worker, args=(f"{round_number}x{i}",)) for i in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(0.8, 2.0))
        server = restart(server)  # kill -9 while the workers are mid-flight
        stop.set()
        for thread in threads:
            thread.join()
        assert server.process.poll() is None, open(server.log_path).read()

    assert len(acknowledged["users"]) > 20
    for email, password in acknowledged["users"].items():
        assert login(server, email, password).status_code == 200, email
    # Live sessions first: presenting a revoked token afterwards is itself a replay that ends a session.
    live = list(acknowledged["live"].items())[:20]
    for email, token in live:
        assert requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": token}).status_code == 200, email
    for token in acknowledged["revoked"]:
        assert requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": token}).status_code in (401, 302), token
    server.stop()


def test_export_snapshot_restore_export_is_identical(start_server):
    server = start_server()
    for i in range(30):
        register(server, f"round{i}@example.com", f"round trip password {i}")
    before = server.cli("export-users").stdout
    assert server.cli("snapshot").returncode == 0
    server = restart(server, kill=False)  # graceful: writes a final snapshot
    after = server.cli("export-users").stdout
    assert before == after
    snapshots = sorted(glob.glob(os.path.join(server.data, "snapshot-*.pcs")))
    assert snapshots
    r = subprocess.run([BINARY, "inspect", snapshots[-1]], capture_output=True, text=True)
    assert r.returncode == 0 and "30 users" in r.stdout and "checksums verified" in r.stdout
    server.stop()


def make_two_snapshots(start_server):
    server = start_server()
    register(server, "old@example.com", "old user password")
    assert server.cli("snapshot").returncode == 0
    register(server, "new@example.com", "new user password")
    assert server.cli("snapshot").returncode == 0
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    snapshots = sorted(glob.glob(os.path.join(server.data, "snapshot-*.pcs")))
    assert len(snapshots) == 2
    return server, snapshots


def damage_newest_then_restart(start_server, mutate):
    server, snapshots = make_two_snapshots(start_server)
    with open(snapshots[-1], "r+b") as f:
        data = bytearray(f.read())
        data = mutate(data)
        f.seek(0)
        f.truncate()
        f.write(data)
    fresh = restart(server, kill=False) if server.process.poll() is None else restart_after_exit(server)
    return fresh


def restart_after_exit(server):
    server.log.close()
    fresh = Server.__new__(Server)
    fresh.port, fresh.data, fresh.env, fresh.base = server.port, server.data, server.env, server.base
    fresh.log_path = server.log_path + ".next"
    fresh.log = open(fresh.log_path, "w")
    fresh.process = subprocess.Popen([BINARY, "serve"], env=server.env, cwd=server.data, stdout=fresh.log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline and fresh.process.poll() is None:
        try:
            if requests.get(fresh.base + "/health", timeout=0.5).text == "OK":
                break
        except requests.RequestException:
            time.sleep(0.05)
    return fresh


def test_damaged_newest_snapshot_falls_back_to_the_older_one(start_server):
    cases = {
        "truncated": lambda d: d[: len(d) // 2],
        "header byte": lambda d: d[:20] + bytearray([d[20] ^ 0xFF]) + d[21:],
        "payload byte": lambda d: d[:-3] + bytearray([d[-3] ^ 0x01]) + d[-2:],
        "magic": lambda d: bytearray(b"XXXXXXXX") + d[8:],
    }
    for name, mutate in cases.items():
        server = damage_newest_then_restart(start_server, mutate)
        time.sleep(0.5)
        logs = open(server.log_path).read()
        assert server.process.poll() is None, (name, logs)
        assert "snapshot skipped" in logs, (name, logs)
        # Both users are back: the older snapshot plus the journal after it.
        assert login(server, "old@example.com", "old user password").status_code == 200, name
        assert login(server, "new@example.com", "new user password").status_code == 200, name
        server.stop()


def test_torn_journal_tail_is_dropped_and_midway_damage_stops_startup(start_server):
    server = start_server()
    register(server, "kept@example.com", "kept user password")
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    journals = sorted(glob.glob(os.path.join(server.data, "journal-*.log")))
    with open(journals[-1], "ab") as f:
        f.write(struct.pack("<II", 500, 12345) + b"\x00" * 20)  # a record cut short by the crash
    fresh = restart_after_exit(server)
    time.sleep(0.5)
    assert fresh.process.poll() is None
    assert "torn final record was dropped" in open(fresh.log_path).read()
    assert login(fresh, "kept@example.com", "kept user password").status_code == 200
    register(fresh, "second@example.com", "second user password")
    fresh.process.send_signal(signal.SIGKILL)
    fresh.process.wait()

    journals = sorted(glob.glob(os.path.join(server.data, "journal-*.log")))
    with open(journals[0], "r+b") as f:
        f.seek(8 + 20)  # inside the first record's payload
        byte = f.read(1)
        f.seek(8 + 20)
        f.write(bytes([byte[0] ^ 0x40]))
    result = subprocess.run([BINARY, "serve"], env=server.env, cwd=server.data, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "checksum mismatch" in result.stderr and journals[0] in result.stderr and "offset 8" in result.stderr
    shutil.rmtree(server.data, ignore_errors=True)


def test_zstd_bomb_is_refused(start_server, tmp_path):
    server, snapshots = make_two_snapshots(start_server)
    bomb = subprocess.run(["zstd", "-q", "-c", "--check"], input=b"\x00" * (64 << 20), capture_output=True).stdout
    with open(snapshots[-1], "rb") as f:
        header = bytearray(f.read(60))
    struct.pack_into("<Q", header, 44, 1000)  # the header claims a 1000-byte payload
    struct.pack_into("<I", header, 56, zlib.crc32(bytes(header[:56])))
    with open(snapshots[-1], "wb") as f:
        f.write(bytes(header) + bomb)
    r = subprocess.run([BINARY, "inspect", snapshots[-1]], capture_output=True, text=True)
    assert r.returncode == 1 and "exceeds the limit" in r.stdout
    fresh = restart_after_exit(server)
    time.sleep(0.5)
    assert fresh.process.poll() is None
    assert login(fresh, "new@example.com", "new user password").status_code == 200
    fresh.stop()


def test_a_second_server_on_the_same_directory_refuses_to_start(server):
    result = subprocess.run([BINARY, "serve"], env=dict(server.env, PORT="0"), cwd=server.data, capture_output=True, text=True, timeout=20)
    assert result.returncode == 1 and "already using" in result.stderr
