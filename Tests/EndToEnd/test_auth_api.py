"""The LibreChat API, black-box: the real binary driven by Python requests (see conftest.py)."""
import concurrent.futures
import json
import statistics
import time

import bcrypt
import jwt
import requests

from conftest import JWT_REFRESH_SECRET, JWT_SECRET, login, register

GENERIC = {"message": "Please check your email to verify your email address."}


def test_register_then_login_sets_librechat_cookies(server):
    r = register(server, "Ana@Example.com")
    assert (r.status_code, r.json()) == (200, GENERIC)
    r = login(server, "ana@example.com")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"token", "user"}
    user = body["user"]
    assert user["email"] == "ana@example.com" and user["role"] == "ADMIN" and user["provider"] == "local"
    assert user["id"] == user["_id"] and len(user["id"]) == 24
    assert "password" not in user and "passwordHash" not in user
    cookies = r.headers.get("Set-Cookie")
    raw = r.raw.headers.getlist("Set-Cookie")
    assert len(raw) == 3, cookies
    refresh = next(c for c in raw if c.startswith("refreshToken="))
    provider = next(c for c in raw if c.startswith("token_provider="))
    device = next(c for c in raw if c.startswith("portcullis_device="))  # ours: account protection by device
    for cookie in (refresh, provider, device):
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # development defaults, as LibreChat
    assert "Max-Age=31536000" in device and device.split("=", 1)[1].startswith(user["id"] + ".")
    assert provider.startswith("token_provider=librechat;")
    expires = time.strptime(refresh.split("Expires=")[1].split(";")[0], "%a, %d %b %Y %H:%M:%S GMT")
    assert abs(time.mktime(expires) - time.timezone - (time.time() + 7 * 86400)) < 120


def test_secure_cookie_rule(start_server):
    server = start_server(SESSION_COOKIE_SECURE="true")
    register(server, "s@example.com")
    raw = login(server, "s@example.com").raw.headers.getlist("Set-Cookie")
    assert all("Secure" in c for c in raw)
    production = start_server(NODE_ENV="production", DOMAIN_SERVER="https://chat.example.com")
    register(production, "p@example.com")
    assert all("Secure" in c for c in login(production, "p@example.com").raw.headers.getlist("Set-Cookie"))


def test_access_token_claims_verify_in_pyjwt(start_server):
    server = start_server(SESSION_EXPIRY="1000 * 60 * 5")
    register(server, "claims@example.com", username="claimer")
    token = login(server, "claims@example.com").json()["token"]
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert set(claims) == {"id", "username", "provider", "email", "iat", "exp"}
    assert claims["exp"] - claims["iat"] == 300
    assert claims["email"] == "claims@example.com" and claims["username"] == "claimer" and claims["provider"] == "local"
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


