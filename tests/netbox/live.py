"""A real NetBox 4.7.3 on 127.0.0.1 for tests: install it, start it, stop it, regenerate its database dump.

    python -m tests.netbox.live install   # apt-get postgresql redis-server (root, when missing); NetBox's venv
    python -m tests.netbox.live up        # start one (~6 s); prints URL and token, writes .netbox/state.json
    python -m tests.netbox.live down      # stop what `up` started (by PID), remove its temp dir
    python -m tests.netbox.live dump      # migrate an empty database (5-8 min), rewrite tests/netbox/netbox-4.7.3.dump
    python -m tests.netbox.live lock      # resolve NetBox's requirements into tests/netbox/requirements-4.7.3.txt

`make netbox-deps`, `make netbox-up`, `make netbox-down`, `make netbox-dump` run them. Tests use the session fixture
`live_netbox` (tests/conftest.py), which calls `up()` and `down()`; tests/netbox/README.md has the details.

A server is: a private PostgreSQL cluster (initdb as the `postgres` user in a temp dir, fsync off), a Redis without
persistence, both on free ports of 127.0.0.1 with passwords made for the run, the committed dump restored (restoring
takes ~1.5 s, migrating an empty database 5-8 minutes), a check that no migration is left to apply, a superuser with
a v2 API token, and gunicorn serving `netbox.wsgi`. NetBox needs Python >= 3.12, so it lives in its own venv under
.netbox/ (gitignored; REFARCH_NETBOX_HOME moves it) and runs as separate processes. Secrets are made per run and live
only in the temp dir and the state file.

The dump and the lock fit one NetBox version exactly: after changing NETBOX_VERSION, run `lock`, then `dump`, and
commit both files (`git rm` the old ones).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

NETBOX_VERSION = "4.7.3"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DUMP = HERE / f"netbox-{NETBOX_VERSION}.dump"
NETBOX_SIDE = HERE / "netbox_side.py"
HOME = Path(os.environ.get("REFARCH_NETBOX_HOME", REPO / ".netbox"))
VENV = HOME / "venv"
STATE = HOME / "state.json"
LOCK = HERE / f"requirements-{NETBOX_VERSION}.txt"
# Written last by the install, with the lock's digest: a venv without it is half-made or stale, and is remade.
VENV_MARKER = VENV / ".refarch-netbox-lock"
ADMIN = "admin"
HOST = "127.0.0.1"
# gunicorn workers: two keep both cores busy; master and workers hold ~420 MB together (PSS, preloaded).
WORKERS = 2
START_TIMEOUT = 180.0
APT_PACKAGES = ("postgresql", "redis-server")


class NetBoxError(Exception):
    """Why a live NetBox could not be installed, started or stopped; the message is meant for a person."""


@dataclass
class LiveNetBox:
    """A running NetBox: what tests use (`url`, `token`, `version`) and what `down` needs to stop it."""

    url: str
    token: str
    version: str
    admin: str
    admin_password: str
    workdir: str
    # What the bootstrap found left to migrate after the restore: always empty, since `up` refuses a stale dump.
    pending_migrations: list[str] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"


# ---------------------------------------------------------------------------------------------------------------------
# processes


def _run(cmd: Sequence[str | Path], *, env: Mapping[str, str] | None = None, as_postgres: bool = False,
         timeout: float = 600, cwd: Path | None = None) -> str:  # fmt: skip
    """Run a command to completion; its output goes into the error when it fails."""
    user = "postgres" if as_postgres and os.geteuid() == 0 else None
    try:
        done = subprocess.run(
            [str(c) for c in cmd],
            env=None if env is None else dict(env),
            user=user,
            group=user,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetBoxError(f"{Path(str(cmd[0])).name} failed: {exc}") from None
    if done.returncode != 0:
        raise NetBoxError(
            f"`{' '.join(str(c) for c in cmd)}` exited {done.returncode}:\n{_tail(done.stdout + done.stderr)}"
        )
    return done.stdout


def _spawn(
    cmd: Sequence[str | Path], log: Path, *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> int:
    """Start a long-running server in its own session (so `make netbox-up` can exit and leave it running); its PID."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(c) for c in cmd],
            env=None if env is None else dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    return proc.pid


