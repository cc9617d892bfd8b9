"""OpenID Connect login through our /oauth routes against a real provider on 127.0.0.1 (Authlib,
peers/oidc_provider.py), driven by a cookie-keeping client (requests.Session) that follows each
redirect by hand so every hop can be checked."""
import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse

import jwt as pyjwt
import pytest
import requests

from conftest import JWT_SECRET, free_port, register
from test_durability import restart

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID, CLIENT_SECRET = "portcullis", "provider-side-secret-81f2"
CLIENT_URL = "https://chat.example.test"
USERS = {
    "alice": {"sub": "alice-001", "email": "alice@example.test", "email_verified": True, "name": "Alice Example",
              "preferred_username": "alice", "roles": ["chat-user", "admin"]},
    "bob": {"sub": "bob-002", "email": "bob@example.test", "email_verified": False, "name": "Bob Example",
            "preferred_username": "bob", "roles": ["guest"]},
    "carol": {"sub": "carol-003", "email": "carol@example.test", "email_verified": True, "name": "Carol",
              "preferred_username": "carol", "roles": "chat-user, auditor"},
}
AUTH_FAILED = CLIENT_URL + "/login?redirect=false&error=auth_failed"


class Provider:
    def __init__(self, redirect_uri):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, OIDC_PORT=str(self.port), OIDC_USERS_JSON=json.dumps(USERS), OIDC_CLIENTS_JSON=json.dumps([
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect_uri]}]))
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "peers", "oidc_provider.py")], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/.well-known/openid-configuration", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("OpenID provider did not start")

    def hook(self, path, **body):
        return requests.post(self.base + "/_test/" + path, json=body, timeout=5)

    def stats(self):
        return requests.get(self.base + "/_test/stats", timeout=5).json()

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def openid(start_server):
    """Starts a provider and a server configured for it; returns (server, provider)."""
    providers = []

    def start(callback="/oauth/openid/callback", **env):
        port = free_port()
        provider = Provider(f"http://127.0.0.1:{port}{callback}")
        providers.append(provider)
        settings = {"PORT": str(port), "DOMAIN_SERVER": f"http://127.0.0.1:{port}", "DOMAIN_CLIENT": CLIENT_URL,
                    "ALLOW_SOCIAL_LOGIN": "true", "ALLOW_SOCIAL_REGISTRATION": "true", "OPENID_ISSUER": provider.base,
                    "OPENID_CLIENT_ID": CLIENT_ID, "OPENID_CLIENT_SECRET": CLIENT_SECRET,
                    "OPENID_CALLBACK_URL": "/oauth/openid/callback", "OPENID_SCOPE": "openid profile email"}
        named = {"{provider}": provider.base, "{server}": f"http://127.0.0.1:{port}"}
        settings.update({key: named.get(value, value) for key, value in env.items()})
        server = start_server(**settings)
        assert server.port == port
        return server, provider

    yield start
    for provider in providers:
        provider.stop()


