"""Portcullis as an OpenID Provider, driven by independent relying parties: Authlib (confidential and
public PKCE clients), an RP configured as LibreChat's openid strategy is (client_secret_post, PKCE S256,
state, refresh with scope, id_token checked with PyJWT against our JWKS), and the negative cases."""
import base64
import hashlib
import json
import secrets
import time
import urllib.parse

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from conftest import register, login

CALLBACK = "http://127.0.0.1:9/oauth/openid/callback"
LOGOUT_BACK = "http://127.0.0.1:9/logged-out"


@pytest.fixture
def op(start_server):
    from conftest import free_port
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(PORT=str(port), DOMAIN_SERVER=base, DOMAIN_CLIENT=base)
    server.discovery = requests.get(server.url("/.well-known/openid-configuration"), timeout=10).json()
    return server


def add_client(server, *extra, name="LibreChat", redirect=CALLBACK):
    result = server.cli("oidc-client", "add", "--name", name, "--redirect-uri", redirect,
                        "--post-logout-uri", LOGOUT_BACK, *extra)
    assert result.returncode == 0, result.stderr
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines() if line.startswith("client_"))
    return fields["client_id"].strip(), fields.get("client_secret", "").strip() or None


def signed_in_browser(server, email="alice@example.com"):
    """A requests session holding a Portcullis sign-in (the cookies a browser would have)."""
    assert register(server, email).status_code == 200
    browser = requests.Session()
    assert login(server, email, session=browser).status_code == 200
    return browser


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(server, browser, client_id, **params):
    query = {"client_id": client_id, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid profile email",
             "state": "st-" + secrets.token_hex(4)}
    query.update(params)
    query = {k: v for k, v in query.items() if v is not None}
    return browser.get(server.url("/oidc/authorize"), params=query, allow_redirects=False, timeout=10), query


def code_from(response, state):
    assert response.status_code == 302, response.text[:400]
    location = urllib.parse.urlparse(response.headers["Location"])
    assert location.geturl().startswith(CALLBACK)
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query.get("state") == state
    return query


def continue_location(html):
    """Where a "taking you back" page sends the browser (its link, the same as its meta refresh)."""
    import html as entities
    import re
    return entities.unescape(re.search(r'<a href="([^"]+)" id="continue"', html).group(1))


def verify_id_token(server, token, audience, nonce=None):
    """Checks an id_token as an RP does: the signature against the published JWKS (by kid), iss, aud, exp."""
    jwks = requests.get(server.discovery["jwks_uri"], timeout=10).json()
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=[header["alg"]], audience=audience,
                        issuer=server.discovery["issuer"])
    if nonce is not None:
        assert claims["nonce"] == nonce
    return claims


def exchange(server, client_id, secret, code, verifier=None, redirect=CALLBACK, basic=False):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    if verifier:
        form["code_verifier"] = verifier
    auth = None
    if basic:
        auth = (client_id, secret)
    else:
        form["client_id"] = client_id
        if secret:
            form["client_secret"] = secret
    return requests.post(server.discovery["token_endpoint"], data=form, auth=auth, timeout=10)


def test_first_start_generates_keys(start_server):
    """Without a key file the server makes its own RS256 and ES256 keys, private to its user."""
    import os, stat
    server = start_server(seed_keys=False)
    keys = requests.get(server.url("/oidc/jwks"), timeout=10).json()["keys"]
    assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
    assert stat.S_IMODE(os.stat(os.path.join(server.data, "oidc-keys.json")).st_mode) == 0o600
    rsa = next(k for k in keys if k["alg"] == "RS256")
    assert len(base64.urlsafe_b64decode(rsa["n"] + "==")) == 256 and rsa["e"] == "AQAB"
    # The kid is the key's RFC 7638 thumbprint.
    members = json.dumps({"e": rsa["e"], "kty": "RSA", "n": rsa["n"]}, separators=(",", ":"), sort_keys=True)
    assert rsa["kid"] == base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


