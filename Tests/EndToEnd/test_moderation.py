"""The Automated Moderation System with the real binary: limits, violations, bans, proxies."""
import concurrent.futures
import json
import time

import requests

from conftest import login, register
from test_durability import restart

BAN = {"message": "Your account has been temporarily banned due to violations of our service."}
KEY = "moderation-key-0123456789"


def login_from(server, ip, email, password="correct horse battery"):
    return requests.post(server.url("/api/auth/login"), json={"email": email, "password": password},
                         headers={"X-Forwarded-For": ip}, timeout=10)


def test_login_flood_limits_then_bans_the_ip_not_the_account_until_expiry(start_server):
    server = start_server(LOGIN_MAX="3", LOGIN_WINDOW="1", BAN_VIOLATIONS="true", BAN_INTERVAL="3", BAN_DURATION="3000",
                          TRUST_PROXY="1")
    register(server, "victim@example.com")
    register(server, "other@example.com")
    for _ in range(3):
        assert login_from(server, "spoofed, 10.0.0.1", "victim@example.com", "wrong password!").status_code == 404
    r = login_from(server, "10.0.0.1", "victim@example.com", "wrong password!")
    assert r.status_code == 429
    assert r.json() == {"message": "Too many login attempts, please try again after 1 minutes."}
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert login_from(server, "10.0.0.1", "victim@example.com").status_code == 429
    r = login_from(server, "10.0.0.1", "victim@example.com")  # third violation crosses BAN_INTERVAL
    assert (r.status_code, r.json()) == (403, BAN)
    # The IP is banned for any account; the account it named is not banned anywhere else (an
    # anonymous flood costs only its source).
    assert (login_from(server, "10.0.0.2", "victim@example.com").status_code, login_from(server, "10.0.0.1", "other@example.com").status_code) == (200, 403)
    assert login_from(server, "10.0.0.3", "other@example.com").status_code == 200
    time.sleep(3.2)
    r = login_from(server, "10.0.0.1", "victim@example.com")
    assert r.status_code == 429 and r.json() != BAN  # the ban expired; the limiter's window has not


def test_forwarded_for_is_ignored_without_trust_and_counted_right_with_it(start_server):
    untrusted = start_server(LOGIN_MAX="2", LOGIN_WINDOW="1")
    register(untrusted, "u@example.com")
    statuses = [login_from(untrusted, f"10.1.0.{i}", "u@example.com").status_code for i in range(4)]
    assert statuses == [200, 200, 429, 429]  # every spoofed address is the same socket peer

    two = start_server(LOGIN_MAX="2", LOGIN_WINDOW="1", TRUST_PROXY="2")
    register(two, "t@example.com")
    # With two trusted proxies the client is the second entry from the right.
    assert [login_from(two, f"10.2.0.{i}, 192.168.0.1", "t@example.com").status_code for i in range(3)] == [200, 200, 200]
    assert [login_from(two, "10.2.0.9, 192.168.0.7", "t@example.com").status_code for _ in range(3)] == [200, 200, 429]
    # Garbage falls back to the socket address rather than inventing a client.
    assert login_from(two, "not-an-ip, 192.168.0.1", "t@example.com").status_code == 200


def test_registration_flood(start_server):
    server = start_server(REGISTER_MAX="2", REGISTER_WINDOW="60")
    assert register(server, "r1@example.com").status_code == 200
    assert register(server, "r2@example.com").status_code == 200
    r = register(server, "r3@example.com")
    assert (r.status_code, r.json()) == (429, {"message": "Too many accounts created, please try again after 60 minutes"})


def test_parallel_violations_are_counted_exactly(start_server):
    server = start_server(LOGIN_MAX="5", LOGIN_WINDOW="1", BAN_VIOLATIONS="true", BAN_INTERVAL="20", BAN_DURATION="60000")
    register(server, "par@example.com")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda _: login(server, "par@example.com", "wrong password!").status_code, range(25)))
    assert statuses.count(404) == 5 and statuses.count(429) + statuses.count(403) == 20
    metrics = requests.get(server.url("/metrics")).text
    assert "portcullis_rate_limited_total 20" in metrics
    assert "portcullis_bans_issued_total 1" in metrics  # the 20th violation crossed the interval once
    assert login(server, "par@example.com").status_code == 403


