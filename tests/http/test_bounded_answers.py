"""Every answer is bounded: a list, a history or the audit trail never builds an
answer that grows with what callers have written.

A page holds at most `limit` entries and at most PAGE_BYTES of JSON: an entry
that would take the page past that waits for the next page (the first entry of
a page always goes in), and next_cursor says where the rest starts. The records
here are as large as the service takes them: a visit's summary of 20,000
characters, each a four-byte character in UTF-8, makes a visit about 80 KB, so
13 fit in a page and 16 take two pages whatever the limit.
"""
import harness
from base import ApiTest, World, query

PAGE_BYTES = 1 << 20          # the service's budget for one answer (lib/page.h)
BIG_VISITS = 16
FOUR_BYTES = '\U0001F600'     # one character, four bytes in UTF-8


def big_text(i, length=20000):
    """length characters, most of them four bytes long, starting with i."""
    head = f'{i:05d} '
    return head + FOUR_BYTES * (length - len(head))


class BoundedTest(ApiTest):
    @classmethod
    def make_case_with_child(cls):
        """For setUpClass: a World of the class's own (cls.big_world) and a case of
        its worker_a1 (cls.case) with a child (cls.child), whom add_visit() visits."""
        w = cls.big_world = World(cls.cluster)
        token = w.worker_a1.token
        r = cls.api.request('POST', '/v1/cases', token=token,
                            body={'case_number': harness.unique('BIG'), 'family_name': 'Large',
                                  'case_type': 'out_of_home'})
        assert r.status == 201, r
        case = r.json()
        r = cls.api.request('POST', f'/v1/cases/{case["id"]}/participants', token=token,
                            body={'first_name': 'Ana', 'last_name': 'Large', 'role': 'child'})
        assert r.status == 201, r
        cls.child = r.json()
        cls.case = case

    @classmethod
    def add_visit(cls, **fields):
        """A visit to cls.child in cls.case by the worker."""
        body = {'visited_at': '2026-01-15T10:00:00Z', 'visit_type': 'caseworker_child',
                'location': 'child_residence', 'participant_ids': [cls.child['id']], **fields}
        r = cls.api.request('POST', f'/v1/cases/{cls.case["id"]}/visits', token=cls.big_world.worker_a1.token,
                            body=body)
        assert r.status == 201, r
        return r.json()

    def bounded_pages(self, path, who, **params):
        """Every page of a list from the first, each checked to be 200 and within
        PAGE_BYTES; returns the pages' items, one list per page."""
        pages = []
        for r, page in self.walk(path, who, **params):
            self.assertLessEqual(len(r.body), PAGE_BYTES, path)
            pages.append(page['items'])
        return pages


