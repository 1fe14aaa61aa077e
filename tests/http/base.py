"""Shared helpers for HTTP tests: personas, a case factory, problem assertions,
requests on a kind of record (RecordTest) and the role matrix of records under
a case (CaseRecordAccessMatrix). The contract every kind keeps is in contract.py."""
import datetime
import functools
import threading
import time
import unittest
import urllib.parse

import harness

MISSING = '00000000-0000-4000-8000-000000000000'
UUID_RE = r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
TIMESTAMP_RE = r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$'
BOOKKEEPING = frozenset({'version', 'created_at', 'updated_at'})


def today():
    """The service's today (its time zone defaults to UTC), as YYYY-MM-DD."""
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def days_after(day, n):
    """The date n days after day (YYYY-MM-DD; n may be negative)."""
    return (datetime.date.fromisoformat(day) + datetime.timedelta(days=n)).isoformat()


def days_from_today(n):
    return days_after(today(), n)


def without_bookkeeping(record):
    """A record as the audit trail holds it: without version and timestamps."""
    return {k: v for k, v in record.items() if k not in BOOKKEEPING}


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
        tag = self.tag = harness.unique('w')
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


class OtherServices:
    """Other caseworkd processes with settings of their own, on the run's
    database (Cluster.start_service), for a TestCase with cls.cluster."""

    @classmethod
    def class_service(cls, name, wait_path='/readyz', **env):
        """A service for the tests of this class, stopped after the last of them."""
        svc = cls.cluster.start_service(name, wait_path, **env)
        cls.addClassCleanup(cls.cluster.stop_service, svc)
        return svc

    def own_service(self, name, wait_path='/readyz', **env):
        """A service for this test alone, stopped after it."""
        svc = self.cluster.start_service(name, wait_path, **env)
        self.addCleanup(self.cluster.stop_service, svc)
        return svc


