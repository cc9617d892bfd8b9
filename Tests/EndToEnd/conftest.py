"""Fixtures that run the real `portcullis` binary on 127.0.0.1 with a private data directory."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("PORTCULLIS_BIN") or os.path.join(ROOT, ".build", "debug", "portcullis")
JWT_SECRET = "e2e-access-secret-0123456789abcdef"
JWT_REFRESH_SECRET = "e2e-refresh-secret-0123456789abcdef"

# Cheap Argon2id parameters keep the debug binary fast; the code path is the production one.
BASE_ENV = {
    "JWT_SECRET": JWT_SECRET,
    "JWT_REFRESH_SECRET": JWT_REFRESH_SECRET,
    "ALLOW_REGISTRATION": "true",
    "ARGON2_MEMORY_KIB": "1024",
    "ARGON2_ITERATIONS": "1",
    # The suite logs in and registers far more often than LibreChat's per-IP limits allow; the
    # moderation tests set their own limits.
    "LOGIN_MAX": "100000",
    "REGISTER_MAX": "100000",
    "RESET_PASSWORD_MAX": "100000",
    "VERIFY_EMAIL_MAX": "100000",
    # The email tests count their mails; the new-sign-in notice has its own test.
    "NOTIFY_NEW_LOGIN": "false",
}


_SEED_KEYS = None


def seed_provider_keys(directory):
    """Writes OpenID provider signing keys made by Python's `cryptography` (an independent implementation,
    so the server is also shown to read keys made elsewhere): the debug build takes seconds to make an RSA
    key, far too long for every server a test starts. test_oidc_provider checks the server's own."""
    global _SEED_KEYS
    if _SEED_KEYS is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
        created = int(time.time() * 1000)
        _SEED_KEYS = json.dumps({"keys": [
            {"kid": "e2e-rsa-1", "alg": "RS256", "created": created, "pem": rsa_pem},
            {"kid": "e2e-ec-1", "alg": "ES256", "created": created, "pem": ec_pem}]})
    path = os.path.join(directory, "oidc-keys.json")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(_SEED_KEYS)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env=None, seed_keys=True):
        # A caller that must know the port before start-up (callback URLs registered at a provider) passes PORT.
        self.port = int((env or {}).get("PORT") or free_port())
        self.data = tempfile.mkdtemp(prefix="portcullis-e2e-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLOW_", "JWT_", "SESSION_", "REFRESH_"))}
        self.env.update(BASE_ENV)
        self.env.update({"PORT": str(self.port), "PORTCULLIS_DATA_DIR": self.data})
        self.env.update(env or {})
        if seed_keys:
            seed_provider_keys(self.data)
        self.log_path = os.path.join(self.data, "server.log")
        self.log = open(self.log_path, "w")
        # Run from the data directory so no stray .env in the repository is read.
        self.process = subprocess.Popen([BINARY, "serve"], env=self.env, cwd=self.data, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        # A first start without seeded keys makes an RSA key: seconds to minutes in the debug build.
        deadline = time.time() + (60 if seed_keys else 240)
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {open(self.log_path).read()}")
            try:
                if requests.get(self.base + "/health", timeout=0.5).text == "OK":
                    return
            except requests.RequestException:
                time.sleep(0.05)
        self.process.kill()  # never leave a server behind that no fixture will stop
        self.process.wait()
        raise RuntimeError("server did not start")

    def url(self, path):
        return self.base + path

    def cli(self, *args, stdin=None):
        return subprocess.run([BINARY, *args], env=self.env, cwd=self.data, input=stdin, capture_output=True, text=True, timeout=60)

    def logs(self):
        time.sleep(0.5)  # the server flushes its log buffer every 200 ms
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.data, ignore_errors=True)


@pytest.fixture
def start_server():
    started = []

    def start(seed_keys=True, **env):
        server = Server(env, seed_keys=seed_keys)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(start_server):
    return start_server()


def register(server, email, password="correct horse battery", name="Test User", **extra):
    body = {"name": name, "email": email, "password": password, "confirm_password": password}
    body.update(extra)
    return requests.post(server.url("/api/auth/register"), json=body, timeout=10)


def login(server, email, password="correct horse battery", session=None):
    client = session or requests
    return client.post(server.url("/api/auth/login"), json={"email": email, "password": password}, timeout=10)


@pytest.fixture
def browser():
    """Headless Chromium (Debian's) through Selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,1100"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP violations are reported there
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(15)
    yield driver
    driver.quit()