def test_forward_auth_and_bans_end_sessions_and_survive_restart(start_server):
    server = start_server(BAN_VIOLATIONS="true")
    register(server, "fwd@example.com")
    session = requests.Session()
    token = login(server, "fwd@example.com", session=session).json()["token"]
    r = requests.get(server.url("/api/auth/verify"), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.headers["X-User-Email"] == "fwd@example.com" and r.headers["X-User-Role"] == "ADMIN"
    assert len(r.headers["X-User-Id"]) == 24
    assert requests.get(server.url("/api/auth/verify")).status_code == 401
    assert requests.get(server.url("/api/auth/verify"), headers={"Authorization": "Bearer nope"}).status_code == 401

    assert server.cli("ban-user", "fwd@example.com", "10").returncode == 0
    assert session.post(server.url("/api/auth/refresh")).status_code == 401  # the ban ended every session
    r = requests.get(server.url("/api/auth/verify"), headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (403, BAN)
    assert login(server, "fwd@example.com").status_code == 403
    listed = json.loads(server.cli("list-bans").stdout)
    assert [b["type"] for b in listed] == ["admin"]

    server = restart(server)  # kill -9: the ban is in the journal
    assert login(server, "fwd@example.com").status_code == 403
    assert json.loads(server.cli("list-bans").stdout)[0]["subject"].startswith("user:")
    assert server.cli("unban-user", "fwd@example.com").returncode == 0
    assert login(server, "fwd@example.com").status_code == 200
    server.stop()


def test_admin_bans_api(start_server):
    server = start_server(BAN_VIOLATIONS="true", LOGIN_MAX="1", LOGIN_WINDOW="1", BAN_INTERVAL="1", TRUST_PROXY="1")
    register(server, "boss@example.com")
    register(server, "user@example.com")
    boss = login_from(server, "10.9.0.1", "boss@example.com").json()["token"]
    user = login_from(server, "10.9.0.2", "user@example.com").json()["token"]
    assert login_from(server, "10.9.0.3", "user@example.com", "x wrong password").status_code == 404
    assert login_from(server, "10.9.0.3", "user@example.com", "x wrong password").status_code == 403  # banned at once
    assert requests.get(server.url("/api/admin/bans"), headers={"Authorization": f"Bearer {user}"}).status_code in (401, 403)
    bans = requests.get(server.url("/api/admin/bans"), headers={"Authorization": f"Bearer {boss}"}).json()
    subjects = {b["subject"] for b in bans}
    assert subjects == {"ip:10.9.0.3"}  # never the account an anonymous flood named
    r = requests.delete(server.url("/api/admin/bans?subject=ip:10.9.0.3"), headers={"Authorization": f"Bearer {boss}"})
    assert r.status_code == 200
    assert requests.delete(server.url("/api/admin/bans?subject=ip:10.9.0.3"), headers={"Authorization": f"Bearer {boss}"}).status_code == 404


def test_moderation_events_endpoint(start_server):
    server = start_server(MODERATION_API_KEY=KEY, BAN_VIOLATIONS="true", LIMIT_MESSAGE_USER="true", MESSAGE_USER_MAX="2",
                          LIMIT_CONCURRENT_MESSAGES="true", CONCURRENT_MESSAGE_MAX="2")
    register(server, "chat@example.com")
    uid = login(server, "chat@example.com").json()["user"]["id"]
    url = server.url("/api/moderation/events")
    auth = {"Authorization": f"Bearer {KEY}"}

    def event(body, headers=auth):
        return requests.post(url, json=body, headers=headers)

    assert event({"type": "message", "userId": uid, "ip": "10.3.0.1"}, headers={}).status_code == 401
    assert event({"type": "message", "userId": uid, "ip": "10.3.0.1"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert event({"type": "message", "userId": "xyz", "ip": "10.3.0.1"}).status_code == 400
    assert event({"type": "message", "userId": uid, "ip": "not an ip"}).status_code == 400
    assert event({"type": "message", "userId": "0" * 24, "ip": "10.3.0.1"}).status_code == 404
    assert requests.post(url, data="{", headers=auth).status_code == 400

    assert [event({"type": "message", "userId": uid, "ip": "10.3.0.1"}).json()["allowed"] for _ in range(2)] == [True, True]
    r = event({"type": "message", "userId": uid, "ip": "10.3.0.1"})
    assert r.status_code == 429 and r.json()["allowed"] is False and r.json()["retryAfter"] >= 1

    start = {"type": "concurrent_start", "userId": uid, "ip": "10.3.0.1"}
    assert [event(start).status_code for _ in range(3)] == [200, 200, 429]
    assert event({"type": "concurrent_end", "userId": uid, "ip": "10.3.0.1"}).status_code == 200
    assert event(start).status_code == 200

    assert event({"type": "custom_thing", "userId": uid, "ip": "10.3.0.1", "score": -1}).status_code == 400
    assert event({"type": "custom_thing", "userId": uid, "ip": "10.3.0.1", "score": 2}).json() == {"allowed": True}
    # non_browser scores 20 by default: with the earlier violations it crosses BAN_INTERVAL=20.
    r = event({"type": "non_browser", "userId": uid, "ip": "10.3.0.2", "userAgent": "curl/8"})
    assert r.status_code == 403 and r.json()["message"] == BAN["message"]
    assert event({"type": "message", "userId": uid, "ip": "10.3.0.9"}).status_code == 403
    assert login(server, "chat@example.com").status_code == 403