def test_discovery_and_jwks(op):
    d = op.discovery
    assert d["issuer"] == op.base
    assert d["authorization_endpoint"] == op.base + "/oidc/authorize"
    assert d["code_challenge_methods_supported"] == ["S256"]
    assert d["response_types_supported"] == ["code"]
    assert d["authorization_response_iss_parameter_supported"] is True
    keys = requests.get(d["jwks_uri"], timeout=10).json()["keys"]
    assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"]
    for key in keys:
        assert "d" not in key and "p" not in key and key["use"] == "sig" and key["kid"]


def test_librechat_style_relying_party(op):
    """openid-client as LibreChat configures it: client_secret_post, PKCE S256 always, state, no nonce."""
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    verifier, challenge = pkce()
    response, query = authorize(op, browser, client_id, code_challenge=challenge, code_challenge_method="S256")
    params = code_from(response, query["state"])
    assert params["iss"] == op.base  # RFC 9207 mix-up defence
    tokens = exchange(op, client_id, secret, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    claims = verify_id_token(op, body["id_token"], client_id)
    user = requests.get(op.url("/api/user"), headers={"Authorization": "Bearer " + login(op, "alice@example.com").json()["token"]}, timeout=10).json()
    assert claims["sub"] == user["id"] and claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True and claims["roles"] == ["ADMIN", "USER"]  # the first account
    assert claims["amr"] == ["pwd"] and claims["acr"] == "1" and "nonce" not in claims
    assert abs(claims["auth_time"] - time.time()) < 60
    # userinfo with the access token
    info = requests.get(op.discovery["userinfo_endpoint"], headers={"Authorization": "Bearer " + body["access_token"]}, timeout=10)
    assert info.status_code == 200 and info.json()["sub"] == user["id"]
    assert info.json()["name"] == "Test User" and "preferred_username" not in info.json()  # registered without one
    # refresh with scope (LibreChat adds OPENID_SCOPE), rotation, id_token again
    refreshed = requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "scope": "openid profile email",
        "client_id": client_id, "client_secret": secret}, timeout=10)
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["refresh_token"] != body["refresh_token"]
    verify_id_token(op, refreshed.json()["id_token"], client_id)
    # the old refresh token within the grace window gets the current one back, unchanged
    again = requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": body["refresh_token"], "client_id": client_id,
        "client_secret": secret}, timeout=10)
    assert again.status_code == 200 and again.json()["refresh_token"] == refreshed.json()["refresh_token"]
    # a scope beyond the grant is refused
    wider = requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"], "scope": "openid offline_access",
        "client_id": client_id, "client_secret": secret}, timeout=10)
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


