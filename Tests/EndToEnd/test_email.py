"""Email flows against a real SMTP server on 127.0.0.1 (aiosmtpd): verification, password reset,
invites, TLS modes, authentication, rejection and an unreachable server."""
import email
import email.policy
import glob
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

import pytest
import requests

from conftest import free_port, login, register

HERE = os.path.dirname(os.path.abspath(__file__))


class SMTPServer:
    def __init__(self, tmp_path, port=None, **env):
        self.port = port or free_port()
        self.out = str(tmp_path / f"mails-{self.port}-{time.time_ns()}")
        full = dict(os.environ, SMTP_PORT=str(self.port), SMTP_OUT=self.out, **env)
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "smtp_server.py")], env=full,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def messages(self, count=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            files = sorted(glob.glob(os.path.join(self.out, "*.eml")), key=lambda p: int(os.path.basename(p)[:-4]))
            if len(files) >= count:
                return [email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default) for f in files]
            time.sleep(0.1)
        raise AssertionError(f"expected {count} mail(s), got {len(glob.glob(os.path.join(self.out, '*.eml')))}")

    def records(self):
        with open(os.path.join(self.out, "messages.jsonl")) as f:
            return [json.loads(line) for line in f]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def certificate(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    return str(cert), str(key)


def mail_env(smtp, **extra):
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_FROM": "noreply@portcullis.test",
           "EMAIL_FROM_NAME": "Pörtcullis Team", "DOMAIN_CLIENT": "https://chat.example.com", "ALLOW_PASSWORD_RESET": "true"}
    env.update(extra)
    return env


