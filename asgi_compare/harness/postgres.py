"""A real PostgreSQL server for the tests and the bench: ``initdb`` and ``postgres`` in a
temporary directory, on a free loopback port, stopped and removed afterwards.

PostgreSQL refuses to run as root. When we are root (CI, containers), its programs run as the
``postgres`` user that Debian's package creates, or as ``nobody``, through ``setpriv``, and the
temporary directory is theirs. The server comes from Debian's ``postgresql`` package
(``make system-packages`` installs it); nothing is mocked.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from asgi_compare.harness import processes
from asgi_compare.harness.ports import free_port

__all__ = ["PACKAGE", "PostgresMissing", "PostgresServer", "server_bindir"]

PACKAGE = "postgresql"  # Debian's package with initdb and postgres
_SERVER_USERS = ("postgres", "nobody")  # who runs the server when we are root, first found


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed."""


def server_bindir(debian_root: Path = Path("/usr/lib/postgresql")) -> Path:
    """The folder with ``initdb`` and ``postgres``.

    ``pg_config --bindir`` first; it may name a client-only install (libpq-dev brings
    pg_config without the server), so Debian's /usr/lib/postgresql/N/bin follow, newest first.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(Path(found.stdout.strip()))
    versions = debian_root.glob("*/bin")
    candidates += sorted(versions, key=lambda p: _major(p.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresMissing(
        "PostgreSQL's server programs (initdb, postgres) were not found, neither in "
        "`pg_config --bindir` nor in /usr/lib/postgresql/*/bin: install Debian's "
        f"{PACKAGE!r} package (`apt-get install {PACKAGE}`, which `make system-packages` runs)"
    )


def _major(version: str) -> int:
    return int(version) if version.isdigit() else -1


def _server_user() -> pwd.struct_passwd | None:
    """Whom the server runs as: None when we are not root (then it runs as us)."""
    if os.geteuid() != 0:
        return None
    for name in _SERVER_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresMissing(f"running as root, and none of the users {_SERVER_USERS} exists")


class PostgresServer:
    """One PostgreSQL server process and its data, in a temporary directory of its own.

    ``start()`` runs initdb the first time; ``stop()`` then ``start()`` again is the same
    server with the same data, port and password (a database outage and its end); ``close()``
    stops it and removes the directory.

    ``durable=False`` turns fsync off: for tests, whose data is thrown away and whose server is
    never cut from power. Every committed write still outlives a stop or a kill of the server's
    clients; what it saves is the shutdown checkpoint's fsync of each new database's thousands
    of files (17 s for ten databases on a small machine's disk).
    """

    user = "asgi_compare"

    def __init__(self, workdir: Path, *, durable: bool = True) -> None:
        self.bindir = server_bindir()
        self.workdir = workdir
        self.durable = durable
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.proc: subprocess.Popen[bytes] | None = None
        self._owner = _server_user()
        # Not under workdir: pytest's temporary folders are private to root, and the server's
        # user must reach its data directory.
        self.root = Path(tempfile.mkdtemp(prefix="asgi-compare-postgres-"))
        self.data = self.root / "data"
        self._databases = 0
        if self._owner is not None:
            os.chown(self.root, self._owner.pw_uid, self._owner.pw_gid)

    @property
    def log(self) -> Path:
        return self.workdir / f"postgres-{self.port}.log"

    def url(self, database: str = "postgres") -> str:
        """The URL an app is given: ``postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE``."""
        password = quote(self.password, safe="")
        return f"postgresql://{self.user}:{password}@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, argv: list[str]) -> list[str]:
        if self._owner is None:
            return argv
        owner = self._owner
        ids = [f"--reuid={owner.pw_uid}", f"--regid={owner.pw_gid}", "--clear-groups"]
        return ["setpriv", *ids, "--", *argv]  # setpriv execs: same process, same group

    def _initdb(self) -> None:
        pwfile = self.root / "password"
        pwfile.write_text(self.password)
        if self._owner is not None:
            os.chown(pwfile, self._owner.pw_uid, self._owner.pw_gid)
        argv = [
            str(self.bindir / "initdb"),
            f"--pgdata={self.data}",
            f"--username={self.user}",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",  # as a managed server asks: a password, over TCP
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",  # a throwaway cluster: no need to wait for its files to reach the disk
        ]
        with self.log.open("ab") as out:
            done = subprocess.run(self._as_owner(argv), stdout=out, stderr=subprocess.STDOUT)
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb exited with {done.returncode}:\n{processes.tail(self.log)}")

    def start(self, timeout: float = 30.0) -> None:
        """Start the server (initdb first, once) and wait until it accepts connections."""
        if self.proc is not None:
            return
        if not self.data.exists():
            self._initdb()
        sockets = self.root / "sockets"
        sockets.mkdir(exist_ok=True)
        if self._owner is not None:
            os.chown(sockets, self._owner.pw_uid, self._owner.pw_gid)
        argv = [
            str(self.bindir / "postgres"),
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={sockets}",  # not /var/run/postgresql: not ours
            "-c",
            "max_connections=300",  # several servers, each with a pool per worker process
        ]
        if not self.durable:
            argv += ["-c", "fsync=off"]
        self.proc = processes.spawn(self._as_owner(argv), {}, self.log)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        import psycopg

        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise RuntimeError(f"postgres exited with {code}:\n{processes.tail(self.log)}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"postgres not ready after {timeout:.0f}s ({exc}):\n"
                        f"{processes.tail(self.log)}"
                    ) from None
            time.sleep(0.05)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database on this server; its URL."""
        import psycopg

        if name is None:
            self._databases += 1
            name = f"db_{self._databases}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self, timeout: float = 15.0) -> None:
        """A fast shutdown (SIGINT): sessions are ended, committed data stays, as when an
        operator or a managed service restarts the server."""
        if self.proc is None:
            return
        try:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass  # processes.stop() below kills what is left
        processes.stop(self.proc)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.close()  # __exit__ is not called when __enter__ fails
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
