"""Nobody can lock another person out: anonymous floods cost only their source, and guessing one
account from many addresses is throttled for untrusted clients while the owner's devices go on.

Attackers and victims are real clients on different loopback addresses (127.0.0.2, .3, .4, ...),
with no proxy header: the server sees each one's own socket address."""
import base64
import hashlib
import hmac
import json
import time

import requests
from requests.adapters import HTTPAdapter

from conftest import JWT_REFRESH_SECRET, register
from test_durability import restart

BAN = {"message": "Your account has been temporarily banned due to violations of our service."}
PASSWORD = "correct horse battery"
DEVICE = "portcullis_device"


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address, as a client on another machine would appear."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address):
    """A browser-like client (it keeps cookies) on `address`."""
    session = requests.Session()
    adapter = SourceAddressAdapter(address)
    session.mount("http://", adapter)
    return session


def login(server, session, email, password=PASSWORD):
    return session.post(server.url("/api/auth/login"), json={"email": email, "password": password}, timeout=10)


def refresh(server, session):
    return session.post(server.url("/api/auth/refresh"), timeout=10)


def user_bans(server):
    return [ban for ban in json.loads(server.cli("list-bans").stdout) if ban["subject"].startswith("user:")]


def metric(server, name):
    for line in requests.get(server.url("/metrics"), timeout=5).text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_one_address_flood_bans_the_address_never_the_account(start_server):
    # LibreChat's .env.example: BAN_VIOLATIONS=true with the default limits and interval.
    server = start_server(BAN_VIOLATIONS="true", LOGIN_MAX="7", LOGIN_WINDOW="5")
    register(server, "victim@example.com")
    register(server, "bystander@example.com")
    laptop = client("127.0.0.3")
    assert login(server, laptop, "victim@example.com").status_code == 200
    assert laptop.cookies.get(DEVICE)

    attacker = client("127.0.0.2")
    statuses = [login(server, attacker, "victim@example.com", "wrong password!").status_code for _ in range(27)]
    assert statuses[:7] == [404] * 7 and statuses[7:26] == [429] * 19 and statuses[26] == 403
    # The attacker's address is banned, for every account.
    r = login(server, attacker, "bystander@example.com")
    assert (r.status_code, r.json()) == (403, BAN)

    # The victim: the device that signed in before signs in, its session still refreshes, and a
    # new untrusted client signs in too (7 failures are under the account's lockout).
    assert refresh(server, laptop).status_code == 200
    assert login(server, laptop, "victim@example.com").status_code == 200
    assert login(server, client("127.0.0.4"), "victim@example.com").status_code == 200
    assert user_bans(server) == []


def test_distributed_guessing_locks_out_untrusted_clients_only_within_the_window(start_server):
    server = start_server(BAN_VIOLATIONS="true", LOGIN_MAX="7", LOGIN_WINDOW="5", ACCOUNT_LOCKOUT_WINDOW="0.1")
    register(server, "victim@example.com")
    laptop = client("127.0.0.3")
    assert login(server, laptop, "victim@example.com").status_code == 200
    started = metric(server, "portcullis_lockouts_started_total")

    # 20 addresses, 3 guesses each: no address reaches its limiter, the account sees 60 failures.
    began = time.monotonic()
    statuses = []
    for i in range(20):
        attacker = client(f"127.0.1.{i + 1}")
        statuses += [login(server, attacker, "victim@example.com", f"guess {i}-{n}!").status_code for n in range(3)]
    assert statuses[:10] == [404] * 10
    assert set(statuses[10:]) == {429}
    assert metric(server, "portcullis_lockouts_started_total") == started + 1

    # A new client without the device cookie is throttled, right password or wrong, same answer.
    phone = client("127.0.0.4")
    right, wrong = login(server, phone, "victim@example.com"), login(server, phone, "victim@example.com", "nope nope!")
    assert right.status_code == wrong.status_code == 429
    assert right.json() == wrong.json() == {"message": "Too many login attempts, please try again after 5 minutes."}
    assert 1 <= int(right.headers["Retry-After"]) <= 6
    assert DEVICE not in phone.cookies

    # The device that signed in before is trusted: it signs in and its session refreshes.
    assert login(server, laptop, "victim@example.com").status_code == 200
    assert refresh(server, laptop).status_code == 200
    assert user_bans(server) == [] and json.loads(server.cli("list-bans").stdout) == []

    # Once the window has passed, the new client signs in.
    time.sleep(max(0, 6.5 - (time.monotonic() - began)))
    assert login(server, phone, "victim@example.com").status_code == 200
    assert phone.cookies.get(DEVICE)
    assert metric(server, "portcullis_lockout_refusals_total") >= 2


def test_unknown_accounts_lock_out_the_same_way(start_server):
    # Lockouts must not tell which emails exist: an unknown one answers exactly as a real one.
    server = start_server(ACCOUNT_LOCKOUT_MAX="3", ACCOUNT_LOCKOUT_WINDOW="1")
    register(server, "real@example.com")
    for email in ("real@example.com", "ghost@example.com"):
        statuses = [login(server, client(f"127.0.2.{n + 1}"), email, "wrong password!").status_code for n in range(5)]
        assert statuses == [404, 404, 404, 429, 429], email


