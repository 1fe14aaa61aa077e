"""Sync for state systems: the change feed (GET /v1/changes), Idempotency-Key
on POST, and PUT/GET /v1/cases/by-number/{case_number}.

The feed lists every committed change. Its numbers are given after commit, by
one numberer at a time (a reader before it reads, and each instance in the
background), so a transaction that began early and commits late appears after
the changes numbered before it committed, and a reader polling from its last
cursor never misses it (a number taken when the change was written would
have been passed by then).
"""
import datetime
import os
import subprocess
import threading
import time
import urllib.parse

import harness
from base import ApiTest, at_once, query, today

MISSING = '00000000-0000-4000-8000-000000000000'
SUD = 'substance_use_treatment'
CHANGE_KEYS = {'cursor', 'resource_type', 'id', 'case_id', 'action', 'at', 'actor', 'request_id', 'record'}



def instant(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


class HeldTransaction:
    """A psql session that writes in a transaction and keeps it open until commit()."""

    def __init__(self, cluster, name, sql, begin='BEGIN'):
        self.name = name
        env = dict(os.environ, PGAPPNAME=name)
        self.proc = subprocess.Popen(
            [os.path.join(cluster.bindir, 'psql'), '-h', cluster.dir, '-U', 'casework', '-d', 'casework',
             '-v', 'ON_ERROR_STOP=1', '-qAt'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.cluster = cluster
        self.send(f"{begin}; SELECT set_config('casework.actor', 'state-loader', true);"
                  "SELECT set_config('casework.roles', 'integration', true);"
                  f"{sql}; SET LOCAL application_name = '{name}-ready';")
        self.wait_for(f"application_name = '{name}-ready' AND state = 'idle in transaction'")

    def send(self, text):
        self.proc.stdin.write(text + '\n')
        self.proc.stdin.flush()

    def wait_for(self, condition):
        for _ in range(500):
            if self.cluster.psql(f'SELECT count(*) FROM pg_stat_activity WHERE {condition}').strip() == '1':
                return
            if self.proc.poll() is not None:
                raise AssertionError(f'{self.name}: psql ended: {self.proc.stderr.read()}')
            time.sleep(0.02)
        raise AssertionError(f'{self.name}: the transaction never got ready')

    def commit(self):
        err = self.try_commit()
        if err is not None:
            raise AssertionError(f'{self.name}: {err}')

    def try_commit(self):
        """None when the commit succeeded, else psql's error output."""
        _, err = self.proc.communicate('COMMIT;\n', timeout=30)
        return None if self.proc.returncode == 0 else err


class FeedTest(ApiTest):
    def feed(self, who=None, **params):
        r = self.request('GET', query('/v1/changes', **params), who or self.world.integration)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def head(self):
        """The cursor after every change committed so far."""
        cursor = None
        while True:
            page = self.feed(after=cursor, limit=500)
            cursor = page['next_cursor']
            if not page['items']:
                return cursor

    def poll(self, cursor, ids=None, limit=500, who=None):
        """Every change after cursor (of the records in ids, when given), and the new cursor."""
        items = []
        while True:
            page = self.feed(who, after=cursor, limit=limit)
            items += [c for c in page['items'] if ids is None or c['id'] in ids]
            self.assertTrue(page['next_cursor'])
            if not page['items']:
                self.assertEqual(page['next_cursor'], cursor)
                return items, cursor
            cursor = page['next_cursor']

    def patch(self, record_path, body, who=None, svc=None):
        who = who or self.world.administrator
        r = (svc or self.api).request('PATCH', record_path, token=who.token, body=body)
        self.assertEqual(r.status, 200, r)
        return r

    def numbers(self, ids):
        """(audit id, feed number) of every change of these records, by audit id."""
        listed = ','.join(f"'{i}'" for i in ids)
        out = self.cluster.psql(f"SELECT a.id, coalesce(ch.seq, 0) FROM audit_log a LEFT JOIN changes ch"
                                f" ON ch.audit_id = a.id WHERE a.resource_id IN ({listed}) ORDER BY a.id")
        return [tuple(int(v) for v in line.split('|')) for line in out.splitlines()]

    def assert_numbered_densely(self):
        """Every audit row numbered once, the numbers 1..N with no gap and no repeat,
        and none left to number (call after a poll)."""
        out = self.cluster.psql('SELECT count(*), count(DISTINCT seq), max(seq), count(DISTINCT audit_id),'
                                ' (SELECT count(*) FROM audit_log) FROM changes')
        count, distinct, highest, audited, audit_rows = out.strip().split('|')
        self.assertEqual({count, distinct, highest, audited, audit_rows}, {count}, out)
        self.assertEqual(self.cluster.psql('SELECT count(*) FROM change_queue').strip(), '0')


class ChangeFeedTest(FeedTest):
    def test_roles(self):
        for who in (self.world.integration, self.world.administrator, self.world.auditor):
            with self.subTest(role=who.role):
                self.assertEqual(self.request('GET', '/v1/changes?limit=1', who).status, 200)
        for who in (self.world.worker_a1, self.world.supervisor_a):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', '/v1/changes', who), 403)
        self.assertProblem(self.request('GET', '/v1/changes'), 401)

    def test_create_update_delete_in_order_with_the_record(self):
        start = self.head()
        case = self.create_case(self.world.worker_a1, unit=self.world.unit_a)
        r = self.patch(f'/v1/cases/{case["id"]}', {'family_name': 'Renamed'})
        updated = r.json()
        r = self.request('DELETE', f'/v1/cases/{case["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        delete_request = r.header('X-Request-Id')
        items, _ = self.poll(start, {case['id']})
        self.assertEqual([c['action'] for c in items], ['created', 'updated', 'deleted'])
        for c in items:
            self.assertEqual(set(c), CHANGE_KEYS)
            self.assertEqual((c['resource_type'], c['id'], c['case_id']), ('case', case['id'], case['id']))
            self.assertRegex(c['at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')
            # The record as it now stands: as it was deleted.
            self.assertEqual(c['record'], dict(updated, version=updated['version'] + 1,
                                               updated_at=c['record']['updated_at']))
        self.assertEqual([c['actor'] for c in items],
                         [self.world.worker_a1.sub, self.world.administrator.sub, self.world.administrator.sub])
        self.assertEqual(items[2]['request_id'], delete_request)
        self.assertLessEqual(instant(items[0]['at']), instant(items[2]['at']))
        self.assertEqual(len({c['cursor'] for c in items}), 3)

    def test_every_kind_is_listed_with_its_case(self):
        start = self.head()
        case = self.create_case(self.world.worker_a1, unit=self.world.unit_a)
        admin = self.world.administrator
        person = self.request('POST', f'/v1/cases/{case["id"]}/participants', admin,
                              body={'first_name': 'Ana', 'last_name': 'Lopez', 'role': 'parent'}).json()
        plan = self.request('POST', f'/v1/cases/{case["id"]}/plans', admin, body={}).json()
        goal = self.request('POST', f'/v1/plans/{plan["id"]}/goals', admin,
                            body={'description': 'Safe housing'}).json()
        note = self.request('POST', f'/v1/goals/{goal["id"]}/progress', admin,
                            body={'note': 'Viewed two apartments'})
        self.assertEqual(note.status, 201, note)
        ref = self.request('POST', f'/v1/cases/{case["id"]}/service-referrals', admin,
                           body={'service_type': 'housing', 'provider': 'Housing Authority'}).json()
        visit = self.request('POST', f'/v1/cases/{case["id"]}/visits', admin,
                             body={'visited_at': '2026-01-05T10:00:00Z', 'visit_type': 'caseworker_parent',
                                   'location': 'parent_home', 'participant_ids': [person['id']]})
        self.assertEqual(visit.status, 201, visit)
        items, _ = self.poll(start)
        mine = [c for c in items if c['case_id'] == case['id']]
        self.assertEqual([(c['resource_type'], c['action']) for c in mine],
                         [('case', 'created'), ('participant', 'created'), ('plan', 'created'),
                          ('goal', 'created'), ('goal_progress', 'created'), ('service_referral', 'created'),
                          ('visit', 'created')])
        self.assertEqual(mine[3]['record'], goal)
        self.assertEqual(mine[5]['record'], ref)
        self.assertEqual(mine[6]['record'], visit.json())
        filtered = self.list_changes(start, case_id=case['id'])
        self.assertEqual([c['cursor'] for c in filtered], [c['cursor'] for c in mine])
        goals_only = self.list_changes(start, resource_type='goal', case_id=case['id'])
        self.assertEqual([c['id'] for c in goals_only], [goal['id']])

    def list_changes(self, start, **filters):
        items, cursor = [], start
        while True:
            page = self.feed(after=cursor, limit=2, **filters)
            self.assertLessEqual(len(page['items']), 2)
            items += page['items']
            if not page['items']:
                return items
            cursor = page['next_cursor']

    def test_an_item_cursor_resumes_after_that_item(self):
        start = self.head()
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(3)]
        items, _ = self.poll(start, {c['id'] for c in cases})
        self.assertEqual(len(items), 3)
        rest, _ = self.poll(items[0]['cursor'], {c['id'] for c in cases})
        self.assertEqual(rest, items[1:])

    def test_a_caught_up_reader_keeps_its_cursor(self):
        head = self.head()
        page = self.feed(after=head)
        self.assertEqual(page, {'items': [], 'next_cursor': head})
        first = self.feed(limit=1)
        self.assertEqual(len(first['items']), 1)
        self.assertEqual(first['next_cursor'], first['items'][0]['cursor'])

    def test_bad_parameters(self):
        r = self.request('GET', '/v1/changes?after=nope&limit=0&resource_type=cases&case_id=x&color=red',
                         self.world.integration)
        self.assertProblem(r, 422, ['after', 'limit', 'resource_type', 'case_id', 'color'])
        head = self.head()
        r = self.request('GET', f'/v1/changes?after={head}&after={head}&resource_type=case&resource_type=case',
                         self.world.integration)
        p = self.assertProblem(r, 422, ['after', 'resource_type'])
        self.assertEqual(len(p['errors']), 2, p)
        other_kind = self.feed(self.world.administrator)
        self.assertIsNotNone(other_kind['next_cursor'])
        r = self.request('GET', '/v1/audit?limit=1', self.world.administrator).json()
        if r['next_cursor']:
            self.assertProblem(self.request('GET', query('/v1/changes', after=r['next_cursor']),
                                            self.world.integration), 422, ['after'])
        for method in ('POST', 'PATCH', 'DELETE', 'PUT'):
            with self.subTest(method=method):
                r = self.request(method, '/v1/changes', self.world.integration, body={})
                self.assertProblem(r, 405)
                self.assertIn('GET', r.header('Allow'))


class ProtectedChangesTest(FeedTest):
    """Changes of a substance use treatment referral follow CASEWORK_DISCLOSE_SUD,
    even after the referral's type has changed."""

    def setUp(self):
        super().setUp()
        self.start = self.head()
        case = self.create_case(self.world.worker_a1, unit=self.world.unit_a)
        r = self.request('POST', f'/v1/cases/{case["id"]}/service-referrals', self.world.worker_a1,
                         body={'service_type': SUD, 'provider': 'Harbor Recovery Services'})
        self.assertEqual(r.status, 201, r)
        self.sud = r.json()
        self.patch(f'/v1/service-referrals/{self.sud["id"]}', {'service_type': 'mental_health'},
                   self.world.worker_a1)
        self.case = case

    def ids_seen(self, who):
        items, _ = self.poll(self.start, who=who)
        return [c['id'] for c in items if c['case_id'] == self.case['id']]

    def test_hidden_from_auditors_and_integrations(self):
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(role=who.role):
                self.assertEqual(self.ids_seen(who), [self.case['id']])

    def test_administrators_see_it(self):
        self.assertEqual(self.ids_seen(self.world.administrator), [self.case['id']] + [self.sud['id']] * 2)

    def test_shown_when_disclosed(self):
        self.api = self.own_service('sync-disclose', CASEWORK_DISCLOSE_SUD='1')
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(role=who.role):
                self.assertEqual(self.ids_seen(who), [self.case['id']] + [self.sud['id']] * 2)


class ProtectedWhileReadingTest(FeedTest):
    """A page of the feed and the records it shows are read in one snapshot, and
    the lookup of referrals leaves protected ones out for callers who may not
    see them: a referral that becomes a substance use treatment referral while
    the feed is being read is shown as it stood, never as it became."""

    def test_a_referral_made_protected_while_the_feed_reads_it_is_never_shown(self):
        w = self.world
        case = self.create_case(w.worker_a1, unit=w.unit_a)
        r = self.request('POST', f'/v1/cases/{case["id"]}/service-referrals', w.worker_a1,
                         body={'service_type': 'housing', 'provider': 'Northside Housing'})
        self.assertEqual(r.status, 201, r)
        referral = r.json()
        # The change waits, uncommitted, holding the referrals table: the feed reads
        # its page (the referral's creation), then waits to look the referral up.
        held = HeldTransaction(self.cluster, 'made-protected',
                               'LOCK TABLE service_referrals IN ACCESS EXCLUSIVE MODE;'
                               f" UPDATE service_referrals SET service_type = '{SUD}' WHERE id = '{referral['id']}'")
        answers = []
        reader = threading.Thread(target=lambda: answers.append(
            self.feed(w.integration, case_id=case['id'], resource_type='service_referral')))
        reader.start()
        try:
            for _ in range(500):
                waiting = self.cluster.psql("SELECT count(*) FROM pg_locks WHERE NOT granted"
                                            " AND relation = 'service_referrals'::regclass").strip()
                if waiting == '1' or not reader.is_alive():
                    break
                time.sleep(0.02)
        finally:
            held.commit()
            reader.join(30)
        self.assertEqual(len(answers), 1)
        items = answers[0]['items']
        self.assertEqual([(c['id'], c['action']) for c in items], [(referral['id'], 'created')])
        self.assertEqual(items[0]['record']['service_type'], 'housing')
        # Read again, the referral was a protected one: none of its changes is shown.
        self.assertEqual(self.feed(w.integration, case_id=case['id'], resource_type='service_referral')['items'], [])
        changes = self.feed(w.administrator, case_id=case['id'], resource_type='service_referral')['items']
        self.assertEqual([(c['action'], c['record']['service_type']) for c in changes],
                         [('created', SUD), ('updated', SUD)])


class ChangeFeedConcurrencyTest(FeedTest):
    """Transactions that began first commit last while a reader polls."""

    def audit_rows(self, ids):
        listed = ','.join(f"'{i}'" for i in ids)
        out = self.cluster.psql(
            "SELECT a.id, a.resource_id, a.action,"
            " to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), coalesce(a.request_id, '')"
            f" FROM audit_log a WHERE a.resource_id IN ({listed}) ORDER BY a.id")
        rows = []
        for line in out.splitlines():
            audit_id, rid, action, at, request_id = line.split('|')
            rows.append((int(audit_id), rid, action, at, request_id))
        return rows

    @staticmethod
    def change_key(c):
        at = instant(c['at']).astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')
        action = {'created': 'create', 'updated': 'update', 'deleted': 'delete'}[c['action']]
        return (c['id'], action, at, c['request_id'] or '')

    def test_late_commits_are_not_missed(self):
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(4)]
        ids = {c['id'] for c in cases}
        _, cursor = self.poll(self.head(), ids)
        seen = []

        def read():
            nonlocal cursor
            items, cursor = self.poll(cursor, ids, limit=3)
            seen.extend(items)
            return items

        t1 = HeldTransaction(self.cluster, 'held-1',
                             f"UPDATE cases SET family_name = 'T1' WHERE id = '{cases[0]['id']}'")
        t2 = HeldTransaction(self.cluster, 'held-2',
                             f"UPDATE cases SET family_name = 'T2' WHERE id = '{cases[1]['id']}'")
        try:
            a = self.patch(f'/v1/cases/{cases[2]["id"]}', {'family_name': 'A'}).header('X-Request-Id')
            self.assertEqual([c['request_id'] for c in read()], [a])
            t2.commit()
            self.assertEqual([(c['id'], c['actor']) for c in read()], [(cases[1]['id'], 'state-loader')])
            b = self.patch(f'/v1/cases/{cases[3]["id"]}', {'family_name': 'B'}).header('X-Request-Id')
            self.assertEqual([c['request_id'] for c in read()], [b])
        finally:
            t1.commit()
        late = read()
        self.assertEqual([(c['id'], c['action'], c['record']['family_name']) for c in late],
                         [(cases[0]['id'], 'updated', 'T1')])
        self.assertEqual(read(), [])
        # The audit ids were taken in the order the writes happened: T1, T2, A, B.
        # A feed ordered by them would have shown A before T1 had committed.
        updates = [r for r in self.audit_rows(ids) if r[2] == 'update']
        self.assertEqual([r[1] for r in updates], [c['id'] for c in cases])
        self.assertEqual([c['id'] for c in seen], [cases[2]['id'], cases[1]['id'], cases[3]['id'], cases[0]['id']])

    def test_overlapping_transactions_are_listed_once_each_in_its_own_order(self):
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(6)]
        ids = {c['id'] for c in cases}
        _, cursor = self.poll(self.head(), ids)

        def updates(name, some):
            return '; '.join(f"UPDATE cases SET family_name = '{name}' WHERE id = '{c['id']}'" for c in some)

        t1 = HeldTransaction(self.cluster, 'held-three', updates('T1', cases[0:3]))
        t2 = HeldTransaction(self.cluster, 'held-two', updates('T2', cases[3:5]))
        try:
            self.patch(f'/v1/cases/{cases[5]["id"]}', {'family_name': 'A'})
            t2.commit()
        finally:
            t1.commit()
        items, _ = self.poll(cursor, ids)
        listed = [(c['id'], c['record']['family_name']) for c in items]
        self.assertEqual(sorted(listed), sorted([(cases[5]['id'], 'A')] + [(c['id'], 'T2') for c in cases[3:5]]
                                                + [(c['id'], 'T1') for c in cases[0:3]]))
        # The three overlapped, so the feed may list them in any order; each
        # transaction's own changes keep the order it made them in.
        for name, some in (('T1', cases[0:3]), ('T2', cases[3:5])):
            self.assertEqual([i for i, n in listed if n == name], [c['id'] for c in some])
        self.assert_numbered_densely()

    def test_a_repeatable_read_writer_that_commits_late_is_listed_after(self):
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(2)]
        ids = {c['id'] for c in cases}
        _, cursor = self.poll(self.head(), ids)
        held = HeldTransaction(self.cluster, 'held-rr',
                               f"UPDATE cases SET family_name = 'RR' WHERE id = '{cases[0]['id']}'",
                               begin='BEGIN ISOLATION LEVEL REPEATABLE READ')
        try:
            self.patch(f'/v1/cases/{cases[1]["id"]}', {'family_name': 'A'})
            items, cursor = self.poll(cursor, ids)
            self.assertEqual([(c['id'], c['record']['family_name']) for c in items], [(cases[1]['id'], 'A')])
        finally:
            err = held.try_commit()
        # Writers no longer take turns to number their changes, so a snapshot
        # older than a number given meanwhile is no reason to refuse a commit.
        self.assertIsNone(err)
        items, _ = self.poll(cursor, ids)
        self.assertEqual([(c['id'], c['record']['family_name']) for c in items], [(cases[0]['id'], 'RR')])
        self.assert_numbered_densely()

    def test_no_reader_passes_a_change_still_in_flight(self):
        """The held transaction takes the lowest audit id; later changes commit and
        are numbered (by readers on two instances and in the background) while it
        is open. It is numbered after all of them, and every reader finds it."""
        other = self.own_service('sync-second-numberer')
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(5)]
        ids = {c['id'] for c in cases}
        _, start = self.poll(self.head(), ids)
        cursors = {'main': start, 'other': start}
        seen = {'main': [], 'other': []}

        def read(name):
            svc = self.api if name == 'main' else other
            main, self.api = self.api, svc
            try:
                items, cursors[name] = self.poll(cursors[name], ids, limit=2)
            finally:
                self.api = main
            seen[name].extend(c['id'] for c in items)
            return [c['id'] for c in items]

        held = HeldTransaction(self.cluster, 'held-lowest',
                               f"UPDATE cases SET family_name = 'held' WHERE id = '{cases[0]['id']}'")
        try:
            for n, case in enumerate(cases[1:]):
                self.patch(f'/v1/cases/{case["id"]}', {'family_name': f'later {n}'}, svc=(self.api, other)[n % 2])
                for name in ('main', 'other'):
                    read(name)
                    self.assertEqual(seen[name], [c['id'] for c in cases[1:n + 2]])
            time.sleep(0.3)   # the background numberers run meanwhile, and find nothing to number
            for name in ('main', 'other'):
                self.assertEqual(read(name), [])
        finally:
            held.commit()
        for name in ('main', 'other'):
            self.assertEqual(read(name), [cases[0]['id']])
            self.assertEqual(sorted(seen[name]), sorted(ids))
        # Its audit id is the lowest, its number the highest.
        numbers = self.numbers(ids)[-5:]
        self.assertEqual(len(numbers), 5)
        held_audit_id, held_number = numbers[0]
        self.assertEqual([i for i, _ in numbers], sorted(i for i, _ in numbers))
        self.assertGreater(held_number, max(n for _, n in numbers[1:]))
        self.assertLess(held_audit_id, min(i for i, _ in numbers[1:]))
        self.assert_numbered_densely()

    def test_many_instances_number_at_once(self):
        """Writers and readers on four instances at once, each instance also numbering
        in the background: every change is numbered once, the numbers have no gap,
        and every reader reads the same feed."""
        services = [self.api] + [self.own_service(f'sync-numberer-{i}') for i in range(3)]
        writers, rounds = 8, 10
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(writers)]
        ids = {c['id'] for c in cases}
        _, start = self.poll(self.head(), ids)
        versions = {}
        done = threading.Event()
        seen = [[] for _ in services]
        token = self.world.integration.token

        def reader(k):
            cursor, svc = start, services[k]
            while True:
                finished = done.is_set()
                while True:
                    r = svc.request('GET', query('/v1/changes', after=cursor, limit=7), token=token)
                    self.assertEqual(r.status, 200, r)
                    page = r.json()
                    seen[k].extend((c['cursor'], c['id'], c['request_id']) for c in page['items'] if c['id'] in ids)
                    if not page['items']:
                        break
                    cursor = page['next_cursor']
                if finished:
                    return
                time.sleep(0.003)

        def writer(i):
            for n in range(rounds):
                case = cases[(i + n) % writers]
                r = self.patch(f'/v1/cases/{case["id"]}', {'family_name': f'W{i}-{n}'},
                               svc=services[(i + n) % len(services)])
                versions[r.header('X-Request-Id')] = (case['id'], r.json()['version'])
            return 'ok'

        readers = [threading.Thread(target=reader, args=(k,)) for k in range(len(services))]
        for t in readers:
            t.start()
        try:
            self.assertEqual(at_once(writers, writer), ['ok'] * writers)
        finally:
            done.set()
            for t in readers:
                t.join()
        for k in range(len(services)):
            self.assertEqual(seen[k], seen[0], f'reader {k}')
        self.assertEqual(len(seen[0]), writers * rounds)
        self.assertEqual({r for _, _, r in seen[0]}, set(versions))
        by_record = {}
        for _, rid, request_id in seen[0]:
            self.assertEqual(versions[request_id][0], rid)
            by_record.setdefault(rid, []).append(versions[request_id][1])
        for rid, listed in by_record.items():
            self.assertEqual(listed, sorted(listed), rid)
        self.assert_numbered_densely()

    def test_concurrent_writers_and_a_polling_reader(self):
        writers, rounds = 4, 12
        cases = [self.create_case(self.world.worker_a1, unit=self.world.unit_a) for _ in range(writers + 1)]
        ids = {c['id'] for c in cases}
        _, start = self.poll(self.head(), ids)
        versions = {}   # request id -> (record id, version it wrote)
        done = threading.Event()
        seen = []

        def reader():
            cursor = start
            while True:
                finished = done.is_set()
                items, cursor = self.poll(cursor, ids, limit=5)
                seen.extend(items)
                if finished:
                    return
                time.sleep(0.005)

        def writer(i):
            case = cases[i]
            for n in range(rounds):
                r = self.patch(f'/v1/cases/{case["id"]}', {'family_name': f'W{i}-{n}'})
                versions[r.header('X-Request-Id')] = (case['id'], r.json()['version'])
                # Another writer's record, now and then, so writers also wait on each other.
                other = cases[(i + 1) % writers]
                r = self.patch(f'/v1/cases/{other["id"]}', {'family_name': f'by {i}-{n}'})
                versions[r.header('X-Request-Id')] = (other['id'], r.json()['version'])
            return 'ok'

        read_thread = threading.Thread(target=reader)
        read_thread.start()
        held = HeldTransaction(self.cluster, 'held-long',
                               f"UPDATE cases SET family_name = 'long' WHERE id = '{cases[writers]['id']}'")
        try:
            self.assertEqual(at_once(writers, writer), ['ok'] * writers)
            listed_before_commit = len(seen)
        finally:
            held.commit()
            done.set()
            read_thread.join()
        # Every change exactly once: the feed's changes are the audit trail's.
        self.assertEqual(len({c['cursor'] for c in seen}), len(seen))
        expected = sorted((r[1], r[2], r[3], r[4]) for r in self.audit_rows(ids) if r[2] == 'update')
        self.assertEqual(sorted(self.change_key(c) for c in seen), expected)
        self.assertEqual(len(seen), writers * rounds * 2 + 1)
        # Consistent with commits: each record's versions in the order they were written.
        by_record = {}
        for c in seen:
            if c['request_id'] in versions:
                rid, version = versions[c['request_id']]
                self.assertEqual(rid, c['id'])
                by_record.setdefault(rid, []).append(version)
        for rid, listed in by_record.items():
            self.assertEqual(listed, sorted(listed), rid)
        # The long transaction is listed after everything listed before it committed.
        self.assertEqual([c['record']['family_name'] for c in seen[listed_before_commit:]].count('long'), 1)
        self.assertNotIn('long', [c['record']['family_name'] for c in seen[:listed_before_commit]])


