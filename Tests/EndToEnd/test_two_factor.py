"""LibreChat's two-factor authentication with the real binary and pyotp as the authenticator app."""
import base64
import glob
import os
import time
import urllib.parse

import jwt
import pyotp
import requests

from conftest import JWT_SECRET, login, register
from test_durability import restart

PASSWORD = "correct horse battery"


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def enroll(server, email="two@example.com"):
    """Registers, logs in, enables and confirms 2FA; returns (access token, pyotp.TOTP, backup codes)."""
    register(server, email)
    token = login(server, email).json()["token"]
    r = requests.post(server.url("/api/auth/2fa/enable"), headers=auth(token), json={}, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    url = urllib.parse.urlparse(body["otpauthUrl"])
    assert url.scheme == "otpauth" and url.netloc == "totp"
    assert urllib.parse.unquote(url.path) == f"/LibreChat:{email}"
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query["issuer"] == "LibreChat" and len(query["secret"]) == 16
    assert len(body["backupCodes"]) == 10 and all(len(c) == 8 and int(c, 16) >= 0 for c in body["backupCodes"])
    totp = pyotp.TOTP(query["secret"])
    assert requests.post(server.url("/api/auth/2fa/verify"), headers=auth(token), json={"token": totp.now()}).status_code == 200
    assert requests.get(server.url("/api/user"), headers=auth(token)).json()["twoFactorEnabled"] is False
    r = requests.post(server.url("/api/auth/2fa/confirm"), headers=auth(token), json={"token": totp.now()})
    assert r.status_code == 200, r.text
    assert requests.get(server.url("/api/user"), headers=auth(token)).json()["twoFactorEnabled"] is True
    return token, totp, body["backupCodes"]


def next_code(totp):
    """A code of the next time step: valid (one step of skew is allowed) and not yet spent."""
    return totp.at(time.time() + 30)


def second_step(server, temp, **factor):
    session = requests.Session()
    r = session.post(server.url("/api/auth/2fa/verify-temp"), json={"tempToken": temp, **factor}, timeout=10)
    return r, session


def test_enrol_confirm_then_login_needs_the_second_step_and_codes_work_once(start_server):
    server = start_server()
    _, totp, codes = enroll(server)
    r = login(server, "two@example.com")
    assert r.status_code == 200 and r.json()["twoFAPending"] is True and set(r.json()) == {"twoFAPending", "tempToken"}
    assert "Set-Cookie" not in r.headers
    temp = r.json()["tempToken"]
    claims = jwt.decode(temp, JWT_SECRET, algorithms=["HS256"])
    assert claims["twoFAPending"] is True and claims["exp"] - claims["iat"] == 300

    # The code that confirmed enrolment is spent already.
    assert second_step(server, temp, token=totp.now())[0].status_code == 401
    code = next_code(totp)
    r, session = second_step(server, temp, token=code)
    assert r.status_code == 200 and set(r.json()) == {"token", "user"} and r.json()["user"]["twoFactorEnabled"] is True
    assert session.cookies.get("refreshToken") and session.cookies.get("portcullis_device")
    assert session.post(server.url("/api/auth/refresh")).status_code == 200
    again = second_step(server, temp, token=code)[0]
    assert (again.status_code, again.json()) == (401, {"message": "Invalid 2FA code or backup code"})

    r, _ = second_step(server, temp, backupCode="  " + codes[0] + " ")  # trimmed, as LibreChat
    assert r.status_code == 200
    assert second_step(server, temp, backupCode=codes[0])[0].status_code == 401
    metrics = requests.get(server.url("/metrics")).text
    assert 'portcullis_two_factor_logins_total{result="success"} 2' in metrics
    assert "portcullis_backup_codes_used_total 1" in metrics
    assert "portcullis_two_factor_replays_refused_total 2" in metrics


def test_temporary_tokens_forged_expired_or_missing_are_refused(start_server):
    server = start_server()
    _, totp, _ = enroll(server)
    user_id = login(server, "two@example.com").json()
    temp = user_id["tempToken"]
    uid = jwt.decode(temp, JWT_SECRET, algorithms=["HS256"])["userId"]
    now = int(time.time())
    expired = jwt.encode({"userId": uid, "twoFAPending": True, "iat": now - 400, "exp": now - 100}, JWT_SECRET, algorithm="HS256")
    forged = jwt.encode({"userId": uid, "twoFAPending": True, "iat": now, "exp": now + 300}, "another key " * 3, algorithm="HS256")
    not_pending = jwt.encode({"userId": uid, "twoFAPending": False, "iat": now, "exp": now + 300}, JWT_SECRET, algorithm="HS256")
    for token in (expired, forged, not_pending, "garbage", "x" * 5000):
        r = second_step(server, token, token=next_code(totp))[0]
        assert (r.status_code, r.json()) == (401, {"message": "Invalid or expired temporary token"}), token[:20]
    r = second_step(server, "", token=next_code(totp))[0]
    assert (r.status_code, r.json()) == (400, {"message": "Missing temporary token"})
    # Wrong types and huge values are 4xx, never a crash, and change nothing.
    for body in ({"tempToken": temp, "token": 123456}, {"tempToken": temp, "token": "1" * 100_000}, {"tempToken": [temp]}):
        assert 400 <= requests.post(server.url("/api/auth/2fa/verify-temp"), json=body).status_code < 500
    assert requests.post(server.url("/api/auth/2fa/verify-temp"), data=b"{not json").status_code == 400
    assert second_step(server, temp, token=next_code(totp))[0].status_code == 200


def test_wrong_codes_hit_the_limiter_for_that_account(start_server):
    server = start_server(TWO_FACTOR_TEMP_MAX="3", TWO_FACTOR_TEMP_WINDOW="1")
    enroll(server)
    temp = login(server, "two@example.com").json()["tempToken"]
    statuses = [second_step(server, temp, token="000000")[0].status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    r = second_step(server, temp, token="000000")[0]
    assert r.json() == {"message": "Too many verification attempts, please try again after 1 minutes."}
    assert 1 <= int(r.headers["Retry-After"]) <= 60


def test_disable_regenerate_and_deletion_need_a_code(start_server):
    server = start_server()
    token, totp, codes = enroll(server)
    url = server.url
    r = requests.post(url("/api/auth/2fa/disable"), headers=auth(token), json={})
    assert (r.status_code, r.json()) == (400, {"message": "Either token or backup code is required to disable 2FA"})
    r = requests.post(url("/api/auth/2fa/disable"), headers=auth(token), json={"token": "123456"})
    assert (r.status_code, r.json()) == (401, {"message": "Invalid token or backup code"})
    r = requests.post(url("/api/auth/2fa/backup/regenerate"), headers=auth(token), json={"backupCode": codes[1]})
    assert r.status_code == 200 and len(r.json()["backupCodes"]) == 10
    fresh = r.json()["backupCodes"]
    assert [h["used"] for h in r.json()["backupCodesHash"]] == [False] * 10
    # The old codes are gone; the new ones work.
    assert requests.post(url("/api/auth/2fa/disable"), headers=auth(token), json={"backupCode": codes[2]}).status_code == 401
    assert requests.delete(url("/api/user/delete"), headers=auth(token)).status_code == 400
    assert requests.delete(url("/api/user/delete"), headers=auth(token), json={"token": "000000"}).status_code == 401
    assert requests.post(url("/api/auth/2fa/disable"), headers=auth(token), json={"backupCode": fresh[0]}).status_code == 200
    assert requests.get(url("/api/user"), headers=auth(token)).json()["twoFactorEnabled"] is False
    r = requests.post(url("/api/auth/2fa/disable"), headers=auth(token), json={"token": next_code(totp)})
    assert (r.status_code, r.json()) == (400, {"message": "2FA is not setup for this user"})
    assert login(server, "two@example.com").json().get("token")  # a plain login again

    token2, totp2, _ = enroll(server, "del@example.com")
    assert requests.delete(url("/api/user/delete"), headers=auth(token2), json={"token": next_code(totp2)}).status_code == 200
    assert login(server, "del@example.com").status_code == 404


def test_second_factors_survive_kill_minus_nine_and_are_never_stored_in_clear(start_server):
    server = start_server(SNAPSHOT_INTERVAL="1")
    _, totp, codes = enroll(server)
    time.sleep(1.5)  # a snapshot holds the record too
    server = restart(server)
    try:
        temp = login(server, "two@example.com").json()["tempToken"]
        assert second_step(server, temp, token=next_code(totp))[0].status_code == 200
        # The journal is not compressed: neither the secret (Base32 or raw) nor a backup code is in it.
        journal = b"".join(open(p, "rb").read() for p in glob.glob(os.path.join(server.data, "journal-*.log")))
        assert journal and totp.secret.encode() not in journal and base64.b32decode(totp.secret) not in journal
        assert all(code.encode() not in journal for code in codes)
        done = server.cli("disable-2fa", "two@example.com")
        assert done.returncode == 0 and "sessions ended" in done.stdout
        assert login(server, "two@example.com").json().get("token")
    finally:
        server.process.kill()
        server.process.wait()


OLD_CREDS_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def encrypt_v3(value, key_hex):
    """LibreChat's encryptV3: AES-256-CTR under the hex CREDS_KEY, `v3:<iv hex>:<cipher hex>`."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    iv = os.urandom(16)
    encryptor = Cipher(algorithms.AES(bytes.fromhex(key_hex)), modes.CTR(iv)).encryptor()
    return f"v3:{iv.hex()}:{(encryptor.update(value.encode()) + encryptor.finalize()).hex()}"


def encrypt_v2(value, key_hex):
    """LibreChat's encryptV2: AES-256-CBC with PKCS#7, `<iv hex>:<cipher hex>`."""
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(value.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(bytes.fromhex(key_hex)), modes.CBC(iv)).encryptor()
    return f"{iv.hex()}:{(encryptor.update(data) + encryptor.finalize()).hex()}"


def test_importing_librechat_2fa_users_keeps_their_second_factor(start_server, tmp_path):
    import hashlib
    import json

    import bcrypt
    server = start_server()
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    # LibreChat's secrets: 10 random bytes as 16 Base32 characters.
    secrets = {kind: base64.b32encode(os.urandom(10)).decode() for kind in ("v3", "v2", "plain")}
    stored = {"v3": encrypt_v3(secrets["v3"], OLD_CREDS_KEY), "v2": encrypt_v2(secrets["v2"], OLD_CREDS_KEY),
              "plain": secrets["plain"]}
    backup = "a1b2c3d4"
    documents = []
    for n, kind in enumerate(("v3", "v2", "plain")):
        documents.append({
            "_id": {"$oid": f"65f0c0ffee0123456789ab{n:02x}"}, "name": f"User {kind}", "email": f"{kind}@example.com",
            "emailVerified": True, "password": hashed, "twoFactorEnabled": True, "totpSecret": stored[kind],
            "backupCodes": [{"codeHash": hashlib.sha256(backup.encode()).hexdigest(), "used": False, "usedAt": None},
                            {"codeHash": hashlib.sha256(b"deadbeef").hexdigest(), "used": True, "usedAt": {"$date": "2025-01-01T00:00:00Z"}}]})
    documents.append({"_id": {"$oid": "65f0c0ffee0123456789abff"}, "name": "Unreadable", "email": "bad@example.com",
                      "emailVerified": True, "password": hashed, "twoFactorEnabled": True,
                      "totpSecret": encrypt_v3(secrets["v3"], "ff" * 32)})
    path = tmp_path / "users.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in documents) + "\n")
    report = json.loads(server.cli("import-users", str(path), "--creds-key", OLD_CREDS_KEY).stdout)
    assert (report["imported"], report["invalid"]) == (3, 1), report
    assert "cannot be read" in report["problems"][0]
    assert login(server, "bad@example.com").status_code == 404  # a 2FA user is never imported without the factor

    for kind in ("v3", "v2", "plain"):
        r = login(server, f"{kind}@example.com")
        assert r.json()["twoFAPending"] is True, kind
        temp = r.json()["tempToken"]
        assert second_step(server, temp, token=pyotp.TOTP(secrets[kind]).now())[0].status_code == 200, kind
    temp = login(server, "v3@example.com").json()["tempToken"]
    assert second_step(server, temp, backupCode="deadbeef")[0].status_code == 401  # used in LibreChat already
    assert second_step(server, temp, backupCode=backup)[0].status_code == 200

    # An export carries the secret sealed; it imports back into a deployment with the same key.
    export = server.cli("export-users").stdout
    assert secrets["v3"] not in export and '"totpSecret":"pc1:' in export.replace(" ", "")
    generated = dict(line.split("=", 1) for line in open(os.path.join(server.data, "secrets.env")).read().split())
    other = start_server(CREDS_KEY=generated["CREDS_KEY"])
    (tmp_path / "export.jsonl").write_text(export)
    assert json.loads(other.cli("import-users", str(tmp_path / "export.jsonl")).stdout)["imported"] == 3
    temp = login(other, "plain@example.com").json()["tempToken"]
    assert second_step(other, temp, token=next_code(pyotp.TOTP(secrets["plain"])))[0].status_code == 200
    stranger = start_server(CREDS_KEY="not the same key at all")
    assert json.loads(stranger.cli("import-users", str(tmp_path / "export.jsonl")).stdout)["invalid"] == 3


def test_require_2fa_for_admins_holds_them_to_enrolment(start_server):
    server = start_server(REQUIRE_2FA="admins")
    register(server, "boss@example.com")  # the first account: ADMIN
    register(server, "user@example.com")
    assert login(server, "user@example.com").json().get("token")  # not in scope
    r = login(server, "boss@example.com")
    assert r.status_code == 200 and r.json()["twoFASetupRequired"] is True and "Set-Cookie" not in r.headers
    setup = r.json()["setupToken"]
    # The setup token opens the enrolment routes only.
    assert requests.get(server.url("/api/user"), headers=auth(setup)).status_code == 401
    # An access token of the held-back admin (issued before the rule, or by LibreChat) gets 403 everywhere but enrolment.
    admin_id = jwt.decode(setup, JWT_SECRET, algorithms=["HS256"])["userId"]
    now = int(time.time())
    access = jwt.encode({"id": admin_id, "username": "", "provider": "local", "email": "boss@example.com", "iat": now,
                         "exp": now + 900}, JWT_SECRET, algorithm="HS256")
    held = requests.get(server.url("/api/user"), headers=auth(access))
    assert (held.status_code, held.json()["twoFASetupRequired"]) == (403, True)
    assert requests.get(server.url("/api/admin/bans"), headers=auth(access)).status_code == 403
    r = requests.post(server.url("/api/auth/2fa/enable"), headers=auth(setup), json={})
    assert r.status_code == 200
    totp = pyotp.TOTP(dict(urllib.parse.parse_qsl(urllib.parse.urlparse(r.json()["otpauthUrl"]).query))["secret"])
    assert requests.post(server.url("/api/auth/2fa/confirm"), headers=auth(setup), json={"token": totp.now()}).status_code == 200
    temp = login(server, "boss@example.com").json()["tempToken"]
    r, session = second_step(server, temp, token=next_code(totp))
    assert r.status_code == 200
    assert requests.get(server.url("/api/admin/bans"), headers=auth(r.json()["token"])).status_code == 200


def test_a_signed_in_session_cannot_try_every_code(start_server):
    # A stolen session guessing codes to turn 2FA off or mint backup codes meets the limiter per account.
    server = start_server(TWO_FACTOR_TEMP_MAX="5", TWO_FACTOR_TEMP_WINDOW="1")
    token, totp, backup = enroll(server)  # verify and confirm were two attempts
    guesses = [requests.post(server.url(path), headers=auth(token), json={"token": "000000"})
               for path in ("/api/auth/2fa/disable", "/api/auth/2fa/backup/regenerate", "/api/auth/2fa/disable",
                            "/api/auth/2fa/disable")]
    assert [r.status_code for r in guesses] == [401, 401, 401, 429]
    assert "Too many verification attempts" in guesses[-1].json()["message"] and guesses[-1].headers["Retry-After"]
    # Even the right code waits now, and 2FA stays on.
    r = requests.post(server.url("/api/auth/2fa/disable"), headers=auth(token), json={"token": totp.now()})
    assert r.status_code == 429
    assert requests.get(server.url("/api/user"), headers=auth(token)).json()["twoFactorEnabled"] is True
    # The next sign-in's second step has its own budget.
    temp = login(server, "two@example.com").json()["tempToken"]
    assert second_step(server, temp, backupCode=backup[0])[0].status_code == 200