def begin(server, client, provider_name="openid"):
    # (Google is an OpenID provider too: see test_google_is_openid_with_its_own_mapping.)
    """GET /oauth/<p>: returns the provider URL we were sent to."""
    r = client.get(server.url(f"/oauth/{provider_name}"), allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def authorize(client, url):
    """The provider signs the user in and sends the browser back: returns our callback URL."""
    r = client.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def finish(client, callback):
    r = client.get(callback, allow_redirects=False, timeout=20)
    assert r.status_code == 302, (r.status_code, r.text)
    return r


def login_flow(server, provider, user="alice", client=None):
    client = client or requests.Session()
    provider.hook("login-as", user=user)
    return client, finish(client, authorize(client, begin(server, client)))


def access_token(server, client):
    r = client.post(server.url("/api/auth/refresh"), timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"], r.json()["user"]


def test_code_flow_signs_in_and_sets_the_password_login_cookies(openid):
    server, provider = openid()
    config = requests.get(server.url("/api/config"), timeout=5).json()
    assert config["openidLoginEnabled"] is True and config["socialLoginEnabled"] is True
    assert config["googleLoginEnabled"] is False and config["openidLabel"] == "Continue with OpenID"
    assert config["socialLogins"] == ["openid"]

    client = requests.Session()
    provider.hook("login-as", user="alice")
    start = client.get(server.url("/oauth/openid"), allow_redirects=False, timeout=10)
    assert start.status_code == 302
    target = urllib.parse.urlsplit(start.headers["Location"])
    query = dict(urllib.parse.parse_qsl(target.query))
    assert f"{target.scheme}://{target.netloc}{target.path}" == provider.base + "/authorize"
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == server.url("/oauth/openid/callback")
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["scope"] == "openid profile email"
    flow_cookie = start.headers["Set-Cookie"]
    assert "portcullis_oauth_flow=" in flow_cookie and "HttpOnly" in flow_cookie
    assert "Path=/oauth" in flow_cookie and "SameSite=Lax" in flow_cookie and "Max-Age=600" in flow_cookie

    done = finish(client, authorize(client, start.headers["Location"]))
    assert done.headers["Location"] == CLIENT_URL
    cookies = done.headers["Set-Cookie"]
    assert "refreshToken=" in cookies and "token_provider=librechat" in cookies
    token, user = access_token(server, client)
    claims = pyjwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert claims["provider"] == "openid" and claims["email"] == "alice@example.test"
    me = requests.get(server.url("/api/user"), headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    assert me["provider"] == "openid" and me["username"] == "alice" and me["name"] == "alice"  # LibreChat: no given/family name → username
    assert me["emailVerified"] is True and me["role"] == "USER"

    # A second login finds the same account by its OpenID subject.
    client2, _ = login_flow(server, provider)
    _, again = access_token(server, client2)
    assert again["_id"] == user["_id"] if "_id" in user else again["id"] == user["id"]


def test_tokens_the_provider_should_not_have_sent_are_refused(openid):
    server, provider = openid()
    expected = {"wrong_nonce": "nonceMismatch", "wrong_aud": "wrongAudience", "wrong_iss": "wrongIssuer",
                "expired": "jwt expired", "unknown_key": "unknownKey", "alg_none": "jwt malformed: empty segment",
                # No HS256 key is ever in a key set: refused before any signature is computed.
                "hs256": "unknownKey"}
    for mode, reason in expected.items():
        provider.hook("next-id-token", mode=mode)
        client, done = login_flow(server, provider)
        assert done.headers["Location"] == AUTH_FAILED, mode
        assert "refreshToken=" not in done.headers.get("Set-Cookie", ""), mode
        assert client.post(server.url("/api/auth/refresh"), timeout=5).text == "Refresh token not provided", mode
        last = [line for line in server.logs().splitlines() if "social login failed" in line][-1]
        assert reason in last, (mode, last[-120:])
    # ES256 id_tokens (P-256 key in the provider's JWKS) are accepted.
    provider.hook("next-id-token", mode="es256")
    _, done = login_flow(server, provider)
    assert done.headers["Location"] == CLIENT_URL


def test_key_rotation_refetches_the_key_set_once(openid):
    server, provider = openid(OPENID_JWKS_REFETCH_INTERVAL="0")
    _, done = login_flow(server, provider)
    assert done.headers["Location"] == CLIENT_URL
    fetches = provider.stats()["jwks_fetches"]
    provider.hook("rotate-keys")
    provider.hook("drop-old-keys")
    _, done = login_flow(server, provider)
    assert done.headers["Location"] == CLIENT_URL
    assert provider.stats()["jwks_fetches"] == fetches + 1
    _, done = login_flow(server, provider)  # the new key is cached now
    assert done.headers["Location"] == CLIENT_URL
    assert provider.stats()["jwks_fetches"] == fetches + 1


def test_unknown_keys_cannot_make_us_hammer_the_provider(openid):
    server, provider = openid(OPENID_JWKS_REFETCH_INTERVAL="3600")
    login_flow(server, provider)
    fetches = provider.stats()["jwks_fetches"]
    for _ in range(3):
        provider.hook("next-id-token", mode="unknown_key")
        assert login_flow(server, provider)[1].headers["Location"] == AUTH_FAILED
    assert provider.stats()["jwks_fetches"] == fetches


def test_replayed_state_tampered_cookie_and_provider_errors_fail(openid):
    server, provider = openid()
    client = requests.Session()
    provider.hook("login-as", user="alice")
    callback = authorize(client, begin(server, client))
    cookie = client.cookies.get("portcullis_oauth_flow")
    assert finish(client, callback).headers["Location"] == CLIENT_URL
    # The same callback again, with the cookie it came with: the state is spent.
    replay = requests.get(callback, cookies={"portcullis_oauth_flow": cookie}, allow_redirects=False, timeout=10)
    assert replay.headers["Location"] == AUTH_FAILED and "refreshToken=" not in replay.headers.get("Set-Cookie", "")

    client = requests.Session()
    callback = authorize(client, begin(server, client))
    good = client.cookies.get("portcullis_oauth_flow")
    payload, tag = good.split(".")
    for forged in [payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + tag,
                   payload + "." + tag[:-1] + ("A" if tag[-1] != "A" else "B"), "", "x" * 2000]:
        r = requests.get(callback, cookies={"portcullis_oauth_flow": forged}, allow_redirects=False, timeout=10)
        assert r.headers["Location"] == AUTH_FAILED
    # No cookie at all (another browser), or the state swapped.
    assert requests.get(callback, allow_redirects=False, timeout=10).headers["Location"] == AUTH_FAILED
    swapped = callback.replace("state=", "state=x")
    assert requests.get(swapped, cookies={"portcullis_oauth_flow": good}, allow_redirects=False,
                        timeout=10).headers["Location"] == AUTH_FAILED
    # The untouched cookie still works: none of the above spent it.
    assert requests.get(callback, cookies={"portcullis_oauth_flow": good}, allow_redirects=False,
                        timeout=10).headers["Location"] == CLIENT_URL
    # The provider reports an error (the user declined).
    client = requests.Session()
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(begin(server, client)).query))["state"]
    r = client.get(server.url(f"/oauth/openid/callback?error=access_denied&state={state}"), allow_redirects=False, timeout=10)
    assert r.headers["Location"] == AUTH_FAILED
    assert requests.get(server.url("/oauth/error"), allow_redirects=False, timeout=5).headers["Location"] == AUTH_FAILED


def test_pkce_verifier_mismatch_is_refused_by_the_provider(openid):
    """A code obtained for one flow, presented with another flow's cookie and state (code injection):
    our verifier does not match the challenge the code was issued for."""
    server, provider = openid()
    victim, attacker = requests.Session(), requests.Session()
    provider.hook("login-as", user="alice")
    stolen = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize(attacker, begin(server, attacker))).query))["code"]
    own_state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(begin(server, victim)).query))["state"]
    r = victim.get(server.url("/oauth/openid/callback?" + urllib.parse.urlencode({"code": stolen, "state": own_state})),
                   allow_redirects=False, timeout=10)
    assert r.headers["Location"] == AUTH_FAILED
    assert "invalid_grant" in server.logs()