def test_authlib_confidential_client_with_nonce_and_consent(op):
    client_id, secret = add_client(op, name="Wiki")
    browser = signed_in_browser(op)
    session = OAuth2Session(client_id, secret, scope="openid email", redirect_uri=CALLBACK,
                            token_endpoint_auth_method="client_secret_basic")
    nonce = secrets.token_urlsafe(16)
    uri, state = session.create_authorization_url(op.discovery["authorization_endpoint"], nonce=nonce)
    # A third-party client: the consent page first.
    page = browser.get(uri, allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "Allow Wiki?" in page.text and "Your email address" in page.text
    assert "Content-Security-Policy" in page.headers
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    answer = browser.post(op.url("/oidc/authorize/consent"), data={"csrf": csrf, "decision": "allow"},
                          headers={"Origin": op.base}, allow_redirects=False, timeout=10)
    assert answer.status_code == 200 and 'http-equiv="refresh"' in answer.text
    location = continue_location(answer.text)
    token = session.fetch_token(op.discovery["token_endpoint"], authorization_response=location)
    claims = verify_id_token(op, token["id_token"], client_id, nonce=nonce)
    assert "email" in claims and "name" not in claims  # only what the scopes release
    # Consent is remembered: the next request for the same scopes goes straight back.
    uri, state = session.create_authorization_url(op.discovery["authorization_endpoint"], nonce="n2")
    assert browser.get(uri, allow_redirects=False, timeout=10).status_code == 302
    # prompt=consent asks again
    uri, _ = session.create_authorization_url(op.discovery["authorization_endpoint"], prompt="consent")
    assert browser.get(uri, allow_redirects=False, timeout=10).status_code == 200


def test_authlib_public_client_requires_pkce(op):
    client_id, secret = add_client(op, "--public", "--first-party", name="SPA")
    assert secret is None
    browser = signed_in_browser(op)
    # Without PKCE: refused back to the client.
    response, query = authorize(op, browser, client_id)
    params = code_from(response, query["state"])
    assert params["error"] == "invalid_request" and "PKCE" in params["error_description"]
    # plain is refused
    response, query = authorize(op, browser, client_id, code_challenge="a" * 43, code_challenge_method="plain")
    assert code_from(response, query["state"])["error"] == "invalid_request"
    session = OAuth2Session(client_id, None, scope="openid profile", redirect_uri=CALLBACK,
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = secrets.token_urlsafe(48)
    uri, state = session.create_authorization_url(op.discovery["authorization_endpoint"], code_verifier=verifier)
    location = browser.get(uri, allow_redirects=False, timeout=10).headers["Location"]
    token = session.fetch_token(op.discovery["token_endpoint"], authorization_response=location, code_verifier=verifier)
    verify_id_token(op, token["id_token"], client_id)
    # A public client cannot introspect.
    assert requests.post(op.discovery["introspection_endpoint"], data={"token": token["access_token"], "client_id": client_id},
                         timeout=10).status_code == 401


def test_redirect_uri_must_match_exactly(op):
    client_id, _ = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    for wrong in [CALLBACK + "x", CALLBACK[:-1], CALLBACK.replace("127.0.0.1", "localhost"), CALLBACK + "?a=1",
                  "https://evil.example/cb", CALLBACK.upper()]:
        response, _ = authorize(op, browser, client_id, redirect_uri=wrong)
        # Shown, never redirected: an unverified URI must not receive anything.
        assert response.status_code == 400 and "Location" not in response.headers, wrong
        assert "redirect_uri" in response.text
    response, _ = authorize(op, browser, "no-such-client")
    assert response.status_code == 400 and "Location" not in response.headers


def test_code_replay_revokes_its_tokens(op):
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    code = code_from(response, query["state"])["code"]
    first = exchange(op, client_id, secret, code)
    assert first.status_code == 200
    access = first.json()["access_token"]
    assert requests.get(op.discovery["userinfo_endpoint"], headers={"Authorization": "Bearer " + access}, timeout=10).status_code == 200
    replay = exchange(op, client_id, secret, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # Everything issued from the code is revoked: the access token at userinfo, the refresh token.
    info = requests.get(op.discovery["userinfo_endpoint"], headers={"Authorization": "Bearer " + access}, timeout=10)
    assert info.status_code == 401 and "invalid_token" in info.headers["WWW-Authenticate"]
    refreshed = requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"], "client_id": client_id,
        "client_secret": secret}, timeout=10)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    audit = op.cli("audit", "--kind", "app_token_reuse", "--json")
    assert "code replayed" in audit.stdout


def test_pkce_verifier_wrong_or_missing(op):
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    verifier, challenge = pkce()
    response, query = authorize(op, browser, client_id, code_challenge=challenge, code_challenge_method="S256")
    code = code_from(response, query["state"])["code"]
    for bad in [None, pkce()[0], verifier[:-1] + ("A" if verifier[-1] != "A" else "B")]:
        answer = exchange(op, client_id, secret, code, bad)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant", bad
    # A failed attempt does not spend the code: the rightful holder still redeems it.
    assert exchange(op, client_id, secret, code, verifier).status_code == 200


def test_wrong_secret_and_other_clients_code(op):
    client_id, secret = add_client(op, "--first-party")
    other_id, other_secret = add_client(op, "--first-party", name="Other")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    code = code_from(response, query["state"])["code"]
    wrong = exchange(op, client_id, secret[:-2] + "xx", code, basic=True)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "Basic" in wrong.headers["WWW-Authenticate"]
    stolen = exchange(op, other_id, other_secret, code)
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    both = requests.post(op.discovery["token_endpoint"], auth=(client_id, secret), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_secret": secret}, timeout=10)
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    repeated = requests.post(op.discovery["token_endpoint"], data=f"grant_type=authorization_code&code={code}&code=x"
                             f"&client_id={client_id}&client_secret={secret}",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10)
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"
    assert exchange(op, client_id, secret, code, basic=True).status_code == 200


def test_prompt_none_without_session_and_prompt_login(op):
    client_id, _ = add_client(op, "--first-party")
    stranger = requests.Session()
    response, query = authorize(op, stranger, client_id, prompt="none")
    params = code_from(response, query["state"])
    assert params["error"] == "login_required" and params["iss"] == op.base
    # Without prompt=none the browser is sent to the sign-in page, the request kept in a cookie.
    response, _ = authorize(op, stranger, client_id)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "portcullis_oidc" in response.cookies
    browser = signed_in_browser(op)
    response, _ = authorize(op, browser, client_id, prompt="login")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    response, _ = authorize(op, browser, client_id, max_age="0")
    time.sleep(1.1)
    response, _ = authorize(op, browser, client_id, max_age="0")
    assert response.status_code == 303


def test_revoke_and_introspect(op):
    client_id, secret = add_client(op, "--first-party")
    rs_id, rs_secret = add_client(op, "--first-party", name="Resource server")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    tokens = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    active = requests.post(op.discovery["introspection_endpoint"], auth=(rs_id, rs_secret),
                           data={"token": tokens["access_token"]}, timeout=10).json()
    assert active["active"] is True and active["client_id"] == client_id and "openid" in active["scope"]
    # Another client's refresh token is not disclosed.
    assert requests.post(op.discovery["introspection_endpoint"], auth=(rs_id, rs_secret),
                         data={"token": tokens["refresh_token"]}, timeout=10).json() == {"active": False}
    assert requests.post(op.discovery["introspection_endpoint"], auth=(client_id, secret),
                         data={"token": tokens["refresh_token"]}, timeout=10).json()["active"] is True
    revoked = requests.post(op.discovery["revocation_endpoint"], auth=(client_id, secret),
                            data={"token": tokens["refresh_token"]}, timeout=10)
    assert revoked.status_code == 200
    assert requests.post(op.discovery["introspection_endpoint"], auth=(rs_id, rs_secret),
                         data={"token": tokens["access_token"]}, timeout=10).json() == {"active": False}
    assert requests.post(op.discovery["revocation_endpoint"], auth=(client_id, secret),
                         data={"token": "garbage"}, timeout=10).status_code == 200


def test_signing_out_ends_the_grants_and_rp_logout(op):
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    tokens = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    # A tampered id_token_hint is refused.
    header, payload, signature = tokens["id_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "someone-else"
    forged = header + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + signature
    bad = browser.get(op.discovery["end_session_endpoint"], params={"id_token_hint": forged,
                      "post_logout_redirect_uri": LOGOUT_BACK}, allow_redirects=False, timeout=10)
    assert bad.status_code == 400 and "Location" not in bad.headers
    # Unregistered post-logout URI is refused.
    bad = browser.get(op.discovery["end_session_endpoint"], params={"id_token_hint": tokens["id_token"],
                      "post_logout_redirect_uri": LOGOUT_BACK + "x"}, allow_redirects=False, timeout=10)
    assert bad.status_code == 400
    out = browser.get(op.discovery["end_session_endpoint"], params={"id_token_hint": tokens["id_token"],
                      "post_logout_redirect_uri": LOGOUT_BACK, "state": "bye"}, allow_redirects=False, timeout=10)
    assert out.status_code == 302 and out.headers["Location"] == LOGOUT_BACK + "?state=bye"
    # The browser's session and the grant it made are gone.
    response, query = authorize(op, browser, client_id, prompt="none")
    assert code_from(response, query["state"])["error"] == "login_required"
    refreshed = requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id,
        "client_secret": secret}, timeout=10)
    assert refreshed.status_code == 400


def test_ban_revokes_provider_tokens(op):
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op, "bob@example.com")
    response, query = authorize(op, browser, client_id, scope="openid offline_access")
    tokens = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    assert op.cli("ban-user", "bob@example.com", "60").returncode == 0
    refreshed = requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id,
        "client_secret": secret}, timeout=10)
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"