class IdempotencyTest(ApiTest):
    def post_case(self, key, body=None, who=None, path='/v1/cases'):
        body = body if body is not None else {'case_number': self.number, 'family_name': 'Okafor', 'case_type': 'in_home'}
        headers = {'Idempotency-Key': key} if key is not None else {}
        return self.request('POST', path, who or self.world.integration, body=body, headers=headers)

    def setUp(self):
        super().setUp()
        self.number = harness.unique('IK')

    def cases_numbered(self, number):
        return self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{number}'").strip()

    def test_a_retry_replays_the_first_answer(self):
        key = harness.unique('key')
        first = self.post_case(key)
        self.assertEqual(first.status, 201, first)
        self.assertIsNone(first.header('Idempotent-Replayed'))
        again = self.post_case(key)
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json(), first.json())
        for h in ('Location', 'ETag', 'Content-Type'):
            self.assertEqual(again.header(h), first.header(h), h)
        self.assertEqual(again.header('Idempotent-Replayed'), 'true')
        self.assertNotEqual(again.header('X-Request-Id'), first.header('X-Request-Id'))
        self.assertEqual(self.cases_numbered(self.number), '1')

    def test_the_replay_is_the_first_answer_even_after_a_change(self):
        key = harness.unique('key')
        first = self.post_case(key)
        self.request('PATCH', first.header('Location'), self.world.administrator, body={'family_name': 'Later'})
        again = self.post_case(key)
        self.assertEqual(again.json(), first.json())
        self.assertEqual(again.header('ETag'), first.header('ETag'))

    def test_without_a_key_a_retry_is_a_new_request(self):
        self.assertEqual(self.post_case(None).status, 201)
        self.assertProblem(self.post_case(None), 409)

    def test_the_same_key_with_another_request_is_refused(self):
        key = harness.unique('key')
        self.assertEqual(self.post_case(key).status, 201)
        other = {'case_number': harness.unique('IK'), 'family_name': 'Okafor', 'case_type': 'in_home'}
        p = self.assertProblem(self.post_case(key, other), 422, ['Idempotency-Key'])
        self.assertIn('another request', p['errors'][0]['message'])
        self.assertEqual(self.cases_numbered(other['case_number']), '0')
        # The same body to another path is another request too.
        case = self.post_case(key).json()
        r = self.post_case(key, {'first_name': 'Ana', 'last_name': 'Lopez', 'role': 'parent'},
                           path=f'/v1/cases/{case["id"]}/participants')
        self.assertProblem(r, 422, ['Idempotency-Key'])

    def test_keys_belong_to_their_caller(self):
        key = harness.unique('key')
        self.assertEqual(self.post_case(key).status, 201)
        # Another caller's request under the same key is its own: here a duplicate number.
        self.assertProblem(self.post_case(key, who=self.world.administrator), 409)

    def test_a_refused_request_does_not_use_up_its_key(self):
        key = harness.unique('key')
        bad = {'case_number': self.number, 'family_name': 'Okafor', 'case_type': 'nope'}
        self.assertProblem(self.post_case(key, bad), 422, ['case_type'])
        self.assertEqual(self.post_case(key).status, 201)
        self.assertEqual(self.post_case(key).header('Idempotent-Replayed'), 'true')

    def test_concurrent_retries_create_one_record(self):
        key = harness.unique('key')
        answers = at_once(8, lambda i: self.post_case(key))
        for a in answers:
            self.assertNotIsInstance(a, Exception)
            self.assertEqual(a.status, 201, a)
        self.assertEqual(len({a.json()['id'] for a in answers}), 1)
        self.assertEqual(sorted(a.header('Idempotent-Replayed') or '' for a in answers), [''] + ['true'] * 7)
        self.assertEqual(self.cases_numbered(self.number), '1')

    def test_concurrent_different_keys_are_independent(self):
        case = self.create_case(self.world.administrator)
        path = f'/v1/cases/{case["id"]}/participants'
        body = {'first_name': 'Ana', 'last_name': 'Lopez', 'role': 'parent'}
        answers = at_once(6, lambda i: self.post_case(f'k{i}-{self.number}', body, path=path))
        self.assertEqual([a.status for a in answers], [201] * 6)
        self.assertEqual(len({a.json()['id'] for a in answers}), 6)

    def test_nested_posts_replay(self):
        case = self.create_case(self.world.administrator)
        key = harness.unique('key')
        path = f'/v1/cases/{case["id"]}/plans'
        first = self.post_case(key, {}, path=path)
        self.assertEqual(first.status, 201, first)
        again = self.post_case(key, {}, path=path)
        self.assertEqual((again.status, again.json()), (201, first.json()))
        self.assertEqual(len(self.list_all(path, self.world.administrator)), 1)

    def test_keys_expire_after_24_hours(self):
        key = harness.unique('key')
        first = self.post_case(key)
        self.cluster.psql("UPDATE idempotency_keys SET created_at = now() - interval '23 hours 59 minutes'"
                          f" WHERE key = '{key}'")
        self.assertEqual(self.post_case(key).header('Idempotent-Replayed'), 'true')
        self.cluster.psql(f"UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute'"
                          f" WHERE key = '{key}'")
        self.request('DELETE', first.header('Location'), self.world.administrator)
        again = self.post_case(key)
        self.assertEqual(again.status, 201, again)
        self.assertIsNone(again.header('Idempotent-Replayed'))
        self.assertNotEqual(again.json()['id'], first.json()['id'])

    def test_expired_keys_are_removed(self):
        key = harness.unique('key')
        self.assertEqual(self.post_case(key).status, 201)
        self.cluster.psql(f"UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE key = '{key}'")
        self.create_case(self.world.administrator)
        for _ in range(200):
            if self.cluster.psql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{key}'").strip() == '0':
                break
            self.post_case(harness.unique('key'), {'case_number': harness.unique('IK'), 'family_name': 'F',
                                                   'case_type': 'in_home'})
        self.assertEqual(self.cluster.psql(f"SELECT count(*) FROM idempotency_keys WHERE key = '{key}'").strip(),
                         '0')

    def test_bad_keys(self):
        for key in ('', 'a b', 'x' * 201, 'caf\u00e9'):
            with self.subTest(key=key):
                r = self.request('POST', '/v1/cases', self.world.integration,
                                 body={'case_number': self.number, 'family_name': 'F', 'case_type': 'nope'},
                                 headers={'Idempotency-Key': key.encode('utf-8').decode('latin-1')})
                self.assertProblem(r, 422, ['Idempotency-Key', 'case_type'])
        self.assertEqual(self.post_case('x' * 200).status, 201)

    def test_role_checks_come_first(self):
        r = self.post_case(harness.unique('key'), who=self.world.auditor)
        self.assertProblem(r, 403)


class UpsertByNumberTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.number = harness.unique('ST')
        self.path = f'/v1/cases/by-number/{self.number}'

    def put(self, body, who=None, path=None, headers=None):
        who = self.world.integration if who is None else who
        return self.request('PUT', path or self.path, who, body=body, headers=headers)

    def full(self, **fields):
        body = {'family_name': 'Nguyen', 'case_type': 'out_of_home', 'unit': self.world.unit_a,
                'assigned_worker': self.world.worker_a1.sub, 'closure_reason': None}
        body.update(fields)
        return {k: v for k, v in body.items() if v is not ...}

    def test_create_then_replace(self):
        r = self.put(self.full())
        self.assertEqual(r.status, 201, r)
        created = r.json()
        self.assertEqual(created['case_number'], self.number)
        self.assertEqual(r.header('Location'), f'/v1/cases/{created["id"]}')
        self.assertEqual(r.header('ETag'), f'"{created["version"]}"')
        r = self.put(self.full(family_name='Nguyen-Tran'))
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header('Location'))
        replaced = r.json()
        self.assertEqual((replaced['id'], replaced['family_name'], replaced['version']),
                         (created['id'], 'Nguyen-Tran', created['version'] + 1))
        self.assertEqual(self.request('GET', self.path, self.world.worker_a1).json(), replaced)
        self.assertEqual(self.request('GET', f'/v1/cases/{created["id"]}', self.world.integration).json(), replaced)

    def test_an_unchanged_replacement_writes_nothing(self):
        created = self.put(self.full()).json()
        r = self.put(self.full())
        self.assertEqual((r.status, r.json()), (200, created))
        rows = self.cluster.psql(f"SELECT count(*) FROM audit_log WHERE resource_id = '{created['id']}'")
        self.assertEqual(rows.strip(), '1')

    def test_nullable_fields_left_out_are_cleared(self):
        self.put(self.full(unit=self.world.unit_b))
        body = self.full()
        del body['closure_reason'], body['unit']
        r = self.put(body)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()['unit'])
        # Fields that cannot be null keep their values.
        self.assertEqual(r.json()['assigned_worker'], self.world.worker_a1.sub)

    def test_if_match(self):
        self.assertProblem(self.put(self.full(), headers={'If-Match': '"1"'}), 412)
        self.assertProblem(self.request('GET', self.path, self.world.integration), 404)
        created = self.put(self.full()).json()
        self.assertProblem(self.put(self.full(family_name='X'), headers={'If-Match': '"7"'}), 412)
        r = self.put(self.full(family_name='X'), headers={'If-Match': f'"{created["version"]}"'})
        self.assertEqual(r.status, 200, r)
        self.assertProblem(self.put(self.full(family_name='Y'), headers={'If-Match': f'"{created["version"]}"'}),
                           412)
        self.assertEqual(self.put(self.full(family_name='Z'), headers={'If-Match': '*'}).status, 200)

    def test_roles(self):
        for who in (self.world.worker_a1, self.world.supervisor_a, self.world.auditor):
            with self.subTest(role=who.role):
                self.assertProblem(self.put(self.full(), who=who), 403)
        self.assertProblem(self.put(self.full(), who=''), 401)
        self.assertEqual(self.put(self.full(), who=self.world.administrator).status, 201)

    def test_reading_by_number_follows_visibility(self):
        self.put(self.full())
        for who in (self.world.worker_a1, self.world.supervisor_a, self.world.auditor, self.world.integration):
            with self.subTest(role=who.role, sub=who.sub):
                self.assertEqual(self.request('GET', self.path, who).status, 200)
        for who in (self.world.worker_a2, self.world.supervisor_b):
            with self.subTest(role=who.role, sub=who.sub):
                self.assertProblem(self.request('GET', self.path, who), 404)

    def test_the_body_number_must_match_the_path(self):
        self.assertEqual(self.put(self.full(case_number=self.number)).status, 201)
        self.assertProblem(self.put(self.full(case_number='OTHER')), 422, ['case_number'])
        self.assertProblem(self.put(self.full(case_number=5)), 422, ['case_number'])
        self.assertProblem(self.put(self.full(case_number='OTHER', case_type='x')), 422, ['case_number', 'case_type'])

    def test_bad_bodies_list_every_field(self):
        r = self.put({'family_name': '', 'case_type': 'x', 'version': 3, 'color': 'red'})
        self.assertProblem(r, 422, ['family_name', 'case_type', 'version', 'color'])
        self.assertProblem(self.put({}), 422, ['family_name', 'case_type'])
        r = self.request('PUT', self.path, self.world.integration, raw=b'[1]',
                         headers={'Content-Type': 'application/json'})
        self.assertProblem(r, 400)
        self.assertProblem(self.request('GET', self.path, self.world.integration), 404)

    def test_numbers_are_percent_decoded(self):
        number = f'{self.number} 2024/17 \u00e9'
        path = '/v1/cases/by-number/' + urllib.parse.quote(number, safe='')
        r = self.put(self.full(), path=path)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['case_number'], number)
        self.assertEqual(self.request('GET', path, self.world.integration).json()['id'], r.json()['id'])
        self.assertEqual(self.put(self.full(case_number=number), path=path).status, 200)

    def test_unusable_numbers_are_not_found(self):
        for raw in ('%', '%4', '%zz', '%00', '%0A', 'a%C3', 'x' * 65, '%C3%A9' * 65):
            with self.subTest(number=raw):
                self.assertProblem(self.request('GET', f'/v1/cases/by-number/{raw}', self.world.integration), 404)
                self.assertProblem(self.put(self.full(), path=f'/v1/cases/by-number/{raw}'), 404)
        longest = urllib.parse.quote(self.number) + '%C3%A9' * (64 - len(self.number))
        self.assertEqual(self.put(self.full(), path=f'/v1/cases/by-number/{longest}').status, 201)
        widest = urllib.parse.quote(self.number) + '%F0%9F%98%80' * (64 - len(self.number))
        self.assertEqual(self.put(self.full(), path=f'/v1/cases/by-number/{widest}').status, 201)

    def test_a_number_taken_by_post_is_replaced(self):
        case = self.create_case(self.world.worker_a1, case_number=self.number, unit=self.world.unit_a)
        r = self.put(self.full(family_name='From the state'))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['id'], case['id'])
        self.assertProblem(self.request('POST', '/v1/cases', self.world.integration,
                                        body={'case_number': self.number, 'family_name': 'F',
                                              'case_type': 'in_home'}), 409)

    def test_a_deleted_case_is_created_again(self):
        first = self.put(self.full()).json()
        self.assertEqual(self.request('DELETE', f'/v1/cases/{first["id"]}', self.world.administrator).status, 204)
        r = self.put(self.full())
        self.assertEqual(r.status, 201, r)
        self.assertNotEqual(r.json()['id'], first['id'])

    def test_the_case_rules_still_hold(self):
        self.put(self.full())
        self.assertProblem(self.put(self.full(status='closed')), 422, ['closed_on'])
        closed = self.put(self.full(status='closed', closed_on=today(), closure_reason='Reunified'))
        self.assertEqual(closed.status, 200, closed)

    def test_concurrent_puts_of_a_new_number_create_one_case(self):
        answers = at_once(6, lambda i: self.put(self.full(family_name=f'N{i}')))
        statuses = sorted(a.status for a in answers)
        self.assertEqual(statuses, [200] * 5 + [201], answers)
        self.assertEqual(len({a.json()['id'] for a in answers}), 1)
        count = self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{self.number}'")
        self.assertEqual(count.strip(), '1')

    def test_the_audit_trail_records_the_upsert(self):
        created = self.put(self.full()).json()
        self.put(self.full(family_name='Changed'))
        audit = self.list_all('/v1/audit', self.world.administrator, resource_id=created['id'])
        self.assertEqual(sorted(a['action'] for a in audit), ['create', 'update'])
        self.assertEqual({a['actor'] for a in audit}, {self.world.integration.sub})