def link_in(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    links = re.findall(r"https?://\S+", text)
    assert links, text
    assert links[0].replace("&", "&amp;") in html or links[0] in html
    return urllib.parse.urlparse(links[0])


def test_verification_flow_over_plain_smtp(start_server, tmp_path):
    smtp = SMTPServer(tmp_path)
    try:
        server = start_server(**mail_env(smtp))
        r = requests.post(server.url("/api/auth/register"), headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
                          json={"name": "Ünï Mail", "email": "verify@example.com", "password": "correct horse battery",
                                "confirm_password": "correct horse battery"})
        assert r.status_code == 200
        assert login(server, "verify@example.com").status_code == 422  # not verified yet
        [message] = smtp.messages(1)
        assert message["To"] == "verify@example.com" and message["Subject"] == "Verify your email"
        assert "Pörtcullis Team" in str(message["From"]) and "noreply@portcullis.test" in str(message["From"])
        assert message["Message-ID"] and message["Date"] and message.get_content_type() == "multipart/alternative"
        url = link_in(message)
        assert (url.scheme, url.netloc, url.path) == ("https", "chat.example.com", "/verify")
        assert "evil.example" not in message.as_string()
        params = dict(urllib.parse.parse_qsl(url.query))
        assert len(params["token"]) == 64 and params["email"] == "verify@example.com"
        r = requests.post(server.url("/api/user/verify"), json={"email": "verify@example.com", "token": params["token"]})
        assert (r.status_code, r.json()) == (200, {"message": "Email verification was successful", "status": "success"})
        r = requests.post(server.url("/api/user/verify"), json={"email": "verify@example.com", "token": params["token"]})
        assert (r.status_code, r.json()) == (400, {"message": "Invalid or expired email verification token"})
        assert login(server, "verify@example.com").status_code == 200
        # Resend answers the same for unknown, verified and unverified addresses.
        answers = {requests.post(server.url("/api/user/verify/resend"), json={"email": e}).text
                   for e in ("verify@example.com", "nobody@example.com")}
        assert len(answers) == 1
    finally:
        smtp.stop()


def test_password_reset_flow_and_identical_answers(start_server, tmp_path):
    smtp = SMTPServer(tmp_path)
    try:
        server = start_server(**mail_env(smtp, ALLOW_UNVERIFIED_EMAIL_LOGIN="true"))
        register(server, "reset@example.com", "old password value")
        smtp.messages(1)  # the verification mail
        session = requests.Session()
        assert login(server, "reset@example.com", "old password value", session=session).status_code == 200
        known = requests.post(server.url("/api/auth/requestPasswordReset"), json={"email": "reset@example.com"})
        unknown = requests.post(server.url("/api/auth/requestPasswordReset"), json={"email": "ghost@example.com"})
        assert (known.status_code, known.text) == (unknown.status_code, unknown.text)
        assert known.json() == {"message": "If an account with that email exists, a password reset link has been sent to it."}
        message = smtp.messages(2)[1]
        url = link_in(message)
        assert url.netloc == "chat.example.com" and url.path == "/reset-password"
        params = dict(urllib.parse.parse_qsl(url.query))
        body = {"userId": params["userId"], "token": params["token"], "password": "new password value",
                "confirm_password": "new password value"}
        short = dict(body, password="short", confirm_password="short")
        assert requests.post(server.url("/api/auth/resetPassword"), json=short).status_code == 400  # token not spent
        r = requests.post(server.url("/api/auth/resetPassword"), json=body)
        assert (r.status_code, r.json()) == (200, {"message": "Password reset was successful"})
        assert requests.post(server.url("/api/auth/resetPassword"), json=body).status_code == 400  # single use
        assert session.post(server.url("/api/auth/refresh")).status_code == 401  # every session ended
        assert login(server, "reset@example.com", "old password value").status_code == 404
        assert login(server, "reset@example.com", "new password value").status_code == 200
        assert smtp.messages(3)[2]["Subject"] == "Password Reset Successfully"
    finally:
        smtp.stop()


def test_expired_and_superseded_tokens(start_server, tmp_path):
    smtp = SMTPServer(tmp_path)
    try:
        server = start_server(**mail_env(smtp, EMAIL_VERIFICATION_TOKEN_EXPIRY="1000"))
        register(server, "exp@example.com")
        token = dict(urllib.parse.parse_qsl(link_in(smtp.messages(1)[0]).query))["token"]
        time.sleep(1.3)
        r = requests.post(server.url("/api/user/verify"), json={"email": "exp@example.com", "token": token})
        assert r.status_code == 400
        requests.post(server.url("/api/user/verify/resend"), json={"email": "exp@example.com"})
        first = dict(urllib.parse.parse_qsl(link_in(smtp.messages(2)[1]).query))["token"]
        requests.post(server.url("/api/user/verify/resend"), json={"email": "exp@example.com"})
        second = dict(urllib.parse.parse_qsl(link_in(smtp.messages(3)[2]).query))["token"]
        assert requests.post(server.url("/api/user/verify"), json={"email": "exp@example.com", "token": first}).status_code == 400
        assert requests.post(server.url("/api/user/verify"), json={"email": "exp@example.com", "token": second}).status_code == 200
    finally:
        smtp.stop()


def test_starttls_implicit_tls_auth_and_self_signed(start_server, tmp_path, certificate):
    cert, key = certificate
    starttls = SMTPServer(tmp_path, SMTP_CERT=cert, SMTP_KEY=key, SMTP_REQUIRE_TLS="1", SMTP_USER="mailer", SMTP_PASS="s3cret")
    implicit = SMTPServer(tmp_path, SMTP_CERT=cert, SMTP_KEY=key, SMTP_IMPLICIT_TLS="1")
    try:
        refusing = start_server(**mail_env(starttls, EMAIL_ENCRYPTION="starttls", EMAIL_USERNAME="mailer", EMAIL_PASSWORD="s3cret"))
        register(refusing, "strict@example.com")
        time.sleep(2.5)  # the self-signed certificate is refused: retried, never delivered
        assert not glob.glob(os.path.join(starttls.out, "*.eml"))
        metrics = requests.get(refusing.url("/metrics")).text
        assert re.search(r"portcullis_mail_retries_total [1-9]", metrics), metrics

        trusting = start_server(**mail_env(starttls, EMAIL_ENCRYPTION="starttls", EMAIL_ALLOW_SELFSIGNED="true",
                                           EMAIL_USERNAME="mailer", EMAIL_PASSWORD="s3cret"))
        register(trusting, "tls@example.com")
        assert starttls.messages(1)[0]["To"] == "tls@example.com"
        assert starttls.records()[-1]["tls"] is True and starttls.records()[-1]["auth"] == "mailer"

        wrong = start_server(**mail_env(starttls, EMAIL_ALLOW_SELFSIGNED="true", EMAIL_USERNAME="mailer", EMAIL_PASSWORD="wrong"))
        register(wrong, "denied@example.com")
        time.sleep(2)
        assert len(glob.glob(os.path.join(starttls.out, "*.eml"))) == 1

        # Implicit TLS: the server speaks TLS from the first byte, so delivery itself proves it (aiosmtpd
        # only flags STARTTLS sessions); the unverified certificate is refused unless allowed.
        strict = start_server(**mail_env(implicit, EMAIL_ENCRYPTION="tls"))
        register(strict, "smtps-strict@example.com")
        time.sleep(2)
        assert not glob.glob(os.path.join(implicit.out, "*.eml"))
        smtps = start_server(**mail_env(implicit, EMAIL_ENCRYPTION="tls", EMAIL_ALLOW_SELFSIGNED="true"))
        register(smtps, "smtps@example.com")
        assert implicit.messages(1)[0]["To"] == "smtps@example.com"
    finally:
        starttls.stop()
        implicit.stop()


def test_rejected_recipient_is_a_permanent_failure_and_the_user_stays(start_server, tmp_path):
    smtp = SMTPServer(tmp_path, SMTP_REJECT="bounce@example.com")
    try:
        server = start_server(**mail_env(smtp))
        assert register(server, "bounce@example.com").status_code == 200
        deadline = time.time() + 10
        while time.time() < deadline and "portcullis_mail_failed_total 1" not in requests.get(server.url("/metrics")).text:
            time.sleep(0.2)
        assert "portcullis_mail_failed_total 1" in requests.get(server.url("/metrics")).text
        assert "bounce@example.com" in server.cli("list-users").stdout
    finally:
        smtp.stop()


def test_mail_waits_for_a_server_that_is_down(start_server, tmp_path):
    port = free_port()
    server = start_server(**mail_env(type("S", (), {"port": port})()))
    assert register(server, "later@example.com").status_code == 200
    time.sleep(1.5)
    smtp = SMTPServer(tmp_path, port=port)
    try:
        [message] = smtp.messages(1, timeout=20)
        assert message["To"] == "later@example.com"
    finally:
        smtp.stop()


def test_invites_open_registration_for_that_address_only(start_server, tmp_path):
    smtp = SMTPServer(tmp_path)
    try:
        server = start_server(**mail_env(smtp, ALLOW_REGISTRATION="false"))
        r = server.cli("invite-user", "Guest@Example.com")
        assert r.returncode == 0, r.stderr
        message = smtp.messages(1)[0]
        assert message["Subject"] == "Invite to join LibreChat!"
        url = link_in(message)
        assert url.netloc == "chat.example.com" and url.path == "/register"
        token = dict(urllib.parse.parse_qsl(url.query))["token"]
        assert register(server, "someone@example.com", token=token).status_code == 400  # bound to the invited email
        assert register(server, "intruder@example.com").status_code == 403  # registration is closed
        r = register(server, "guest@example.com", token=token)
        assert r.status_code == 200
        assert register(server, "guest2@example.com", token=token).status_code == 400
        assert "guest@example.com" in server.cli("list-users").stdout
        assert server.cli("invite-user", "guest@example.com").returncode == 1  # already a user
    finally:
        smtp.stop()


def test_without_email_reset_is_refused_unless_explicitly_unsecured(start_server):
    server = start_server(ALLOW_PASSWORD_RESET="true")
    register(server, "nomail@example.com")
    assert login(server, "nomail@example.com").status_code == 200  # auto-verified without email
    r = requests.post(server.url("/api/auth/requestPasswordReset"), json={"email": "nomail@example.com"})
    assert r.status_code == 403
    unsecured = start_server(ALLOW_PASSWORD_RESET="true", ALLOW_UNSECURED_PASSWORD_RESET="true", DOMAIN_CLIENT="https://chat.example.com")
    register(unsecured, "open@example.com")
    r = requests.post(unsecured.url("/api/auth/requestPasswordReset"), json={"email": "open@example.com"})
    assert r.status_code == 200 and r.json()["link"].startswith("https://chat.example.com/reset-password?token=")
    disabled = start_server()
    r = requests.post(disabled.url("/api/auth/requestPasswordReset"), json={"email": "open@example.com"})
    assert (r.status_code, r.text) == (403, "Password reset is not allowed.")


def test_a_new_device_signing_in_is_mailed_once(start_server, tmp_path):
    smtp = SMTPServer(tmp_path)
    try:
        server = start_server(**mail_env(smtp, NOTIFY_NEW_LOGIN="true", ALLOW_UNVERIFIED_EMAIL_LOGIN="true",
                                         DOMAIN_SERVER="https://auth.example.com"))
        register(server, "watch@example.com")
        smtp.messages(1)  # the verification mail
        laptop = requests.Session()
        headers = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36"}
        assert laptop.post(server.url("/api/auth/login"), json={"email": "watch@example.com", "password": "correct horse battery"},
                           headers=headers).status_code == 200
        notice = smtp.messages(2)[1]
        assert notice["To"] == "watch@example.com" and notice["Subject"] == "New sign-in to LibreChat"
        text = notice.get_body(preferencelist=("plain",)).get_content()
        assert "Device: Chrome on Windows" in text and "Address: 127.0.0.1" in text and "https://auth.example.com/account" in text
        # The same browser again (it has its device cookie now): no mail.
        assert laptop.post(server.url("/api/auth/login"), json={"email": "watch@example.com", "password": "correct horse battery"},
                           headers=headers).status_code == 200
        time.sleep(1.0)
        assert len(smtp.messages(2)) == 2
        # Another browser: one more.
        assert login(server, "watch@example.com").status_code == 200
        assert len(smtp.messages(3)) == 3
    finally:
        smtp.stop()


def test_the_dashboard_retries_waiting_mail_at_once(start_server, tmp_path):
    port = free_port()
    server = start_server(**mail_env(type("S", (), {"port": port})()))
    assert server.cli("create-user", "ops@example.com", "Ops", "ops", "a long admin password").returncode == 0
    token = login(server, "ops@example.com", "a long admin password").json()["token"]
    assert register(server, "waiting@example.com").status_code == 200
    time.sleep(3.5)  # attempts at 0, 1 and 3 s failed: the next is 4 s away
    smtp = SMTPServer(tmp_path, port=port)
    try:
        answer = requests.post(server.url("/api/admin/outbox/retry"), headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200 and answer.json()["retrying"] == 1
        [message] = smtp.messages(1, timeout=2)
        assert message["To"] == "waiting@example.com"
    finally:
        smtp.stop()