# Servers this process spawned, kept so that stopping one reaps it (a CLI `down` only has PIDs, and init reaps them).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _log_tail(path: Path) -> str:
    try:
        return _tail(path.read_text(errors="replace"))
    except OSError:
        return "(no log)"


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie; reaps it when it is our child."""
    if pid in _CHILDREN and _CHILDREN[pid].poll() is not None:
        del _CHILDREN[pid]
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _is(pid: int, program: str) -> bool:
    """Whether `pid` still runs `program`: a PID from an old state file may have been reused by something else."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return program in cmdline and _alive(pid)


def _stop(pid: int, program: str, sig: signal.Signals, *, group: bool = False, timeout: float = 30) -> None:
    """Signal one process we started (or the session _spawn made it lead, with its children), wait, then SIGKILL."""
    if not _is(pid, program):
        return
    kill = os.killpg if group else os.kill
    with suppress(ProcessLookupError):
        kill(pid, sig)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with suppress(ProcessLookupError):
        kill(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------------------------------
# installation


def postgres_bin() -> Path | None:
    """The newest PostgreSQL server's bin directory (Debian keeps them in /usr/lib/postgresql/<major>/bin)."""
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if p.parent.parent.name.isdigit()]
    majors = sorted(found, key=lambda p: int(p.parent.parent.name))
    if majors:
        return majors[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def redis_server() -> Path | None:
    found = shutil.which("redis-server")
    return Path(found) if found else None


def ensure_system_packages() -> None:
    """PostgreSQL and Redis from Debian, installed with apt-get when missing and we are root."""
    if postgres_bin() and redis_server():
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise NetBoxError(f"PostgreSQL or Redis is missing; run: sudo apt-get install -y {' '.join(APT_PACKAGES)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _log("installing postgresql and redis-server with apt-get")
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *APT_PACKAGES], env=env)
    if not (postgres_bin() and redis_server()):
        raise NetBoxError("apt-get installed postgresql and redis-server, yet initdb or redis-server is not found")