def test_librechat_issued_token_is_accepted_and_forgeries_are_not(server):
    register(server, "lc@example.com")
    user = login(server, "lc@example.com").json()["user"]
    now = int(time.time())
    claims = {"id": user["id"], "username": "", "provider": "local", "email": "lc@example.com", "iat": now, "exp": now + 900}
    good = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    r = requests.get(server.url("/api/user"), headers={"Authorization": f"Bearer {good}"})
    assert r.status_code == 200 and r.json()["email"] == "lc@example.com"
    assert set(r.json()) == {"_id", "id", "name", "username", "email", "emailVerified", "avatar", "provider", "role", "plugins",
                             "twoFactorEnabled", "termsAccepted", "termsAcceptedAt", "personalization", "favorites", "createdAt",
                             "updatedAt"}
    forged = [
        jwt.encode(claims, JWT_SECRET + "x", algorithm="HS256"),
        jwt.encode(claims, JWT_SECRET.encode() * 2, algorithm="HS512"),
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode({**claims, "iat": now - 2000, "exp": now - 1000}, JWT_SECRET, algorithm="HS256"),
        jwt.encode({**claims, "id": "0" * 24}, JWT_SECRET, algorithm="HS256"),
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "garbage",
    ]
    for token in forged:
        r = requests.get(server.url("/api/user"), headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
    assert requests.get(server.url("/api/user")).status_code == 401


def test_registration_validation_and_gates(start_server):
    server = start_server(ALLOWED_EMAIL_DOMAINS="example.com, corp.test")
    cases = [
        ({"name": "Al"}, "name: String must contain at least 3 character(s)"),
        ({"email": "not-an-email"}, "email: Invalid email"),
        ({"password": "short", "confirm_password": "short"},
         "password: String must contain at least 8 character(s) confirm_password: String must contain at least 8 character(s)"),
        ({"password": "          ", "confirm_password": "          "},
         "password: Password cannot be only spaces confirm_password: Password cannot be only spaces"),
        ({"confirm_password": "something else"}, "confirm_password: The passwords did not match"),
        ({"username": "bad/name"}, "username: Potential injection attack detected"),
    ]
    for override, message in cases:
        body = {"name": "Valid Name", "email": "v@example.com", "password": "correct horse battery",
                "confirm_password": "correct horse battery", **override}
        r = requests.post(server.url("/api/auth/register"), json=body)
        assert (r.status_code, r.json()) == (404, {"message": message}), override
    r = register(server, "x@elsewhere.org")
    assert r.status_code == 403 and r.json()["message"].startswith("The email address provided cannot be used")
    assert register(server, "ok@corp.test").status_code == 200
    r = requests.post(server.url("/api/auth/register"), data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    closed = start_server(ALLOW_REGISTRATION="false")
    r = register(closed, "a@example.com")
    assert (r.status_code, r.json()) == (403, {"message": "Registration is not allowed."})


def test_duplicate_registration_is_indistinguishable(server):
    assert register(server, "dup@example.com").json() == GENERIC
    timings = {"new": [], "dup": []}
    for i in range(8):
        for kind in ("new", "dup"):
            email = f"fresh{i}@example.com" if kind == "new" else "dup@example.com"
            started = time.perf_counter()
            r = register(server, email)
            timings[kind].append(time.perf_counter() - started)
            assert (r.status_code, r.json()) == (200, GENERIC)
    ratio = statistics.median(timings["dup"]) / statistics.median(timings["new"])
    assert 0.5 < ratio < 2.0, timings
    users = json.loads(server.cli("list-users", "--json").stdout)
    assert sum(1 for u in users if u["email"] == "dup@example.com") == 1


def test_login_failures_do_not_enumerate(server):
    register(server, "known@example.com")
    unknown = login(server, "nobody@example.com")
    wrong = login(server, "known@example.com", "wrong password!!")
    assert (unknown.status_code, unknown.text) == (wrong.status_code, wrong.text)
    assert unknown.status_code == 404
    samples = {"unknown": [], "wrong": []}
    for _ in range(15):
        for kind, email, password in (("unknown", "nobody@example.com", "whatever pass"), ("wrong", "known@example.com", "whatever pass")):
            started = time.perf_counter()
            login(server, email, password)
            samples[kind].append(time.perf_counter() - started)
    ratio = statistics.median(samples["unknown"]) / statistics.median(samples["wrong"])
    assert 0.6 < ratio < 1.6, samples
    r = requests.post(server.url("/api/auth/login"), json={"email": "known@example.com"})
    assert (r.status_code, r.json()) == (404, {"message": "Missing credentials"})
    r = requests.post(server.url("/api/auth/login"), json={"email": "known@example.com", "password": "short"})
    assert r.status_code == 404 and r.json()["message"] == "password: String must contain at least 8 character(s)"


def test_email_login_switch(start_server):
    server = start_server(ALLOW_EMAIL_LOGIN="false")
    register(server, "e@example.com")
    r = login(server, "e@example.com")
    assert (r.status_code, r.json()) == (403, {"message": "Email login is not allowed."})


def test_refresh_rotation_grace_and_reuse_detection(start_server):
    server = start_server(REFRESH_REUSE_GRACE="1000")
    register(server, "r@example.com")
    session = requests.Session()
    login(server, "r@example.com", session=session)
    first = session.cookies["refreshToken"]
    claims = jwt.decode(first, JWT_REFRESH_SECRET, algorithms=["HS256"])
    assert claims["id"] and claims["sessionId"] and "exp" in claims

    r = session.post(server.url("/api/auth/refresh"))
    assert r.status_code == 200 and set(r.json()) == {"token", "user"}
    second = session.cookies["refreshToken"]
    assert second != first
    # The refresh cookie keeps the login's absolute expiry.
    assert jwt.decode(second, JWT_REFRESH_SECRET, algorithms=["HS256"])["exp"] == claims["exp"]

    # Another tab still holding the first token, within the grace window: gets the current token.
    r = requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": first})
    assert r.status_code == 200
    assert r.cookies["refreshToken"] == second

    time.sleep(1.3)
    # After the grace window the old token is a replay: the session is revoked.
    r = requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": first})
    assert (r.status_code, r.text) == (401, "Refresh token expired or not found for this user")
    r = session.post(server.url("/api/auth/refresh"))
    assert r.status_code == 401
    r = requests.post(server.url("/api/auth/refresh?retry=true"), cookies={"refreshToken": second})
    assert (r.status_code, r.text) == (403, "No session found")


def test_refresh_edge_answers(server):
    r = requests.post(server.url("/api/auth/refresh"))
    assert (r.status_code, r.text) == (200, "Refresh token not provided")
    r = requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": "garbage"})
    assert (r.status_code, r.text) == (403, "Invalid refresh token")
    forged = jwt.encode({"id": "0" * 24, "sessionId": "1" * 24, "gen": 0, "exp": int(time.time()) + 60}, "other", algorithm="HS256")
    r = requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": forged})
    assert r.status_code == 403
    expired = jwt.encode({"id": "0" * 24, "sessionId": "1" * 24, "gen": 0, "exp": int(time.time()) - 60}, JWT_REFRESH_SECRET, algorithm="HS256")
    r = requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": expired})
    assert (r.status_code, r.text) == (403, "Invalid refresh token")
    ghost = jwt.encode({"id": "0" * 24, "sessionId": "1" * 24, "gen": 0, "exp": int(time.time()) + 60}, JWT_REFRESH_SECRET, algorithm="HS256")
    r = requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": ghost}, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "/login"


def test_parallel_refreshes_of_one_session_all_succeed(server):
    register(server, "tabs@example.com")
    session = requests.Session()
    login(server, "tabs@example.com", session=session)
    token = session.cookies["refreshToken"]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": token}), range(8)))
    assert all(r.status_code == 200 for r in results), [r.text for r in results]
    current = {r.cookies["refreshToken"] for r in results}
    assert len(current) == 1  # every tab ends up with the same current token
    assert requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": current.pop()}).status_code == 200


def test_logout_ends_the_session_and_clears_cookies(server):
    register(server, "out@example.com")
    session = requests.Session()
    token = login(server, "out@example.com", session=session).json()["token"]
    refresh = session.cookies["refreshToken"]
    assert session.post(server.url("/api/auth/logout")).status_code == 401
    r = session.post(server.url("/api/auth/logout"), headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (200, {"message": "Logout successful"})
    cleared = r.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("refreshToken=;") and "Expires=Thu, 01 Jan 1970" in c for c in cleared)
    assert any(c.startswith("token_provider=;") for c in cleared)
    assert requests.post(server.url("/api/auth/refresh"), cookies={"refreshToken": refresh}).status_code == 401


def test_account_deletion(start_server):
    server = start_server()
    register(server, "admin@example.com")
    register(server, "user@example.com")
    token = login(server, "user@example.com").json()["token"]
    r = requests.delete(server.url("/api/user/delete"), headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()) == (200, {"message": "User deleted"})
    assert requests.get(server.url("/api/user"), headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(server, "user@example.com").status_code == 404

    locked = start_server(ALLOW_ACCOUNT_DELETION="false")
    register(locked, "first@example.com")
    register(locked, "second@example.com")
    user_token = login(locked, "second@example.com").json()["token"]
    r = requests.delete(locked.url("/api/user/delete"), headers={"Authorization": f"Bearer {user_token}"})
    assert r.status_code == 403
    admin_token = login(locked, "first@example.com").json()["token"]
    assert requests.delete(locked.url("/api/user/delete"), headers={"Authorization": f"Bearer {admin_token}"}).status_code == 200


def test_first_user_is_admin_exactly_once_under_a_race(server):
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: register(server, f"racer{i}@example.com"), range(24)))
    assert all(r.status_code == 200 for r in results)
    users = json.loads(server.cli("list-users", "--json").stdout)
    assert len(users) == 24
    assert sum(1 for u in users if u["role"] == "ADMIN") == 1


def test_parallel_registrations_of_one_email_create_one_user(server):
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: register(server, "same@example.com", name=f"Racer {i}"), range(16)))
    assert {(r.status_code, r.text) for r in results} == {(200, json.dumps(GENERIC, separators=(",", ":")))}
    users = json.loads(server.cli("list-users", "--json").stdout)
    assert [u["email"] for u in users] == ["same@example.com"]


