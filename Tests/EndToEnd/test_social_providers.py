"""GitHub, Discord, Facebook and Apple logins through our /oauth routes, against loopback stand-ins
that answer with those providers' documented JSON shapes (peers/social_providers.py). Apple's
client secret, an ES256 JWT our server signs with a .p8 key made by openssl, is checked by PyJWT."""
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

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_URL = "https://chat.example.test"
AUTH_FAILED = CLIENT_URL + "/login?redirect=false&error=auth_failed"
SECRETS = {"github": "gh-secret-5e1f", "discord": "dc-secret-77aa", "facebook": "fb-secret-9c0d"}


@pytest.fixture
def social(start_server, tmp_path):
    """A stand-in for the four providers and a server configured for all of them."""
    key = tmp_path / "AuthKey_TEST.p8"
    pem = subprocess.run("openssl ecparam -genkey -name prime256v1 -noout | openssl pkcs8 -topk8 -nocrypt",
                         shell=True, check=True, capture_output=True, text=True).stdout
    key.write_text(pem)
    public = subprocess.run(["openssl", "pkey", "-pubout"], input=pem, check=True, capture_output=True, text=True).stdout
    port = free_port()
    clients = {name: {"client_id": f"{name}-client", "client_secret": secret} for name, secret in SECRETS.items()}
    clients["apple"] = {"client_id": "test.portcullis.web", "team_id": "TEAM123456", "key_id": "KEY7890ABC", "public_key_pem": public}
    env = dict(os.environ, PEERS_PORT=str(port), PEERS_CLIENTS_JSON=json.dumps(clients))
    peers = subprocess.Popen([sys.executable, os.path.join(HERE, "peers", "social_providers.py")], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            requests.get(base + "/_test/last/github", timeout=0.5)
            break
        except requests.RequestException:
            time.sleep(0.1)

    def start(**extra):
        settings = {"DOMAIN_CLIENT": CLIENT_URL, "ALLOW_SOCIAL_LOGIN": "true", "ALLOW_SOCIAL_REGISTRATION": "true",
                    "GITHUB_ENTERPRISE_BASE_URL": base + "/github", "DISCORD_BASE_URL": base + "/discord",
                    "FACEBOOK_DIALOG_URL": base + "/facebook/v18.0", "FACEBOOK_GRAPH_URL": base + "/graph/v18.0",
                    "APPLE_BASE_URL": base + "/apple", "APPLE_CLIENT_ID": clients["apple"]["client_id"],
                    "APPLE_TEAM_ID": clients["apple"]["team_id"], "APPLE_KEY_ID": clients["apple"]["key_id"],
                    "APPLE_PRIVATE_KEY_PATH": str(key), "APPLE_CALLBACK_URL": "/oauth/apple/callback"}
        for name, secret in SECRETS.items():
            settings[f"{name.upper()}_CLIENT_ID"] = f"{name}-client"
            settings[f"{name.upper()}_CLIENT_SECRET"] = secret
            settings[f"{name.upper()}_CALLBACK_URL"] = f"/oauth/{name}/callback"
        port = free_port()
        settings.update({"PORT": str(port), "DOMAIN_SERVER": f"http://127.0.0.1:{port}"})
        settings.update(extra)
        return start_server(**settings)

    start.base = base
    start.last = lambda provider: requests.get(f"{base}/_test/last/{provider}", timeout=5).json()
    start.profile = lambda provider, body: requests.post(f"{base}/_test/profile/{provider}", json=body, timeout=5)
    yield start
    peers.terminate()
    peers.wait(timeout=10)


def redirect_flow(server, name, client=None):
    """Start, let the stand-in approve, come back: returns (client, final response)."""
    client = client or requests.Session()
    start = client.get(server.url(f"/oauth/{name}"), allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    back = client.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    done = client.get(back.headers["Location"], allow_redirects=False, timeout=20)
    assert done.status_code == 302, done.text
    return client, done


def session_user(server, client):
    r = client.post(server.url("/api/auth/refresh"), timeout=10)
    assert r.status_code == 200, r.text
    claims = pyjwt.decode(r.json()["token"], JWT_SECRET, algorithms=["HS256"])
    return claims, r.json()["user"]


def test_config_lists_every_configured_provider(social):
    config = requests.get(social().url("/api/config"), timeout=5).json()
    for name in ["github", "discord", "facebook", "apple"]:
        assert config[f"{name}LoginEnabled"] is True, name
    assert config["googleLoginEnabled"] is False and config["openidLoginEnabled"] is False
    # LibreChat's login page draws the buttons from socialLogins: its default order, only what is on.
    assert config["socialLogins"] == ["facebook", "github", "discord", "apple"]


def test_github_enterprise_flow_uses_the_primary_verified_email(social):
    server = social(GITHUB_ENTERPRISE_USER_AGENT="Portcullis-Test/1.0")
    client, done = redirect_flow(server, "github")
    assert done.headers["Location"] == CLIENT_URL
    claims, user = session_user(server, client)
    assert claims["provider"] == "github" and user["email"] == "octocat@example.test"
    assert user["username"] == "octocat" and user["name"] == "The Octocat" and user["githubId"] == "583231"
    assert user["avatar"] == "https://avatars.githubusercontent.com/u/583231?v=4" and user["emailVerified"] is True
    last = social.last("github")
    assert last["authorize"]["scope"] == "user:email read:user" and last["authorize"]["code_challenge_method"] == "S256"
    assert last["token"]["code_verifier"] and last["user_agent"] == "Portcullis-Test/1.0"
    # No verified address at all: refused.
    social.profile("github", {"user": {"login": "ghost", "id": 10137, "name": None, "avatar_url": None},
                              "emails": [{"email": "ghost@example.test", "verified": False, "primary": True}]})
    assert redirect_flow(server, "github")[1].headers["Location"] == AUTH_FAILED
    assert "no verified email" in server.logs()


def test_discord_flow_maps_the_cdn_avatar_and_prompt_none(social):
    server = social()
    client, done = redirect_flow(server, "discord")
    assert done.headers["Location"] == CLIENT_URL
    _, user = session_user(server, client)
    assert user["discordId"] == "80351110224678912" and user["username"] == "nelly" and user["name"] == "Nelly"
    assert user["avatar"] == "https://cdn.discordapp.com/avatars/80351110224678912/a_8342729096ea3675442027381ff50dfe.gif"
    assert social.last("discord")["authorize"]["prompt"] == "none"
    assert social.last("discord")["authorize"]["scope"] == "identify email"


def test_facebook_flow_and_the_same_account_next_time(social):
    server = social()
    client, done = redirect_flow(server, "facebook")
    assert done.headers["Location"] == CLIENT_URL
    _, first = session_user(server, client)
    assert first["facebookId"] == "10158000000000001" and first["username"] == "Fay Book"
    assert first["avatar"] == "https://platform-lookaside.example/fay.jpg"
    client, _ = redirect_flow(server, "facebook")
    _, second = session_user(server, client)
    assert second["id"] == first["id"] if "id" in first else second["_id"] == first["_id"]


def test_apple_form_post_flow_with_an_es256_client_secret(social):
    server = social()
    client = requests.Session()
    start = client.get(server.url("/oauth/apple"), allow_redirects=False, timeout=10)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.headers["Location"]).query))
    assert query["response_mode"] == "form_post" and query["nonce"] and "code_challenge" not in query
    page = client.get(start.headers["Location"], timeout=10).json()
    assert page["action"] == server.url("/oauth/apple/callback")
    # A GET to Apple's callback is not a route: Apple posts.
    assert client.get(page["action"], allow_redirects=False, timeout=5).status_code in (404, 405)
    done = client.post(page["action"], data=page["fields"], allow_redirects=False, timeout=20)
    assert done.status_code == 302 and done.headers["Location"] == CLIENT_URL, (done.status_code, social.last("apple"))
    _, user = session_user(server, client)
    assert user["appleId"] == "001234.abcdef0123456789.1234" and user["username"] == "apple-user" and user["name"] == "Ada Apple"
    assert "client_secret_error" not in social.last("apple")


