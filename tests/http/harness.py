"""Test fixture: a private PostgreSQL and real caseworkd processes over loopback.

One Cluster is started per test run (tests/http/run.py). It owns a temporary
directory holding the database (socket only, no TCP), the JWT secret and the
logs of every service it starts. Extra services with other settings (another
algorithm, a small body limit, CORS) share the same database.

As in a deployment, migrations run as the role that owns the tables (OWNER, here
the cluster's superuser) and every service connects as a role of its own
(SERVICE_ROLE), which `caseworkd migrate` grants rows and nothing more: the
whole suite runs with the service's least privilege.

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
import threading
import time
import traceback
import uuid

import conformance

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location('mint_token', os.path.join(ROOT, 'scripts', 'mint-token.py'))
mint_token = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mint_token)

CONTRACT_PATH = os.path.join(ROOT, 'openapi.yaml')

OWNER = 'casework'
SERVICE_ROLE = 'casework_service'

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                   'UndefinedBehaviorSanitizer', 'SUMMARY: AddressSanitizer')

_cluster = None
_contract = None
_violations = []
_violations_lock = threading.Lock()


def cluster():
    """The running Cluster of this test run."""
    if _cluster is None:
        raise RuntimeError('no cluster: run the tests through tests/http/run.py')
    return _cluster


def unique(prefix='t'):
    """A short unique name, so tests never see each other's records."""
    return f'{prefix}-{uuid.uuid4().hex[:10]}'


# -- every answer checked against openapi.yaml (conformance.py) ----------------

def contract():
    """openapi.yaml, loaded once per run."""
    global _contract
    if _contract is None:
        _contract = conformance.Contract(CONTRACT_PATH)
    return _contract


def received(method, target, response):
    """Checks an answer against the contract and returns it. A violation is kept
    for the test that caused it (ApiTest fails it when it ends; run.py fails the
    run for one no test claimed), naming the line of the test that sent it."""
    try:
        contract().check(method, target, response)
    except conformance.ContractViolation as e:
        sent_by = [f for f in traceback.extract_stack() if os.path.basename(f.filename).startswith('test_')]
        line = f' (sent by {os.path.basename(sent_by[-1].filename)}:{sent_by[-1].lineno})' if sent_by else ''
        with _violations_lock:
            _violations.append(f'{e}{line}')
    return response


def violations_mark():
    with _violations_lock:
        return len(_violations)


def take_violations(since=0):
    """The violations kept since a mark, no longer kept."""
    with _violations_lock:
        taken = _violations[since:]
        del _violations[since:]
        return taken


def checked_count():
    return _contract.checked if _contract else 0