def test_config_health_and_metrics(start_server):
    server = start_server(APP_TITLE="Portcullis Test", MIN_PASSWORD_LENGTH="10", ALLOW_PASSWORD_RESET="true")
    assert requests.get(server.url("/health")).text == "OK"
    config = requests.get(server.url("/api/config")).json()
    assert config["appTitle"] == "Portcullis Test" and config["minPasswordLength"] == 10
    assert config["registrationEnabled"] is True and config["emailLoginEnabled"] is True
    assert config["passwordResetEnabled"] is True and config["socialLoginEnabled"] is False
    assert config["socialLogins"] == []
    register(server, "m@example.com", password="long enough password")
    login(server, "m@example.com", "long enough password")
    login(server, "m@example.com", "wrong but long password")
    metrics = requests.get(server.url("/metrics")).text
    assert 'portcullis_logins_total{result="success"} 1' in metrics
    assert 'portcullis_logins_total{result="failure"} 1' in metrics
    assert 'portcullis_http_requests_total{route="POST /api/auth/login",status="404"} 1' in metrics
    assert "portcullis_users 1" in metrics


def test_no_secret_reaches_the_logs(server):
    register(server, "logs@example.com", password="a very secret password")
    session = requests.Session()
    r = login(server, "logs@example.com", "a very secret password", session=session)
    token = r.json()["token"]
    session.post(server.url("/api/auth/refresh"))
    session.post(server.url("/api/auth/logout"), headers={"Authorization": f"Bearer {token}"})
    logs = server.logs()
    assert "route=POST /api/auth/login" in logs
    for secret in ("a very secret password", token, token.split(".")[2], r.cookies["refreshToken"].split(".")[2], JWT_SECRET):
        assert secret not in logs


