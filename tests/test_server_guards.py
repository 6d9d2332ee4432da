"""What `portal serve` makes sure of before and while it serves: it never shares its port with another instance, it
clears what a killed process left half-written, and behind a reverse proxy it tells the people apart."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import httpx
from factories import PASSWORD, build_world
from support.cli import portal_env, run_portal
from support.race import portal_serve

from portal.settings import Settings
from portal.web.render import client_address


def test_a_second_serve_on_a_served_port_refuses_to_start_and_old_temp_files_are_cleared(settings, tmp_path) -> None:
    uploads = settings.uploads_dir / "ab"
    uploads.mkdir(parents=True)
    old, fresh = uploads / ".store-killed", uploads / ".store-in-progress"  # a process killed before its rename
    for path in (old, fresh):
        path.write_bytes(b"half a file")
    hour_ago = time.time() - 7200
    os.utime(old, (hour_ago, hour_ago))
    with portal_serve(settings.effective_database_url, settings.data_dir) as served:
        assert not old.exists() and fresh.exists()  # another process's write may still be under way
        port = served.url.rsplit(":", 1)[1]
        other = tmp_path / "other"  # another data directory, as an old release's would be
        second = run_portal(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            port,
            env=portal_env(settings.effective_database_url, other),
            cwd=tmp_path,
            timeout=120,
        )
        assert second.returncode != 0 and "已被占用" in second.stderr, second.stderr
        assert httpx.get(f"{served.url}/healthz", timeout=10).status_code == 200  # the first one serves on


def _asking(peer: str, forwarded: str | None = None) -> SimpleNamespace:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return SimpleNamespace(client=SimpleNamespace(host=peer), headers=headers)


def test_forwarded_addresses_are_believed_only_from_the_configured_proxies() -> None:
    plain = Settings(_env_file=None)
    proxied = Settings(trusted_proxies="10.0.0.5, 192.168.7.0/24", _env_file=None)
    assert client_address(_asking("10.0.0.5", "203.0.113.9"), plain) == "10.0.0.5"  # no proxy configured
    assert client_address(_asking("10.0.0.5", "203.0.113.9"), proxied) == "203.0.113.9"
    assert client_address(_asking("198.51.100.1", "203.0.113.9"), proxied) == "198.51.100.1"  # not a proxy of ours
    # what the browser itself put in front is not believed: the nearest untrusted hop is the person
    assert client_address(_asking("10.0.0.5", "1.2.3.4, 203.0.113.9, 192.168.7.20"), proxied) == "203.0.113.9"
    assert client_address(_asking("10.0.0.5"), proxied) == "10.0.0.5"  # a proxy that said nothing


def test_behind_the_proxy_one_persons_wrong_passwords_lock_out_only_that_person(settings, engine) -> None:
    build_world(engine)
    with portal_serve(settings.effective_database_url, settings.data_dir, PORTAL_TRUSTED_PROXIES="127.0.0.1") as served:

        def sign_in(username: str, password: str, address: str) -> httpx.Response:
            with httpx.Client(base_url=served.url, headers={"X-Forwarded-For": address}, timeout=60) as browser:
                browser.get("/login")
                token = browser.cookies.get("portal_csrf")
                return browser.post("/login", data={"username": username, "password": password, "_csrf_token": token})

        for n in range(settings.login_max_failures_address):
            assert sign_in(f"nobody{n}", "wrong", "203.0.113.9").status_code == 422
        assert "锁定" in sign_in("a.clerk", PASSWORD, "203.0.113.9").text  # that address is locked …
        assert sign_in("a.clerk", PASSWORD, "198.51.100.7").status_code == 303  # … not everyone behind the proxy