def device_cookie(user_id, issued_at_ms, nonce="ab" * 16, secret=JWT_REFRESH_SECRET):
    """A device cookie built independently of the server: its documented format and key derivation."""
    key = hmac.new(secret.encode(), b"portcullis device cookie v1", hashlib.sha256).digest()
    body = f"{user_id}.{nonce}.{issued_at_ms}"
    tag = base64.urlsafe_b64encode(hmac.new(key, body.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    return f"{body}.{tag}"


def test_forged_expired_foreign_and_tampered_device_cookies_are_untrusted(start_server):
    server = start_server(ACCOUNT_LOCKOUT_MAX="3", ACCOUNT_LOCKOUT_WINDOW="5", DEVICE_LOCKOUT_MAX="2")
    register(server, "victim@example.com")
    register(server, "other@example.com")
    laptop = client("127.0.0.3")
    victim = login(server, laptop, "victim@example.com").json()["user"]["id"]
    other_device = client("127.0.0.5")
    other = login(server, other_device, "other@example.com").json()["user"]["id"]
    genuine = laptop.cookies[DEVICE]
    assert genuine.split(".")[0] == victim

    for n in range(3):
        assert login(server, client(f"127.0.3.{n + 1}"), "victim@example.com", "wrong password!").status_code == 404
    now = int(time.time() * 1000)
    part = genuine.split(".")
    candidates = {
        "forged with another key": device_cookie(victim, now, secret="not the server's secret"),
        "expired": device_cookie(victim, now - 366 * 24 * 3600 * 1000),
        "another account's": other_device.cookies[DEVICE],
        "tampered nonce": ".".join([part[0], "cd" * 16, part[2], part[3]]),
        "tampered time": ".".join([part[0], part[1], str(int(part[2]) + 1), part[3]]),
        "truncated": genuine[:-2],
        "garbage": "x" * 300,
    }
    for name, value in candidates.items():
        stranger = client("127.0.0.6")
        stranger.cookies.set(DEVICE, value)
        assert login(server, stranger, "victim@example.com").status_code == 429, name
    # The independent construction with the server's key is the genuine article.
    built = client("127.0.0.7")
    built.cookies.set(DEVICE, device_cookie(victim, now - 1000))
    assert login(server, built, "victim@example.com").status_code == 200
    assert login(server, laptop, "victim@example.com").status_code == 200
    # A trusted device has its own small limit: two failures, then it waits too.
    assert [login(server, laptop, "victim@example.com", "typo typo!").status_code for _ in range(3)] == [404, 404, 429]
    assert other == login(server, other_device, "other@example.com").json()["user"]["id"]


def test_password_reset_revokes_every_device_cookie(start_server):
    server = start_server(ACCOUNT_LOCKOUT_MAX="2", ACCOUNT_LOCKOUT_WINDOW="5")
    register(server, "victim@example.com")
    laptop = client("127.0.0.3")
    assert login(server, laptop, "victim@example.com").status_code == 200
    assert server.cli("reset-password", "victim@example.com", stdin="a brand new password\n").returncode == 0
    for n in range(2):
        assert login(server, client(f"127.0.4.{n + 1}"), "victim@example.com", "wrong password!").status_code == 404
    # The old device cookie was issued before the reset: untrusted now.
    assert login(server, laptop, "victim@example.com", "a brand new password").status_code == 429


def test_registration_and_reset_floods_naming_a_victim_leave_it_untouched(start_server):
    server = start_server(BAN_VIOLATIONS="true", BAN_INTERVAL="3", REGISTER_MAX="2", RESET_PASSWORD_MAX="2",
                          ALLOW_PASSWORD_RESET="true")
    register(server, "victim@example.com")
    laptop = client("127.0.0.3")
    assert login(server, laptop, "victim@example.com").status_code == 200

    attacker = client("127.0.0.2")
    body = {"name": "X", "email": "victim@example.com", "password": PASSWORD, "confirm_password": PASSWORD}
    statuses = [attacker.post(server.url("/api/auth/register"), json=body, timeout=10).status_code for _ in range(6)]
    assert statuses[-1] == 403
    other = client("127.0.0.8")
    statuses = [other.post(server.url("/api/auth/requestPasswordReset"), json={"email": "victim@example.com"},
                           timeout=10).status_code for _ in range(6)]
    assert statuses[-1] == 403
    assert user_bans(server) == []
    assert {ban["subject"] for ban in json.loads(server.cli("list-bans").stdout)} == {"ip:127.0.0.2", "ip:127.0.0.8"}
    assert refresh(server, laptop).status_code == 200
    assert login(server, client("127.0.0.4"), "victim@example.com").status_code == 200


def test_lockout_survives_kill_minus_nine(start_server):
    server = start_server(ACCOUNT_LOCKOUT_MAX="3", ACCOUNT_LOCKOUT_WINDOW="5", SNAPSHOT_INTERVAL="1")
    register(server, "victim@example.com")
    for n in range(3):
        assert login(server, client(f"127.0.5.{n + 1}"), "victim@example.com", "wrong password!").status_code == 404
    server = restart(server)  # each failure was durable before its 404
    try:
        assert login(server, client("127.0.0.4"), "victim@example.com").status_code == 429
        time.sleep(1.5)  # a snapshot carries the windows too
        server = restart(server)
        assert login(server, client("127.0.0.4"), "victim@example.com").status_code == 429
    finally:
        server.process.kill()
        server.process.wait()


def test_memory_stays_bounded_under_a_flood_of_names(start_server):
    server = start_server(ACCOUNT_LOCKOUT_CAPACITY="1000", SHARD_COUNT="4")
    attacker = requests.Session()
    for n in range(3000):
        attacker.post(server.url("/api/auth/login"), json={"email": f"name{n}@example.com", "password": "wrong password!"},
                      timeout=10)
    assert metric(server, "portcullis_lockout_windows") <= 1000
