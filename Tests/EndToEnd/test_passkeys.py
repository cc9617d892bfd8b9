"""Passkeys (WebAuthn Level 2) through the real binary: a software authenticator written here with
Python's `cryptography` and `cbor2` (independent of the server's CBOR, COSE, P-256 and RSA code)
drives every check, and headless Chromium's virtual authenticator registers and signs in through
the pages."""
import base64
import hashlib
import json
import os
import re
import struct
import time

import cbor2
import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from conftest import free_port, login, register
from test_durability import restart
from test_pages import PASSWORD, arrived, csp_reports, csp_violations, csrf, shot, shows, sign_in

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """A passkey: an ES256 or RS256 key pair, a credential ID and a counter."""

    def __init__(self, rp_id, origin, algorithm="ES256"):
        self.rp_id, self.origin, self.algorithm = rp_id, origin, algorithm
        self.key = ec.generate_private_key(ec.SECP256R1()) if algorithm == "ES256" else rsa.generate_private_key(65537, 2048)
        self.credential_id = os.urandom(32)
        self.count = 0
        self.user_handle = None

    def cose(self):
        numbers = self.key.public_key().public_numbers()
        if self.algorithm == "ES256":
            return {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        return {1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: numbers.e.to_bytes(3, "big")}

    def authenticator_data(self, flags, rp_id=None, attested=False, count=None):
        data = hashlib.sha256((rp_id or self.rp_id).encode()).digest() + bytes([flags])
        data += struct.pack(">I", self.count if count is None else count)
        if attested:
            data += bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
            data += cbor2.dumps(self.cose(), canonical=True)
        return data

    def client_data(self, kind, challenge, origin=None):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def create(self, options, flags=UP | UV | AT, origin=None, rp_id=None, fmt="none", statement=None):
        public_key = options["publicKey"]
        self.user_handle = unb64(public_key["user"]["id"])
        data = self.authenticator_data(flags, rp_id=rp_id, attested=True)
        attestation = cbor2.dumps({"fmt": fmt, "attStmt": statement or {}, "authData": data}, canonical=True)
        return {"id": b64(self.credential_id), "clientDataJSON": b64(self.client_data("webauthn.create", public_key["challenge"], origin)),
                "attestationObject": b64(attestation)}

    def sign(self, message):
        if self.algorithm == "ES256":
            return self.key.sign(message, ec.ECDSA(hashes.SHA256()))
        return self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def get(self, options, flags=UP | UV, origin=None, rp_id=None, count=None, kind="webauthn.get", tamper=False,
            handle=True):
        self.count += 1
        client = self.client_data(kind, options["publicKey"]["challenge"], origin)
        data = self.authenticator_data(flags, rp_id=rp_id, count=count)
        signature = self.sign(data + hashlib.sha256(client).digest())
        if tamper:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        return {"id": b64(self.credential_id), "clientDataJSON": b64(client), "authenticatorData": b64(data),
                "signature": b64(signature), "userHandle": b64(self.user_handle) if handle else ""}


def passkey_server(start_server, **env):
    port = free_port()
    origin = f"http://localhost:{port}"
    server = start_server(PORT=str(port), DOMAIN_SERVER=origin, DOMAIN_CLIENT=origin, **env)
    return server, origin


def signed_in(server, email):
    client = requests.Session()
    assert sign_in(server, client, email).status_code == 303
    return client, csrf(client.get(server.url("/account")).text)


def add_passkey(server, client, token, authenticator, name="", **create):
    options = client.post(server.url("/account/passkeys/options"), data={"csrf": token})
    assert options.status_code == 200, options.text
    assert options.headers["Cache-Control"] == "no-store"
    return client.post(server.url("/account/passkeys"),
                       data={"csrf": token, "name": name, **authenticator.create(options.json(), **create)})


def login_options(server, client, token, email=""):
    answer = client.post(server.url("/login/passkey/options"), data={"csrf": token, "email": email})
    assert answer.status_code == 200, answer.text
    return answer.json()


def passkey_login(server, client, token, response, email=""):
    return client.post(server.url("/login/passkey"), data={"csrf": token, "email": email, **response})


def test_register_and_sign_in_with_es256_and_rs256_and_every_bad_assertion_is_refused(start_server):
    server, origin = passkey_server(start_server)
    register(server, "owner@example.com")
    client, token = signed_in(server, "owner@example.com")

    es256 = SoftAuthenticator("localhost", origin)
    rs256 = SoftAuthenticator("localhost", origin, "RS256")
    options = client.post(server.url("/account/passkeys/options"), data={"csrf": token}).json()["publicKey"]
    assert options["rp"]["id"] == "localhost" and options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-7, -257]
    added = add_passkey(server, client, token, es256, name="Laptop")
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "Laptop"
    assert add_passkey(server, client, token, rs256).status_code == 201
    page = client.get(server.url("/account")).text
    assert 'value="Laptop"' in page and 'value="Passkey 2"' in page

    # Registration refusals: nothing is added.
    assert add_passkey(server, client, token, es256).status_code == 409  # the same credential again
    stranger = SoftAuthenticator("localhost", origin)
    for bad in ({"flags": UP | AT}, {"origin": "http://evil.example"}, {"rp_id": "evil.example"},
                {"statement": {"sig": b"x"}}):
        answer = add_passkey(server, client, token, stranger, **bad)
        assert answer.status_code == 400 and "could not be registered" in answer.json()["message"], bad
    assert client.post(server.url("/account/passkeys"), data={"csrf": token, "clientDataJSON": "!!"}).status_code == 400
    assert client.post(server.url("/account/passkeys"), data={"csrf": "wrong"}).status_code == 403
    assert requests.post(server.url("/account/passkeys/options"), data={"csrf": token}).status_code == 401
    # A challenge is single use: the same ceremony posted twice adds nothing the second time.
    replayed_options = client.post(server.url("/account/passkeys/options"), data={"csrf": token}).json()
    fresh = SoftAuthenticator("localhost", origin)
    response = fresh.create(replayed_options)
    assert client.post(server.url("/account/passkeys"), data={"csrf": token, **response}).status_code == 201
    fresh.credential_id = os.urandom(32)
    response = fresh.create(replayed_options)
    assert client.post(server.url("/account/passkeys"), data={"csrf": token, **response}).status_code == 400
    assert client.get(server.url("/account")).text.count("/account/passkeys/remove") == 3

    # Sign-in: discoverable (user handle) and email-first, with either key type.
    anonymous = requests.Session()
    page_token = csrf(anonymous.get(server.url("/login")).text)
    for authenticator in (es256, rs256):
        answer = passkey_login(server, anonymous, page_token, authenticator.get(login_options(server, anonymous, page_token)))
        assert answer.status_code == 200, answer.text
        assert answer.json()["user"]["email"] == "owner@example.com" and "refreshToken" in answer.cookies
        user = requests.get(server.url("/api/user"), headers={"Authorization": f"Bearer {answer.json()['token']}"})
        assert user.status_code == 200
    email_first = login_options(server, anonymous, page_token, "Owner@Example.com")
    assert {c["id"] for c in email_first["publicKey"]["allowCredentials"]} >= {b64(es256.credential_id), b64(rs256.credential_id)}
    answer = passkey_login(server, anonymous, page_token, es256.get(email_first, handle=False), email="owner@example.com")
    assert answer.status_code == 200, answer.text

    # Every bad assertion is refused with one message, and none of them changes the stored counter.
    bad_cases = [
        dict(origin="http://evil.example"), dict(rp_id="evil.example"), dict(flags=UP), dict(flags=UV),
        dict(kind="webauthn.create"), dict(tamper=True), dict(count=1),  # counter regression
        dict(flags=UP | UV | BE),  # backup eligibility cannot appear after registration
    ]
    for bad in bad_cases:
        answer = passkey_login(server, anonymous, page_token, es256.get(login_options(server, anonymous, page_token), **bad))
        assert answer.status_code == 401 and answer.json()["message"] == "This passkey was not accepted.", bad
        assert "refreshToken" not in answer.cookies
    # A used challenge, an unknown one, and one bound to another email.
    used = login_options(server, anonymous, page_token)
    assert passkey_login(server, anonymous, page_token, es256.get(used)).status_code == 200
    assert passkey_login(server, anonymous, page_token, es256.get(used)).status_code == 401
    forged = {"publicKey": {"challenge": b64(os.urandom(42))}}
    assert passkey_login(server, anonymous, page_token, es256.get(forged)).status_code == 401
    other = login_options(server, anonymous, page_token, "someone@example.com")
    answer = passkey_login(server, anonymous, page_token, es256.get(other), email="owner@example.com")
    assert answer.status_code == 401
    # A credential of another account presented with this account's handle.
    register(server, "other@example.com")
    other_client, other_token = signed_in(server, "other@example.com")
    others = SoftAuthenticator("localhost", origin)
    assert add_passkey(server, other_client, other_token, others).status_code == 201
    swapped = es256.get(login_options(server, anonymous, page_token))
    swapped["id"] = b64(others.credential_id)
    assert passkey_login(server, anonymous, page_token, swapped).status_code == 401
    # Malformed fields and a missing CSRF token.
    assert passkey_login(server, anonymous, page_token, {"id": "x"}).status_code == 400
    assert passkey_login(server, anonymous, "wrong", es256.get(login_options(server, anonymous, page_token))).status_code == 403
    # After all of that the passkey still signs in: nothing was changed by a refusal.
    answer = passkey_login(server, anonymous, page_token, es256.get(login_options(server, anonymous, page_token)))
    assert answer.status_code == 200
    logs = server.logs()
    assert "passkey sign-in refused" in logs and page_token not in logs

    metrics = requests.get(server.url("/metrics")).text
    assert re.search(r'portcullis_passkey_logins_total\{result="failure"\} (\d+)', metrics).group(1) != "0"