def test_grants_survive_restart(op):
    from test_durability import restart
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    tokens = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    fresh = restart(op, kill=True)
    fresh.discovery = op.discovery
    refreshed = requests.post(fresh.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id,
        "client_secret": secret}, timeout=10)
    assert refreshed.status_code == 200, refreshed.text
    verify_id_token(fresh, refreshed.json()["id_token"], client_id)
    fresh.process.kill()
    fresh.process.wait()


def test_key_rotation(op):
    client_id, secret = add_client(op, "--first-party")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    old = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    old_kid = jwt.get_unverified_header(old["id_token"])["kid"]
    result = op.cli("oidc-keys", "rotate")
    assert result.returncode == 0, result.stderr
    kids = [k["kid"] for k in requests.get(op.discovery["jwks_uri"], timeout=10).json()["keys"]]
    assert old_kid in kids and len(kids) == 4
    verify_id_token(op, old["id_token"], client_id)  # still verifies with the published old key
    response, query = authorize(op, browser, client_id)
    new = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    assert jwt.get_unverified_header(new["id_token"])["kid"] != old_kid
    # (That the old key is dropped once its tokens have expired is tested with a moved clock in
    # AuthorizationServerTests, as is the code's 60-second lifetime.)


def test_client_file_and_cli_management(start_server, tmp_path):
    from conftest import free_port
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([{"client_id": "declared-app", "client_name": "Declared", "client_secret": "s" * 40,
                                    "redirect_uris": [CALLBACK], "first_party": True}]))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(PORT=str(port), DOMAIN_SERVER=base, DOMAIN_CLIENT=base, OIDC_CLIENTS_FILE=str(clients))
    server.discovery = requests.get(server.url("/.well-known/openid-configuration"), timeout=10).json()
    browser = signed_in_browser(server)
    response, query = authorize(server, browser, "declared-app")
    code = code_from(response, query["state"])["code"]
    assert exchange(server, "declared-app", "s" * 40, code, basic=True).status_code == 200
    client_id, secret = add_client(server)
    listing = json.loads(server.cli("oidc-client", "list").stdout)
    assert {c["client_id"] for c in listing} == {"declared-app", client_id}
    assert all("secret" not in json.dumps(c).replace("client_secret_basic", "") for c in listing)
    rotated = server.cli("oidc-client", "rotate-secret", client_id)
    assert rotated.returncode == 0
    new_secret = rotated.stdout.split("client_secret:")[1].strip()
    assert new_secret != secret
    assert server.cli("oidc-client", "remove", client_id).returncode == 0
    assert server.cli("oidc-client", "remove", "declared-app").returncode != 0
    # Bad registrations are refused with a reason.
    for uri in ["http://example.com/cb", "https://x.example/cb#frag", "not a uri", "javascript:alert(1)"]:
        result = server.cli("oidc-client", "add", "--name", "Bad", "--redirect-uri", uri)
        assert result.returncode != 0 and result.stderr, uri


