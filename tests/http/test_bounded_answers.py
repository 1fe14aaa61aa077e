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
    def walk(self, path, who, **params):
        """Every page of a list from the first, each checked to be 200 and within
        PAGE_BYTES; returns the pages' items, one list per page."""
        pages, cursor = [], None
        for _ in range(1000):
            r = self.request('GET', query(path, cursor=cursor, **params), who)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.body), PAGE_BYTES, path)
            page = r.json()
            pages.append(page['items'])
            cursor = page['next_cursor']
            if cursor is None:
                return pages
        self.fail(f'{path}: the list never ended')


class BigRecordListsTest(BoundedTest):
    """Sixteen 80 KB visits, made once for every test of the class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.big_world = World(cls.cluster)
        token = w.worker_a1.token
        r = cls.api.request('POST', '/v1/cases', token=token,
                            body={'case_number': harness.unique('BIG'), 'family_name': 'Large',
                                  'case_type': 'out_of_home'})
        assert r.status == 201, r
        cls.case = r.json()
        r = cls.api.request('POST', f'/v1/cases/{cls.case["id"]}/participants', token=token,
                            body={'first_name': 'Ana', 'last_name': 'Large', 'role': 'child'})
        assert r.status == 201, r
        child = r.json()
        cls.visits = []
        for i in range(BIG_VISITS):
            r = cls.api.request('POST', f'/v1/cases/{cls.case["id"]}/visits', token=token,
                                body={'visited_at': '2026-01-15T10:00:00Z', 'visit_type': 'caseworker_child',
                                      'location': 'child_residence', 'participant_ids': [child['id']],
                                      'summary': big_text(i)})
            assert r.status == 201, r
            cls.visits.append(r.json())

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
                pages = self.walk(path, self.big_world.worker_a1, limit=500, **params)
                # 13 visits of about 80.4 KB are 1,045,000 bytes; a 14th would pass 1 MiB.
                self.assertEqual([len(p) for p in pages], [13, 3])
                self.assertEqual(sorted(item['id'] for p in pages for item in p), sorted(ids))
                if 'sort' not in params:
                    self.assertEqual([item['id'] for p in pages for item in p], ids)

    def test_a_small_limit_is_still_honoured(self):
        pages = self.walk(f'/v1/cases/{self.case["id"]}/visits', self.big_world.worker_a1, limit=5)
        self.assertEqual([len(p) for p in pages], [5, 5, 5, 1])
        self.assertEqual([item['id'] for p in pages for item in p], [v['id'] for v in self.visits])

    def test_the_audit_trail_of_big_records_is_paged_by_bytes_too(self):
        w = self.big_world
        pages = self.walk('/v1/audit', w.auditor, actor=w.worker_a1.sub, limit=500)
        entries = [e for p in pages for e in p]
        ids = [e['id'] for e in entries]
        self.assertEqual(ids, sorted(set(ids)))            # oldest first, none twice
        # The case, the child and the sixteen visits, each created once.
        self.assertEqual([(e['resource_type'], e['action']) for e in entries],
                         [('case', 'create'), ('participant', 'create')] + [('visit', 'create')] * BIG_VISITS)
        self.assertEqual([e['resource_id'] for e in entries[2:]], [v['id'] for v in self.visits])
        self.assertEqual([e['after']['summary'] for e in entries[2:]], [big_text(i) for i in range(BIG_VISITS)])
        self.assertGreater(len(pages), 1)
