"""The admin dashboard and the admin API through the real binary: who may open them, every action,
bad input, and a real browser managing a user among 10,000."""
import json
import re
import subprocess
import time

import bcrypt
import pyotp
import requests

from conftest import BINARY, login, register
from test_pages import PASSWORD, arrived, browser, csp_reports, csp_violations, csrf, field_error, shot, shows, sign_in, two_step_sign_in

ADMIN_PAGES = ["/admin", "/admin/users", "/admin/bans", "/admin/audit", "/admin/live", "/admin/audit.jsonl"]


def api(server, token, method, path, **kwargs):
    return requests.request(method, server.url(path), headers={"Authorization": f"Bearer {token}"}, **kwargs)


def import_users(server, tmp_path, count, password="imported password"):
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    path = tmp_path / "users.jsonl"
    with open(path, "w") as out:
        for index in range(count):
            out.write(json.dumps({"_id": {"$oid": f"{0x70000000 + index:024x}"}, "name": f"Member {index}",
                                  "username": f"member{index}", "email": f"member{index}@example.org",
                                  "emailVerified": True, "password": hashed, "provider": "local", "role": "USER",
                                  "createdAt": {"$date": "2026-01-01T00:00:00.000Z"}}) + "\n")
    result = server.cli("import-users", str(path))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["imported"]