def test_another_providers_account_is_refused_unless_linking_is_on(social):
    server = social()
    assert register(server, "nelly@example.test").status_code == 200
    assert redirect_flow(server, "discord")[1].headers["Location"] == AUTH_FAILED
    # GitHub created octocat; Facebook with the same email may not take it over.
    assert redirect_flow(server, "github")[1].headers["Location"] == CLIENT_URL
    social.profile("facebook", {"id": "1", "name": "Octo Face", "email": "octocat@example.test"})
    assert redirect_flow(server, "facebook")[1].headers["Location"] == AUTH_FAILED

    linked = social(DISCORD_ALLOW_ACCOUNT_LINKING="true")
    assert register(linked, "nelly@example.test").status_code == 200
    client, done = redirect_flow(linked, "discord")
    assert done.headers["Location"] == CLIENT_URL
    _, user = session_user(linked, client)
    assert user["provider"] == "local" and user["discordId"] == "80351110224678912"


def test_token_endpoint_errors_and_disabled_registration(social):
    server = social(ALLOW_SOCIAL_REGISTRATION="false")
    assert redirect_flow(server, "facebook")[1].headers["Location"] == AUTH_FAILED
    assert "Social registration is disabled" in server.logs()
    # A code the provider never issued: GitHub answers 200 with an error field.
    client = requests.Session()
    start = client.get(server.url("/oauth/github"), allow_redirects=False, timeout=10)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start.headers["Location"]).query))["state"]
    r = client.get(server.url("/oauth/github/callback?" + urllib.parse.urlencode({"code": "made-up", "state": state})),
                   allow_redirects=False, timeout=10)
    assert r.headers["Location"] == AUTH_FAILED
    assert "bad_verification_code" in server.logs()
    assert SECRETS["github"] not in server.logs()


