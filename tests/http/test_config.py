"""Start-up configuration: an unusable setting stops `caseworkd serve` at once
with one line on stderr naming the setting; an unreachable database does not;
the command line (`--help`, `--version`, unknown commands) and `migrate`
(idempotent, safe to run concurrently)."""
import hashlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from base import OtherServices

REFUSAL_SECONDS = 10  # generous for the sanitizer build; a refusal is usually instant


class ConfigTest(OtherServices, unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = harness.cluster()
        cls.tmp = tempfile.mkdtemp(prefix='config-', dir=cls.cluster.dir)
        os.chmod(cls.tmp, 0o711)  # an unprivileged caseworkd may reach the files

    def write(self, name, content, mode=0o644):
        path = os.path.join(self.tmp, f'{harness.unique(name)}')
        with open(path, 'wb') as f:
            f.write(content if isinstance(content, bytes) else content.encode())
        os.chmod(path, mode)
        return path

    def serve(self, *args, unprivileged=False, **overrides):
        """Runs caseworkd (serve by default) until it exits; fails the test as soon as it is
        found serving (its port answers) or after REFUSAL_SECONDS."""
        env = self.cluster.base_env(**overrides)
        port = int(env['CASEWORK_PORT']) if env.get('CASEWORK_PORT', '').isdigit() else None
        started = time.monotonic()
        command = [self.cluster.binary, *(args or ('serve',))]
        if unprivileged and os.geteuid() == 0:
            command = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] + command
        proc = subprocess.Popen(command, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        serving = False
        while proc.poll() is None and time.monotonic() - started < REFUSAL_SECONDS:
            if port and 0 < port < 65536:
                try:
                    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=0.3)
                    conn.request('GET', '/healthz')
                    resp = conn.getresponse()
                    harness.received('GET', '/healthz', harness.Response(resp.status, resp.headers, resp.read()))
                    serving = True
                    break
                except OSError:
                    pass
                finally:
                    conn.close()
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            self.fail(f'caseworkd {"is serving" if serving else "kept running"} with {overrides}: '
                      'it should have refused to start')
        out, err = proc.communicate()
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), time.monotonic() - started

    def assertRefused(self, *names, args=(), secret=None, unprivileged=False, **overrides):
        """serve exits non-zero within seconds with exactly one stderr line naming each of names.
        unprivileged: run as nobody (when the tests run as root, who may read any file)."""
        done, elapsed = self.serve(*args, unprivileged=unprivileged, **overrides)
        self.assertNotEqual(done.returncode, 0, f'started with {overrides}: {done.stderr}')
        self.assertFalse(harness.sanitizer_problems(done.stderr), done.stderr)
        lines = done.stderr.splitlines()
        self.assertEqual(len(lines), 1, f'expected exactly one line on stderr, got: {done.stderr!r}')
        for name in names:
            self.assertIn(name, lines[0])
        if secret:
            self.assertNotIn(secret, done.stderr, 'the refusal must not print the secret')
        self.assertLess(elapsed, REFUSAL_SECONDS)
        return lines[0]


