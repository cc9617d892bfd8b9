"""The audit log through the real binary: what is recorded, who may read it, and that it survives."""
import json
import re
import time

import pyotp
import requests

from conftest import login, register
from test_durability import restart
from test_pages import PASSWORD, browser, csrf, sign_in


def audit(server, token, **params):
    return requests.get(server.url("/api/admin/audit"), headers={"Authorization": f"Bearer {token}"}, params=params)


def kinds(events):
    return [(e["kind"], e["outcome"]) for e in events]


def test_security_events_are_recorded_and_only_admins_read_them(start_server):
    server = start_server(LOGIN_MAX="100", SNAPSHOT_INTERVAL="1")
    register(server, "admin@example.com")  # the first account: ADMIN
    register(server, "user@example.com")
    admin = login(server, "admin@example.com").json()["token"]
    user = login(server, "user@example.com").json()["token"]
    headers = {"User-Agent": "audit-test/1.0"}
    assert requests.post(server.url("/api/auth/login"), json={"email": "user@example.com", "password": "wrong password!"},
                         headers=headers).status_code == 404
    assert requests.post(server.url("/api/auth/login"), json={"email": "nobody@example.com", "password": "wrong password!"},
                         headers=headers).status_code == 404
    # 2FA on and used; a password change from the account page; a session ended there.
    url = requests.post(server.url("/api/auth/2fa/enable"), headers={"Authorization": f"Bearer {user}"}, json={}).json()["otpauthUrl"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", url).group(1))
    assert requests.post(server.url("/api/auth/2fa/confirm"), headers={"Authorization": f"Bearer {user}"},
                         json={"token": totp.now()}).status_code == 200
    temp = login(server, "user@example.com").json()["tempToken"]
    assert requests.post(server.url("/api/auth/2fa/verify-temp"),
                         json={"tempToken": temp, "token": totp.at(time.time() + 30)}).status_code == 200
    laptop = browser()
    assert sign_in(server, laptop, "admin@example.com").status_code == 303
    page = laptop.get(server.url("/account")).text
    other = re.search(r'name="session" value="([0-9a-f]{24})"', page).group(1)
    assert laptop.post(server.url("/account/sessions/end"), data={"csrf": csrf(page), "session": other}).status_code == 200
    assert server.cli("ban-user", "user@example.com", "5").returncode == 0

    assert audit(server, user).status_code == 403
    assert requests.get(server.url("/api/admin/audit")).status_code == 401
    answer = audit(server, admin, limit="1000")
    assert answer.status_code == 200
    events = answer.json()["events"]
    recorded = kinds(events)
    for expected in [("user_created", "ok"), ("admin_sign_in", "ok"), ("sign_in", "ok"), ("sign_in", "failed"),
                     ("2fa_enabled", "ok"), ("2fa_used", "ok"), ("session_ended", "ok"), ("banned", "ok")]:
        assert expected in recorded, expected
    failed = [e for e in events if e["kind"] == "sign_in" and e["outcome"] == "failed"]
    assert {e["detail"] for e in failed} == {"bad_credentials"} and {e.get("email") for e in failed} == {
        "user@example.com", "nobody@example.com"}
    assert all(e["device"] == "audit-test/1.0" and e["ip"] == "127.0.0.1" for e in failed)
    assert "subject" not in [e for e in failed if e["email"] == "nobody@example.com"][0]
    ban = [e for e in events if e["kind"] == "banned"][0]
    assert ban["actor"] == "operator" and "5 minute(s)" in ban["detail"]
    # Nothing secret in any entry.
    text = json.dumps(events)
    assert PASSWORD not in text and "wrong password!" not in text and totp.secret not in text and temp not in text
    # Newest first, filters, JSON lines.
    assert [e["sequence"] for e in events] == sorted((e["sequence"] for e in events), reverse=True)
    mine = audit(server, admin, user="user@example.com").json()["events"]
    assert mine and all(e.get("subject") == mine[0]["subject"] or e["actor"] == mine[0]["subject"] for e in mine)
    assert {e["kind"] for e in audit(server, admin, kind="banned,2fa_enabled").json()["events"]} == {"banned", "2fa_enabled"}
    lines = audit(server, admin, format="jsonl", kind="sign_in")
    assert lines.headers["Content-Type"] == "application/x-ndjson"
    assert all(json.loads(line)["kind"] == "sign_in" for line in lines.text.splitlines())
    for bad, message in (({"kind": "nope"}, "Unknown kind"), ({"since": "yesterday"}, "since must be"),
                         ({"limit": "0"}, "limit must be"), ({"format": "xml"}, "format must be")):
        refused = audit(server, admin, **bad)
        assert refused.status_code == 400 and message in refused.json()["message"], bad
    assert audit(server, admin, user="ghost@example.com").status_code == 404
    # The command line reads the same log through the running server.
    cli = server.cli("audit", "--user", "user@example.com", "--kind", "banned", "--json")
    assert cli.returncode == 0 and json.loads(cli.stdout.splitlines()[0])["kind"] == "banned"
    table = server.cli("audit", "--limit", "5")
    assert table.returncode == 0 and len(table.stdout.splitlines()) == 5

    # kill -9: every entry that was recorded is still there (snapshot + journal), read offline too.
    before = audit(server, admin, limit="1000").json()["events"]
    time.sleep(1.2)
    assert requests.post(server.url("/api/auth/login"), json={"email": "admin@example.com", "password": "not it at all"}).status_code == 404
    server = restart(server)
    try:
        after = audit(server, login(server, "admin@example.com").json()["token"], limit="1000").json()["events"]
        kept = {e["sequence"] for e in after}
        assert {e["sequence"] for e in before} <= kept and len(kept) >= len(before) + 2  # the failed login, the new sign-in
        server.process.terminate()
        server.process.wait(timeout=20)
        offline = server.cli("audit", "--kind", "sign_in", "--json", "--limit", "1000")
        assert offline.returncode == 0 and len(offline.stdout.splitlines()) >= 5
    finally:
        if server.process.poll() is None:
            server.process.kill()


def test_retention_keeps_the_newest_entries_within_the_bound(start_server):
    server = start_server(AUDIT_MAX_ENTRIES="1000", LOGIN_MAX="100000", ARGON2_MEMORY_KIB="8", ARGON2_ITERATIONS="1")
    register(server, "keeper@example.com")
    admin = login(server, "keeper@example.com").json()["token"]
    session = requests.Session()
    for index in range(1100):
        session.post(server.url("/api/auth/login"), json={"email": f"stranger{index}@example.com", "password": "wrong password!"})
    events = audit(server, admin, limit="100000").json()["events"]
    assert 990 <= len(events) <= 1000  # the bound holds (a shard's ring is a share of it)
    emails = [e.get("email") for e in events if e["kind"] == "sign_in" and e["outcome"] == "failed"]
    assert "stranger1099@example.com" in emails and "stranger0@example.com" not in emails  # the oldest went first