class BigRecordListsTest(BoundedTest):
    """Sixteen 80 KB visits, made once for every test of the class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_case_with_child()
        cls.visits = [cls.add_visit(summary=big_text(i)) for i in range(BIG_VISITS)]

    def test_a_visit_is_about_80_kb(self):
        r = self.request('GET', f'/v1/visits/{self.visits[0]["id"]}', self.big_world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertGreater(len(r.body), 80000)
        self.assertLess(len(r.body), 81000)

    def test_a_page_of_big_records_stops_at_the_byte_budget(self):
        ids = [v['id'] for v in self.visits]
        for path, params in ((f'/v1/cases/{self.case["id"]}/visits', {}),
                             ('/v1/visits', {'case_id': self.case['id']}),
                             (f'/v1/cases/{self.case["id"]}/visits', {'sort': 'visited_at'})):
            with self.subTest(path=path, **params):
                pages = self.bounded_pages(path, self.big_world.worker_a1, limit=500, **params)
                # 13 visits of about 80.4 KB are 1,045,000 bytes; a 14th would pass 1 MiB.
                self.assertEqual([len(p) for p in pages], [13, 3])
                self.assertEqual(sorted(item['id'] for p in pages for item in p), sorted(ids))
                if 'sort' not in params:
                    self.assertEqual([item['id'] for p in pages for item in p], ids)

    def test_a_small_limit_is_still_honoured(self):
        pages = self.bounded_pages(f'/v1/cases/{self.case["id"]}/visits', self.big_world.worker_a1, limit=5)
        self.assertEqual([len(p) for p in pages], [5, 5, 5, 1])
        self.assertEqual([item['id'] for p in pages for item in p], [v['id'] for v in self.visits])

    def test_the_audit_trail_of_big_records_is_paged_by_bytes_too(self):
        w = self.big_world
        pages = self.bounded_pages('/v1/audit', w.auditor, actor=w.worker_a1.sub, limit=500)
        entries = [e for p in pages for e in p]
        ids = [e['id'] for e in entries]
        self.assertEqual(ids, sorted(set(ids)))            # oldest first, none twice
        # The case, the child and the sixteen visits, each created once.
        self.assertEqual([(e['resource_type'], e['action']) for e in entries],
                         [('case', 'create'), ('participant', 'create')] + [('visit', 'create')] * BIG_VISITS)
        self.assertEqual([e['resource_id'] for e in entries[2:]], [v['id'] for v in self.visits])
        self.assertEqual([e['after']['summary'] for e in entries[2:]], [big_text(i) for i in range(BIG_VISITS)])
        self.assertGreater(len(pages), 1)

    def test_the_change_feed_of_big_records_is_paged_by_bytes_too(self):
        w = self.big_world
        pages, after = [], None
        for _ in range(100):
            r = self.request('GET', query('/v1/changes', case_id=self.case['id'], limit=500, after=after),
                             w.integration)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body), PAGE_BYTES)
            page = r.json()
            if not page['items']:
                break
            pages.append(page['items'])
            after = page['next_cursor']
        # The case, the child and the sixteen visits. A visit's change is its record
        # (about 80.4 KB) and 300 bytes about the change: 13 would be 1,049,100 bytes,
        # past 1 MiB, so the first page holds the case, the child and 12 visits.
        self.assertEqual([len(p) for p in pages], [14, 4])
        changes = [c for p in pages for c in p]
        self.assertEqual([c['id'] for c in changes], [self.case['id'], self.child['id']] + [v['id'] for v in self.visits])
        self.assertEqual([c['record']['summary'] for c in changes[2:]], [big_text(i) for i in range(BIG_VISITS)])


def summary(i):
    """The i-th summary of the edited visit: 20,000 characters, starting with i."""
    return f'{i:05d} ' + 'x' * 19994


def merged(pages):
    """The fields of history pages put together, page after page."""
    fields = {}
    for page in pages:
        for field, entries in page['fields'].items():
            fields.setdefault(field, []).extend(entries)
    return fields


class HistoryPagingTest(BoundedTest):
    """A visit whose 20,000-character summary was written 250 times: its whole
    history is about 5 MB, paged."""
    EDITS = 250

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_case_with_child()
        cls.visit = cls.add_visit(summary=summary(0), duration_minutes=30)
        cls.path = f'/v1/visits/{cls.visit["id"]}/history'
        for i in range(1, cls.EDITS + 1):
            body = {'summary': summary(i)}
            if i % 100 == 0:
                body['duration_minutes'] = 30 + i
            r = cls.api.request('PATCH', f'/v1/visits/{cls.visit["id"]}', token=cls.big_world.worker_a1.token,
                                body=body)
            assert r.status == 200, r

    def pages(self, path=None, **params):
        """Every page of the history, each checked to be 200 and within PAGE_BYTES."""
        pages = []
        for r, page in self.walk(path or self.path, self.big_world.auditor, **params):
            self.assertLessEqual(len(r.body), PAGE_BYTES)
            pages.append((len(r.body), page))
        return pages

    def test_paging_through_yields_every_change_once_in_order(self):
        for params in ({}, {'limit': 500}, {'limit': 7}):
            with self.subTest(**params):
                pages = self.pages(**params)
                fields = merged(page for _, page in pages)
                self.assertEqual([e['value'] for e in fields['summary']],
                                 [summary(i) for i in range(self.EDITS + 1)])
                # duration_minutes was written at creation and by the 100th and 200th edits.
                self.assertEqual([e['value'] for e in fields['duration_minutes']], [30, 130, 230])
                self.assertEqual([e['value'] for e in fields['visited_at']], ['2026-01-15T10:00:00.000000Z'])
                sinces = [e['since'] for e in fields['summary']]
                self.assertEqual(sinces, sorted(sinces))
                for _, page in pages:
                    self.assertEqual((page['id'], page['resource_type']), (self.visit['id'], 'visit'))

    def test_the_default_page_and_the_largest_stop_at_the_byte_budget(self):
        # 251 summaries of about 20,140 bytes in their entries: about 5 MB in all,
        # 52 to a page of 1 MiB, whatever the limit.
        for params in ({}, {'limit': 500}):
            with self.subTest(**params):
                pages = self.pages(**params)
                self.assertGreaterEqual(len(pages), 5)
                self.assertEqual(sum(len(p['fields']['summary']) for _, p in pages), self.EDITS + 1)
                for size, page in pages[:-1]:
                    self.assertLessEqual(len(page['fields']['summary']), 52)
                    if params:
                        # Full: one more entry would have passed the budget.
                        self.assertGreater(size, PAGE_BYTES - 21000)

    def test_a_page_holds_the_values_its_audit_entries_wrote(self):
        pages = [page for _, page in self.pages(limit=10)]
        self.assertEqual(len(pages), 26)       # 251 entries: creation and 250 edits, 10 to a page
        first, second = pages[0], pages[1]
        self.assertEqual([e['value'] for e in first['fields']['summary']], [summary(i) for i in range(10)])
        self.assertIn('visited_at', first['fields'])       # written by the creation only
        self.assertEqual(set(second['fields']), {'summary'})
        self.assertEqual([e['value'] for e in second['fields']['summary']], [summary(i) for i in range(10, 20)])
        self.assertEqual([e['value'] for e in pages[10]['fields']['duration_minutes']], [130])

    def test_a_cursor_of_another_history_or_list_is_422(self):
        w = self.big_world
        cursor = self.pages(limit=1)[0][1]['next_cursor']
        other = self.request('GET', f'/v1/cases/{self.case["id"]}/visits', w.worker_a1).json()
        for path in (f'/v1/cases/{self.case["id"]}/history', f'/v1/cases/{self.case["id"]}/permanency-goals',
                     f'/v1/cases/{self.case["id"]}/visits', f'/v1/participants/{self.visit["participant_ids"][0]}/history'):
            with self.subTest(path=path):
                r = self.request('GET', query(path, cursor=cursor), w.worker_a1)
                self.assertProblem(r, 422, ['cursor'])
        self.assertEqual(len(other['items']), 1)
        list_cursor = self.request('GET', query('/v1/audit', limit=1), w.auditor).json()['next_cursor']
        self.assertProblem(self.request('GET', query(self.path, cursor=list_cursor), w.worker_a1), 422, ['cursor'])

    def test_bad_limit_and_tampered_cursors_are_422(self):
        w = self.big_world
        cursor = self.pages(limit=1)[0][1]['next_cursor']
        for params, fields in (({'limit': 0}, ['limit']), ({'limit': 501}, ['limit']), ({'limit': '5x'}, ['limit']),
                               ({'cursor': cursor[:-1]}, ['cursor']), ({'cursor': cursor + 'A'}, ['cursor']),
                               ({'cursor': 'A' * len(cursor)}, ['cursor']), ({'limit': 0, 'cursor': '%'}, ['limit', 'cursor'])):
            with self.subTest(**params):
                self.assertProblem(self.request('GET', query(self.path, **params), w.worker_a1), 422, fields)


class HistoriesPageLikeListsTest(BoundedTest):
    def page_walk(self, path, who, **params):
        """The pages of a history, each 200, until next_cursor is null."""
        return [page for _, page in self.walk(path, who, **params)]

    def test_referral_statuses_and_fields_page_by_one_cursor(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        r = self.request('POST', f'/v1/cases/{case["id"]}/service-referrals', w.worker_a1,
                         body={'service_type': 'housing', 'provider': 'Housing Authority', 'referred_on': '2025-01-06'})
        self.assertEqual(r.status, 201, r)
        path = f'/v1/service-referrals/{r.json()["id"]}'
        for body in ({'status': 'accepted', 'status_changed_on': '2025-01-10'},
                     {'provider': 'County Housing Authority'},
                     {'status_changed_on': '2025-01-09'},
                     {'status': 'in_progress', 'status_changed_on': '2025-02-03'},
                     {'outcome': 'Viewing apartments'},
                     {'status': 'completed', 'status_changed_on': '2025-05-02', 'outcome': 'Housed'}):
            self.assertEqual(self.request('PATCH', path, w.worker_a1, body=body).status, 200)
        whole = self.page_walk(f'{path}/history', w.worker_a1)
        self.assertEqual(len(whole), 1)
        self.assertEqual([(i['status'], i['changed_on']) for i in whole[0]['items']],
                         [('referred', '2025-01-06'), ('accepted', '2025-01-10'), ('accepted', '2025-01-09'),
                          ('in_progress', '2025-02-03'), ('completed', '2025-05-02')])
        # 5 statuses and 7 audit entries (the creation and six changes), two of each
        # to a page: statuses 2, 2, 1, 0 and entries 2, 2, 2, 1.
        pages = self.page_walk(f'{path}/history', w.worker_a1, limit=2)
        self.assertEqual([len(p['items']) for p in pages], [2, 2, 1, 0])
        self.assertEqual([len(p['fields'].get('provider', [])) + len(p['fields'].get('outcome', [])) for p in pages],
                         [2, 1, 1, 1])
        self.assertEqual([i for p in pages for i in p['items']], whole[0]['items'])
        self.assertEqual(merged(pages), whole[0]['fields'])

    def test_permanency_goals_page_and_keep_to_their_case(self):
        w = self.world
        case, other = self.create_case(w.worker_a1), self.create_case(w.worker_a1)
        for goal in ('reunification', 'adoption', 'guardianship', 'reunification'):
            r = self.request('PATCH', f'/v1/cases/{case["id"]}', w.worker_a1, body={'permanency_goal': goal})
            self.assertEqual(r.status, 200, r)
        path = f'/v1/cases/{case["id"]}/permanency-goals'
        whole = self.page_walk(path, w.worker_a1)
        self.assertEqual([g['permanency_goal'] for g in whole[0]['items']],
                         ['not_established', 'reunification', 'adoption', 'guardianship', 'reunification'])
        pages = self.page_walk(path, w.worker_a1, limit=2)
        self.assertEqual([len(p['items']) for p in pages], [2, 2, 1])
        self.assertEqual([g for p in pages for g in p['items']], whole[0]['items'])
        cursor = pages[0]['next_cursor']
        r = self.request('GET', query(f'/v1/cases/{other["id"]}/permanency-goals', cursor=cursor), w.worker_a1)
        self.assertProblem(r, 422, ['cursor'])
        r = self.request('GET', query(f'/v1/cases/{case["id"]}/history', cursor=cursor), w.worker_a1)
        self.assertProblem(r, 422, ['cursor'])

    def test_a_page_reads_on_past_its_first_statement(self):
        # A page's first statement asks for 51 rows (a default page and one more);
        # a page of more small entries asks again from where that one stopped.
        w = self.world
        case = self.create_case(w.worker_a1)
        goals = ['not_established']
        for i in range(60):
            goals.append(('reunification', 'adoption')[i % 2])
            r = self.request('PATCH', f'/v1/cases/{case["id"]}', w.worker_a1, body={'permanency_goal': goals[-1]})
            self.assertEqual(r.status, 200, r)
        path = f'/v1/cases/{case["id"]}/permanency-goals'
        whole = self.page_walk(path, w.worker_a1, limit=500)
        self.assertEqual([[g['permanency_goal'] for g in p['items']] for p in whole], [goals])
        pages = self.page_walk(path, w.worker_a1, limit=55)
        self.assertEqual([len(p['items']) for p in pages], [55, 6])
        self.assertEqual([g for p in pages for g in p['items']], whole[0]['items'])

    def test_a_next_page_is_still_404_to_those_who_may_not_see_the_record(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        for goal in ('reunification', 'adoption'):
            self.assertEqual(self.request('PATCH', f'/v1/cases/{case["id"]}', w.worker_a1,
                                          body={'permanency_goal': goal}).status, 200)
        for path in (f'/v1/cases/{case["id"]}/permanency-goals', f'/v1/cases/{case["id"]}/history'):
            with self.subTest(path=path):
                cursor = self.page_walk(path, w.worker_a1, limit=1)[0]['next_cursor']
                self.assertProblem(self.request('GET', query(path, cursor=cursor), w.worker_b1), 404)