class JwtSecretRefusalTest(ConfigTest):
    def test_no_jwt_secret_is_refused(self):
        self.assertRefused('CASEWORK_JWT_SECRET', CASEWORK_JWT_SECRET_FILE=None, CASEWORK_JWT_SECRET=None)

    def test_empty_jwt_secret_counts_as_none(self):
        self.assertRefused('CASEWORK_JWT_SECRET', CASEWORK_JWT_SECRET_FILE=None, CASEWORK_JWT_SECRET='')

    def test_no_command_means_serve_and_refuses_the_same_way(self):
        env = self.cluster.base_env(CASEWORK_JWT_SECRET_FILE=None)
        done = subprocess.run([self.cluster.binary], env=env, capture_output=True, text=True,
                              timeout=REFUSAL_SECONDS)
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn('CASEWORK_JWT_SECRET', done.stderr)

    def test_both_secret_and_secret_file_are_refused(self):
        line = self.assertRefused('CASEWORK_JWT_SECRET', secret='x' * 40, CASEWORK_JWT_SECRET='x' * 40)
        self.assertIn('CASEWORK_JWT_SECRET_FILE', line)

    def test_hs256_secret_shorter_than_32_bytes_is_refused(self):
        secret = 'short-secret-31-bytes-long-abcd'
        self.assertEqual(len(secret), 31)
        self.assertRefused('CASEWORK_JWT_SECRET', secret=secret, CASEWORK_JWT_SECRET=secret,
                           CASEWORK_JWT_SECRET_FILE=None)

    def test_hs256_secret_file_shorter_than_32_bytes_is_refused(self):
        path = self.write('short', b'0123456789abcdef0123456789abcde\n')  # 31 bytes and a newline
        self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_SECRET_FILE=path)

    def test_empty_secret_file_is_refused(self):
        for content in (b'', b'\n', b'\r\n'):
            with self.subTest(content=content):
                path = self.write('empty', content)
                self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_SECRET_FILE=path)

    def test_hs384_secret_of_47_bytes_is_refused(self):
        secret = 'k' * 47
        self.assertRefused('CASEWORK_JWT_SECRET', secret=secret, CASEWORK_JWT_ALG='HS384',
                           CASEWORK_JWT_SECRET=secret, CASEWORK_JWT_SECRET_FILE=None)

    def test_hs512_secret_of_63_bytes_is_refused(self):
        secret = 'k' * 63
        self.assertRefused('CASEWORK_JWT_SECRET', secret=secret, CASEWORK_JWT_ALG='HS512',
                           CASEWORK_JWT_SECRET=secret, CASEWORK_JWT_SECRET_FILE=None)

    def test_secret_file_that_does_not_exist_is_refused(self):
        path = os.path.join(self.tmp, 'no-such-secret')
        line = self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_SECRET_FILE=path)
        self.assertIn(path, line)

    def test_secret_file_that_is_a_directory_is_refused(self):
        self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_SECRET_FILE=self.tmp)

    @unittest.skipIf(os.geteuid() == 0 and not shutil.which('setpriv'), 'root reads any file')
    def test_secret_file_without_read_permission_is_refused(self):
        path = self.write('noread', b's' * 48, mode=0o000)
        line = self.assertRefused('CASEWORK_JWT_SECRET_FILE', unprivileged=True, CASEWORK_JWT_SECRET_FILE=path)
        self.assertIn('ermission', line)

    def test_a_pem_key_as_the_hmac_secret_is_refused(self):
        # With the public key as the HMAC secret, anyone who has the public key signs
        # tokens the service accepts: the forgery that fixing one algorithm prevents.
        pem = self.cluster.key_pair('rsa').public_pem()
        line = self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_SECRET_FILE=self.write('public.pem', pem))
        self.assertIn('PEM', line)
        line = self.assertRefused('CASEWORK_JWT_SECRET', CASEWORK_JWT_SECRET=pem.decode(),
                                  CASEWORK_JWT_SECRET_FILE=None)
        self.assertIn('PEM', line)
        self.assertNotIn('MII', line, 'the refusal must not print the key')

    def test_secret_file_too_large_to_be_a_secret_is_refused(self):
        path = self.write('huge', b's' * (1024 * 1024))
        self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_SECRET_FILE=path)


