"""A throw-away PostgreSQL server for the test run: real binaries, a temporary cluster.

The cluster lives in a temporary folder, listens on 127.0.0.1 only, on a free port, with its
socket in that folder (never /var/run); fsync is off because the data dies with the run.
PostgreSQL refuses to run as root, so as root every server command runs as the ``postgres``
user and the folder belongs to that user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

SERVER_USER = "postgres"
MISSING_BINARIES = (
    "PostgreSQL server binaries not found (initdb): install the Debian package 'postgresql' "
    "(apt-get install postgresql) or put initdb and pg_ctl on PATH; .ci/run installs it"
)
_START_ATTEMPTS = 3


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    installed = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(installed, key=_major_version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _major_version(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


class PostgresServer:
    """One running cluster; :meth:`stop` removes it and its folder."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="newretail-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._run_as = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        if self._run_as:
            shutil.chown(self.root, user=SERVER_USER, group=SERVER_USER)

    def start(self) -> None:
        """Create the cluster and start the server; raises RuntimeError with the server log."""
        options = ["-U", SERVER_USER, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        self._run("initdb", "-D", str(self.data), *options)
        for attempt in range(_START_ATTEMPTS):
            self.port = _free_port()
            self._write_settings()
            try:
                self._pg_ctl("start", "-w", "-t", "60", "-l", str(self.log))
                return
            except RuntimeError:
                # another process may have taken the port between probe and bind
                if attempt == _START_ATTEMPTS - 1:
                    raise

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete the cluster folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._pg_ctl("stop", "-m", "fast", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "newretail") -> str:
        """Create a new, empty database and return its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing whatever connections a test left open."""
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        self._admin(query)

    def _admin(self, query: sql.Composed) -> None:
        conninfo = f"host=127.0.0.1 port={self.port} user={SERVER_USER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(query)

    def _write_settings(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        conf = self.data / "postgresql.conf"
        # later lines win in postgresql.conf, so a retry with a new port appends again
        lines = [f"{key} = {value}" for key, value in settings.items()]
        with conf.open("a", encoding="utf-8") as handle:
            handle.write("\n" + "\n".join(lines) + "\n")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def _run(self, program: str, *args: str) -> None:
        command: Sequence[str] = [*self._run_as, str(self.bindir / program), *args]
        done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        tail = self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "server log:\n" + "\n".join(tail)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
