"""Keyset pagination of /v1/cases: every visible record exactly once in a stable
order, also while records are being added, and filters that narrow the list."""
import threading
import time

import harness
from base import ApiTest, query


class PaginationTest(ApiTest):
    def make_cases(self, n, who=None, **fields):
        return [self.create_case(who or self.world.worker_a1, **fields) for _ in range(n)]

    def pages(self, who, limit, **params):
        """Every page of the list, as lists of items."""
        pages, cursor = [], None
        for _ in range(1000):
            r = self.request('GET', query('/v1/cases', limit=limit, cursor=cursor, **params), who)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertEqual(set(page), {'items', 'next_cursor'})
            pages.append(page['items'])
            cursor = page['next_cursor']
            if cursor is None:
                return pages
            self.assertIsInstance(cursor, str)
            self.assertTrue(cursor)
        self.fail('the list never ended')

    def test_walking_all_pages_gives_every_record_once_in_a_stable_order(self):
        w = self.world
        created = self.make_cases(7, w.worker_a1) + self.make_cases(5, w.worker_a2)
        expected = sorted((c['created_at'], c['id']) for c in created)
        whole = [item['id'] for page in self.pages(w.supervisor_a, 500) for item in page]
        self.assertEqual(whole, [cid for _, cid in expected])
        for limit in (1, 2, 5, 11, 12, 13):
            with self.subTest(limit=limit):
                pages = self.pages(w.supervisor_a, limit)
                self.assertEqual([item['id'] for page in pages for item in page], whole)
                self.assertTrue(all(len(p) == limit for p in pages[:-1]))
                self.assertLessEqual(len(pages[-1]), limit)
                self.assertEqual(len(pages), max(1, -(-12 // limit)))

    def test_pages_hold_the_same_records_as_single_reads(self):
        w = self.world
        self.make_cases(3, w.worker_a1)
        for item in [i for p in self.pages(w.worker_a1, 2) for i in p]:
            r = self.request('GET', f'/v1/cases/{item["id"]}', w.worker_a1)
            self.assertEqual(r.json(), item)

    def test_next_cursor_is_null_on_the_last_page(self):
        w = self.world
        self.make_cases(4, w.worker_a1)
        r = self.request('GET', '/v1/cases?limit=4', w.worker_a1)
        self.assertEqual(len(r.json()['items']), 4)
        self.assertIsNone(r.json()['next_cursor'])
        r = self.request('GET', '/v1/cases?limit=3', w.worker_a1)
        self.assertEqual(len(r.json()['items']), 3)
        r = self.request('GET', query('/v1/cases', limit=3, cursor=r.json()['next_cursor']), w.worker_a1)
        self.assertEqual(len(r.json()['items']), 1)
        self.assertIsNone(r.json()['next_cursor'])

    def test_an_empty_list(self):
        r = self.request('GET', '/v1/cases', self.world.worker_b1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})

    def test_default_limit_is_50(self):
        w = self.world
        self.make_cases(51, w.integration, assigned_worker=w.worker_b1.sub, unit=w.unit_b)
        r = self.request('GET', '/v1/cases', w.worker_b1)
        self.assertEqual(len(r.json()['items']), 50)
        self.assertIsNotNone(r.json()['next_cursor'])

    def test_no_skips_or_repeats_while_records_are_added(self):
        w = self.world
        before = self.make_cases(15, w.worker_a1)
        stop = threading.Event()
        added, errors = [], []

        def add_cases():
            try:
                while not stop.is_set() and len(added) < 200:
                    r = self.request('POST', '/v1/cases', w.worker_a2,
                                     body={'case_number': harness.unique('CN'), 'family_name': 'Concurrent',
                                           'case_type': 'in_home'})
                    if r.status != 201:
                        errors.append(r)
                        return
                    added.append(r.json()['id'])
            except Exception as e:  # reported below, in the test's thread
                errors.append(e)

        writer = threading.Thread(target=add_cases)
        writer.start()
        try:
            while len(added) < 3 and writer.is_alive():
                time.sleep(0.01)
            seen, cursor = [], None
            for _ in range(1000):
                r = self.request('GET', query('/v1/cases', limit=2, cursor=cursor), w.supervisor_a)
                self.assertEqual(r.status, 200, r)
                seen += [item['id'] for item in r.json()['items']]
                cursor = r.json()['next_cursor']
                if cursor is None:
                    break
                time.sleep(0.005)
        finally:
            stop.set()
            writer.join()
        self.assertEqual(errors, [])
        self.assertGreater(len(added), 3)
        self.assertEqual(len(seen), len(set(seen)), 'an id appeared twice')
        for case in before:
            self.assertEqual(seen.count(case['id']), 1, case['id'])
        self.assertLessEqual(set(seen), {c['id'] for c in before} | set(added))

    def test_records_changed_while_paging_are_neither_skipped_nor_repeated(self):
        w = self.world
        cases = self.make_cases(6, w.worker_a1)
        r = self.request('GET', '/v1/cases?limit=3', w.worker_a1)
        first = [i['id'] for i in r.json()['items']]
        for case in cases:
            self.assertEqual(self.request('PATCH', f'/v1/cases/{case["id"]}', w.worker_a1,
                                          body={'family_name': 'Changed'}).status, 200)
        r = self.request('GET', query('/v1/cases', limit=3, cursor=r.json()['next_cursor']), w.worker_a1)
        second = [i['id'] for i in r.json()['items']]
        self.assertEqual(sorted(first + second), sorted(c['id'] for c in cases))

    def test_a_deleted_record_on_the_cursor_does_not_break_the_walk(self):
        w = self.world
        cases = self.make_cases(5, w.worker_a1)
        r = self.request('GET', '/v1/cases?limit=2', w.worker_a1)
        last_seen = r.json()['items'][-1]['id']
        self.assertEqual(self.request('DELETE', f'/v1/cases/{last_seen}', w.administrator).status, 204)
        r = self.request('GET', query('/v1/cases', limit=10, cursor=r.json()['next_cursor']), w.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([i['id'] for i in r.json()['items']], [c['id'] for c in cases[2:]])

    def test_a_cursor_used_with_a_different_filter_still_works(self):
        w = self.world
        self.make_cases(3, w.worker_a1)
        self.make_cases(2, w.worker_a1, status='closed')
        r = self.request('GET', query('/v1/cases', limit=2, status='open'), w.worker_a1)
        cursor = r.json()['next_cursor']
        self.assertIsNotNone(cursor)
        for params in ({'status': 'closed'}, {'unit': w.unit_b}, {'assigned_worker': w.worker_a1.sub}, {}):
            with self.subTest(params=params):
                r = self.request('GET', query('/v1/cases', limit=2, cursor=cursor, **params), w.worker_a1)
                self.assertEqual(r.status, 200, r)
        r = self.request('GET', query('/v1/cases', cursor=cursor), w.supervisor_b)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})

    def test_a_cursor_of_another_list_is_422(self):
        w = self.world
        self.create_case(w.worker_a1)
        self.create_case(w.worker_a1)
        r = self.request('GET', '/v1/audit?limit=1', w.administrator)
        audit_cursor = r.json()['next_cursor']
        self.assertIsNotNone(audit_cursor)
        r = self.request('GET', query('/v1/cases', cursor=audit_cursor), w.administrator)
        self.assertProblem(r, 422, ['cursor'])
        r = self.request('GET', '/v1/cases?limit=1', w.worker_a1)
        cases_cursor = r.json()['next_cursor']
        r = self.request('GET', query('/v1/audit', cursor=cases_cursor), w.administrator)
        self.assertProblem(r, 422, ['cursor'])

    def test_a_tampered_cursor_is_never_a_server_error(self):
        w = self.world
        self.make_cases(3, w.worker_a1)
        cursor = self.request('GET', '/v1/cases?limit=1', w.worker_a1).json()['next_cursor']
        alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        for i in range(len(cursor)):
            for c in ('A', '_', '9'):
                bad = cursor[:i] + c + cursor[i + 1:]
                r = self.request('GET', query('/v1/cases', cursor=bad), w.worker_a1)
                self.assertIn(r.status, (200, 422), (i, c, r))
        for bad in (cursor + 'A', cursor[:-1], cursor.replace(cursor[5], '+' if cursor[5] != '+' else '/'),
                    '=' * len(cursor)):
            r = self.request('GET', query('/v1/cases', cursor=bad), w.worker_a1)
            self.assertProblem(r, 422, ['cursor'])
        self.assertTrue(set(cursor) <= set(alphabet))


class FilterTest(ApiTest):
    def ids(self, who, **params):
        return sorted(self.list_ids('/v1/cases', who, **params))

    def test_status_filter(self):
        w = self.world
        open_case = self.create_case(w.worker_a1)
        closed_case = self.create_case(w.worker_a1, status='closed')
        self.assertEqual(self.ids(w.worker_a1, status='open'), [open_case['id']])
        self.assertEqual(self.ids(w.worker_a1, status='closed'), [closed_case['id']])

    def test_assigned_worker_and_unit_filters(self):
        w = self.world
        a1 = self.create_case(w.worker_a1)
        a2 = self.create_case(w.worker_a2)
        b1 = self.create_case(w.worker_b1)
        self.assertEqual(self.ids(w.supervisor_a, assigned_worker=w.worker_a2.sub), [a2['id']])
        self.assertEqual(self.ids(w.administrator, unit=w.unit_a), sorted([a1['id'], a2['id']]))
        self.assertEqual(self.ids(w.administrator, unit=w.unit_b), [b1['id']])
        self.assertEqual(self.ids(w.auditor, unit=w.unit_a, assigned_worker=w.worker_a1.sub), [a1['id']])
        self.assertEqual(self.ids(w.auditor, unit=w.unit_b, assigned_worker=w.worker_a1.sub), [])

    def test_updated_since_filter(self):
        w = self.world
        first = self.create_case(w.worker_a1)
        second = self.create_case(w.worker_a1)
        time.sleep(0.01)
        r = self.request('PATCH', f'/v1/cases/{first["id"]}', w.worker_a1, body={'family_name': 'Later'})
        changed = r.json()
        self.assertEqual(self.ids(w.worker_a1, updated_since=changed['updated_at']), [first['id']])
        self.assertEqual(self.ids(w.worker_a1, updated_since=second['updated_at']),
                         sorted([first['id'], second['id']]))
        self.assertEqual(self.ids(w.worker_a1, updated_since='2099-01-01T00:00:00Z'), [])

    def test_updated_since_honours_the_offset(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        stamp = case['updated_at']   # e.g. 2026-11-23T11:51:17.123456Z
        date, clock = stamp[:10], stamp[11:-1]
        hour = int(clock[:2])
        shifted = f'{date}T{(hour + 1) % 24:02d}{clock[2:]}+01:00' if hour < 23 else None
        if shifted:
            self.assertEqual(self.ids(w.worker_a1, updated_since=shifted), [case['id']])

    def test_filters_combine_with_pagination(self):
        w = self.world
        wanted = [self.create_case(w.worker_a1, status='closed') for _ in range(5)]
        self.create_case(w.worker_a1)
        items = self.list_all('/v1/cases', w.worker_a1, status='closed', limit=2)
        self.assertEqual([i['id'] for i in items], [c['id'] for c in wanted])
