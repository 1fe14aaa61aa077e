"""Test fixture: a private PostgreSQL and real caseworkd processes over loopback.

One Cluster is started per test run (tests/http/run.py). It owns a temporary
directory holding the database (socket only, no TCP), the JWT secret and the
logs of every service it starts. Extra services with other settings (another
algorithm, a small body limit, CORS) share the same database.

A service must stop cleanly on SIGTERM with exit status 0 and nothing from a
sanitizer on stderr; otherwise the run fails.
"""
import base64
import glob
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location('mint_token', os.path.join(ROOT, 'scripts', 'mint-token.py'))
mint_token = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mint_token)

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                   'UndefinedBehaviorSanitizer', 'SUMMARY: AddressSanitizer')

_cluster = None


def cluster():
    """The running Cluster of this test run."""
    if _cluster is None:
        raise RuntimeError('no cluster: run the tests through tests/http/run.py')
    return _cluster


def unique(prefix='t'):
    """A short unique name, so tests never see each other's records."""
    return f'{prefix}-{uuid.uuid4().hex[:10]}'


def pg_bindir():
    for candidate in sorted(glob.glob('/usr/lib/postgresql/*/bin/initdb'), reverse=True):
        return os.path.dirname(candidate)
    found = shutil.which('initdb')
    if found:
        return os.path.dirname(found)
    raise RuntimeError('PostgreSQL server binaries not found (install postgresql)')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    def __repr__(self):
        return f'<Response {self.status} {self.body[:300]!r}>'