def parse_answer(raw):
    """An HTTP/1.1 answer read off a socket, as a Response (None for no answer)."""
    if not raw:
        return None
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = http.client.HTTPMessage()
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip()] = value.strip()
    return Response(int(lines[0].split(' ', 2)[1]), headers, body)


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

    def __init__(self, binary, env, workdir, name, wait_path='/readyz'):
        self.binary = binary
        self.wait_path = wait_path
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
                if self.request('GET', self.wait_path).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f'caseworkd did not answer 200 on {self.wait_path}')

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

    def reload(self):
        """Sends SIGHUP (the service reads its JWK Set again, and keeps running)."""
        self.proc.send_signal(signal.SIGHUP)

    def stderr(self):
        with open(self.err_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def log_lines(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return [json.loads(line) for line in f if line.strip()]

    def log_lines_for(self, request_id, seconds=5):
        """The log lines of one request, found by the service's request id or the
        client's, waiting for them: the service writes its log at least every
        100 ms, not at once."""
        deadline = time.time() + seconds
        while True:
            lines = [line for line in self.log_lines()
                     if request_id in (line.get('request_id'), line.get('client_request_id'))]
            if lines or time.time() > deadline:
                return lines
            time.sleep(0.02)

    def log_text(self):
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def request(self, method, path, token=None, body=None, headers=None, raw=None, chunks=None, timeout=30):
        """Sends one request on a new connection and checks the answer against the
        contract. body is JSON-encoded; raw is sent as is; chunks (a list of bytes)
        go out with Transfer-Encoding: chunked."""
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault('Content-Type', 'application/json')
        if token is not None:
            h['Authorization'] = f'Bearer {token}'
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            if chunks is not None:
                conn.request(method, path, body=iter(chunks), headers=h, encode_chunked=True)
            else:
                conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            answer = Response(resp.status, resp.headers, resp.read())
        finally:
            conn.close()
        return received(method, path, answer)


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
        self._pg('createdb', '-h', self.dir, '-U', OWNER, 'casework')
        self.psql(f'CREATE ROLE {SERVICE_ROLE} LOGIN', dbname='postgres')
        self.owner_url = self.owner_url_for('casework')
        self.database_url = self.database_url_for('casework')

    def stop_database(self):
        data = os.path.join(self.dir, 'pgdata')
        if os.path.isdir(data):
            try:
                self._pg('pg_ctl', '-D', data, '-m', 'fast', '-w', 'stop')
            except subprocess.CalledProcessError:
                pass

    def psql(self, sql, dbname='casework'):
        """Runs SQL as the database owner; returns stdout (unaligned, tuples only)."""
        return self.psql_as(OWNER, sql, dbname, check=True).stdout

    def psql_as(self, role, sql, dbname='casework', check=False):
        """Runs SQL as role; returns the CompletedProcess (stdout, stderr, returncode)."""
        cmd = [os.path.join(self.bindir, 'psql'), '-h', self.dir, '-U', role, '-d', dbname,
               '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def database_url_for(self, dbname, role=SERVICE_ROLE):
        """A connection string for a database of this cluster, as the service's role."""
        return f'host={self.dir} dbname={dbname} user={role}'

    def owner_url_for(self, dbname):
        """A connection string for a database of this cluster, as the owner (migrations)."""
        return self.database_url_for(dbname, OWNER)

    def database_env(self, dbname):
        """The settings that point migrate and serve at another database of this cluster."""
        return {'CASEWORK_DATABASE_URL': self.database_url_for(dbname),
                'CASEWORK_MIGRATE_DATABASE_URL': self.owner_url_for(dbname)}

    def create_database(self, prefix='extra'):
        """Creates an empty database; returns its name."""
        name = f'{prefix}_{uuid.uuid4().hex[:10]}'
        self.psql(f'CREATE DATABASE {name}')
        return name

    # -- caseworkd ----------------------------------------------------------
    def base_env(self, **overrides):
        env = {k: v for k, v in os.environ.items() if not k.startswith('CASEWORK_')}
        env.update({
            'CASEWORK_DATABASE_URL': self.database_url,
            'CASEWORK_MIGRATE_DATABASE_URL': self.owner_url,
            'CASEWORK_JWT_SECRET_FILE': self.secret_path,
            'CASEWORK_PORT': str(free_port()),
            'CASEWORK_DB_POOL_SIZE': '4',
            'ASAN_OPTIONS': 'detect_leaks=1:halt_on_error=1:abort_on_error=0',
            'UBSAN_OPTIONS': 'print_stacktrace=1:halt_on_error=1',
            'LSAN_OPTIONS': 'suppressions=' + os.path.join(HERE, 'lsan.supp'),
        })
        if os.environ.get('CASEWORK_TEST_HTTP_THREADS'):
            env['CASEWORK_HTTP_THREADS'] = os.environ['CASEWORK_TEST_HTTP_THREADS']
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

    def start_service(self, name=None, wait_path='/readyz', **env_overrides):
        """Starts another caseworkd serve with these settings; stopped at the end of the run.
        It counts as started when wait_path answers 200 (use '/healthz' for a service
        that cannot reach its database)."""
        name = name or f'service-{len(self.services)}'
        svc = Service(self.binary, self.base_env(**env_overrides), self.dir, name, wait_path)
        try:
            svc.start()
        except Exception:
            svc.stop()  # never leave a process behind; the exception tells what went wrong
            raise
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
    @staticmethod
    def claims(sub, role, unit, **claims):
        """A token's claims, valid for an hour; claims given as None are left out."""
        now = int(time.time())
        body = {'sub': sub, 'role': role, 'unit': unit, 'iat': now, 'exp': now + 3600}
        body.update(claims)
        return {k: v for k, v in body.items() if v is not None}

    def token(self, sub='worker-1', role='caseworker', unit=None, secret=None, alg='HS256', **claims):
        """An HMAC token; claims given as None are left out (e.g. exp=None)."""
        return mint_token.mint(secret or self.secret, self.claims(sub, role, unit, **claims), alg)

    def key_pair(self, kind='rsa', **options):
        """A new RSA (bits=2048) or EC (curve='prime256v1') key pair in the test directory."""
        make = make_rsa_key if kind == 'rsa' else make_ec_key
        return make(self.dir, **options)

    def signed_token(self, key, alg='RS256', sub='worker-1', role='caseworker', unit=None, header=None,
                     **claims):
        """A token signed with key (a KeyPair) by RS256 or ES256; claims as in token()."""
        head = {'alg': alg, 'typ': 'JWT'}
        head.update(header or {})
        return jwt_encode(head, self.claims(sub, role, unit, **claims), lambda data: key.sign(data, alg))


def write_jwks(path, keys):
    """Writes a JWK Set of these JWKs (dicts) to path, readable by the service, atomically."""
    temporary = f'{path}.{uuid.uuid4().hex[:6]}'
    with open(temporary, 'w') as f:
        json.dump({'keys': keys}, f)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return path


def sanitizer_problems(text):
    return ['sanitizer report:\n' + text[-20000:]] if any(m in text for m in SANITIZER_MARKS) else []


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


# -- JWTs of any shape, and RSA/EC keys through the openssl command -----------

def jwt_encode(header, claims, signature=b''):
    """header.payload.signature from two dicts (or bytes/str taken as they are);
    signature is bytes, or a function of the signing input that returns bytes."""
    def part(value):
        if isinstance(value, (dict, list)):
            value = json.dumps(value, separators=(',', ':'))
        if isinstance(value, str):
            value = value.encode()
        return b64url(value)
    signing_input = f'{part(header)}.{part(claims)}'
    if callable(signature):
        signature = signature(signing_input.encode())
    return f'{signing_input}.{b64url(signature)}'


def hmac_signature(secret, alg='HS256'):
    """A signer for jwt_encode: HMAC with secret (bytes)."""
    import hashlib
    import hmac
    digest = {'HS256': hashlib.sha256, 'HS384': hashlib.sha384, 'HS512': hashlib.sha512}[alg]
    return lambda data: hmac.new(secret, data, digest).digest()


def openssl(*args, data=None):
    """Runs the openssl command; returns its stdout (bytes)."""
    done = subprocess.run(['openssl', *args], input=data, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f'openssl {args[0]} failed: {done.stderr.decode(errors="replace")}')
    return done.stdout


def der_ecdsa_to_raw(der, size=32):
    """An ECDSA signature from DER (SEQUENCE of INTEGER r, s) to the JWS form R || S."""
    def read_length(pos):
        first = der[pos]
        if first < 0x80:
            return first, pos + 1
        count = first & 0x7f
        return int.from_bytes(der[pos + 1:pos + 1 + count], 'big'), pos + 1 + count

    if der[0] != 0x30:
        raise ValueError('not a DER sequence')
    _, pos = read_length(1)
    out = b''
    for _ in range(2):
        if der[pos] != 0x02:
            raise ValueError('not a DER integer')
        length, pos = read_length(pos + 1)
        value = int.from_bytes(der[pos:pos + length], 'big')
        pos += length
        out += value.to_bytes(size, 'big')
    return out


class KeyPair:
    """A private key and its public key, as PEM files."""

    def __init__(self, private_path, public_path, kind):
        self.private_path = private_path
        self.public_path = public_path
        self.kind = kind

    def public_pem(self):
        with open(self.public_path, 'rb') as f:
            return f.read()

    def jwk(self, kid=None, **members):
        """The public key as a JWK (dict): RSA n and e, or EC P-256 x and y; members added."""
        if self.kind == 'rsa':
            modulus = openssl('rsa', '-pubin', '-in', self.public_path, '-noout', '-modulus').decode()
            n = bytes.fromhex(modulus.strip().split('=', 1)[1])
            key = {'kty': 'RSA', 'n': b64url(n), 'e': 'AQAB'}  # openssl genpkey's exponent, 65537
        else:
            point = openssl('pkey', '-pubin', '-in', self.public_path, '-outform', 'DER')[-65:]
            key = {'kty': 'EC', 'crv': 'P-256', 'x': b64url(point[1:33]), 'y': b64url(point[33:])}
        if kid is not None:
            key['kid'] = kid
        key.update(members)
        return key

    def sign(self, data, alg):
        """RS256: RSASSA-PKCS1-v1_5 with SHA-256. ES256: ECDSA P-256 with SHA-256, as R || S.
        (Any other alg name signs the same way; the caller decides what the header says.)"""
        digest = {'256': '-sha256', '384': '-sha384', '512': '-sha512'}[alg[2:]]
        signature = openssl('dgst', digest, '-sign', self.private_path, data=data)
        return der_ecdsa_to_raw(signature) if self.kind == 'ec' else signature


def _new_key_paths(directory, kind):
    stem = os.path.join(directory, f'{kind}-{uuid.uuid4().hex[:8]}')
    return f'{stem}.key.pem', f'{stem}.pub.pem'


def make_rsa_key(directory, bits=2048):
    private_path, public_path = _new_key_paths(directory, 'rsa')
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', f'rsa_keygen_bits:{bits}', '-out', private_path)
    openssl('pkey', '-in', private_path, '-pubout', '-out', public_path)
    os.chmod(public_path, 0o644)
    return KeyPair(private_path, public_path, 'rsa')


def make_ec_key(directory, curve='prime256v1'):
    private_path, public_path = _new_key_paths(directory, 'ec')
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', f'ec_paramgen_curve:{curve}', '-out', private_path)
    openssl('pkey', '-in', private_path, '-pubout', '-out', public_path)
    os.chmod(public_path, 0o644)
    return KeyPair(private_path, public_path, 'ec')


def start(binary):
    global _cluster
    _cluster = Cluster(binary).start()
    return _cluster


# -- a real OpenID Connect provider (tests/idp/provider.mjs) -------------------

IDP_DIR = os.path.join(ROOT, 'tests', 'idp')


def identity_provider_missing():
    """Why the test provider cannot run here (None when it can)."""
    if shutil.which('node') is None:
        return 'node is not installed'
    if not os.path.isdir(os.path.join(IDP_DIR, 'node_modules', 'oidc-provider')):
        return 'tests/idp/node_modules is missing (run: cd tests/idp && npm ci)'
    return None


class IdentityProvider:
    """oidc-provider on 127.0.0.1, driven by commands on its stdin (see provider.mjs)."""

    def __init__(self, workdir, clients):
        self.clients = {c['client_id']: c for c in clients}
        self.err_path = os.path.join(workdir, f'idp-{uuid.uuid4().hex[:6]}.stderr')
        with open(self.err_path, 'ab') as err:
            self.proc = subprocess.Popen(['node', os.path.join(IDP_DIR, 'provider.mjs'), json.dumps(clients)],
                                         cwd=IDP_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         text=True)
        try:
            self.issuer = self._answer(30)['issuer']
        except Exception:
            self.stop()
            raise
        self.jwks_url = f'{self.issuer}/jwks'

    def _answer(self, seconds):
        import select
        ready, _, _ = select.select([self.proc.stdout], [], [], seconds)
        line = self.proc.stdout.readline() if ready else ''
        if not line:
            raise RuntimeError(f'the identity provider did not answer: {self.stderr()[-2000:]}')
        return json.loads(line)

    def command(self, line):
        """Sends one command; returns its answer ({"jwks_requests": N, "kids": [...]})."""
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        return self._answer(10)

    def jwks_requests(self):
        return self.command('stats')['jwks_requests']

    def token(self, client_id):
        """An access token by the OAuth 2.0 client credentials grant (RFC 6749 4.4)."""
        import urllib.parse
        import urllib.request
        secret = self.clients[client_id]['client_secret']
        body = urllib.parse.urlencode({'grant_type': 'client_credentials', 'scope': 'casework'}).encode()
        basic = base64.b64encode(f'{client_id}:{secret}'.encode()).decode()
        req = urllib.request.Request(f'{self.issuer}/token', data=body, method='POST',
                                     headers={'Authorization': f'Basic {basic}',
                                              'Content-Type': 'application/x-www-form-urlencoded'})
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.loads(r.read())
        if answer.get('token_type') != 'Bearer':
            raise RuntimeError(f'unexpected token answer: {answer}')
        return answer['access_token']

    def stderr(self):
        with open(self.err_path, encoding='utf-8', errors='replace') as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
