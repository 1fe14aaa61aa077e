"""Reports run apart from everything else: on database connections of their own,
at most CASEWORK_REPORT_CONCURRENCY at once (more are refused at once with 503,
problem+json and Retry-After), each stopped after CASEWORK_REPORT_TIMEOUT_SECONDS;
and while reports run, other requests are answered as quickly as ever.

A report is made slow without test-only code in the service: the test's own
database session holds an ACCESS EXCLUSIVE lock on visit_participants, which the
visit measure reads and a case read does not, so the report waits inside
PostgreSQL (as a long statement would) until the test lets it go. The service's
report connections name themselves "caseworkd reports" to PostgreSQL, which is
how the test sees them waiting.
"""
import http.client
import os
import subprocess
import threading
import time

import harness
from base import ApiTest, query

VISITS = '/v1/reports/visit-compliance'
REVIEWS = '/v1/reports/plan-reviews'
PROMPT_SECONDS = 2.0   # a case read takes milliseconds; a report held here takes until released


class HeldLock:
    """A database session that holds ACCESS EXCLUSIVE on a table until released."""

    def __init__(self, cluster, table):
        self.proc = subprocess.Popen(
            [os.path.join(cluster.bindir, 'psql'), '-h', cluster.dir, '-U', 'casework', '-d', 'casework', '-X',
             '-q', '-v', 'ON_ERROR_STOP=1'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write(f'BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n\\echo locked\n')
        self.proc.stdin.flush()
        if self.proc.stdout.readline().strip() != 'locked':
            self.release()
            raise RuntimeError(f'could not lock {table}')

    def release(self):
        if self.proc.poll() is None:
            self.proc.communicate('ROLLBACK;\n', timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


class Background:
    """A request sent on a thread of its own; result() waits for its answer."""

    def __init__(self, send):
        self.answer = None
        self.thread = threading.Thread(target=self._run, args=(send,))
        self.thread.start()

    def _run(self, send):
        try:
            self.answer = send()
        except Exception as e:  # reported by result()
            self.answer = e

    def result(self):
        self.thread.join(60)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class ReportIsolationTest(ApiTest):
    services = {}

    @classmethod
    def service(cls, name, **settings):
        """A service of this class's, started once with these settings."""
        if name not in cls.services:
            cls.services[name] = cls.cluster.start_service(name, **settings)
        return cls.services[name]

    @classmethod
    def tearDownClass(cls):
        for svc in cls.services.values():
            cls.cluster.stop_service(svc)
        cls.services = {}

    def reports_waiting(self):
        return int(self.cluster.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'caseworkd reports' "
            "AND wait_event_type = 'Lock'"))

    def start_reports(self, svc, who, count):
        """count visit measures, each on its own connection, held by the lock
        until released; returns them once all wait inside the database. One at
        a time: an epoll worker may accept several new connections at once, and
        a second report on the connection of a worker already in one would wait
        for the first instead of running beside it."""
        path = query(VISITS, **{'from': '2024-01', 'to': '2024-12'})
        reports = []
        for n in range(1, count + 1):
            reports.append(Background(lambda: svc.request('GET', path, token=who.token)))
            deadline = time.time() + 20
            while self.reports_waiting() < n and time.time() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.reports_waiting(), n)
        return reports

    def timed(self, send):
        start = time.monotonic()
        r = send()
        return r, time.monotonic() - start

    @staticmethod
    def get_on(conn, path, headers):
        """GET path on an open keep-alive connection; returns the status."""
        conn.request('GET', path, headers=headers)
        resp = conn.getresponse()
        return harness.received('GET', path, harness.Response(resp.status, resp.headers, resp.read())).status

    # -- the limit --------------------------------------------------------------
    def test_report_past_the_limit_is_refused_at_once_with_retry_after(self):
        svc = self.service('one-report', CASEWORK_REPORT_CONCURRENCY='1')
        auditor = self.world.auditor
        with HeldLock(self.cluster, 'visit_participants'):
            [running] = self.start_reports(svc, auditor, 1)
            busy_since = time.monotonic()
            for path in (query(VISITS, **{'from': '2024-01', 'to': '2024-12'}), REVIEWS):
                with self.subTest(path=path):
                    r, seconds = self.timed(lambda: svc.request('GET', path, token=auditor.token))
                    p = self.assertProblem(r, 503)
                    self.assertEqual(p['type'], 'urn:casework:problem:busy')
                    self.assertEqual(r.header('Retry-After'), '5')
                    self.assertLess(seconds, PROMPT_SECONDS)
            # Past five seconds, the advice is as long as every report has been running.
            time.sleep(max(0.0, busy_since + 6.5 - time.monotonic()))
            r = svc.request('GET', REVIEWS, token=auditor.token)
            self.assertProblem(r, 503)
            self.assertGreaterEqual(int(r.header('Retry-After')), 7)
            self.assertLessEqual(int(r.header('Retry-After')), 30)
            # Parameters are checked before a report is refused for being one too many.
            self.assertProblem(svc.request('GET', query(VISITS, **{'from': '2024-13'}), token=auditor.token), 422,
                               ['from', 'to'])
            self.assertEqual(self.reports_waiting(), 1)
        self.assertEqual(running.result().status, 200)
        self.assertEqual(svc.request('GET', REVIEWS, token=auditor.token).status, 200)

    def test_report_running_longer_than_allowed_is_stopped_with_503(self):
        svc = self.service('short-reports', CASEWORK_REPORT_TIMEOUT_SECONDS='1')
        auditor = self.world.auditor
        with HeldLock(self.cluster, 'visit_participants'):
            r, seconds = self.timed(lambda: svc.request(
                'GET', query(VISITS, **{'from': '2024-01', 'to': '2024-12'}), token=auditor.token))
        p = self.assertProblem(r, 503)
        self.assertEqual(p['type'], 'urn:casework:problem:unavailable')
        self.assertIn('shorter range', p['detail'])
        self.assertLess(seconds, 5)

    # -- everything else keeps going ------------------------------------------------
    def assertCasesAnswerPromptly(self, svc, keep_alive):
        w = self.world.worker_a1
        case = self.create_case(w)
        path = f'/v1/cases/{case["id"]}'
        headers = {'Authorization': f'Bearer {w.token}'}
        conns = [http.client.HTTPConnection('127.0.0.1', svc.port, timeout=30) for _ in range(keep_alive)]
        try:
            for c in conns:   # each connection is open and has been served before the reports start
                self.assertEqual(self.get_on(c, path, headers), 200)
            with HeldLock(self.cluster, 'visit_participants'):
                reports = self.start_reports(svc, self.world.auditor, 2)
                for i, c in enumerate(conns):
                    with self.subTest(connection=i):
                        status, seconds = self.timed(lambda: self.get_on(c, path, headers))
                        self.assertEqual(status, 200)
                        self.assertLess(seconds, PROMPT_SECONDS)
                for _ in range(3):
                    r, seconds = self.timed(lambda: svc.request('GET', path, token=w.token))
                    self.assertEqual(r.status, 200, r)
                    self.assertLess(seconds, PROMPT_SECONDS)
                self.assertEqual(self.reports_waiting(), 2)
        finally:
            for c in conns:
                c.close()
        self.assertEqual([r.result().status for r in reports], [200, 200])

    def test_cases_answer_promptly_on_every_connection_while_reports_run(self):
        # The default threading model (a thread per connection); one database
        # connection for everything but reports, fewer than the reports hold.
        svc = self.service('threads', CASEWORK_HTTP_THREADS=None, CASEWORK_DB_POOL_SIZE='1')
        self.assertCasesAnswerPromptly(svc, keep_alive=6)

    def test_cases_answer_promptly_on_new_connections_with_an_epoll_pool(self):
        # A worker in a report holds every connection it owns, so only new
        # connections are promised an answer: they go to the workers that reports
        # leave free (CASEWORK_REPORT_CONCURRENCY must be less than the workers).
        svc = self.service('epoll', CASEWORK_HTTP_THREADS='4', CASEWORK_DB_POOL_SIZE='4')
        self.assertCasesAnswerPromptly(svc, keep_alive=0)