class JwtAlgorithmRefusalTest(ConfigTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rsa = cls.cluster.key_pair('rsa')
        cls.ec = cls.cluster.key_pair('ec')

    def asymmetric(self, alg, key_file, *names, **more):
        return self.assertRefused(*names, CASEWORK_JWT_ALG=alg, CASEWORK_JWT_SECRET_FILE=None,
                                  CASEWORK_JWT_PUBLIC_KEY_FILE=key_file, **more)

    def test_unknown_algorithm_is_refused(self):
        for alg in ('none', 'hs256', 'RS512', 'PS256', 'ES384', 'HS256 ', 'EdDSA'):
            with self.subTest(alg=alg):
                self.assertRefused('CASEWORK_JWT_ALG', CASEWORK_JWT_ALG=alg)

    def test_rs256_without_a_key_file_is_refused(self):
        self.asymmetric('RS256', None, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_es256_without_a_key_file_is_refused(self):
        self.asymmetric('ES256', None, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_rs256_with_a_secret_instead_of_a_key_is_refused(self):
        self.assertRefused('CASEWORK_JWT_PUBLIC_KEY_FILE', CASEWORK_JWT_ALG='RS256')

    def test_rs256_with_both_a_key_and_a_secret_is_refused(self):
        self.assertRefused('CASEWORK_JWT_SECRET', CASEWORK_JWT_ALG='RS256',
                           CASEWORK_JWT_PUBLIC_KEY_FILE=self.rsa.public_path)

    def test_hs256_with_a_public_key_file_is_refused(self):
        self.assertRefused('CASEWORK_JWT_PUBLIC_KEY_FILE', CASEWORK_JWT_PUBLIC_KEY_FILE=self.rsa.public_path)

    def test_key_file_that_does_not_exist_is_refused(self):
        path = os.path.join(self.tmp, 'no-such-key.pem')
        line = self.asymmetric('RS256', path, 'CASEWORK_JWT_PUBLIC_KEY_FILE')
        self.assertIn(path, line)

    def test_key_file_that_is_a_directory_is_refused(self):
        self.asymmetric('RS256', self.tmp, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    @unittest.skipIf(os.geteuid() == 0 and not shutil.which('setpriv'), 'root reads any file')
    def test_key_file_without_read_permission_is_refused(self):
        path = self.write('noread.pem', self.rsa.public_pem(), mode=0o000)
        line = self.asymmetric('RS256', path, 'CASEWORK_JWT_PUBLIC_KEY_FILE', unprivileged=True)
        self.assertIn('ermission', line)

    def test_empty_key_file_is_refused(self):
        self.asymmetric('RS256', self.write('empty.pem', b''), 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_key_file_that_is_not_a_pem_public_key_is_refused(self):
        for content in (b'not a key at all\n', b'-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
                        self.rsa.public_pem()[:200]):
            with self.subTest(content=content[:40]):
                self.asymmetric('RS256', self.write('bad.pem', content), 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_private_key_file_is_refused(self):
        self.asymmetric('RS256', self.rsa.private_path, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_certificate_instead_of_a_public_key_is_refused(self):
        cert = os.path.join(self.tmp, 'cert.pem')
        harness.openssl('req', '-new', '-x509', '-key', self.rsa.private_path, '-subj', '/CN=test',
                        '-days', '1', '-out', cert)
        self.asymmetric('RS256', cert, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_rsa_key_for_es256_is_refused(self):
        self.asymmetric('ES256', self.rsa.public_path, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_ec_key_for_rs256_is_refused(self):
        self.asymmetric('RS256', self.ec.public_path, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_ec_key_on_another_curve_for_es256_is_refused(self):
        p384 = self.cluster.key_pair('ec', curve='secp384r1')
        self.asymmetric('ES256', p384.public_path, 'CASEWORK_JWT_PUBLIC_KEY_FILE')

    def test_short_rsa_key_is_refused(self):
        weak = self.cluster.key_pair('rsa', bits=1024)
        self.asymmetric('RS256', weak.public_path, 'CASEWORK_JWT_PUBLIC_KEY_FILE')


class ListenerRefusalTest(ConfigTest):
    def test_bad_port_is_refused(self):
        for port in ('0', '70000', '80x', '-1', '65536', ' 80', 'eighty', '0x50', '8080.0'):
            with self.subTest(port=port):
                self.assertRefused('CASEWORK_PORT', CASEWORK_PORT=port)

    def test_bad_bind_address_is_refused(self):
        for bind in ('localhost', '999.1.1.1', '127.0.0.1:8080', '1.2.3', '::g', '[::1]'):
            with self.subTest(bind=bind):
                self.assertRefused('CASEWORK_BIND', CASEWORK_BIND=bind)

    def test_port_in_use_is_refused_with_one_line(self):
        with socket.socket() as taken:
            taken.bind(('127.0.0.1', 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            line = self.assertRefused(str(port), CASEWORK_PORT=str(port))
        self.assertIn('port', line)

    def test_bind_address_not_on_this_host_is_refused_with_one_line(self):
        self.assertRefused('192.0.2.1', CASEWORK_BIND='192.0.2.1')


class LimitsRefusalTest(ConfigTest):
    def test_bad_pool_size_is_refused(self):
        for size in ('0', '-1', 'four', '4x', '100000', '1e3'):
            with self.subTest(size=size):
                self.assertRefused('CASEWORK_DB_POOL_SIZE', CASEWORK_DB_POOL_SIZE=size)

    def test_disclosure_of_substance_use_referrals_is_0_or_1(self):
        for value in ('2', 'yes', 'true', 'on', '-1', '01x'):
            with self.subTest(value=value):
                self.assertRefused('CASEWORK_DISCLOSE_SUD', CASEWORK_DISCLOSE_SUD=value)

    def test_bad_max_body_bytes_is_refused(self):
        for size in ('0', '-1', 'lots', '1MB', '99999999999999999999999', '10'):
            with self.subTest(size=size):
                self.assertRefused('CASEWORK_MAX_BODY_BYTES', CASEWORK_MAX_BODY_BYTES=size)

    def test_bad_http_threads_is_refused(self):
        for n in ('-1', 'many', '100000'):
            with self.subTest(n=n):
                self.assertRefused('CASEWORK_HTTP_THREADS', CASEWORK_HTTP_THREADS=n)

    def test_bad_idle_timeout_is_refused(self):
        for n in ('0', '-5', 'soon'):
            with self.subTest(n=n):
                self.assertRefused('CASEWORK_IDLE_TIMEOUT_SECONDS', CASEWORK_IDLE_TIMEOUT_SECONDS=n)

    def test_bad_report_concurrency_is_refused(self):
        for n in ('0', '101', 'two', '-1'):
            with self.subTest(n=n):
                self.assertRefused('CASEWORK_REPORT_CONCURRENCY', CASEWORK_REPORT_CONCURRENCY=n)

    def test_report_concurrency_must_leave_an_epoll_worker_free(self):
        self.assertRefused('CASEWORK_REPORT_CONCURRENCY', 'CASEWORK_HTTP_THREADS', CASEWORK_HTTP_THREADS='3',
                           CASEWORK_REPORT_CONCURRENCY='3')

    def test_bad_report_timeout_is_refused(self):
        for n in ('0', '3601', '2m'):
            with self.subTest(n=n):
                self.assertRefused('CASEWORK_REPORT_TIMEOUT_SECONDS', CASEWORK_REPORT_TIMEOUT_SECONDS=n)


class TimezoneAndCorsRefusalTest(ConfigTest):
    def test_unknown_timezone_is_refused(self):
        for tz in ('Mars/Olympus', 'America/Nowhere', 'utc+2'):
            with self.subTest(tz=tz):
                self.assertRefused('CASEWORK_TIMEZONE', CASEWORK_TIMEZONE=tz)

    def test_timezone_that_is_a_path_is_refused(self):
        for tz in ('../etc/passwd', '/etc/passwd', 'America/../../../etc/passwd', '/usr/share/zoneinfo/UTC'):
            with self.subTest(tz=tz):
                self.assertRefused('CASEWORK_TIMEZONE', CASEWORK_TIMEZONE=tz)

    def test_timezone_that_is_a_directory_is_refused(self):
        self.assertRefused('CASEWORK_TIMEZONE', CASEWORK_TIMEZONE='America')

    def test_file_in_the_zone_directory_that_is_not_a_zone_is_refused(self):
        zonedir = os.environ.get('TZDIR', '/usr/share/zoneinfo')
        for name in ('zone.tab', 'iso3166.tab', 'tzdata.zi'):
            if not os.path.isfile(os.path.join(zonedir, name)):
                continue
            with self.subTest(tz=name):
                self.assertRefused('CASEWORK_TIMEZONE', CASEWORK_TIMEZONE=name)

    def test_cors_wildcard_is_refused(self):
        for origins in ('*', 'https://app.example.org,*', 'https://*.example.org'):
            with self.subTest(origins=origins):
                self.assertRefused('CASEWORK_CORS_ORIGINS', CASEWORK_CORS_ORIGINS=origins)

    def test_cors_origin_that_is_not_an_origin_is_refused(self):
        for origins in ('app.example.org', 'ftp://app.example.org', 'null',
                        'https://app.example.org/path', 'https://app.example.org/', 'https://'):
            with self.subTest(origins=origins):
                self.assertRefused('CASEWORK_CORS_ORIGINS', CASEWORK_CORS_ORIGINS=origins)


class UnreachableDatabaseTest(ConfigTest):
    """A database that is not there at start is not fatal for serve."""

    def start_without_database(self):
        nowhere = tempfile.mkdtemp(prefix='no-pg-', dir=self.cluster.dir)
        svc = self.own_service(harness.unique('nodb'), wait_path='/healthz',
                               CASEWORK_DATABASE_URL=f'host={nowhere} dbname=casework '
                                                     f'user={harness.SERVICE_ROLE} connect_timeout=2')
        return svc, nowhere

    def test_serve_starts_without_a_database_and_says_not_ready(self):
        svc, _ = self.start_without_database()
        r = svc.request('GET', '/healthz')
        self.assertEqual(r.status, 200, r)
        r = svc.request('GET', '/readyz')
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.header('Content-Type'), 'application/problem+json')
        problem = r.json()
        self.assertEqual(problem['status'], 503)
        for key in ('type', 'title', 'detail'):
            self.assertIsInstance(problem.get(key), str, problem)

    def test_api_request_without_a_database_is_503_not_500(self):
        svc, _ = self.start_without_database()
        token = self.cluster.token(sub=harness.unique('worker'))
        for method, path, body in (('GET', '/v1/cases', None),
                                   ('GET', '/v1/cases/6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f', None),
                                   ('POST', '/v1/cases', {'case_number': harness.unique('CN'),
                                                          'family_name': 'Nodb', 'case_type': 'in_home'})):
            with self.subTest(method=method, path=path):
                r = svc.request(method, path, token=token, body=body)
                self.assertEqual(r.status, 503, r)
                self.assertEqual(r.header('Content-Type'), 'application/problem+json')

    def test_authentication_still_comes_first_without_a_database(self):
        svc, _ = self.start_without_database()
        r = svc.request('GET', '/v1/cases')
        self.assertEqual(r.status, 401, r)

    def test_readyz_turns_ready_when_the_database_appears(self):
        svc, nowhere = self.start_without_database()
        self.assertEqual(svc.request('GET', '/readyz').status, 503)
        # The database's socket appears in the directory the service was told about.
        sockets = [n for n in os.listdir(self.cluster.dir) if n.startswith('.s.PGSQL.') and not n.endswith('.lock')]
        self.assertEqual(len(sockets), 1, sockets)
        os.symlink(os.path.join(self.cluster.dir, sockets[0]), os.path.join(nowhere, sockets[0]))
        deadline = time.time() + 15
        status = None
        while time.time() < deadline:
            status = svc.request('GET', '/readyz').status
            if status == 200:
                break
            time.sleep(0.25)
        self.assertEqual(status, 200)
        self.assertEqual(svc.request('GET', '/v1/cases', token=self.cluster.token()).status, 200)


class CommandLineTest(ConfigTest):
    def run_cli(self, *args, **overrides):
        return self.cluster.run_caseworkd(*args, env=self.cluster.base_env(**overrides), timeout=REFUSAL_SECONDS)

    def test_help_exits_zero_and_lists_the_commands_and_settings(self):
        for flag in ('--help', '-h'):
            with self.subTest(flag=flag):
                done = self.run_cli(flag)
                self.assertEqual(done.returncode, 0, done.stderr)
                for word in ('serve', 'migrate', 'probe', 'CASEWORK_DATABASE_URL', 'CASEWORK_MIGRATE_DATABASE_URL',
                             'CASEWORK_JWT_SECRET', 'CASEWORK_REPORT_CONCURRENCY', 'CASEWORK_REPORT_TIMEOUT_SECONDS'):
                    self.assertIn(word, done.stdout)

    def test_help_needs_no_configuration(self):
        done = self.run_cli('--help', CASEWORK_JWT_SECRET_FILE=None, CASEWORK_PORT='nonsense')
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_version_exits_zero_and_prints_the_version(self):
        done = self.run_cli('--version')
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout.strip(), r'^caseworkd \d+\.\d+')

    def test_unknown_command_exits_2(self):
        for args in (('frobnicate',), ('--bogus',), ('serve', 'extra'), ('',)):
            with self.subTest(args=args):
                done = self.run_cli(*args)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertTrue(done.stderr.strip(), 'an unknown command should say so on stderr')


class ProbeTest(ConfigTest):
    """`caseworkd probe`, a container's HEALTHCHECK: /readyz of the instance the
    environment configures, over loopback; exit 0 when it answers 200, else 1."""

    def probe(self, port, **overrides):
        return self.cluster.run_caseworkd('probe', env=self.cluster.base_env(
            CASEWORK_PORT=str(port), CASEWORK_JWT_SECRET_FILE=None, **overrides), timeout=REFUSAL_SECONDS)

    def test_probe_exits_0_when_the_instance_is_ready(self):
        for bind in ('127.0.0.1', '0.0.0.0'):  # a wildcard address is asked on loopback
            with self.subTest(bind=bind):
                done = self.probe(self.cluster.service.port, CASEWORK_BIND=bind)
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertEqual(done.stderr, '')

    def test_probe_exits_1_with_one_line_when_the_instance_is_not_ready(self):
        nowhere = tempfile.mkdtemp(prefix='no-pg-', dir=self.cluster.dir)
        svc = self.own_service(harness.unique('probe'), wait_path='/healthz',
                               CASEWORK_DATABASE_URL=f'host={nowhere} dbname=casework connect_timeout=2')
        done = self.probe(svc.port)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn('503', done.stderr)

    def test_probe_exits_1_when_nothing_listens(self):
        done = self.probe(harness.free_port())
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)

    def test_probe_refuses_an_unusable_address(self):
        done = self.probe(self.cluster.service.port, CASEWORK_BIND='localhost')
        self.assertEqual(done.returncode, 1)
        self.assertIn('CASEWORK_BIND', done.stderr)


class MigrateTest(ConfigTest):
    def migrations_on_disk(self):
        return sorted(n for n in os.listdir(os.path.join(harness.ROOT, 'sql')) if re.match(r'^\d+_.*\.sql$', n))

    def migrate(self, dbname):
        return self.cluster.run_caseworkd('migrate', env=self.cluster.base_env(
            **self.cluster.database_env(dbname)), timeout=120)

    def applied(self, dbname):
        return self.cluster.psql('SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version',
                                 dbname=dbname)

    def test_migrate_applies_every_migration_once_then_is_a_no_op(self):
        db = self.cluster.create_database('migrate')
        first = self.migrate(db)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertFalse(harness.sanitizer_problems(first.stderr), first.stderr)
        self.assertEqual(len(self.applied(db).splitlines()), len(self.migrations_on_disk()))
        before = self.applied(db)
        second = self.migrate(db)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertNotIn('applied ', second.stdout)
        self.assertEqual(self.applied(db), before, 'the second run must change nothing')

    def test_migrate_on_the_migrated_main_database_is_a_no_op(self):
        before = self.applied('casework')
        done = self.migrate('casework')
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(self.applied('casework'), before)

    def test_two_concurrent_migrations_of_a_fresh_database_both_succeed(self):
        db = self.cluster.create_database('concurrent')
        env = self.cluster.base_env(**self.cluster.database_env(db))
        procs = [subprocess.Popen([self.cluster.binary, 'migrate'], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            outputs.append((p.returncode, out, err))
        for rc, out, err in outputs:
            self.assertEqual(rc, 0, err)
            self.assertFalse(harness.sanitizer_problems(err), err)
        applied_lines = sum(out.count('applied ') for _, out, _ in outputs)
        self.assertEqual(applied_lines, len(self.migrations_on_disk()), outputs)
        self.assertEqual(len(self.applied(db).splitlines()), len(self.migrations_on_disk()))

    def migrate_before(self, dbname, name_part):
        """Applies, as caseworkd migrate would, every migration before the one whose
        name holds name_part; returns that one's file name."""
        names = self.migrations_on_disk()
        upto = next(i for i, n in enumerate(names) if name_part in n)
        self.cluster.psql('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,'
                          ' checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())', dbname)
        for name in names[:upto]:
            with open(os.path.join(harness.ROOT, 'sql', name), encoding='utf-8') as f:
                text = f.read()
            digest = hashlib.sha256(text.encode()).hexdigest()
            self.cluster.psql(f"{text}\n;INSERT INTO schema_migrations (version, name, checksum)"
                              f" VALUES ({int(name[:3])}, '{name[:-4]}', '{digest}')", dbname)
        return names[upto]

    def test_the_episodes_migration_makes_each_childs_care_dates_a_first_episode(self):
        db = self.cluster.create_database('episodes')
        self.migrate_before(db, 'episodes_placements')
        case = '00000000-0000-4000-8000-00000000c001'
        ids = {k: f'00000000-0000-4000-8000-0000000000{n:02d}' for n, k in enumerate(
            ('open', 'discharged', 'never', 'parent', 'deleted'), 1)}
        self.cluster.psql(
            "SELECT set_config('casework.actor', 'state-loader', true);"
            "INSERT INTO cases (id, case_number, family_name, case_type, opened_on, assigned_worker,"
            "                   permanency_goal_since)"
            f" VALUES ('{case}', 'MIG-1', 'Lopez', 'out_of_home', '2023-01-01', 'w1', '2023-01-01');"
            "INSERT INTO participants (id, case_id, first_name, last_name, role, in_care_since, in_care_until,"
            "                          deleted_at) VALUES"
            f" ('{ids['open']}', '{case}', 'Ana', 'Lopez', 'child', '2024-01-10', NULL, NULL),"
            f" ('{ids['discharged']}', '{case}', 'Ben', 'Lopez', 'child', '2023-02-01', '2023-09-30', NULL),"
            f" ('{ids['never']}', '{case}', 'Cal', 'Lopez', 'child', NULL, NULL, NULL),"
            f" ('{ids['parent']}', '{case}', 'Dee', 'Lopez', 'parent', NULL, NULL, NULL),"
            f" ('{ids['deleted']}', '{case}', 'Eli', 'Lopez', 'child', '2022-05-05', NULL, now())", db)
        before = self.cluster.psql('SELECT id, version, updated_at FROM participants ORDER BY id', db)
        done = self.migrate(db)
        self.assertEqual(done.returncode, 0, done.stderr)
        episodes = self.cluster.psql(
            'SELECT participant_id, case_id, removed_on, discharged_on, discharge_reason, removal_reasons,'
            ' permanency_goal, version FROM episodes ORDER BY participant_id', db).splitlines()
        self.assertEqual(episodes, [f"{ids['open']}|{case}|2024-01-10|||||1",
                                    f"{ids['discharged']}|{case}|2023-02-01|2023-09-30|not_recorded|||1",
                                    f"{ids['deleted']}|{case}|2022-05-05|||||1"])
        # The participants themselves are not changed; each episode is audited (and so goes
        # to the change feed).
        self.assertEqual(self.cluster.psql('SELECT id, version, updated_at FROM participants ORDER BY id', db),
                         before)
        audit = self.cluster.psql(
            "SELECT a.actor, a.action, a.case_id, count(*) FROM audit_log a"
            " WHERE a.resource_type = 'episode' GROUP BY 1, 2, 3", db)
        self.assertEqual(audit.strip(), f'migration-016|create|{case}|3')
        # From now on the participant's dates and the latest episode move together.
        self.cluster.psql(
            "SELECT set_config('casework.actor', 'state-loader', true);"
            f"UPDATE participants SET in_care_until = '2024-06-30' WHERE id = '{ids['open']}';"
            f"UPDATE participants SET in_care_since = '2024-02-01' WHERE id = '{ids['never']}'", db)
        episodes = self.cluster.psql(
            'SELECT participant_id, removed_on, discharged_on, discharge_reason FROM episodes'
            f" WHERE participant_id IN ('{ids['open']}', '{ids['never']}') ORDER BY participant_id", db)
        self.assertEqual(episodes.splitlines(), [f"{ids['open']}|2024-01-10|2024-06-30|not_recorded",
                                                 f"{ids['never']}|2024-02-01||"])

    def test_migrate_without_a_database_fails_with_one_line(self):
        nowhere = tempfile.mkdtemp(prefix='no-pg-', dir=self.cluster.dir)
        done = self.cluster.run_caseworkd('migrate', env=self.cluster.base_env(
            CASEWORK_DATABASE_URL=f'host={nowhere} dbname=casework user=casework'), timeout=60)
        self.assertNotEqual(done.returncode, 0)
        self.assertEqual(len(done.stderr.splitlines()), 1, done.stderr)
        self.assertIn('database', done.stderr)

    def test_migrate_needs_no_jwt_secret(self):
        db = self.cluster.create_database('nosecret')
        done = self.cluster.run_caseworkd('migrate', env=self.cluster.base_env(
            **self.cluster.database_env(db), CASEWORK_JWT_SECRET_FILE=None))
        self.assertEqual(done.returncode, 0, done.stderr)

    def test_serve_on_an_unmigrated_database_is_not_ready(self):
        db = self.cluster.create_database('unmigrated')
        svc = self.own_service(harness.unique('unmigrated'), wait_path='/healthz',
                               CASEWORK_DATABASE_URL=self.cluster.database_url_for(db))
        r = svc.request('GET', '/readyz')
        self.assertEqual(r.status, 503, r)
        r = svc.request('GET', '/v1/cases', token=self.cluster.token())
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.header('Content-Type'), 'application/problem+json')


if __name__ == '__main__':
    unittest.main()