def test_only_admins_and_every_action_is_checked_audited_and_scriptable(start_server, tmp_path):
    server = start_server(LOGIN_MAX="200")
    register(server, "boss@example.com")
    register(server, "member@example.com")
    boss = login(server, "boss@example.com").json()["token"]
    member_login = requests.Session()
    member = member_login.post(server.url("/api/auth/login"), json={"email": "member@example.com", "password": PASSWORD}).json()
    member_id = member["user"]["id"]

    # A non-admin gets 403 on every admin route and page; no token 401.
    for method, path in [("GET", "/api/admin/users"), ("GET", f"/api/admin/users/{member_id}"),
                         ("POST", f"/api/admin/users/{member_id}/ban"), ("DELETE", f"/api/admin/users/{member_id}"),
                         ("GET", "/api/admin/system"), ("GET", "/api/admin/lockouts"), ("POST", "/api/admin/invites")]:
        assert api(server, member["token"], method, path, json={}).status_code == 403, path
        assert requests.request(method, server.url(path)).status_code == 401, path
    client = browser()
    assert sign_in(server, client, "member@example.com").status_code == 303
    for path in ADMIN_PAGES:
        answer = client.get(server.url(path), allow_redirects=False)
        assert answer.status_code == 403 and "Administrators only." in answer.text, path
    assert requests.get(server.url("/admin"), allow_redirects=False).headers["Location"] == "/login"

    # Search, one user, and the actions through the API.
    found = api(server, boss, "GET", "/api/admin/users", params={"q": "MEMBER@"}).json()
    assert found["total"] == 1 and found["users"][0]["id"] == member_id
    for bad, message in (({"sort": "size"}, "sort must be"), ({"offset": "-1"}, "offset"), ({"limit": "0"}, "limit")):
        assert api(server, boss, "GET", "/api/admin/users", params=bad).status_code == 400, bad
    assert api(server, boss, "GET", "/api/admin/users/nobody@example.com").status_code == 404
    for body in ({"minutes": "0", "reason": "x"}, {"minutes": "60"}, {"minutes": "60", "reason": "two\nlines"},
                 {"minutes": "lots", "reason": "x"}):
        refused = api(server, boss, "POST", f"/api/admin/users/{member_id}/ban", json=body)
        assert refused.status_code == 400, body
    assert api(server, boss, "POST", f"/api/admin/users/{member_id}/role", json={"role": "ROOT"}).status_code == 400
    assert member_login.post(server.url("/api/auth/refresh")).status_code == 200  # nothing changed so far
    for body in ({"minutes": 60.5, "reason": "x"}, {"minutes": True, "reason": "x"}):
        assert api(server, boss, "POST", f"/api/admin/users/{member_id}/ban", json=body).status_code == 400, body
    banned = api(server, boss, "POST", f"/api/admin/users/{member_id}/ban", json={"minutes": 60, "reason": "spam"})
    assert banned.status_code == 200, banned.text
    assert member_login.post(server.url("/api/auth/refresh")).status_code == 401
    assert login(server, "member@example.com").status_code == 403  # banned (even with BAN_VIOLATIONS off)
    detail = api(server, boss, "GET", f"/api/admin/users/{member_id}").json()
    assert detail["ban"]["reason"] == "60 minute(s): spam" and detail["sessions"] == []
    entry = [e for e in detail["audit"] if e["kind"] == "banned"][0]
    assert entry["actor"] == login(server, "boss@example.com").json()["user"]["id"]
    assert api(server, boss, "DELETE", f"/api/admin/users/{member_id}/ban").status_code == 200
    assert api(server, boss, "DELETE", f"/api/admin/users/{member_id}/ban").status_code == 404
    assert login(server, "member@example.com").status_code == 200
    assert api(server, boss, "POST", f"/api/admin/users/{member_id}/role", json={"role": "ADMIN"}).json()["message"].endswith("ADMIN.")
    assert api(server, boss, "POST", f"/api/admin/users/{member_id}/role", json={"role": "USER"}).status_code == 200
    boss_id = login(server, "boss@example.com").json()["user"]["id"]
    assert api(server, boss, "POST", f"/api/admin/users/{boss_id}/role", json={"role": "USER"}).status_code == 409
    assert api(server, boss, "DELETE", f"/api/admin/users/{boss_id}").status_code == 409
    assert api(server, boss, "DELETE", f"/api/admin/users/{member_id}/sessions").json()["message"].startswith("1 session")
    created = api(server, boss, "POST", "/api/admin/users", json={"email": "new@example.com", "name": "New Person",
                                                                  "password": "a fine long password"})
    assert created.status_code == 201 and login(server, "new@example.com", "a fine long password").status_code == 200
    assert api(server, boss, "POST", "/api/admin/users", json={"email": "new@example.com", "name": "Again"}).status_code == 409
    assert api(server, boss, "POST", "/api/admin/users", json={"email": "bad", "name": "x"}).status_code == 400
    assert api(server, boss, "POST", "/api/admin/invites", json={"email": "someone@example.com"}).status_code == 409  # no email
    assert api(server, boss, "DELETE", f"/api/admin/users/{member_id}").status_code == 200
    assert login(server, "member@example.com").status_code == 404
    system = api(server, boss, "GET", "/api/admin/system").json()
    assert system["users"] == 2 and system["dataDirectory"] and "version" in system
    kinds = {e["kind"] for e in api(server, boss, "GET", "/api/admin/audit", params={"limit": "500"}).json()["events"]}
    assert {"banned", "unbanned", "role_changed", "session_ended", "user_created", "user_deleted"} <= kinds

    # The pages: CSRF and the confirmation box are enforced; nothing happens without them.
    admin = browser()
    assert sign_in(server, admin, "boss@example.com").status_code == 303
    page = admin.get(server.url("/admin/users?q=new%40")).text
    new_id = re.search(r'href="/admin/users/([0-9a-f]{24})"', page).group(1)
    token = csrf(page)
    for data, status, text in (({"csrf": token, "minutes": "5", "reason": "x"}, 400, "Nothing was done"),
                               ({"csrf": "wrong", "minutes": "5", "reason": "x", "confirm": "yes"}, 403, "expired")):
        answer = admin.post(server.url(f"/admin/users/{new_id}/ban"), data=data)
        assert answer.status_code == status and text in answer.text, data
    assert login(server, "new@example.com", "a fine long password").status_code == 200
    answer = admin.post(server.url(f"/admin/users/{new_id}/ban"), data={"csrf": token, "minutes": "5", "reason": "", "confirm": "yes"})
    assert answer.status_code == 400 and "reason" in field_error(answer.text, "reason").lower()
    answer = admin.post(server.url(f"/admin/users/{new_id}/ban"), data={"csrf": token, "minutes": "5", "reason": "testing", "confirm": "yes"})
    assert answer.status_code == 200 and "is banned for 5 minute(s)" in answer.text and "testing" in answer.text
    assert "testing" in admin.get(server.url("/admin/bans")).text
    audit = admin.get(server.url("/admin/audit?kind=banned")).text
    assert "testing" in audit
    bad = admin.get(server.url("/admin/audit?since=yesterday"))
    assert bad.status_code == 400 and "ISO 8601" in field_error(bad.text, "since")
    export = admin.get(server.url("/admin/audit.jsonl?kind=banned"))
    assert export.headers["Content-Type"] == "application/x-ndjson" and json.loads(export.text.splitlines()[0])["kind"] == "banned"
    answer = admin.post(server.url("/admin/snapshot"), data={"csrf": token})
    assert answer.status_code == 200 and "Snapshot written" in answer.text


