"""Shared helpers for HTTP tests: personas, a case factory, problem assertions."""
import datetime
import threading
import unittest
import urllib.parse

import harness


def today():
    """The service's today (its time zone defaults to UTC), as YYYY-MM-DD."""
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def at_once(n, work):
    """Runs work(i) in n threads released together; returns the results in order
    (an exception raised by work stands in for its result)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # reported by the caller
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def query(path, **params):
    """path with params URL-encoded as its query string (None values left out)."""
    params = {k: v for k, v in params.items() if v is not None}
    return f'{path}?{urllib.parse.urlencode(params)}' if params else path


class Persona:
    """A caller: sub, role(s) and unit, with a fresh token."""

    def __init__(self, cluster, sub, role, unit=None):
        self.cluster = cluster
        self.sub = sub
        self.role = role
        self.unit = unit

    @property
    def token(self):
        return self.cluster.token(sub=self.sub, role=self.role, unit=self.unit)


class World:
    """Two units, each with a supervisor and workers, plus the agency-wide roles.
    Names are unique per World, so tests never see each other's records."""

    def __init__(self, cluster):
        tag = harness.unique('w')
        self.unit_a = f'{tag}-unit-a'
        self.unit_b = f'{tag}-unit-b'
        p = lambda sub, role, unit=None: Persona(cluster, f'{tag}-{sub}', role, unit)  # noqa: E731
        self.worker_a1 = p('worker-a1', 'caseworker', self.unit_a)
        self.worker_a2 = p('worker-a2', 'caseworker', self.unit_a)
        self.worker_b1 = p('worker-b1', 'caseworker', self.unit_b)
        self.supervisor_a = p('supervisor-a', 'supervisor', self.unit_a)
        self.supervisor_b = p('supervisor-b', 'supervisor', self.unit_b)
        self.administrator = p('admin', 'administrator')
        self.auditor = p('auditor', 'auditor')
        self.integration = p('sacwis', 'integration')


class ApiTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = harness.cluster()
        cls.api = cls.cluster.service

    def setUp(self):
        self.world = World(self.cluster)

    def request(self, method, path, who=None, **kw):
        token = who.token if isinstance(who, Persona) else who
        return self.api.request(method, path, token=token, **kw)

    def create_case(self, who, **fields):
        body = {'case_number': harness.unique('CN'), 'family_name': 'Family',
                'case_type': 'out_of_home'}
        body.update(fields)
        r = self.request('POST', '/v1/cases', who, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def list_all(self, path, who, **params):
        """Every item of a list, walking next_cursor page by page (each page must be 200)."""
        items, cursor = [], None
        for _ in range(10000):
            r = self.request('GET', query(path, cursor=cursor, **params), who)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            items.extend(page['items'])
            cursor = page['next_cursor']
            if cursor is None:
                return items
        self.fail(f'{path}: the list never ended')

    def list_ids(self, path, who, **params):
        return [item['id'] for item in self.list_all(path, who, **params)]

    def assertProblem(self, r, status, fields=None):
        """r is a problem+json answer with this status; fields, when given, are
        exactly the fields named in its errors list (in any order)."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header('Content-Type'), 'application/problem+json', r)
        p = r.json()
        self.assertEqual(p['status'], status)
        for key in ('type', 'title', 'detail'):
            self.assertIsInstance(p.get(key), str, p)
        if fields is not None:
            self.assertEqual(sorted({e['field'] for e in p.get('errors', [])}), sorted(fields), p)
        return p


class CaseRecordAccessMatrix:
    """The role rules every kind of record under a case answers to, mixed into
    an ApiTest whose setUp makes one record in each of three cases: worker_a1's,
    worker_a2's (same unit) and worker_b1's (another unit). The class names its
    cross-case list (list_path), returns the three from records(), and provides
    assertSees, assertCannotSee, assertUpdates and assertCreates(who, record)
    (which adds another record beside that one)."""

    list_path = None
    caseload_list_params = ({},)   # each way of reading the caseload list

    def records(self):
        raise NotImplementedError

    # -- caseworker -----------------------------------------------------------
    def test_caseworker_sees_adds_and_updates_records_of_own_case(self):
        w = self.world.worker_a1
        a1, _, _ = self.records()
        self.assertSees(w, a1)
        self.assertUpdates(w, a1)
        self.assertCreates(w, a1)

    def test_caseworker_cannot_see_records_of_a_colleagues_case(self):
        a1, a2, _ = self.records()
        self.assertCannotSee(self.world.worker_a1, a2)
        self.assertCannotSee(self.world.worker_a2, a1)

    def test_caseworker_cannot_see_records_of_another_unit(self):
        a1, _, b1 = self.records()
        self.assertCannotSee(self.world.worker_a1, b1)
        self.assertCannotSee(self.world.worker_b1, a1)

    def test_caseworker_list_holds_only_own_caseload(self):
        w = self.world
        for who, record in zip((w.worker_a1, w.worker_a2, w.worker_b1), self.records()):
            for params in self.caseload_list_params:
                with self.subTest(who=who.sub, **params):
                    self.assertEqual(self.list_ids(self.list_path, who, **params), [record['id']])

    # -- supervisor -------------------------------------------------------------
    def test_supervisor_sees_adds_and_updates_records_of_the_unit(self):
        s = self.world.supervisor_a
        for record in self.records()[:2]:
            with self.subTest(case=record['case_id']):
                self.assertSees(s, record)
                self.assertUpdates(s, record)
                self.assertCreates(s, record)

    def test_supervisor_cannot_see_records_of_another_unit(self):
        _, a2, b1 = self.records()
        self.assertCannotSee(self.world.supervisor_a, b1)
        self.assertCannotSee(self.world.supervisor_b, a2)

    # -- administrator and integration ----------------------------------------
    def test_administrator_and_integration_add_and_update_anywhere(self):
        w = self.world
        a1, _, b1 = self.records()
        for who in (w.administrator, w.integration):
            for record in (a1, b1):
                with self.subTest(role=who.role, case=record['case_id']):
                    self.assertUpdates(who, record)
                    self.assertCreates(who, record)