def test_required_role_and_admin_role(openid):
    server, provider = openid(OPENID_REQUIRED_ROLE="chat-user", OPENID_REQUIRED_ROLE_PARAMETER_PATH="roles",
                              OPENID_REQUIRED_ROLE_TOKEN_KIND="id", OPENID_ADMIN_ROLE="admin",
                              OPENID_ADMIN_ROLE_PARAMETER_PATH="roles", OPENID_ADMIN_ROLE_TOKEN_KIND="userinfo")
    _, done = login_flow(server, provider, user="bob")
    assert done.headers["Location"] == AUTH_FAILED
    assert 'You must have "chat-user" role to log in.' in server.logs()
    client, done = login_flow(server, provider, user="alice")
    assert done.headers["Location"] == CLIENT_URL
    assert access_token(server, client)[1]["role"] == "ADMIN"
    client, done = login_flow(server, provider, user="carol")  # roles as a comma-separated string
    assert done.headers["Location"] == CLIENT_URL
    assert access_token(server, client)[1]["role"] == "USER"


def test_existing_local_account_needs_linking_and_verified_emails(openid):
    server, provider = openid()
    assert register(server, "alice@example.test").status_code == 200
    assert register(server, "bob@example.test").status_code == 200
    assert login_flow(server, provider, user="alice")[1].headers["Location"] == AUTH_FAILED
    server.stop()

    server, provider = openid(OPENID_ALLOW_ACCOUNT_LINKING="true")
    local = register(server, "alice@example.test")
    assert local.status_code == 200
    assert register(server, "bob@example.test").status_code == 200
    client, done = login_flow(server, provider, user="alice")
    assert done.headers["Location"] == CLIENT_URL
    _, user = access_token(server, client)
    assert user["provider"] == "local" and user["email"] == "alice@example.test" and user.get("openidId") == "alice-001"
    # The local password still works, and so does the next OpenID login (now by subject).
    assert requests.post(server.url("/api/auth/login"), json={"email": "alice@example.test", "password": "correct horse battery"},
                         timeout=10).status_code == 200
    assert login_flow(server, provider, user="alice")[1].headers["Location"] == CLIENT_URL
    # Bob's provider email is unverified: no linking.
    assert login_flow(server, provider, user="bob")[1].headers["Location"] == AUTH_FAILED


