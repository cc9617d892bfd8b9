"""The two commands' install steps: `scripts/serve` installs only what serving needs (no browser,
no Python), `scripts/test` everything the tests drive. Checked with stand-in dpkg/apt-get on PATH
that report every package missing and record what would be installed."""
import os
import stat
import subprocess

from conftest import ROOT


def installs(tmp_path, *mode):
    log = tmp_path / "apt.log"
    for name, body in (("dpkg", "exit 1"), ("apt-get", f'echo "$@" >> {log}')):
        tool = tmp_path / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    subprocess.run([os.path.join(ROOT, "scripts", "setup-system"), *mode], env=env, check=True, capture_output=True)
    lines = log.read_text().splitlines()
    assert lines[0].startswith("update")
    return set(lines[1].split()) - {"install", "-y", "-q"}


def test_serve_installs_no_browser_and_no_test_tools(tmp_path):
    assert installs(tmp_path, "serve") == {"libzstd-dev", "libcurl4-openssl-dev", "libqrencode-dev", "pkg-config"}
    with open(os.path.join(ROOT, "scripts", "serve")) as f:
        assert "scripts/setup-system serve" in f.read()


def test_the_test_path_installs_the_browser_and_oracles(tmp_path):
    assert {"chromium", "chromium-driver", "python3-venv", "openssl", "libzstd-dev", "zbar-tools"} <= installs(tmp_path)