def test_email_first_options_do_not_tell_which_emails_have_accounts(start_server):
    server, origin = passkey_server(start_server)
    register(server, "known@example.com")
    client = requests.Session()
    token = csrf(client.get(server.url("/login")).text)
    lists = {}
    for email in ("nobody@example.com", "known@example.com", "nobody@example.com"):
        allowed = login_options(server, client, token, email)["publicKey"]["allowCredentials"]
        assert len(allowed) == 1 and len(unb64(allowed[0]["id"])) == 32
        lists.setdefault(email, []).append(allowed[0]["id"])
    assert lists["nobody@example.com"][0] == lists["nobody@example.com"][1]  # stable, like a real one
    assert login_options(server, client, token)["publicKey"]["allowCredentials"] == []


def test_rename_remove_and_the_passkeys_survive_kill_minus_nine(start_server):
    server, origin = passkey_server(start_server, SNAPSHOT_INTERVAL="1")
    register(server, "keeper@example.com")
    client, token = signed_in(server, "keeper@example.com")
    authenticator = SoftAuthenticator("localhost", origin)
    spare = SoftAuthenticator("localhost", origin, "RS256")
    assert add_passkey(server, client, token, authenticator, name="Phone").status_code == 201
    assert add_passkey(server, client, token, spare, name="Spare").status_code == 201
    renamed = client.post(server.url("/account/passkeys/rename"),
                          data={"csrf": token, "passkey": b64(authenticator.credential_id), "name": "Work phone"})
    assert renamed.status_code == 200 and 'value="Work phone"' in renamed.text
    for bad in ("", "x" * 65, "two\nlines"):
        answer = client.post(server.url("/account/passkeys/rename"),
                             data={"csrf": token, "passkey": b64(authenticator.credential_id), "name": bad})
        assert answer.status_code == 400 and 'value="Work phone"' in answer.text
    time.sleep(1.5)  # a snapshot holds both passkeys; the removal and what follows are in the journal only
    removed = client.post(server.url("/account/passkeys/remove"), data={"csrf": token, "passkey": b64(spare.credential_id)})
    assert removed.status_code == 200 and "Spare" not in removed.text
    assert client.post(server.url("/account/passkeys/remove"),
                       data={"csrf": token, "passkey": b64(os.urandom(8))}).status_code == 404
    anonymous = requests.Session()
    page_token = csrf(anonymous.get(server.url("/login")).text)
    assert passkey_login(server, anonymous, page_token, authenticator.get(login_options(server, anonymous, page_token))).status_code == 200
    stale = authenticator.get(login_options(server, anonymous, page_token), count=authenticator.count)

    server = restart(server)
    try:
        anonymous = requests.Session()
        page_token = csrf(anonymous.get(server.url("/login")).text)
        # The counter survived: an assertion that does not go past it is still refused.
        stale_again = authenticator.get(login_options(server, anonymous, page_token), count=1)
        assert passkey_login(server, anonymous, page_token, stale_again).status_code == 401
        answer = passkey_login(server, anonymous, page_token, authenticator.get(login_options(server, anonymous, page_token)))
        assert answer.status_code == 200
        assert passkey_login(server, anonymous, page_token, spare.get(login_options(server, anonymous, page_token))).status_code == 401
        client, token = signed_in(server, "keeper@example.com")
        assert 'value="Work phone"' in client.get(server.url("/account")).text
        assert stale  # built before the restart; its challenge died with nothing to remember it
    finally:
        server.stop()