def _python_version(python: str | Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        major, minor = out.split()
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _pyenv_roots() -> list[Path]:
    roots = [Path(os.environ["PYENV_ROOT"])] if "PYENV_ROOT" in os.environ else []
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
        roots += [Path(out)] if out else []
    return [*roots, Path.home() / ".pyenv"]


def _interpreter_candidates() -> Iterator[str | Path]:
    """Pythons that may be >= 3.12, most tested first: 3.12, then newer; PATH, then pyenv's installs."""
    roots = _pyenv_roots()
    for minor in (12, 13, 14):
        if found := shutil.which(f"python3.{minor}"):
            yield found
        for root in roots:
            yield from sorted(root.glob(f"versions/3.{minor}.*/bin/python3"), reverse=True)


def find_python312() -> Path:
    """A Python >= 3.12 that really runs (a pyenv shim on PATH may refuse when its version is not selected)."""
    for candidate in _interpreter_candidates():
        version = _python_version(candidate)
        if version and version >= (3, 12):
            return Path(candidate)
    raise NetBoxError("NetBox needs Python >= 3.12: no python3.12, 3.13 or 3.14 on PATH or under pyenv")


def _uv() -> Path | None:
    """uv from refarch's dev tools (or PATH): it installs the locked venv in 6-12 s where pip takes ~35 s."""
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    return Path(found) if found else None


def _lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def ensure_venv() -> Path:
    """NetBox's venv under .netbox/, installed from the committed lock (remade when the lock changes); its bin dir."""
    if VENV_MARKER.exists() and VENV_MARKER.read_text() == _lock_digest():
        return VENV / "bin"
    python = find_python312()
    _log(f"creating the NetBox {NETBOX_VERSION} venv at {VENV} with {python}")
    shutil.rmtree(VENV, ignore_errors=True)
    HOME.mkdir(parents=True, exist_ok=True)
    # Every package is pinned in the lock: no resolution, no surprise upgrade. Bytecode is compiled now, because with
    # PYTHONDONTWRITEBYTECODE set (as on these machines) every start would otherwise compile NetBox again (+4 s).
    if uv := _uv():
        _run([uv, "venv", "--quiet", "--python", python, VENV])
        _run([uv, "pip", "install", "--quiet", "--python", VENV / "bin/python", "--no-deps", "--compile-bytecode",
              "-r", LOCK])  # fmt: skip
    else:
        _run([python, "-m", "venv", VENV])
        _run([VENV / "bin/python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
              "-r", LOCK])  # fmt: skip
    VENV_MARKER.write_text(_lock_digest())
    return VENV / "bin"


def lock() -> Path:
    """Resolve NetBox's requirements into LOCK with uv, psycopg's prebuilt binary replacing its C build.

    NetBox pins `psycopg[c,pool]`, which compiles against libpq-dev in every fresh venv (a minute, and a header
    package); `psycopg[binary]` is the same release with the extension prebuilt. The pin is read from the wheel.
    """
    uv, python = _uv(), find_python312()
    if uv is None:
        raise NetBoxError("`lock` needs uv: install refarch's dev tools (make .venv/.installed)")
    with tempfile.TemporaryDirectory(prefix="refarch-netbox-lock-") as tmp:
        wheel = Path(tmp) / "wheel"
        _run([uv, "pip", "install", "--quiet", "--python", python, "--no-deps", "--target", wheel,
              f"netbox=={NETBOX_VERSION}"])  # fmt: skip
        metadata = (wheel / f"netbox-{NETBOX_VERSION}.dist-info" / "METADATA").read_text()
        pin = re.search(r"^Requires-Dist: psycopg\[[^\]]*\](==\S+)$", metadata, re.MULTILINE)
        if pin is None:
            raise NetBoxError(f"NetBox {NETBOX_VERSION} no longer pins psycopg[...]==: review lock()")
        (Path(tmp) / "in.txt").write_text(f"netbox=={NETBOX_VERSION}\n")
        (Path(tmp) / "overrides.txt").write_text(f"psycopg[binary,pool]{pin.group(1)}\n")
        _run([uv, "pip", "compile", "--quiet", "--python-version", "3.12", "--no-header", "--override",
              Path(tmp) / "overrides.txt", Path(tmp) / "in.txt", "-o", LOCK])  # fmt: skip
    LOCK.write_text(f"# NetBox {NETBOX_VERSION}'s venv for the tests; made by `python -m tests.netbox.live lock`.\n"
                    + LOCK.read_text())  # fmt: skip
    return LOCK


@dataclass(frozen=True)
class Tools:
    pg: Path
    redis: Path
    netbox_bin: Path


def install() -> Tools:
    ensure_system_packages()
    venv = ensure_venv()
    pg, redis = postgres_bin(), redis_server()
    assert pg and redis  # ensure_system_packages raised otherwise
    return Tools(pg=pg, redis=redis, netbox_bin=venv)


# ---------------------------------------------------------------------------------------------------------------------
# services


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, pid: int, log: Path, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex((HOST, port)) == 0:
                return
        if not _alive(pid):
            break
        time.sleep(0.05)
    raise NetBoxError(f"{what} did not listen on {HOST}:{port}:\n{_log_tail(log)}")


@dataclass
class Secrets:
    """Made fresh for each server; NetBox wants SECRET_KEY and peppers of at least 50 characters."""

    db_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    redis_password: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    pepper: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))


@dataclass
class Ports:
    postgres: int = field(default_factory=free_port)
    redis: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)


def make_workdir() -> Path:
    """A private temp dir; its `pg/` belongs to postgres (initdb refuses root), the rest stays root's own."""
    workdir = Path(tempfile.mkdtemp(prefix="refarch-netbox-"))
    # postgres must reach workdir/pg: traverse, but neither list nor read the config holding the secrets.
    workdir.chmod(0o711)
    (workdir / "pg").mkdir(mode=0o700)
    (workdir / "logs").mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir / "pg", "postgres", "postgres")
    return workdir


