#!/usr/bin/env python3
"""A loopback SMTP server for the email tests (aiosmtpd), configured by environment variables:

SMTP_PORT, SMTP_OUT (directory: <n>.eml per message and messages.jsonl), SMTP_CERT/SMTP_KEY (offer
STARTTLS), SMTP_REQUIRE_TLS=1 (refuse MAIL before STARTTLS), SMTP_IMPLICIT_TLS=1 (TLS from the first
byte), SMTP_USER/SMTP_PASS (require AUTH), SMTP_REJECT (a recipient answered 550)."""
import json
import logging
import os
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

logging.getLogger("mail.log").setLevel(logging.ERROR)
port = int(os.environ["SMTP_PORT"])
out = os.environ["SMTP_OUT"]
cert, key = os.environ.get("SMTP_CERT"), os.environ.get("SMTP_KEY")
user, password = os.environ.get("SMTP_USER"), os.environ.get("SMTP_PASS")
reject = (os.environ.get("SMTP_REJECT") or "").lower()
os.makedirs(out, exist_ok=True)
lock = threading.Lock()
received = [0]


class Capture:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if reject and address.lower() == reject:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        with lock:
            received[0] += 1
            n = received[0]
            with open(os.path.join(out, f"{n}.eml"), "wb") as f:
                f.write(data)
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            with open(os.path.join(out, "messages.jsonl"), "a") as f:
                f.write(json.dumps({"n": n, "from": envelope.mail_from, "to": envelope.rcpt_tos, "auth": login,
                                    "tls": session.ssl is not None}) + "\n")
        return "250 accepted"


def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


options = {}
context = None
if cert and key:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
if context and os.environ.get("SMTP_IMPLICIT_TLS") == "1":
    options["ssl_context"] = context
elif context:
    options.update(tls_context=context, require_starttls=os.environ.get("SMTP_REQUIRE_TLS") == "1")
if user:
    options.update(authenticator=check, auth_required=True, auth_require_tls=context is not None)
controller = Controller(Capture(), hostname="127.0.0.1", port=port, **options)
controller.start()
print("ready", flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
done.wait()
controller.stop()