def test_require_2fa_keeps_an_admin_without_a_second_factor_out(start_server):
    server = start_server(REQUIRE_2FA="admins")
    register(server, "root@example.com")
    client = browser()
    assert sign_in(server, client, "root@example.com").status_code == 403  # enrol first: no session
    assert client.get(server.url("/admin"), allow_redirects=False).headers["Location"] == "/login"


def test_a_real_browser_manages_a_user_among_ten_thousand(start_server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    server = start_server(LIVE_SAMPLE_SECONDS="1", ALLOW_REGISTRATION="true", LOGIN_MAX="100000", REGISTER_MAX="100000")
    register(server, "chief@example.com")
    assert import_users(server, tmp_path, 10_000) == 10_000
    # The admin has 2FA on: the browser signs in with the second step.
    token = login(server, "chief@example.com").json()["token"]
    url = requests.post(server.url("/api/auth/2fa/enable"), headers={"Authorization": f"Bearer {token}"}, json={}).json()["otpauthUrl"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", url).group(1))
    assert requests.post(server.url("/api/auth/2fa/confirm"), headers={"Authorization": f"Bearer {token}"},
                         json={"token": totp.now()}).status_code == 200
    target = requests.Session()
    target_token = target.post(server.url("/api/auth/login"), json={"email": "member4242@example.org",
                                                                    "password": "imported password"})
    assert target_token.status_code == 200

    browser.get(server.url("/login"))
    two_step_sign_in(browser, "chief@example.com", totp)
    assert arrived(browser, "/account")
    browser.get(server.url("/admin/users"))
    assert "10001 user(s)" in browser.page_source
    browser.find_element(By.ID, "q").send_keys("member4242@")
    browser.find_element(By.CSS_SELECTOR, "form.search button").click()
    assert shows(browser, "1 user(s)")
    shot(browser, "admin-users")
    browser.find_element(By.LINK_TEXT, "member4242@example.org").click()
    assert shows(browser, "Audit trail")

    def act(name, **fields):
        form = browser.find_element(By.CSS_SELECTOR, f"form[action$='/{name}']")
        for field, value in fields.items():
            element = form.find_element(By.NAME, field)
            if element.tag_name == "select":
                element.find_element(By.CSS_SELECTOR, f"option[value='{value}']").click()
            else:
                element.clear()
                element.send_keys(value)
        form.find_element(By.NAME, "confirm").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    act("ban", minutes="30", reason="abusive messages")
    assert shows(browser, "is banned for 30 minute(s)")
    assert target.post(server.url("/api/auth/refresh")).status_code == 401  # their refresh fails now
    assert "abusive messages" in browser.page_source
    shot(browser, "admin-user")
    browser.get(server.url("/admin/audit?kind=banned"))
    assert "abusive messages" in browser.page_source
    browser.get(server.url("/admin/bans"))
    assert "member4242@example.org" in browser.page_source
    form = browser.find_element(By.CSS_SELECTOR, "form[action='/admin/bans/lift']")
    form.find_element(By.NAME, "confirm").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert shows(browser, "The ban is lifted.")
    # Back on the user: a session to end, a role to change, then delete.
    again = requests.Session()
    assert again.post(server.url("/api/auth/login"), json={"email": "member4242@example.org",
                                                           "password": "imported password"}).status_code == 200
    browser.get(server.url("/admin/users?q=member4242%40"))
    browser.find_element(By.LINK_TEXT, "member4242@example.org").click()
    act("end-session")
    assert shows(browser, "The session ended.")
    assert again.post(server.url("/api/auth/refresh")).status_code == 401
    act("role", role="ADMIN")
    assert shows(browser, "is now ADMIN")
    act("delete")
    assert shows(browser, "is deleted")
    assert requests.post(server.url("/api/auth/login"), json={"email": "member4242@example.org",
                                                              "password": "imported password"}).status_code == 404

    # The live view moves while a load test runs.
    browser.get(server.url("/admin"))
    before = browser.find_element(By.CSS_SELECTOR, "polyline[data-series='refreshes']").get_attribute("points")
    load = subprocess.run([BINARY, "loadtest", "--url", server.base, "--quiet", "--json", "--users", "4",
                           "--accounts", "4", "--seed", "4", "--duration", "4"], capture_output=True, text=True, timeout=120)
    assert load.returncode == 0, load.stderr
    time.sleep(4)
    after = browser.find_element(By.CSS_SELECTOR, "polyline[data-series='refreshes']").get_attribute("points")
    assert after != before and any(float(p.split(",")[1]) < 39 for p in after.split())
    shot(browser, "admin")
    assert csp_violations(browser) == [] and csp_reports(server, 204) == 0


def test_an_admin_session_from_before_require_2fa_does_not_open_the_dashboard(start_server):
    from test_durability import restart
    server = start_server()
    register(server, "early@example.com")
    client = browser()
    assert sign_in(server, client, "early@example.com").status_code == 303
    assert client.get(server.url("/admin")).status_code == 200
    server.env["REQUIRE_2FA"] = "admins"
    server = restart(server, kill=False)
    try:
        answer = client.get(server.url("/admin"), allow_redirects=False)
        assert answer.status_code == 403 and "needs two-factor authentication or a passkey" in answer.text
    finally:
        server.process.kill()
        server.process.wait()


def test_lockouts_list_locked_accounts_and_addresses_over_the_login_limit(start_server):
    server = start_server(LOGIN_MAX="4", ACCOUNT_LOCKOUT_MAX="2")
    register(server, "head@example.com")
    register(server, "victim@example.com")
    head = login(server, "head@example.com").json()["token"]
    assert api(server, head, "GET", "/api/admin/lockouts").json()["lockouts"] == []
    for _ in range(4):
        requests.post(server.url("/api/auth/login"), json={"email": "victim@example.com", "password": "not the password"})
    kinds = {entry["kind"]: entry for entry in api(server, head, "GET", "/api/admin/lockouts").json()["lockouts"]}
    assert kinds["account"]["failures"] == 2 and kinds["account"]["retryAfterSeconds"] > 0
    assert kinds["ip (login limiter)"]["key"] == "127.0.0.1" and kinds["ip (login limiter)"]["failures"] == 4
    detail = api(server, head, "GET", "/api/admin/users/victim@example.com").json()
    assert detail["lockout"]["failures"] == 2 and detail["lockout"]["retryAfterSeconds"] > 0
    assert "lockout" not in api(server, head, "GET", "/api/admin/users/head@example.com").json()
