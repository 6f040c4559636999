"""A real PostgreSQL server for the index tests.

`DEDUP_TEST_POSTGRES` (a URL, set by .ci/run) names a running server; it
must then be reachable, or the tests fail. Without it, a throwaway cluster
is started from Debian's postgresql package on a free local port, as the
`postgres` user when the tests run as root; where none can be started, the
tests that need it are skipped with the reason.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator

import pytest

ENV = "DEDUP_TEST_POSTGRES"


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    initdb = found[-1] if found else shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_started: dict[str, str] = {}  # one server for the whole test run, whichever module asks first


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """Return the URL of a PostgreSQL server whose user may create databases."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[test]'")
    given = os.environ.get(ENV)
    if given:
        with psycopg.connect(given, connect_timeout=10):  # CI promised a server: no skipping
            pass
        return given
    if "url" not in _started:
        if "skip" in _started:
            pytest.skip(_started["skip"])
        try:
            _started["url"] = _start()
        except pytest.skip.Exception as err:
            _started["skip"] = str(err)
            raise
    return _started["url"]


def _start() -> str:
    """Start a throwaway cluster, stopped when the tests end; skip with the reason where it cannot be."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL is not installed (apt-get install postgresql) and {ENV} is not set")
    as_user: list[str] = []
    root = tempfile.mkdtemp(prefix="dedup-pg-")
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as another user")
        shutil.chown(root, "postgres")
        as_user = [runuser, "-u", "postgres", "--"]
    data, port = os.path.join(root, "data"), _free_port()
    try:
        subprocess.run([*as_user, f"{bindir}/initdb", "-D", data, "-U", "dedup", "--auth=trust", "-E", "UTF8"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", "-o",
                        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                       check=True, capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL from {bindir}: {err}")

    def stop() -> None:
        subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql://dedup@127.0.0.1:{port}/postgres"


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """Yield the URL of a new, empty database, dropped after the test."""
    import psycopg

    name = f"dedup_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = postgres_server.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