class Service:
    """One caseworkd serve process."""

    def __init__(self, binary, env, workdir, name):
        self.binary = binary
        self.env = env
        self.port = int(env['CASEWORK_PORT'])
        self.log_path = os.path.join(workdir, f'{name}.stdout')
        self.err_path = os.path.join(workdir, f'{name}.stderr')
        self.proc = None

    def start(self):
        with open(self.log_path, 'ab') as out, open(self.err_path, 'ab') as err:
            self.proc = subprocess.Popen([self.binary, 'serve'], env=self.env, stdout=out, stderr=err)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'caseworkd exited at start: {self.stderr()}')
            try:
                if self.request('GET', '/readyz').status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError('caseworkd did not become ready')

    def stop(self):
        """Stops the service; returns a list of problems (empty when clean)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append('caseworkd did not stop within 60 s of SIGTERM')
        if self.proc.returncode != 0:
            problems.append(f'caseworkd exited with status {self.proc.returncode}')
        err = self.stderr()
        if any(mark in err for mark in SANITIZER_MARKS):
            problems.append('sanitizer report:\n' + err[-20000:])
        self.proc = None
        return problems

    def stderr(self):
        with open(self.err_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def log_lines(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return [json.loads(line) for line in f if line.strip()]

    def log_text(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def request(self, method, path, token=None, body=None, headers=None, raw=None, timeout=30):
        """Sends one request on a new connection. body is JSON-encoded; raw is sent as is."""
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault('Content-Type', 'application/json')
        if token is not None:
            h['Authorization'] = f'Bearer {token}'
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()


class Cluster:
    def __init__(self, binary):
        self.binary = os.path.abspath(binary)
        self.dir = tempfile.mkdtemp(prefix='casework-test-')
        self.bindir = pg_bindir()
        self.as_root = os.geteuid() == 0
        self.secret = secrets.token_urlsafe(48).encode()
        self.secret_path = os.path.join(self.dir, 'jwt-secret')
        self.services = []
        self.service = None
        self.problems = []

    # -- PostgreSQL -------------------------------------------------------
    def _pg(self, *args):
        cmd = [os.path.join(self.bindir, args[0]), *args[1:]]
        if self.as_root:
            cmd = ['runuser', '-u', 'postgres', '--'] + cmd
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start_database(self):
        if self.as_root:
            pg = pwd.getpwnam('postgres')
            os.chown(self.dir, pg.pw_uid, pg.pw_gid)
        os.chmod(self.dir, 0o711)
        data = os.path.join(self.dir, 'pgdata')
        self._pg('initdb', '-D', data, '-A', 'trust', '-U', 'casework', '-E', 'UTF8', '--no-locale', '--no-sync')
        opts = (f"-c listen_addresses='' -c unix_socket_directories={self.dir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self._pg('pg_ctl', '-D', data, '-o', opts, '-l', os.path.join(self.dir, 'postgres.log'), '-w', 'start')
        self._pg('createdb', '-h', self.dir, '-U', 'casework', 'casework')
        self.database_url = f'host={self.dir} dbname=casework user=casework'

    def stop_database(self):
        data = os.path.join(self.dir, 'pgdata')
        if os.path.isdir(data):
            try:
                self._pg('pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop')
            except subprocess.CalledProcessError:
                pass

    def psql(self, sql):
        """Runs SQL as the database owner; returns stdout (unaligned, tuples only)."""
        cmd = [os.path.join(self.bindir, 'psql'), '-h', self.dir, '-U', 'casework', '-d', 'casework',
               '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    # -- caseworkd ----------------------------------------------------------
    def base_env(self, **overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith('CASEWORK_')}
        env.update({
            'CASEWORK_DATABASE_URL': self.database_url,
            'CASEWORK_JWT_SECRET_FILE': self.secret_path,
            'CASEWORK_PORT': str(free_port()),
            'CASEWORK_DB_POOL_SIZE': '4',
            'ASAN_OPTIONS': 'detect_leaks=1:halt_on_error=1:abort_on_error=0',
            'UBSAN_OPTIONS': 'print_stacktrace=1:halt_on_error=1',
            'LSAN_OPTIONS': 'suppressions=' + os.path.join(HERE, 'lsan.supp'),
        })
        for key, value in overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def run_caseworkd(self, *args, env=None, timeout=60):
        """Runs caseworkd with args to completion; returns CompletedProcess."""
        return subprocess.run([self.binary, *args], env=env or self.base_env(), capture_output=True,
                              text=True, timeout=timeout)

    def start_service(self, name=None, **env_overrides):
        """Starts another caseworkd serve with these settings; stopped at the end of the run."""
        name = name or f'service-{len(self.services)}'
        svc = Service(self.binary, self.base_env(**env_overrides), self.dir, name).start()
        self.services.append(svc)
        return svc

    def stop_service(self, svc):
        self.problems.extend(svc.stop())

    def start(self):
        with open(self.secret_path, 'wb') as f:
            f.write(self.secret + b'\n')
        os.chmod(self.secret_path, 0o644)
        self.start_database()
        done = self.run_caseworkd('migrate')
        if done.returncode != 0:
            raise RuntimeError(f'migrate failed: {done.stderr}')
        self.problems.extend(sanitizer_problems(done.stderr))
        self.service = self.start_service('main')
        return self

    def stop(self):
        for svc in self.services:
            self.problems.extend(svc.stop())
        self.stop_database()
        if not self.problems and not os.environ.get('CASEWORK_KEEP_TEST_DIR'):
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.problems

    # -- tokens -------------------------------------------------------------
    def token(self, sub='worker-1', role='caseworker', unit=None, secret=None, alg='HS256', **claims):
        """An HMAC token; claims given as None are left out (e.g. exp=None)."""
        now = int(time.time())
        body = {'sub': sub, 'role': role, 'iat': now, 'exp': now + 3600}
        if unit is not None:
            body['unit'] = unit
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return mint_token.mint(secret or self.secret, body, alg)


def sanitizer_problems(text):
    return ['sanitizer report:\n' + text[-20000:]] if any(m in text for m in SANITIZER_MARKS) else []


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def start(binary):
    global _cluster
    _cluster = Cluster(binary).start()
    return _cluster