def test_unusable_apple_key_is_a_configuration_error(social, tmp_path):
    bad = tmp_path / "bad.p8"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(RuntimeError, match="APPLE_PRIVATE_KEY_PATH"):
        social(APPLE_PRIVATE_KEY_PATH=str(bad))


def test_social_logins_count_against_the_login_limiter_and_bans_hold(social):
    server = social(LOGIN_MAX="3")
    for _ in range(3):
        assert requests.get(server.url("/oauth/github"), allow_redirects=False, timeout=5).status_code == 302
    limited = requests.get(server.url("/oauth/github"), allow_redirects=False, timeout=5)
    assert limited.status_code == 429 and "Retry-After" in limited.headers

    server = social(BAN_VIOLATIONS="true")
    assert redirect_flow(server, "discord")[1].headers["Location"] == CLIENT_URL
    assert server.cli("ban-user", "nelly@example.test", "10").returncode == 0
    client, done = redirect_flow_ending(server, "discord")
    assert done.status_code == 403 and "refreshToken=" not in done.headers.get("Set-Cookie", "")


def redirect_flow_ending(server, name):
    """Like redirect_flow, but the last answer may be anything."""
    client = requests.Session()
    start = client.get(server.url(f"/oauth/{name}"), allow_redirects=False, timeout=10)
    back = client.get(start.headers["Location"], allow_redirects=False, timeout=10)
    return client, client.get(back.headers["Location"], allow_redirects=False, timeout=20)


def test_provider_ids_and_spent_states_survive_kill_minus_nine(social):
    from test_durability import restart
    server = social()
    client = requests.Session()
    start = client.get(server.url("/oauth/github"), allow_redirects=False, timeout=10)
    callback = client.get(start.headers["Location"], allow_redirects=False, timeout=10).headers["Location"]
    flow = client.cookies.get("portcullis_oauth_flow")
    assert client.get(callback, allow_redirects=False, timeout=20).headers["Location"] == CLIENT_URL
    _, user = session_user(server, client)

    server = restart(server)  # kill -9
    try:
        replay = requests.get(callback, cookies={"portcullis_oauth_flow": flow}, allow_redirects=False, timeout=10)
        assert replay.headers["Location"] == AUTH_FAILED
        # The provider now reports another address: the account is still found by its GitHub id.
        social.profile("github", {"user": {"login": "octocat", "id": 583231, "name": "The Octocat", "avatar_url": None},
                                  "emails": [{"email": "new-octo@example.test", "verified": True, "primary": True}]})
        client, done = redirect_flow(server, "github")
        assert done.headers["Location"] == CLIENT_URL
        _, again = session_user(server, client)
        assert again.get("id", again.get("_id")) == user.get("id", user.get("_id"))
        assert again["email"] == "octocat@example.test"
    finally:
        server.stop()