class RelyingParty:
    """A real application on loopback: its callback records what the provider sends back."""

    def __init__(self):
        import http.server
        import threading
        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                received.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<title>RP</title><p>signed in</p>")

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.callback = self.base + "/oauth/openid/callback"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait(self, path_prefix, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for path in self.received:
                if path.startswith(path_prefix):
                    return dict(urllib.parse.parse_qsl(urllib.parse.urlparse(path).query))
            time.sleep(0.05)
        raise AssertionError(f"the application never received {path_prefix}: {self.received}")

    def close(self):
        self.httpd.shutdown()


@pytest.fixture
def rp():
    party = RelyingParty()
    yield party
    party.close()


def browser_provider(start_server, rp, *client_flags):
    """A provider on localhost (browsers run WebAuthn only for domain names) and a client for `rp`."""
    from conftest import free_port
    port = free_port()
    origin = f"http://localhost:{port}"
    server = start_server(PORT=str(port), DOMAIN_SERVER=origin, DOMAIN_CLIENT=origin)
    server.discovery = requests.get(server.url("/.well-known/openid-configuration"), timeout=10).json()
    result = server.cli("oidc-client", "add", "--name", "Chat", "--redirect-uri", rp.callback,
                        "--post-logout-uri", rp.base + "/logged-out", *client_flags)
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines() if line.startswith("client_"))
    return server, origin, fields["client_id"].strip(), fields["client_secret"].strip()