class ApiTest(OtherServices, unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = harness.cluster()
        cls.api = cls.cluster.service

    def setUp(self):
        self.world = World(self.cluster)
        self.addCleanup(self.assertAnswersKeptTheContract, harness.violations_mark())

    def assertAnswersKeptTheContract(self, mark):
        """Every answer this test received was one openapi.yaml allows (harness.received)."""
        violations = harness.take_violations(mark)
        if violations:
            self.fail('answers that break openapi.yaml:\n  ' + '\n  '.join(violations))

    def request(self, method, path, who=None, **kw):
        token = who.token if isinstance(who, Persona) else who
        return self.api.request(method, path, token=token, **kw)

    def eventually(self, check, what, seconds=15):
        """Waits until check() is true, for what the service does in the background
        (a key set reloaded or fetched); fails after seconds (generous for the
        sanitizer build)."""
        deadline = time.time() + seconds
        while not check():
            if time.time() > deadline:
                self.fail(f'not within {seconds} s: {what}')
            time.sleep(0.05)

    def read(self, path, who=None):
        """What GET path answers who (default an administrator): 200, its JSON."""
        r = self.request('GET', path, who or self.world.administrator)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def create_case(self, who, **fields):
        body = {'case_number': harness.unique('CN'), 'family_name': 'Family',
                'case_type': 'out_of_home'}
        body.update(fields)
        r = self.request('POST', '/v1/cases', who, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def add_participant(self, case, who=None, **fields):
        """A new participant of case (a parent unless fields say otherwise), added by who (an administrator)."""
        body = dict({'first_name': 'Rosa', 'last_name': harness.unique('R'), 'role': 'parent'}, **fields)
        r = self.request('POST', f'/v1/cases/{case["id"]}/participants', who or self.world.administrator, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def add_episode(self, child, removed_on, discharged_on=None, reason='reunification', **fields):
        """A removal episode of child (discharged on discharged_on for reason), made by an administrator."""
        body = dict({'removed_on': removed_on}, **fields)
        if discharged_on:
            body.update(discharged_on=discharged_on, discharge_reason=reason)
        return self.posted(f'/v1/participants/{child["id"]}/episodes', body)

    def add_placement(self, episode, started_on, ended_on=None, setting='nonrelative_foster_home'):
        """A placement of episode's child (one that has ended, with reason 'other'), made by an administrator."""
        body = {'started_on': started_on, 'setting': setting}
        if ended_on:
            body.update(ended_on=ended_on, end_reason='other')
        return self.posted(f'/v1/episodes/{episode["id"]}/placements', body)

    def posted(self, path, body, who=None):
        """The record a POST of body to path creates (201), sent by who (an administrator)."""
        r = self.request('POST', path, who or self.world.administrator, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def walk(self, path, who, **params):
        """Each page of a list from the first, walking next_cursor: (the answer,
        its JSON); each page must be 200."""
        cursor = None
        for _ in range(10000):
            r = self.request('GET', query(path, cursor=cursor, **params), who)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            yield r, page
            cursor = page['next_cursor']
            if cursor is None:
                return
        self.fail(f'{path}: the list never ended')

    def list_all(self, path, who, **params):
        """Every item of a list, walking next_cursor page by page (each page must be 200)."""
        return [item for _, page in self.walk(path, who, **params) for item in page['items']]

    def list_ids(self, path, who, **params):
        return [item['id'] for item in self.list_all(path, who, **params)]

    def pages(self, path, who, limit, **params):
        """The ids of each page of a list, walking next_cursor (each page must be 200)."""
        pages = []
        for _, page in self.walk(path, who, limit=limit, **params):
            self.assertEqual(set(page), {'items', 'next_cursor'})
            pages.append([item['id'] for item in page['items']])
        return pages

    def audit_rows(self, record, who=None):
        """The audit rows of a record (any kind), oldest first, as who (an administrator) reads them."""
        return self.list_all('/v1/audit', who or self.world.administrator, resource_id=record['id'])

    def writes_of_this_world(self, resource_type=None):
        """How many audit rows (of records of resource_type) this test's personas
        have written: a refused write adds none."""
        kind = f" AND resource_type = '{resource_type}'" if resource_type else ''
        return int(self.cluster.psql(
            f"SELECT count(*) FROM audit_log WHERE actor LIKE '{self.world.tag}-%'{kind}").strip())

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

    def assertInvalid(self, r, fields):
        """A 422 naming exactly these fields, each with a message."""
        p = self.assertProblem(r, 422, fields)
        for e in p['errors']:
            self.assertIsInstance(e['message'], str)
            self.assertTrue(e['message'])
        return p

    def assertSameProblem(self, hidden, missing):
        """A record the caller may not see answers exactly like one that does not exist."""
        self.assertEqual((hidden.status, missing.status), (404, 404), (hidden, missing))
        self.assertEqual({k: v for k, v in hidden.json().items() if k != 'request_id'},
                         {k: v for k, v in missing.json().items() if k != 'request_id'})


class RecordTest(ApiTest):
    """Tests of one kind of record. A subclass describes its kind with the
    attributes and methods under "the kind"; the requests below then know the
    kind's paths, and the contract (contract.py) knows what to check.

    A record lives under a parent record (a participant under a case, a goal
    under a plan): it is created and listed at {parent_path}/{parent id}/{nested}
    and found at {path}/{id}. A kind without a parent (cases) is created at path."""

    # -- the kind -------------------------------------------------------------
    resource_type = None        # as the audit trail and the history name it: 'participant'
    path = None                 # where a record is found: '/v1/participants' (+ /{id})
    list_path = None            # the list across parents, when there is one
    parent_path = '/v1/cases'   # the parent kind's path (None: no parent)
    nested = None               # the records under a parent: 'participants'
    parent_field = 'case_id'    # the field naming the parent
    table = None                # the table that stores the records
    keys = frozenset()          # every field of a record as answered
    required = ()               # what a create must give
    not_nullable = ()           # what may never be null, required or not
    nullable = ()               # what a create may send as null
    cleared = None              # what a patch of null clears on a record made of full_body (default: nullable)
    read_only = ('id', 'case_id', 'version', 'created_at', 'updated_at')
    text_field = None           # free text any writer of the record may change
    id_lists = ()               # fields holding ids of other records: answered sorted, in lower case
    reads_under = ('/history',)  # reads under a record, which follow its visibility
    invalid_body = {}           # a create with every field wrong: its 422 names these and the required left out
    invalid_patch = {}          # a patch with every field wrong: its 422 names them all
    updatable = True            # PATCH (merge patch, If-Match)
    deletable = True            # DELETE by administrators

    def new_body(self, parent=None, **fields):
        """A valid create body (under parent, when the body depends on it); fields replace its own."""
        raise NotImplementedError

    def full_body(self, parent=None):
        """A create body that sets every field a create may set."""
        return self.new_body(parent)

    def defaults(self, who):
        """What a create by who that leaves a field out answers for it, beyond new_body's fields."""
        return {}

    def as_answered(self, body):
        """The fields of a request body as the service answers them."""
        out = dict(body)
        for field in self.id_lists:
            if field in out:
                out[field] = sorted(i.lower() for i in out[field])
        return out

    def as_audited(self, doc):
        """A record, or the before and after of an audit row, in one form to compare."""
        return without_bookkeeping(doc)

    def make_parent(self, who=None, **fields):
        """A new parent for records of this kind, made by who (default worker_a1)."""
        return self.create_case(who or self.world.worker_a1, **fields)

    def default_parent(self):
        """The parent records go under when a test names none: one of worker_a1's."""
        if getattr(self, '_default_parent', None) is None:
            self._default_parent = self.make_parent()
        return self._default_parent

    # -- requests ---------------------------------------------------------------
    def item_path(self, record):
        return f'{self.path}/{record["id"]}'

    def nested_path(self, parent):
        """Where records under parent are created and listed."""
        if self.parent_path is None:
            return self.path
        return f'{self.parent_path}/{parent["id"]}/{self.nested}'

    def parent_of(self, record):
        return {'id': record[self.parent_field]}

    def case_id_of(self, record):
        """The case a record belongs to (a case's own id)."""
        return record['case_id'] if self.parent_path is not None else record['id']

    def post(self, body, parent=None, who=None, **kw):
        if parent is None and self.parent_path is not None:
            parent = self.default_parent()
        return self.request('POST', self.nested_path(parent), who or self.world.worker_a1, body=body, **kw)

    def add(self, parent=None, who=None, **fields):
        """A new record (201) of new_body with fields."""
        r = self.post(self.new_body(parent, **fields), parent, who)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def raced_creates(self, bodies, parent=None, names_the_winner=False):
        """Creates sent at once of which only one may hold: exactly one 201 and 409s for the
        others (each naming the record made, if names_the_winner); the record made."""
        results = at_once(len(bodies), lambda i: self.post(bodies[i], parent))
        self.assertEqual(sorted(r.status for r in results), [201] + [409] * (len(bodies) - 1), results)
        winner = next(r.json() for r in results if r.status == 201)
        for r in results:
            if r.status == 409 and names_the_winner:
                self.assertIn(winner['id'], r.json()['detail'])
        return winner

    def patch(self, record, body, who=None, **kw):
        return self.request('PATCH', self.item_path(record), who or self.world.worker_a1, body=body, **kw)

    def patched(self, record, body, who=None):
        """The record after a patch that must succeed."""
        r = self.patch(record, body, who)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def delete(self, record, who=None, **kw):
        return self.request('DELETE', self.item_path(record), who or self.world.administrator, **kw)

    def current(self, record):
        """The record as an administrator reads it now."""
        return self.read(self.item_path(record))

    def stored_count(self, parent=None):
        """How many rows, deleted or not, the table holds under parent (default: the default parent)."""
        parent = parent or self.default_parent()
        return int(self.cluster.psql(
            f"SELECT count(*) FROM {self.table} WHERE {self.parent_field} = '{parent['id']}'").strip())

    def writes(self):
        """How many writes of records of this kind this test's personas have made (audit rows)."""
        return self.writes_of_this_world(self.resource_type)

    def assertUnchanged(self, record):
        self.assertEqual(self.current(record), record)

    def assertPatchesRefused(self, record, bodies, status=409, detail=None):
        """Each of bodies, patched onto record by worker_a1, answers status (its detail
        naming detail, if given), and record stays as it was."""
        for body in bodies:
            with self.subTest(body=body):
                p = self.assertProblem(self.patch(record, body), status)
                if detail is not None:
                    self.assertIn(detail, p['detail'])
                self.assertUnchanged(record)


class CaseRecordTest(RecordTest):
    """A kind of record under a case: each test has a case of worker_a1's
    (self.case), where records go unless the test says otherwise. A kind whose
    records name people of the case says who in family: each case made here has them."""

    family = ()                 # (role, first name) of each person every case made here has

    def setUp(self):
        super().setUp()
        self.people = {}
        self.case = self.create_case(self.world.worker_a1)
        self.family_of(self.case)

    def default_parent(self):
        return self.case

    def make_parent(self, who=None, **case_fields):
        """A new case of who's (default worker_a1) with its family."""
        case = self.create_case(who or self.world.worker_a1, **case_fields)
        self.family_of(case)
        return case

    def person_of(self, case, role, first_name):
        """The participant of case with that role and first name, made when first asked for."""
        key = (case['id'], role, first_name)
        if key not in self.people:
            self.people[key] = self.add_participant(case, role=role, first_name=first_name)
        return self.people[key]

    def family_of(self, case=None):
        """The people of family in case (default: the test's case), in family's order."""
        return tuple(self.person_of(case or self.case, role, name) for role, name in self.family)

    def delete_participant(self, participant, who=None):
        return self.request('DELETE', f'/v1/participants/{participant["id"]}', who or self.world.administrator)

    def assertKeepsWhoItNames(self, record, people):
        """Each of people, whom record names, stays (409) until record is deleted; then each may go."""
        for person in people:
            with self.subTest(role=person['role']):
                problem = self.assertProblem(self.delete_participant(person), 409)
                self.assertIn('name this participant', problem['detail'])
        self.assertEqual(self.delete(record).status, 204)
        for person in people:
            self.assertEqual(self.delete_participant(person).status, 204)


class ChildCaseRecordTest(CaseRecordTest):
    """A kind of record about the children of a case (visits, hearings): the
    test's case has a child in care (self.child), and so has every case
    make_parent makes; a parent of the case is made when a test first needs one."""

    def setUp(self):
        super().setUp()
        self.child = self.add_participant(self.case, role='child', in_care_since='2025-01-10')
        self.children = {self.case['id']: self.child}

    @functools.cached_property
    def parent(self):
        """A parent of the test's case."""
        return self.add_participant(self.case, role='parent')

    def make_parent(self, who=None, **case_fields):
        """A new case of who's (default worker_a1) with a child."""
        case = super().make_parent(who, **case_fields)
        self.children[case['id']] = self.add_participant(case, role='child')
        return case

    def child_of(self, case=None):
        """The child of a case made here (default: the test's case)."""
        return self.children.get((case or self.case)['id'], self.child)


class CaseRecordAccessMatrix:
    """The role rules every kind of record under a case answers to, mixed into
    a RecordTest. setUp makes one record in each of three cases: worker_a1's
    (a1), worker_a2's in the same unit (a2) and worker_b1's in another unit
    (b1). A kind that reads or writes more under a record extends assertSees,
    assertCannotSee, assertUpdates or assertCreates."""

    caseload_list_params = ({},)   # each way of reading a list (its orders)

    def setUp(self):
        super().setUp()
        w = self.world
        self.a1 = self.add(None, w.worker_a1)
        self.a2 = self.add(self.make_parent(w.worker_a2), w.worker_a2)
        self.b1 = self.add(self.make_parent(w.worker_b1), w.worker_b1)
        self.since = self.a1['created_at']

    def records(self):
        return self.a1, self.a2, self.b1

    def filters_of(self, record):
        """The filters of the list across cases under which the record is listed."""
        return ({self.parent_field: record[self.parent_field]},)

    def visible_ids(self, who, **params):
        """This test's records in who's list across cases."""
        return set(self.list_ids(self.list_path, who, updated_since=self.since, **params))

    def assertSees(self, who, record):
        """who reads the record, what is under it and finds it in every list."""
        r = self.request('GET', self.item_path(record), who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), self.current(record))
        self.assertEqual(r.header('ETag'), f'"{r.json()["version"]}"')
        for suffix in self.reads_under:
            r = self.request('GET', self.item_path(record) + suffix, who)
            self.assertEqual(r.status, 200, r)
        parent = self.parent_of(record)
        for params in self.caseload_list_params:
            self.assertIn(record['id'], self.list_ids(self.nested_path(parent), who, **params))
            self.assertIn(record['id'], self.list_ids(self.list_path, who, **{self.parent_field: parent['id']},
                                                      **params))
            self.assertIn(record['id'], self.visible_ids(who, **params))

    def assertCannotSee(self, who, record):
        """Every read and write of the record and of its parent's records
        answers 404, no list holds it, and nothing changes."""
        before = self.current(record)
        parent = self.parent_of(record)
        listed = self.list_ids(self.nested_path(parent), self.world.administrator)
        self.assertProblem(self.request('GET', self.item_path(record), who), 404)
        for suffix in self.reads_under:
            self.assertProblem(self.request('GET', self.item_path(record) + suffix, who), 404)
        if self.updatable:
            self.assertProblem(self.patch(record, {self.text_field: 'Hidden'}, who), 404)
        self.assertProblem(self.request('GET', self.nested_path(parent), who), 404)
        self.assertProblem(self.post(self.new_body(parent), parent, who), 404)
        for params in self.caseload_list_params:
            self.assertNotIn(record['id'], self.visible_ids(who, **params))
        for params in self.filters_of(record):
            with self.subTest(params=params):
                self.assertNotIn(record['id'], self.list_ids(self.list_path, who, **params))
        r = self.request('GET', query(self.list_path, **{self.parent_field: parent['id']}), who)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})
        self.assertEqual(self.current(record), before)
        self.assertEqual(self.list_ids(self.nested_path(parent), self.world.administrator), listed)

    def assertUpdates(self, who, record):
        current = self.current(record)
        r = self.patch(record, {self.text_field: harness.unique('Revised')}, who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['version'], current['version'] + 1)

    def assertCreates(self, who, record):
        """who adds another record beside this one."""
        parent = self.parent_of(record)
        r = self.post(self.new_body(parent), parent, who)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()[self.parent_field], parent['id'])

    # -- caseworker -----------------------------------------------------------
    def test_caseworker_sees_adds_and_updates_records_of_own_case(self):
        w = self.world.worker_a1
        self.assertSees(w, self.a1)
        self.assertUpdates(w, self.a1)
        self.assertCreates(w, self.a1)

    def test_caseworker_cannot_see_records_of_a_colleagues_case(self):
        self.assertCannotSee(self.world.worker_a1, self.a2)
        self.assertCannotSee(self.world.worker_a2, self.a1)

    def test_caseworker_cannot_see_records_of_another_unit(self):
        self.assertCannotSee(self.world.worker_a1, self.b1)
        self.assertCannotSee(self.world.worker_b1, self.a1)

    def test_caseworker_list_holds_only_own_caseload(self):
        w = self.world
        for who, record in zip((w.worker_a1, w.worker_a2, w.worker_b1), self.records()):
            for params in self.caseload_list_params:
                with self.subTest(who=who.sub, **params):
                    self.assertEqual(self.list_ids(self.list_path, who, **params), [record['id']])

    def test_reassigning_the_case_moves_its_records(self):
        w = self.world
        r = self.request('PATCH', f'/v1/cases/{self.a1["case_id"]}', w.supervisor_a,
                         body={'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertCannotSee(w.worker_a1, self.a1)
        self.assertSees(w.worker_a2, self.a1)
        self.assertUpdates(w.worker_a2, self.a1)

    # -- supervisor -------------------------------------------------------------
    def test_supervisor_sees_adds_and_updates_records_of_the_unit(self):
        s = self.world.supervisor_a
        for record in self.records()[:2]:
            with self.subTest(case=record['case_id']):
                self.assertSees(s, record)
                self.assertUpdates(s, record)
                self.assertCreates(s, record)

    def test_supervisor_cannot_see_records_of_another_unit(self):
        self.assertCannotSee(self.world.supervisor_a, self.b1)
        self.assertCannotSee(self.world.supervisor_b, self.a2)

    def test_supervisor_list_holds_exactly_the_unit(self):
        w = self.world
        self.assertEqual(set(self.list_ids(self.list_path, w.supervisor_a)), {self.a1['id'], self.a2['id']})
        self.assertEqual(self.list_ids(self.list_path, w.supervisor_b), [self.b1['id']])

    # -- administrator, auditor and integration ---------------------------------
    def test_administrator_and_integration_add_and_update_anywhere(self):
        w = self.world
        for who in (w.administrator, w.integration):
            for record in (self.a1, self.b1):
                with self.subTest(role=who.role, case=record['case_id']):
                    self.assertUpdates(who, record)
                    self.assertCreates(who, record)

    def test_agency_wide_roles_see_every_record(self):
        w = self.world
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                for record in self.records():
                    self.assertSees(who, record)
                self.assertEqual(self.visible_ids(who), {record['id'] for record in self.records()})

    def test_auditor_gets_403_on_every_write(self):
        a = self.world.auditor
        for record in (self.a1, self.b1):
            parent = self.parent_of(record)
            with self.subTest(case=record['case_id']):
                self.assertProblem(self.post(self.new_body(parent), parent, a), 403)
                self.assertProblem(self.post({'not_a_field': 1}, parent, a), 403)
                if self.updatable:
                    self.assertProblem(self.patch(record, {self.text_field: 'By an auditor'}, a), 403)
                    self.assertProblem(self.patch(record, {}, a), 403)
                if self.deletable:
                    self.assertProblem(self.delete(record, a), 403)
                self.assertUnchanged(record)
                self.assertEqual(self.list_ids(self.nested_path(parent), self.world.administrator), [record['id']])
        self.assertProblem(self.post(self.new_body(), {'id': MISSING}, a), 403)
        if self.updatable:
            self.assertProblem(self.patch({'id': MISSING}, {self.text_field: 'X'}, a), 403)

    # -- several roles, hidden records and filters -------------------------------
    def test_several_roles_in_one_token_add_up(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('worker-supervisor'), ['caseworker', 'supervisor'], w.unit_a)
        own = self.make_parent(w.administrator, assigned_worker=both.sub, unit=w.unit_b)
        mine = self.add(own, both)
        for record in (self.a1, self.a2, mine):
            self.assertSees(both, record)
        self.assertCannotSee(both, self.b1)
        self.assertEqual(set(self.list_ids(self.list_path, both)), {self.a1['id'], self.a2['id'], mine['id']})

    def test_invisible_record_answers_exactly_like_a_missing_one(self):
        w = self.world.worker_a1
        hidden, missing = self.b1, {'id': MISSING, self.parent_field: MISSING}
        for suffix in ('',) + self.reads_under:
            self.assertSameProblem(self.request('GET', self.item_path(hidden) + suffix, w),
                                   self.request('GET', self.item_path(missing) + suffix, w))
        if self.updatable:
            self.assertSameProblem(self.patch(hidden, {self.text_field: 'X'}, w),
                                   self.patch(missing, {self.text_field: 'X'}, w))
        self.assertSameProblem(self.request('GET', self.nested_path(self.parent_of(hidden)), w),
                               self.request('GET', self.nested_path({'id': MISSING}), w))
        body = self.new_body(self.parent_of(hidden))
        self.assertSameProblem(self.post(body, self.parent_of(hidden), w), self.post(body, {'id': MISSING}, w))

    def test_the_case_id_filter_never_widens_the_list(self):
        w = self.world
        for who, hidden in ((w.worker_a1, self.b1), (w.worker_a1, self.a2), (w.supervisor_b, self.a1)):
            for params in self.caseload_list_params:
                with self.subTest(who=who.sub, case=hidden['case_id'], **params):
                    r = self.request('GET', query(self.list_path, case_id=hidden['case_id'], **params), who)
                    self.assertEqual(r.status, 200, r)
                    self.assertEqual(r.json(), {'items': [], 'next_cursor': None})
        self.assertEqual(self.list_ids(self.list_path, w.worker_a1, case_id=MISSING), [])
        self.assertEqual(self.list_ids(self.list_path, w.worker_a1, case_id=self.a1['case_id']), [self.a1['id']])
