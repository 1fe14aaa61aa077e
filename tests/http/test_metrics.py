"""GET /metrics: the Prometheus text format, read by a strict parser (promtext.py),
with series bounded by the route table whatever paths clients send."""
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import uuid

import harness
import promtext
from base import ApiTest


def debian_prometheus_parser():
    """The parser of python3-prometheus-client (Debian's package, also when the
    tests run on another Python 3 than Debian's), or None when not installed."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        if '/usr/lib/python3/dist-packages' in sys.path:
            return None
        sys.path.append('/usr/lib/python3/dist-packages')
        return debian_prometheus_parser()
    return text_string_to_metric_families


text_string_to_metric_families = debian_prometheus_parser()


class PromTextParserTest(unittest.TestCase):
    """The parser the tests rely on refuses what the format does not allow."""

    GOOD = ('# HELP a_total Things, with a \\\\ and a \\n.\n# TYPE a_total counter\n'
            'a_total{route="/v1/x/{id}",q="say \\"hi\\"\\n"} 3\n'
            '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.7\nh_count 2\n')

    def test_a_good_exposition_is_read(self):
        fams = promtext.parse(self.GOOD)
        self.assertEqual(fams['a_total'].help, 'Things, with a \\ and a \n.')
        self.assertEqual(fams['a_total'].value(q='say "hi"\n'), 3)
        self.assertEqual(fams['h'].value('h_count'), 2)

    def test_broken_rules_are_refused(self):
        broken = {
            'no final line feed': 'a 1',
            'bad metric name': '1a 1\n',
            'reserved label': 'a{__x="1"} 1\n',
            'repeated label': 'a{x="1",x="2"} 1\n',
            'bad escape': 'a{x="\\t"} 1\n',
            'unclosed value': 'a{x="1} 1\n',
            'bad value': 'a 1,5\n',
            'repeated series': 'a{x="1"} 1\na{x="1"} 2\n',
            'split family': 'a 1\nb 1\na{x="2"} 1\n',
            'TYPE after samples': 'a 1\n# TYPE a gauge\n',
            'two TYPEs': '# TYPE a gauge\n# TYPE a gauge\na 1\n',
            'unknown type': '# TYPE a meter\na 1\n',
            'negative counter': '# TYPE a counter\na -1\n',
            'no +Inf bucket': '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n',
            'buckets not cumulative': '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\n'
                                      'h_sum 1\nh_count 1\n',
            '+Inf is not count': '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n',
            'no sum': '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\n',
        }
        for what, text in broken.items():
            with self.subTest(what):
                with self.assertRaises(promtext.FormatError):
                    promtext.parse(text)


class MetricsTest(ApiTest):
    """A service of its own, with one database connection, so that its counts
    are this test's alone and a request can be made to wait for the connection;
    with a thread per connection, so that a scrape is never queued behind the
    requests that wait (as it may be on an epoll worker)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = cls.class_service('metrics', CASEWORK_DB_POOL_SIZE='1', CASEWORK_HTTP_THREADS=None)

    def scrape(self):
        r = self.request('GET', '/metrics')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'text/plain; version=0.0.4; charset=utf-8')
        text = r.body.decode('utf-8')
        families = promtext.parse(text)
        if text_string_to_metric_families is not None:  # a second reader agrees, sample by sample
            theirs = {(s.name, tuple(sorted(s.labels.items())), s.value)
                      for f in text_string_to_metric_families(text) for s in f.samples}
            ours = {(name, tuple(sorted(labels.items())), value)
                    for f in families.values() for name, labels, value in f.samples}
            self.assertEqual(theirs, ours)
        return families

    def series_count(self):
        return sum(len(f.samples) for f in self.scrape().values())

    def requests(self, families, route, method='GET', status='200'):
        return families['casework_http_requests_total'].value(route=route, method=method, status=status)

    def test_metrics_need_no_token_and_keep_the_format(self):
        fams = self.scrape()
        expected = {
            'casework_build_info': 'gauge',
            'casework_start_time_seconds': 'gauge',
            'casework_http_requests_total': 'counter',
            'casework_http_request_duration_seconds': 'histogram',
            'casework_db_pool_connections': 'gauge',
            'casework_db_pool_in_use': 'gauge',
            'casework_db_pool_waiting': 'gauge',
            'casework_db_pool_open': 'gauge',
            'casework_db_pool_down_seconds': 'gauge',
            'casework_db_pool_wait_seconds': 'histogram',
            'casework_db_pool_refusals_total': 'counter',
            'casework_db_connect_failures_total': 'counter',
            'casework_db_errors_total': 'counter',
            'casework_token_cache_lookups_total': 'counter',
            'casework_change_feed_numbered_total': 'counter',
            'casework_change_feed_numbering_failures_total': 'counter',
            'casework_change_feed_numbered_ago_seconds': 'gauge',
        }
        self.assertEqual({name: fams[name].type for name in expected if name in fams}, expected)
        for name, fam in fams.items():
            self.assertTrue(fam.help, name)
        self.assertEqual(fams['casework_build_info'].value(version=self.version()), 1)
        self.assertEqual(fams['casework_db_pool_connections'].value(pool='requests'), 1)
        self.assertEqual(fams['casework_db_pool_connections'].value(pool='reports'), 2)
        self.assertAlmostEqual(fams['casework_start_time_seconds'].value(), time.time(), delta=600)

    def version(self):
        done = self.cluster.run_caseworkd('--version')
        return done.stdout.split()[-1]

    def test_requests_are_counted_by_route_template_method_and_status(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        before = self.scrape()
        for _ in range(3):
            self.assertEqual(self.request('GET', f'/v1/cases/{case["id"]}', w).status, 200)
        self.assertEqual(self.request('HEAD', f'/v1/cases/{case["id"]}', w).status, 200)
        self.assertEqual(self.request('GET', f'/v1/cases/{uuid.uuid4()}', w).status, 404)
        self.assertEqual(self.request('PUT', f'/v1/cases/{case["id"]}', w, body={}).status, 405)
        self.assertEqual(self.request('GET', f'/nowhere/{uuid.uuid4()}').status, 404)
        after = self.scrape()
        route = '/v1/cases/{id}'
        for method, status, more in (('GET', '200', 3), ('HEAD', '200', 1), ('GET', '404', 1),
                                     ('PUT', '405', 1)):
            with self.subTest(method=method, status=status):
                self.assertEqual(self.requests(after, route, method, status) -
                                 self.requests(before, route, method, status), more)
        self.assertEqual(self.requests(after, 'unmatched', 'GET', '404') -
                         self.requests(before, 'unmatched', 'GET', '404'), 1)
        latency = after['casework_http_request_duration_seconds']
        count = latency.value('casework_http_request_duration_seconds_count', route=route, method='GET')
        self.assertEqual(count - before['casework_http_request_duration_seconds'].value(
            'casework_http_request_duration_seconds_count', route=route, method='GET'), 4)
        self.assertGreater(latency.value('casework_http_request_duration_seconds_sum', route=route,
                                         method='GET'), 0)

    def test_random_ids_and_paths_do_not_grow_the_series(self):
        w = self.world.worker_a1
        token = w.token
        odd = ('GET', 'BREW', 'TRACE')

        def noise(n):
            for i in range(n):
                self.assertEqual(self.api.request('GET', f'/v1/cases/{uuid.uuid4()}', token=token).status, 404)
                if i % 10 == 0:
                    self.api.request(odd[i % 3], f'/{uuid.uuid4().hex}/{i}')
                    self.api.request('GET', f'/v1/cases/{uuid.uuid4().hex}x')
        noise(30)   # every series these requests make exists now
        before = self.series_count()
        noise(1000)
        self.assertEqual(self.series_count(), before)
        text = self.request('GET', '/metrics').body.decode()
        self.assertNotRegex(text, r'[0-9a-f]{8}-[0-9a-f]{4}-|[0-9a-f]{32}', 'no id reaches a label')

    def test_token_cache_hits_are_counted(self):
        token = self.world.worker_a1.token
        before = self.scrape()['casework_token_cache_lookups_total']
        for _ in range(3):
            self.api.request('GET', '/v1/cases?limit=1', token=token)
        after = self.scrape()['casework_token_cache_lookups_total']
        self.assertEqual(after.value(result='miss') - before.value(result='miss'), 1)
        self.assertEqual(after.value(result='hit') - before.value(result='hit'), 2)

    def test_change_feed_numbering_is_current(self):
        """Every instance numbers in the background (whichever gets to a change
        first numbers it): this one's rounds keep working."""
        self.create_case(self.world.worker_a1)
        self.eventually(lambda: 0 <= self.scrape()['casework_change_feed_numbered_ago_seconds'].value() <= 2,
                        'a numbering round has worked within two seconds')
        self.assertGreaterEqual(self.scrape()['casework_change_feed_numbered_total'].value(), 0)

    def test_database_errors_are_counted_by_sqlstate_class(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        before = self.scrape()['casework_db_errors_total'].value(**{'class': '23'})
        r = self.request('POST', '/v1/cases', w, body={'case_number': case['case_number'], 'family_name': 'F',
                                                         'case_type': 'in_home'})
        self.assertProblem(r, 409)
        self.assertEqual(self.scrape()['casework_db_errors_total'].value(**{'class': '23'}) - before, 1)

    def test_pool_shows_connections_in_use_and_requests_waiting(self):
        """One connection: a request blocked on a lock holds it, the next waits for
        it; /metrics, which needs no database, shows both meanwhile."""
        w = self.world.worker_a1
        case = self.create_case(w)
        wait_before = self.scrape()['casework_db_pool_wait_seconds'].value(
            'casework_db_pool_wait_seconds_sum', pool='requests')
        locker = subprocess.Popen(
            [os.path.join(self.cluster.bindir, 'psql'), '-h', self.cluster.dir, '-U', 'casework', '-d', 'casework',
             '-v', 'ON_ERROR_STOP=1', '-q'], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        locker.stdin.write('BEGIN;\nLOCK TABLE cases IN ACCESS EXCLUSIVE MODE;\n')
        locker.stdin.flush()
        self.eventually(lambda: self.cluster.psql(
            "SELECT count(*) FROM pg_locks WHERE relation = 'cases'::regclass AND mode = 'AccessExclusiveLock' "
            "AND granted").strip() == '1', 'the lock is taken')
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.append(
            self.request('GET', f'/v1/cases/{case["id"]}', w).status)) for _ in range(2)]
        try:
            for t in threads:
                t.start()
            self.eventually(lambda: self.pool_state() == (1, 1), 'one connection in use and one request waiting')
        finally:
            locker.stdin.write('SELECT pg_sleep(0.3);\nCOMMIT;\n')
            locker.stdin.close()
            locker.wait(timeout=30)
            for t in threads:
                t.join()
        self.assertEqual(statuses, [200, 200])
        self.assertEqual(self.pool_state(), (0, 0))
        wait_after = self.scrape()['casework_db_pool_wait_seconds'].value(
            'casework_db_pool_wait_seconds_sum', pool='requests')
        self.assertGreater(wait_after - wait_before, 0.2)

    def pool_state(self):
        fams = self.scrape()
        return (fams['casework_db_pool_in_use'].value(pool='requests'),
                fams['casework_db_pool_waiting'].value(pool='requests'))


class MetricsRouteTest(ApiTest):
    def test_metrics_take_no_writes(self):
        r = self.request('POST', '/metrics', body={})
        self.assertProblem(r, 405)
        self.assertEqual(r.header('Allow'), 'GET, HEAD, OPTIONS')

    def test_every_series_names_a_route_of_the_contract(self):
        """A route label is a path template of the contract (its parameters may be
        named otherwise), or "unmatched"."""
        shape = lambda template: re.sub(r'\{\w+\}', '{}', template)  # noqa: E731
        fams = promtext.parse(self.request('GET', '/metrics').body.decode())
        templates = {shape(template) for template, _, _ in harness.contract().operations()} | {'unmatched'}
        for _, labels, _ in fams['casework_http_requests_total'].samples:
            self.assertIn(shape(labels['route']), templates)