def test_passkeys_are_off_on_an_ip_address_and_a_bad_rp_id_stops_the_start(start_server):
    server = start_server(DOMAIN_SERVER="http://127.0.0.1:3080", DOMAIN_CLIENT="http://127.0.0.1:3080")
    register(server, "ip@example.com")
    assert "passkey-signin" not in requests.get(server.url("/login")).text
    client, token = signed_in(server, "ip@example.com")
    assert "by its domain name" in client.get(server.url("/account")).text
    assert client.post(server.url("/account/passkeys/options"), data={"csrf": token}).status_code == 404
    with pytest.raises(RuntimeError, match="WEBAUTHN_RP_ID"):
        start_server(DOMAIN_SERVER="https://auth.example.com", WEBAUTHN_RP_ID="other.example")


def add_passkey_in_browser(browser, origin, email):
    """Chromium with a virtual authenticator (resident keys, user verification) signs in with the
    password and adds a passkey named "Virtual key" on the account page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions
    browser.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True, has_user_verification=True,
        is_user_verified=True))
    browser.get(origin + "/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert arrived(browser, "/account")
    browser.find_element(By.ID, "passkey_name").send_keys("Virtual key")
    browser.find_element(By.CSS_SELECTOR, "#passkey-add button").click()
    assert shows(browser, 'value="Virtual key"')


def test_a_real_browser_registers_a_passkey_and_signs_in_with_it(start_server, browser):
    from selenium.webdriver.common.by import By
    server, origin = passkey_server(start_server)
    register(server, "chrome@example.com")
    add_passkey_in_browser(browser, origin, "chrome@example.com")
    shot(browser, "passkeys")
    [credential] = browser.get_credentials()
    assert credential.is_resident_credential and credential.rp_id == "localhost"

    for email in ("", "chrome@example.com"):  # discoverable, then email-first
        browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
        assert arrived(browser, "/login")
        browser.find_element(By.ID, "email").send_keys(email)
        browser.find_element(By.ID, "passkey-signin").click()
        assert arrived(browser, "/account") and "chrome@example.com" in browser.page_source
    assert browser.get_credentials()[0].sign_count >= 2

    # With no passkey for the email, the page says so and stays.
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    assert arrived(browser, "/login")
    browser.find_element(By.ID, "email").send_keys("stranger@example.com")
    browser.find_element(By.ID, "passkey-signin").click()
    assert shows(browser, "No passkey was used")
    assert csp_violations(browser) == [] and csp_reports(server, 204) == 0


def test_a_passkey_satisfies_require_2fa_a_password_alone_does_not(start_server):
    server, origin = passkey_server(start_server)
    register(server, "strong@example.com")
    client, token = signed_in(server, "strong@example.com")
    authenticator = SoftAuthenticator("localhost", origin)
    assert add_passkey(server, client, token, authenticator).status_code == 201
    server.env["REQUIRE_2FA"] = "all"
    server = restart(server, kill=False)
    try:
        assert login(server, "strong@example.com").json().get("twoFASetupRequired") is True  # one factor: enrol first
        anonymous = requests.Session()
        page_token = csrf(anonymous.get(server.url("/login")).text)
        answer = passkey_login(server, anonymous, page_token, authenticator.get(login_options(server, anonymous, page_token)))
        assert answer.status_code == 200
        me = requests.get(server.url("/api/user"), headers={"Authorization": f"Bearer {answer.json()['token']}"})
        assert me.status_code == 200 and me.json()["email"] == "strong@example.com"
    finally:
        server.stop()


def test_a_banned_account_cannot_sign_in_with_its_passkey(start_server):
    server, origin = passkey_server(start_server)
    register(server, "barred@example.com")
    client, token = signed_in(server, "barred@example.com")
    authenticator = SoftAuthenticator("localhost", origin)
    assert add_passkey(server, client, token, authenticator).status_code == 201
    assert server.cli("ban-user", "barred@example.com", "5").returncode == 0
    anonymous = requests.Session()
    page_token = csrf(anonymous.get(server.url("/login")).text)
    for handle in (True, False):  # discoverable, and email-first without a user handle
        email = "" if handle else "barred@example.com"
        options = login_options(server, anonymous, page_token, email)
        answer = passkey_login(server, anonymous, page_token, authenticator.get(options, handle=handle), email=email)
        assert answer.status_code == 403 and "Retry-After" in answer.headers and "refreshToken" not in answer.cookies