def start_sign_in(browser, server, rp, client_id):
    verifier, challenge = pkce()
    state, nonce = secrets.token_urlsafe(8), secrets.token_urlsafe(8)
    query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": rp.callback, "response_type": "code",
                                    "scope": "openid profile email", "state": state, "nonce": nonce,
                                    "code_challenge": challenge, "code_challenge_method": "S256"})
    browser.get(server.discovery["authorization_endpoint"] + "?" + query)
    return verifier, state, nonce


def finish_sign_in(server, rp, client_id, secret, verifier, state, nonce):
    params = rp.wait("/oauth/openid/callback")
    assert params["state"] == state and params["iss"] == server.discovery["issuer"]
    answer = exchange(server, client_id, secret, params["code"], verifier, redirect=rp.callback)
    assert answer.status_code == 200, answer.text
    return answer.json(), verify_id_token(server, answer.json()["id_token"], client_id, nonce=nonce)


def test_a_browser_signs_in_to_an_application_with_2fa_and_consent_then_logs_out(start_server, rp, browser):
    import pyotp
    import re
    from selenium.webdriver.common.by import By
    from test_pages import arrived, shows, csp_violations, two_step_sign_in
    server, origin, client_id, secret = browser_provider(start_server, rp)
    register(server, "chrome@example.com")
    api = login(server, "chrome@example.com").json()
    auth = {"Authorization": "Bearer " + api["token"]}
    url = requests.post(server.url("/api/auth/2fa/enable"), headers=auth, json={}).json()["otpauthUrl"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", url).group(1))
    assert requests.post(server.url("/api/auth/2fa/confirm"), headers=auth, json={"token": totp.now()}).status_code == 200

    verifier, state, nonce = start_sign_in(browser, server, rp, client_id)
    assert arrived(browser, "/login")
    two_step_sign_in(browser, "chrome@example.com", totp)
    assert shows(browser, "Allow Chat?")  # a third-party client: consent, once
    browser.find_element(By.ID, "allow").click()
    tokens, claims = finish_sign_in(server, rp, client_id, secret, verifier, state, nonce)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "2"
    assert claims["email"] == "chrome@example.com"
    assert csp_violations(browser) == []
    # The request is over: the home page leads to the account, not back into it.
    browser.get(origin + "/")
    assert arrived(browser, "/account")

    # Signed in and consented: the next sign-in goes straight back, no page at all (SSO).
    rp.received.clear()
    verifier, state, nonce = start_sign_in(browser, server, rp, client_id)
    tokens, claims = finish_sign_in(server, rp, client_id, secret, verifier, state, nonce)

    # RP-initiated logout with the id_token_hint: back to the application with its state.
    browser.get(server.discovery["end_session_endpoint"] + "?" + urllib.parse.urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": rp.base + "/logged-out", "state": "bye"}))
    assert rp.wait("/logged-out")["state"] == "bye"
    browser.get(origin + "/account")
    assert arrived(browser, "/login")  # signed out of Portcullis too


def test_a_browser_signs_in_to_an_application_with_a_passkey(start_server, rp, browser):
    from selenium.webdriver.common.by import By
    from test_pages import arrived, csp_violations
    from test_passkeys import add_passkey_in_browser
    server, origin, client_id, secret = browser_provider(start_server, rp, "--first-party")
    register(server, "key@example.com")
    add_passkey_in_browser(browser, origin, "key@example.com")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    assert arrived(browser, "/login")

    verifier, state, nonce = start_sign_in(browser, server, rp, client_id)
    assert arrived(browser, "/login")
    browser.find_element(By.ID, "passkey-signin").click()
    tokens, claims = finish_sign_in(server, rp, client_id, secret, verifier, state, nonce)
    assert claims["amr"] == ["hwk", "mfa"] and claims["acr"] == "2"
    assert claims["email"] == "key@example.com"
    assert csp_violations(browser) == []


def test_es256_client_gets_es256_id_tokens(op):
    client_id, secret = add_client(op, "--first-party", "--signing-alg", "ES256")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id, nonce="n-es")
    tokens = exchange(op, client_id, secret, code_from(response, query["state"])["code"]).json()
    assert jwt.get_unverified_header(tokens["id_token"])["alg"] == "ES256"
    claims = verify_id_token(op, tokens["id_token"], client_id, nonce="n-es")  # PyJWT, P-256 key from the JWKS
    # at_hash binds the access token (OpenID Connect Core §3.1.3.6).
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    # Access tokens are RFC 9068 JWTs, signed with the client's algorithm too, and work at userinfo.
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    info = requests.get(op.discovery["userinfo_endpoint"], headers={"Authorization": "Bearer " + tokens["access_token"]},
                        timeout=10)
    assert info.status_code == 200 and info.json()["email"] == "alice@example.com"


def test_codes_per_user_are_limited(start_server):
    """A script holding someone's session cannot fill memory with codes: OIDC_CODE_MAX per window."""
    from conftest import free_port
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(PORT=str(port), DOMAIN_SERVER=base, DOMAIN_CLIENT=base, OIDC_CODE_MAX="3")
    server.discovery = requests.get(server.url("/.well-known/openid-configuration"), timeout=10).json()
    client_id, _ = add_client(server, "--first-party")
    browser = signed_in_browser(server)
    for _ in range(3):
        response, query = authorize(server, browser, client_id)
        assert "code" in code_from(response, query["state"])
    response, query = authorize(server, browser, client_id)
    assert code_from(response, query["state"])["error"] == "temporarily_unavailable"
    # Another user is not held back by it.
    other = signed_in_browser(server, "other@example.com")
    response, query = authorize(server, other, client_id)
    assert "code" in code_from(response, query["state"])


def test_the_account_page_lists_applications_and_revokes_them(op):
    client_id, secret = add_client(op, name="Wiki")
    browser = signed_in_browser(op)
    response, query = authorize(op, browser, client_id)
    csrf = response.text.split('name="csrf" value="')[1].split('"')[0]
    answer = browser.post(op.url("/oidc/authorize/consent"), data={"csrf": csrf, "decision": "allow"},
                          headers={"Origin": op.base}, timeout=10)
    location = continue_location(answer.text)
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(location).query))["code"]
    tokens = exchange(op, client_id, secret, code).json()
    page = browser.get(op.url("/account"), timeout=10).text
    assert "Applications" in page and "Wiki" in page and "signed in" in page and "openid, profile, email" in page
    token = page.split('name="csrf" value="')[1].split('"')[0]
    revoked = browser.post(op.url("/account/apps/revoke"), data={"csrf": token, "client": client_id},
                           headers={"Origin": op.base}, timeout=10)
    assert revoked.status_code == 200 and "access is revoked" in revoked.text and "Wiki" not in revoked.text
    # Its tokens are gone and the next sign-in asks again.
    assert requests.post(op.discovery["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client_id,
        "client_secret": secret}, timeout=10).status_code == 400
    response, _ = authorize(op, browser, client_id)
    assert response.status_code == 200 and "Allow Wiki?" in response.text
    # Without the form's token nothing happens.
    assert browser.post(op.url("/account/apps/revoke"), data={"client": client_id}, timeout=10).status_code == 403
    assert "app_revoked" in op.cli("audit", "--kind", "app_revoked", "--json").stdout