def test_bad_configuration_stops_startup_with_the_variable_named(tmp_path):
    import subprocess
    from conftest import BINARY
    for variable, value in (("ALLOW_REGISTRATION", "yes"), ("SESSION_EXPIRY", "15 minutes"), ("PORT", "70000"),
                            ("PASSWORD_HASH_ALGORITHM", "md5"), ("DOMAIN_CLIENT", "not a url")):
        result = subprocess.run([BINARY, "serve"], env={"PORTCULLIS_DATA_DIR": str(tmp_path), variable: value},
                                cwd=tmp_path, capture_output=True, text=True, timeout=20)
        assert result.returncode == 1, (variable, result.stderr)
        assert variable in result.stderr


def test_dotenv_file_is_read_and_environment_overrides_it(tmp_path):
    import subprocess
    from conftest import BINARY, free_port, seed_provider_keys
    port = free_port()
    (tmp_path / "data").mkdir()
    seed_provider_keys(str(tmp_path / "data"))  # the debug build would take seconds to make its RSA key
    (tmp_path / ".env").write_text(f'# comment\nexport PORT={port}\nAPP_TITLE="From Dotenv" # note\nALLOW_REGISTRATION=false\n')
    process = subprocess.Popen([BINARY, "serve"], cwd=tmp_path, env={"PORTCULLIS_DATA_DIR": str(tmp_path / "data"), "ALLOW_REGISTRATION": "true"},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                config = requests.get(f"http://127.0.0.1:{port}/api/config", timeout=0.5).json()
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert config["appTitle"] == "From Dotenv"
        assert config["registrationEnabled"] is True
        assert (tmp_path / "data" / "secrets.env").stat().st_mode & 0o777 == 0o600
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_cached_access_token_still_expires_and_dies_with_its_user(start_server):
    server = start_server(SESSION_EXPIRY="2000")
    register(server, "short@example.com")
    token = login(server, "short@example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(server.url("/api/user"), headers=headers).status_code == 200  # verified and remembered
    assert requests.get(server.url("/api/user"), headers=headers).status_code == 200
    time.sleep(2.2)
    assert requests.get(server.url("/api/user"), headers=headers).status_code == 401
    token = login(server, "short@example.com").json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(server.url("/api/user"), headers=headers).status_code == 200
    assert requests.delete(server.url("/api/user/delete"), headers=headers).status_code == 200
    assert requests.get(server.url("/api/user"), headers=headers).status_code == 401


def test_terms_routes_accept_journal_and_reset(start_server):
    from test_durability import restart
    server = start_server()
    register(server, "terms@example.com")
    token = login(server, "terms@example.com").json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(server.url("/api/user/terms")).status_code == 401
    assert requests.post(server.url("/api/user/terms/accept")).status_code == 401
    assert requests.get(server.url("/api/user/terms"), headers=auth).json() == {"termsAccepted": False, "termsAcceptedAt": None}
    before = time.time()
    r = requests.post(server.url("/api/user/terms/accept"), headers=auth)
    assert r.status_code == 200 and r.json()["message"] == "Terms accepted successfully"
    accepted_at = r.json()["termsAcceptedAt"]
    stamp = time.mktime(time.strptime(accepted_at[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
    assert accepted_at.endswith("Z") and before - 2 <= stamp <= time.time() + 1
    server = restart(server)  # acknowledged, so durable
    try:
        assert requests.get(server.url("/api/user/terms"), headers=auth).json() == {"termsAccepted": True, "termsAcceptedAt": accepted_at}
        user = requests.get(server.url("/api/user"), headers=auth).json()
        assert user["termsAccepted"] is True and user["termsAcceptedAt"] == accepted_at
        assert "terms@example.com" in server.cli("list-users").stdout
        assert server.cli("reset-terms", stdin="n\n").stdout.strip().endswith("cancelled")
        assert requests.get(server.url("/api/user/terms"), headers=auth).json()["termsAccepted"] is True
        done = server.cli("reset-terms", "--yes")
        assert done.returncode == 0 and "1 user(s)" in done.stdout
        assert requests.get(server.url("/api/user/terms"), headers=auth).json() == {"termsAccepted": False, "termsAcceptedAt": None}
    finally:
        server.process.kill()
        server.process.wait()


def test_every_answer_is_logged_and_counted_even_404_405_and_parser_refusals(server):
    import socket
    assert requests.get(server.url("/no/such/path?token=secret-in-query")).status_code == 404
    assert requests.put(server.url("/api/auth/login")).status_code == 405
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    metrics = requests.get(server.url("/metrics")).text
    assert 'portcullis_http_requests_total{route="unmatched",status="404"} 1' in metrics
    assert 'portcullis_http_requests_total{route="unmatched",status="405"} 1' in metrics
    assert 'portcullis_http_requests_total{route="refused",status="400"} 1' in metrics
    logs = server.logs()
    assert "route=unmatched" in logs and "status=405" in logs and "route=refused" in logs
    assert "secret-in-query" not in logs and "/no/such/path" not in logs


def test_the_example_env_file_starts_a_server_with_its_safe_defaults(tmp_path):
    import os
    import shutil
    import subprocess

    from conftest import BINARY, ROOT, free_port, seed_provider_keys
    port = free_port()
    shutil.copy(os.path.join(ROOT, ".env.example"), tmp_path / ".env")
    (tmp_path / "data").mkdir()
    seed_provider_keys(str(tmp_path / "data"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLOW_", "JWT_", "SESSION_", "REFRESH_"))}
    env.update(PORT=str(port), PORTCULLIS_DATA_DIR=str(tmp_path / "data"))
    process = subprocess.Popen([BINARY, "serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        config = None
        while time.time() < deadline and config is None:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                config = requests.get(f"http://127.0.0.1:{port}/api/config", timeout=0.5).json()
            except requests.RequestException:
                time.sleep(0.1)
        assert config["registrationEnabled"] is False and config["socialLogins"] == [] and config["appTitle"] == "LibreChat"
    finally:
        process.terminate()
        process.wait(timeout=10)