def start_postgres(tools: Tools, workdir: Path, port: int, password: str) -> int:
    """initdb and start a throwaway cluster (superuser `netbox`, password auth, no fsync); the postmaster's PID."""
    pg = workdir / "pg"
    pwfile = pg / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres", "postgres")
    initdb: list[str | Path] = [
        tools.pg / "initdb",
        "-D",
        pg / "data",
        "-U",
        "netbox",
        f"--pwfile={pwfile}",
        "--auth=scram-sha-256",
    ]
    _run([*initdb, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"], as_postgres=True, cwd=pg)
    pwfile.unlink()
    # Settings for a disposable test database: durability off buys speed, nothing listens beyond loopback.
    with (pg / "data" / "postgresql.conf").open("a") as conf:
        conf.write(
            f"\nlisten_addresses = '{HOST}'\nport = {port}\nunix_socket_directories = '{pg}'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
    _run([tools.pg / "pg_ctl", "-D", pg / "data", "-l", pg / "postgres.log", "-w", "-t", "60", "start"],
         as_postgres=True, cwd=pg)  # fmt: skip
    return int((pg / "data" / "postmaster.pid").read_text().split()[0])


def start_redis(tools: Tools, workdir: Path, port: int, password: str) -> int:
    """Redis on loopback with a password and no persistence; its PID."""
    conf = workdir / "redis.conf"
    conf.touch(mode=0o600)
    conf.write_text(
        f'bind {HOST}\nport {port}\nrequirepass "{password}"\nsave ""\nappendonly no\n'
        f'daemonize no\ndir "{workdir}"\nprotected-mode yes\n'
    )
    log = workdir / "logs" / "redis.log"
    pid = _spawn([tools.redis, conf], log)
    _wait_for_port(port, pid, log, "redis-server")
    return pid


def write_configuration(workdir: Path, ports: Ports, keys: Secrets) -> None:
    """NetBox's $NETBOX_ROOT/conf/configuration.py: the minimal settings that work, nothing phoning home."""

    def redis(database: int) -> dict[str, object]:
        return {"HOST": HOST, "PORT": ports.redis, "USERNAME": "", "PASSWORD": keys.redis_password,
                "DATABASE": database, "SSL": False}  # fmt: skip

    database = {"ENGINE": "django.db.backends.postgresql", "NAME": "netbox", "USER": "netbox",
                "PASSWORD": keys.db_password, "HOST": HOST, "PORT": ports.postgres, "CONN_MAX_AGE": 300}  # fmt: skip
    settings = {
        "ALLOWED_HOSTS": [HOST, "localhost"],
        "DATABASES": {"default": database},
        "REDIS": {"tasks": redis(0), "caching": redis(1)},
        "SECRET_KEY": keys.secret_key,
        "API_TOKEN_PEPPERS": {1: keys.pepper},
        "CENSUS_REPORTING_ENABLED": False,
        "RELEASE_CHECK_URL": None,
        "ISOLATED_DEPLOYMENT": True,
        "MAX_PAGE_SIZE": 1000,
    }
    conf = workdir / "conf"
    conf.mkdir(mode=0o700)
    text = "".join(f"{name} = {value!r}\n" for name, value in settings.items())
    (conf / "configuration.py").touch(mode=0o600)
    (conf / "configuration.py").write_text(f"# Made by tests/netbox/live.py for one test server.\n{text}")


def netbox_env(workdir: Path) -> dict[str, str]:
    return {**os.environ, "NETBOX_ROOT": str(workdir), "DJANGO_SETTINGS_MODULE": "netbox.settings"}


def _pg_env(password: str) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": password}


def _client(tools: Tools, program: str, port: int) -> list[str | Path]:
    """A PostgreSQL client command connecting as `netbox` over TCP (the password comes from PGPASSWORD)."""
    return [tools.pg / program, "-h", HOST, "-p", str(port), "-U", "netbox"]


def create_database(tools: Tools, port: int, password: str) -> None:
    _run([*_client(tools, "createdb", port), "netbox"], env=_pg_env(password))


def restore_dump(tools: Tools, port: int, password: str) -> None:
    create_database(tools, port, password)
    restore = [*_client(tools, "pg_restore", port), "-d", "netbox", "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*restore, DUMP], env=_pg_env(password))


def start_gunicorn(tools: Tools, workdir: Path, port: int) -> int:
    """gunicorn serving netbox.wsgi on loopback; its master's PID."""
    log = workdir / "logs" / "gunicorn.log"
    # --preload imports NetBox once in the master and forks the workers (faster start, shared pages).
    # --no-control-socket: gunicorn 26 otherwise puts one at ~/.gunicorn/gunicorn.ctl, shared by every server we start.
    options = ["--workers", str(WORKERS), "--preload", "--no-control-socket"]
    cmd: list[str | Path] = [tools.netbox_bin / "gunicorn", "--bind", f"{HOST}:{port}", *options, "--timeout", "300"]
    return _spawn([*cmd, "netbox.wsgi"], log, env=netbox_env(workdir), cwd=workdir)


def _bootstrap(tools: Tools, workdir: Path, admin_password: str) -> tuple[list[str], str]:
    """Run netbox_side.py in NetBox's venv: the migrations left to apply (must be none) and the superuser's token."""
    env = {**netbox_env(workdir), "REFARCH_NETBOX_ADMIN": ADMIN, "REFARCH_NETBOX_ADMIN_PASSWORD": admin_password}
    cmd: list[str | Path] = [tools.netbox_bin / "python", NETBOX_SIDE, "bootstrap"]
    result = json.loads(_run(cmd, env=env, cwd=workdir, timeout=START_TIMEOUT).strip().splitlines()[-1])
    pending = [str(name) for name in result["pending"]]
    if pending:
        raise NetBoxError(
            f"{DUMP.name} is not current: NetBox {NETBOX_VERSION} would still apply {pending}; "
            "regenerate it with: python -m tests.netbox.live dump"
        )
    return pending, str(result["token"])


def wait_for_api(url: str, token: str, pid: int, log: Path, timeout: float = START_TIMEOUT) -> str:
    """Poll GET /api/status/ until NetBox answers; its `netbox-version`."""
    request = urllib.request.Request(f"{url}/api/status/", headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise NetBoxError(f"gunicorn exited before NetBox answered:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return str(json.load(response)["netbox-version"])
        except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
            last = str(exc)
        time.sleep(0.2)
    raise NetBoxError(f"NetBox did not answer {url}/api/status/ within {timeout:.0f} s ({last}):\n{_log_tail(log)}")


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.monotonic()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        yield
        self.timings[name] = round(time.monotonic() - start, 2)

    def total(self) -> float:
        return round(time.monotonic() - self._start, 2)


def up() -> LiveNetBox:
    """Start a NetBox with its own PostgreSQL and Redis; on any failure stop what was started and raise NetBoxError."""
    if not DUMP.exists():
        raise NetBoxError(f"{DUMP.relative_to(REPO)} is missing; make it with: python -m tests.netbox.live dump")
    clock = _Clock()
    with clock.step("install"):
        tools = install()
    keys, ports = Secrets(), Ports()
    workdir = make_workdir()
    server = LiveNetBox(url=f"http://{HOST}:{ports.http}", token="", version="", admin=ADMIN,
                        admin_password=keys.admin_password, workdir=str(workdir), timings=clock.timings)  # fmt: skip
    try:
        _start(server, tools, workdir, ports, keys, clock)
    except BaseException:
        down(server)
        raise
    clock.timings["total"] = clock.total()
    return server


def _start(server: LiveNetBox, tools: Tools, workdir: Path, ports: Ports, keys: Secrets, clock: _Clock) -> None:
    write_configuration(workdir, ports, keys)
    with clock.step("redis"):
        server.pids["redis"] = start_redis(tools, workdir, ports.redis, keys.redis_password)
    # gunicorn's master imports NetBox (~5 s of one core) without touching the database: that overlaps with making and
    # restoring the database on the other core, and the first request comes only after the restore.
    spawned = time.monotonic()
    server.pids["gunicorn"] = start_gunicorn(tools, workdir, ports.http)
    with clock.step("postgres"):
        server.pids["postgres"] = start_postgres(tools, workdir, ports.postgres, keys.db_password)
    with clock.step("restore"):
        restore_dump(tools, ports.postgres, keys.db_password)
    with clock.step("bootstrap"):
        server.pending_migrations, server.token = _bootstrap(tools, workdir, keys.admin_password)
    with clock.step("api"):
        server.version = wait_for_api(server.url, server.token, server.pids["gunicorn"], workdir / "logs/gunicorn.log")
    clock.timings["gunicorn"] = round(time.monotonic() - spawned, 2)
    if server.version != NETBOX_VERSION:
        raise NetBoxError(f"NetBox answered version {server.version}, expected {NETBOX_VERSION}")


# Stop order: the web server first (it holds database connections), then the stores. gunicorn's processes are killed
# at once: a graceful exit costs 2-3 s of interpreter teardown and this server keeps nothing worth it. Postgres gets
# SIGINT, its fast shutdown (SIGTERM would wait for clients); redis exits on SIGTERM without saving (`save ""`).
_STOP = (
    ("gunicorn", "gunicorn", signal.SIGKILL, True),
    ("redis", "redis-server", signal.SIGTERM, False),
    ("postgres", "postgres", signal.SIGINT, False),
)


def down(server: LiveNetBox) -> None:
    """Stop every process `up` started, by PID, and remove the temp dir."""
    for name, program, sig, group in _STOP:
        if name in server.pids:
            _stop(server.pids[name], program, sig, group=group)
    workdir = Path(server.workdir)
    if workdir.name.startswith("refarch-netbox-"):
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------------
# the dump


def dump() -> Path:
    """Migrate an empty database with the pinned NetBox and write it to DUMP (pg_dump's custom format)."""
    tools = install()
    keys, ports = Secrets(), Ports()
    workdir = make_workdir()
    server = LiveNetBox(url="", token="", version="", admin="", admin_password="", workdir=str(workdir))
    partial = DUMP.with_suffix(".partial")
    try:
        write_configuration(workdir, ports, keys)
        server.pids["redis"] = start_redis(tools, workdir, ports.redis, keys.redis_password)
        server.pids["postgres"] = start_postgres(tools, workdir, ports.postgres, keys.db_password)
        create_database(tools, ports.postgres, keys.db_password)
        _log("netbox migrate on an empty database (5-8 minutes on one core)")
        _run([tools.netbox_bin / "netbox", "migrate", "--no-input"], env=netbox_env(workdir), timeout=3600)
        pg_dump = [*_client(tools, "pg_dump", ports.postgres), "-Fc", "--no-owner", "--no-privileges", "-f", partial]
        _run([*pg_dump, "netbox"], env=_pg_env(keys.db_password))
        partial.replace(DUMP)
    finally:
        down(server)
        partial.unlink(missing_ok=True)
    return DUMP


# ---------------------------------------------------------------------------------------------------------------------
# command line


def _log(message: str) -> None:
    print(f"netbox: {message}", file=sys.stderr, flush=True)


def _cmd_install() -> None:
    tools = install()
    _log(f"ready: PostgreSQL in {tools.pg}, {tools.redis}, NetBox {NETBOX_VERSION} in {tools.netbox_bin.parent}")


def _cmd_up() -> None:
    if STATE.exists():
        raise NetBoxError(f"{STATE} exists: a server may be running; run `make netbox-down` first")
    server = up()
    HOME.mkdir(parents=True, exist_ok=True)
    STATE.touch(mode=0o600)
    STATE.write_text(json.dumps(asdict(server), indent=2) + "\n")
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in server.timings.items())
    print(f"NetBox {server.version} at {server.url}/ (user {server.admin}, password {server.admin_password})")
    print(f"token: {server.token}")
    print(f"state: {STATE} ({steps})")


def _cmd_down() -> None:
    if not STATE.exists():
        _log("no server recorded in the state file; nothing to stop")
        return
    down(LiveNetBox(**json.loads(STATE.read_text())))
    STATE.unlink()
    _log("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    commands: dict[str, Callable[[], object]] = {
        "install": _cmd_install,
        "up": _cmd_up,
        "down": _cmd_down,
        "dump": dump,
        "lock": lock,
    }
    if len(args) != 1 or args[0] not in commands:
        print(f"usage: python -m tests.netbox.live {'|'.join(commands)}", file=sys.stderr)
        return 2
    try:
        commands[args[0]]()
    except NetBoxError as exc:
        _log(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
