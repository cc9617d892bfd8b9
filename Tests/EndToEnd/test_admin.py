"""Operator commands through the admin socket, and LibreChat user import/export."""
import json
import os

import bcrypt
import requests

from conftest import login, register


def test_create_list_reset_delete(server):
    r = server.cli("create-user", "ops@example.com", "Ops Person", "ops")
    assert r.returncode == 0, r.stderr
    assert "role ADMIN" in r.stdout
    password = r.stdout.split("password: ")[1].strip()
    assert login(server, "ops@example.com", password).status_code == 200
    assert server.cli("create-user", "ops@example.com", "Again", "again", "another password").returncode == 1

    r = server.cli("create-user", "two@example.com", "Two Person", "two", "--password-stdin", stdin="initial password\n")
    assert r.returncode == 0 and "role USER" in r.stdout
    session = requests.Session()
    assert login(server, "two@example.com", "initial password", session=session).status_code == 200
    listed = server.cli("list-users")
    assert "two@example.com" in listed.stdout and "2 user(s)" in listed.stdout

    r = server.cli("reset-password", "two@example.com", stdin="brand new password\n")
    assert r.returncode == 0 and "1 session(s) ended" in r.stdout
    assert session.post(server.url("/api/auth/refresh")).status_code == 401
    assert login(server, "two@example.com", "initial password").status_code == 404
    assert login(server, "two@example.com", "brand new password").status_code == 200
    assert server.cli("reset-password", "two@example.com", stdin="short\n").returncode == 1

    assert server.cli("delete-user", "two@example.com").returncode == 0
    assert login(server, "two@example.com", "brand new password").status_code == 404
    assert server.cli("delete-user", "two@example.com").returncode == 1
    assert '"users":1' in server.cli("user-stats").stdout.replace(" ", "")


def test_admin_socket_is_private(server):
    assert os.stat(os.path.join(server.data, "admin.sock")).st_mode & 0o777 == 0o600


def test_offline_admin_commands_work_on_the_data_directory(tmp_path):
    import subprocess
    from conftest import BASE_ENV, BINARY, Server
    env = dict(os.environ, **BASE_ENV, PORTCULLIS_DATA_DIR=str(tmp_path / "data"))

    def cli(*args, stdin=None):
        return subprocess.run([BINARY, *args], env=env, cwd=tmp_path, input=stdin, capture_output=True, text=True, timeout=60)

    assert "0 user(s)" in cli("list-users").stdout
    r = cli("create-user", "offline@example.com", "Off Line", "offline", "--password-stdin", stdin="offline password\n")
    assert r.returncode == 0 and "role ADMIN" in r.stdout, r.stderr
    assert "offline@example.com" in cli("list-users").stdout
    # A server started on that directory has the user.
    server = Server.__new__(Server)
    import shutil
    Server.__init__(server, {"PORTCULLIS_DATA_DIR": str(tmp_path / "data")})
    try:
        assert login(server, "offline@example.com", "offline password").status_code == 200
    finally:
        server.process.terminate()
        server.process.wait(timeout=15)
        server.log.close()
    assert "offline@example.com" in cli("list-users").stdout


def test_import_librechat_users_with_bcrypt_hashes_then_login_rehashes(server, tmp_path):
    hashed = bcrypt.hashpw(b"imported password", bcrypt.gensalt(10)).decode()
    long_password = "x" * 80
    long_hash = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    documents = [
        {"_id": {"$oid": "65f0c0ffee0123456789abcd"}, "name": "Imported", "username": "imp", "email": "Imported@Example.com",
         "emailVerified": True, "password": hashed, "provider": "local", "role": "ADMIN",
         "createdAt": {"$date": "2024-03-01T10:00:00.000Z"}, "updatedAt": {"$date": "2024-03-02T10:00:00.000Z"}},
        {"_id": {"$oid": "65f0c0ffee0123456789abce"}, "name": "Unverified", "email": "unverified@example.com",
         "emailVerified": False, "password": bcrypt.hashpw(b"unverified password", bcrypt.gensalt(4)).decode(), "role": "USER"},
        {"_id": {"$oid": "65f0c0ffee0123456789abcf"}, "name": "Long", "email": "long@example.com", "emailVerified": True,
         "password": long_hash},
        {"_id": {"$oid": "65f0c0ffee0123456789abd0"}, "name": "Google", "email": "g@example.com", "emailVerified": True,
         "provider": "google", "googleId": "1234567890"},
        {"_id": {"$oid": "65f0c0ffee0123456789abd1"}, "name": "Duplicate email", "email": "imported@example.com", "password": hashed},
        {"_id": "nothex", "email": "bad@example.com"},
        {"_id": {"$oid": "65f0c0ffee0123456789abd2"}, "email": "nohash@example.com", "password": "$1$md5$crypt"},
    ]
    path = tmp_path / "users.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in documents) + "\nnot json\n")
    r = server.cli("import-users", str(path))
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["imported"], report["skipped"], report["invalid"]) == (4, 1, 3)

    r = login(server, "imported@example.com", "imported password")
    assert r.status_code == 200
    assert r.json()["user"]["id"] == "65f0c0ffee0123456789abcd" and r.json()["user"]["role"] == "ADMIN"
    assert login(server, "long@example.com", long_password[:72] + "different tail").status_code == 200
    r = login(server, "unverified@example.com", "unverified password")
    assert (r.status_code, r.json()) == (422, {"message": "Email not verified."})
    assert login(server, "g@example.com", "any password at all").status_code == 404

    exported = [json.loads(line) for line in server.cli("export-users").stdout.splitlines()]
    by_email = {u["email"]: u for u in exported}
    assert by_email["imported@example.com"]["password"].startswith("$argon2id$")  # rehashed at login
    assert by_email["unverified@example.com"]["password"].startswith("$2b$")
    assert by_email["g@example.com"]["googleId"] == "1234567890"
    assert by_email["imported@example.com"]["createdAt"] == {"$date": "2024-03-01T10:00:00.000Z"}

    # The export imports back unchanged into a fresh server.
    from conftest import Server
    other = Server()
    try:
        dump = tmp_path / "export.jsonl"
        dump.write_text(server.cli("export-users").stdout)
        assert json.loads(other.cli("import-users", str(dump)).stdout)["imported"] == 4
        assert other.cli("export-users").stdout == server.cli("export-users").stdout
        assert login(other, "imported@example.com", "imported password").status_code == 200
    finally:
        other.stop()