def test_social_registration_off_refuses_new_users(openid):
    server, provider = openid(ALLOW_SOCIAL_REGISTRATION="false")
    assert login_flow(server, provider)[1].headers["Location"] == AUTH_FAILED
    assert "Social registration is disabled" in server.logs()


def logout_target(server, client):
    token, _ = access_token(server, client)
    r = client.post(server.url("/api/auth/logout"), headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert r.status_code == 200 and r.json()["message"] == "Logout successful"
    target = urllib.parse.urlsplit(r.json()["redirect"])
    return f"{target.scheme}://{target.netloc}{target.path}", dict(urllib.parse.parse_qsl(target.query))


def test_logout_sends_the_sessions_id_token_as_hint_even_after_a_crash(openid):
    server, provider = openid(OPENID_USE_END_SESSION_ENDPOINT="true")
    client, _ = login_flow(server, provider)
    server = restart(server)  # the id_token is kept with the session, durably
    try:
        endpoint, query = logout_target(server, client)
        assert endpoint == provider.base + "/logout"
        assert set(query) == {"post_logout_redirect_uri", "id_token_hint"}
        assert query["post_logout_redirect_uri"] == CLIENT_URL + "/login"
        # The hint is the provider's own id_token for this login: it verifies with the provider's keys.
        keys = pyjwt.PyJWKClient(provider.base + "/jwks")
        claims = pyjwt.decode(query["id_token_hint"], keys.get_signing_key_from_jwt(query["id_token_hint"]).key,
                              algorithms=["RS256", "ES256"], audience=CLIENT_ID, issuer=provider.base,
                              options={"verify_exp": False})
        assert claims["sub"] == "alice-001"
    finally:
        server.process.kill()
        server.process.wait()


def test_logout_falls_back_to_client_id_and_logout_hint_when_the_url_is_too_long(openid):
    server, provider = openid(OPENID_USE_END_SESSION_ENDPOINT="true", OPENID_MAX_LOGOUT_URL_LENGTH="200")
    client, _ = login_flow(server, provider)
    _, query = logout_target(server, client)
    assert query == {"post_logout_redirect_uri": CLIENT_URL + "/login", "client_id": CLIENT_ID, "logout_hint": "alice@example.test"}


def test_no_parameter_chooses_a_redirect_target_and_nothing_secret_is_logged(openid):
    server, provider = openid()
    client = requests.Session()
    provider.hook("login-as", user="alice")
    r = client.get(server.url("/oauth/openid?redirect=https://evil.test&redirect_uri=https://evil.test&returnTo=//evil.test"),
                   allow_redirects=False, timeout=10)
    assert r.headers["Location"].startswith(provider.base + "/authorize?")
    assert "evil" not in r.headers["Location"]
    callback = authorize(client, r.headers["Location"])
    done = finish(client, callback + "&redirect=https://evil.test&redirect_uri=https://evil.test")
    assert done.headers["Location"] == CLIENT_URL
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    logs = server.logs()
    assert CLIENT_SECRET not in logs and code not in logs and "alice@example.test" not in logs
    assert client.cookies.get("refreshToken") not in logs
    # Providers that are not configured have no routes that do anything.
    assert requests.get(server.url("/oauth/github"), allow_redirects=False, timeout=5).status_code == 404


class HostileProvider:
    """Serves a discovery document that never ends, or never answers, to check our limits."""

    def __init__(self, mode):
        import http.server
        import threading
        self.sent = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if mode == "hang":
                    time.sleep(30)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                try:
                    self.wfile.write(b'{"issuer": "' + b"x" * 100)
                    for _ in range(4096):  # 64 MiB if nobody stops reading
                        self.wfile.write(b"y" * 16384)
                        outer.sent += 16384
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


@pytest.mark.parametrize("mode", ["huge", "hang"])
def test_a_hostile_provider_cannot_exhaust_or_stall_us(start_server, mode):
    hostile = HostileProvider(mode)
    try:
        server = start_server(DOMAIN_CLIENT=CLIENT_URL, ALLOW_SOCIAL_LOGIN="true", OPENID_ISSUER=hostile.base,
                              OPENID_CLIENT_ID=CLIENT_ID, OPENID_CLIENT_SECRET=CLIENT_SECRET)
        began = time.time()
        r = requests.get(server.url("/oauth/openid"), allow_redirects=False, timeout=30)
        assert r.status_code == 302 and r.headers["Location"] == AUTH_FAILED
        elapsed = time.time() - began
        if mode == "huge":
            assert "response too large" in server.logs()
            assert hostile.sent < 8 * 1024 * 1024, hostile.sent  # we stopped reading: no 64 MiB download
            assert elapsed < 5
        else:
            assert 9 <= elapsed < 15, elapsed  # the 10 s total limit
            assert "Timeout" in server.logs()
        assert requests.get(server.url("/health"), timeout=5).text == "OK"
    finally:
        hostile.stop()


def test_an_insecure_issuer_is_a_configuration_error(start_server):
    with pytest.raises(RuntimeError, match="OPENID_ISSUER"):
        start_server(ALLOW_SOCIAL_LOGIN="true", OPENID_ISSUER="http://idp.example.com", OPENID_CLIENT_ID=CLIENT_ID,
                     OPENID_CLIENT_SECRET=CLIENT_SECRET)


def test_google_is_openid_with_its_own_mapping(openid):
    """Google through the same discovery/id_token path (GOOGLE_ISSUER points at the test provider)."""
    server, provider = openid(callback="/oauth/google/callback", GOOGLE_CLIENT_ID=CLIENT_ID, GOOGLE_CLIENT_SECRET=CLIENT_SECRET,
                              GOOGLE_CALLBACK_URL="/oauth/google/callback", GOOGLE_ISSUER="{provider}", OPENID_ISSUER="")
    assert requests.get(server.url("/api/config"), timeout=5).json()["googleLoginEnabled"] is True
    client = requests.Session()
    provider.hook("login-as", user="alice")
    start = client.get(server.url("/oauth/google"), allow_redirects=False, timeout=10)
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.headers["Location"]).query))["scope"] == "openid profile email"
    done = finish(client, authorize(client, start.headers["Location"]))
    assert done.headers["Location"] == CLIENT_URL
    _, user = access_token(server, client)
    assert user["provider"] == "google" and user["googleId"] == "alice-001" and user["name"] == "Alice Example"
    assert user["username"] == "alice"  # no given_name: the email's local part


def test_a_real_browser_signs_in_and_its_page_can_refresh(openid, browser):
    """Chromium follows every redirect with its own cookie rules; the page then gets an access token
    from /api/auth/refresh with the HttpOnly cookie it cannot read."""
    server, provider = openid(DOMAIN_CLIENT="{server}")
    provider.hook("login-as", user="carol")
    browser.get(server.url("/oauth/openid"))
    # DOMAIN_CLIENT is Portcullis itself, so its own pages answer: "/" leads the signed-in browser to /account.
    assert browser.current_url == server.base + "/account"
    assert "carol@example.test" in browser.page_source
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    assert cookies["refreshToken"]["httpOnly"] is True and cookies["refreshToken"]["sameSite"] == "Strict"
    assert "refreshToken" not in browser.execute_script("return document.cookie")
    # A script on the origin (not on our pages, whose CSP allows only our own script) uses the cookie.
    browser.get(server.url("/health"))
    token = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/auth/refresh', {method: 'POST'}).then(r => r.json()).then(j => done(j.token), e => done('error ' + e));")
    claims = pyjwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    assert claims["email"] == "carol@example.test" and claims["provider"] == "openid"
    # A second visit with the session cookie in place signs in again (a new flow, a new state).
    browser.get(server.url("/oauth/openid"))
    # DOMAIN_CLIENT is Portcullis itself, so its own pages answer: "/" leads the signed-in browser to /account.
    assert browser.current_url == server.base + "/account"
    assert "carol@example.test" in browser.page_source
