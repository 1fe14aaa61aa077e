"""GET /v1/cases?q=: a case found by its number's beginning or by a name (the
family's or a participant's), in any case and with or without accents, best
match first, within what the caller sees, paged by key like every list."""
import random
import string

from base import ApiTest, query


def token(n=7):
    """A made-up name no other test uses (letters only: names are compared by trigrams)."""
    return ''.join(random.choice(string.ascii_lowercase) for _ in range(n)).capitalize()


class CaseSearchTest(ApiTest):
    def search(self, who, q, **params):
        r = self.request('GET', query('/v1/cases', q=q, **params), who)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def found(self, who, q, **params):
        return [c['id'] for c in self.list_all('/v1/cases', who, q=q, **params)]

    def test_a_family_name_is_found_in_any_case_and_without_accents(self):
        w = self.world.worker_a1
        name = token()
        case = self.create_case(w, family_name=f'Núñez-{name}')
        for q in (f'nunez-{name.lower()}', f'NÚÑEZ-{name.upper()}', name.lower(), f'  {name}  '):
            with self.subTest(q=q):
                self.assertEqual(self.found(w, q), [case['id']])

    def test_a_participant_name_finds_the_case(self):
        w = self.world.worker_a1
        first, last = token(), token()
        case = self.create_case(w, family_name=token())
        self.add_participant(case, first_name=f'Élodie{first}', last_name=f'Brûlé{last}')
        for q in (f'elodie{first}', f'brule{last}', f'elodie{first} brule{last}'.upper()):
            with self.subTest(q=q):
                self.assertEqual(self.found(w, q), [case['id']])

    def test_a_slightly_wrong_name_is_found(self):
        w = self.world.worker_a1
        name = token(9)
        case = self.create_case(w, family_name=name)
        typo = name[:4] + ('x' if name[4] != 'x' else 'y') + name[5:]
        self.assertEqual(self.found(w, typo), [case['id']])

    def test_a_case_number_is_found_by_its_beginning(self):
        w = self.world.worker_a1
        stem = f'SRCH-{token(6).upper()}'
        cases = [self.create_case(w, case_number=f'{stem}-{n}') for n in (1, 2, 30)]
        self.assertEqual(set(self.found(w, stem.lower())), {c['id'] for c in cases})
        self.assertEqual(self.found(w, f'{stem}-3'), [cases[2]['id']])
        self.assertEqual(self.found(w, f'{stem}-30-'), [])

    def test_numbers_elsewhere_in_the_state_never_crowd_out_the_callers_own(self):
        # A search reads at most 1,000 numbers q begins: of the caller's cases,
        # not the first 1,000 of the state's.
        w = self.world
        stem = f'CROWD-{token(6).upper()}'
        self.cluster.psql(
            "SELECT set_config('casework.actor', 'state-loader', true);"
            "INSERT INTO cases (case_number, family_name, case_type, opened_on, assigned_worker, unit,"
            "                   permanency_goal_since)"
            f" SELECT '{stem}-' || lpad(n::text, 4, '0'), 'Elsewhere', 'in_home', '2025-01-01',"
            f" '{w.worker_b1.sub}', '{w.unit_b}', '2025-01-01' FROM generate_series(0, 1000) n")
        own = self.create_case(w.worker_a1, case_number=f'{stem}-9999')
        for who in (w.worker_a1, w.supervisor_a):
            with self.subTest(who=who.sub):
                self.assertEqual(self.found(who, stem), [own['id']])
        self.assertEqual(len(self.found(w.supervisor_b, stem)), 1000)

    def test_like_wildcards_in_q_are_plain_characters(self):
        w = self.world.worker_a1
        self.create_case(w, case_number=f'W{token(5)}')
        self.assertEqual(self.found(w, '%%'), [])
        self.assertEqual(self.found(w, '__'), [])
        number = f'B\\{token(5)}_%'
        case = self.create_case(w, case_number=number)
        self.assertEqual(self.found(w, number), [case['id']])
        self.assertEqual(self.found(w, number[:3]), [case['id']])

    def test_best_matches_come_first(self):
        w = self.world.worker_a1
        name = token(9)
        close = self.create_case(w, family_name=name[:-1] + ('q' if name[-1] != 'q' else 'z'))  # a letter off
        exact = self.create_case(w, family_name=name)
        number = self.create_case(w, case_number=f'{name}-1', family_name=token())
        items = self.search(w, name)['items']
        self.assertEqual([c['id'] for c in items][:2], sorted([exact['id'], number['id']]))
        self.assertEqual(items[2]['id'], close['id'])
        self.assertEqual(set(items[0]), set(exact))   # a case as every list answers it

    def test_only_visible_cases_are_found(self):
        w = self.world
        name = token()
        own = self.create_case(w.worker_a1, family_name=name)
        colleague = self.create_case(w.worker_a2, family_name=name)
        other_unit = self.create_case(w.worker_b1, family_name=name)
        self.assertEqual(set(self.found(w.worker_a1, name)), {own['id']})
        self.assertEqual(set(self.found(w.supervisor_a, name)), {own['id'], colleague['id']})
        self.assertEqual(set(self.found(w.supervisor_b, name)), {other_unit['id']})
        self.assertEqual(set(self.found(w.auditor, name)), {own['id'], colleague['id'], other_unit['id']})
        deleted = self.create_case(w.worker_a1, family_name=name)
        self.assertEqual(self.request('DELETE', f'/v1/cases/{deleted["id"]}', w.administrator).status, 204)
        self.assertNotIn(deleted['id'], self.found(w.administrator, name))

    def test_filters_narrow_a_search(self):
        w = self.world
        name = token()
        open_case = self.create_case(w.worker_a1, family_name=name)
        closed = self.create_case(w.worker_a2, family_name=name, status='closed', closure_reason='Done')
        self.assertEqual(self.found(w.supervisor_a, name, status='closed'), [closed['id']])
        self.assertEqual(self.found(w.supervisor_a, name, assigned_worker=w.worker_a1.sub), [open_case['id']])
        since = self.request('GET', f'/v1/cases/{closed["id"]}', w.supervisor_a).json()['updated_at']
        self.assertEqual(self.found(w.supervisor_a, name, updated_since=since), [closed['id']])

    def test_pages_hold_every_match_once_best_first(self):
        w = self.world.worker_a1
        name = token(8)
        ids = {self.create_case(w, family_name=f'{name} {token(3)}')['id'] for _ in range(5)}
        ids.add(self.create_case(w, family_name=name)['id'])
        pages = self.pages('/v1/cases', w, 2, q=name)
        seen = [i for page in pages for i in page]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(set(seen), ids)
        self.assertTrue(all(len(page) <= 2 for page in pages))

    def test_a_bad_q_or_cursor_is_422(self):
        w = self.world.worker_a1
        for q in ('a', ' a ', 'x' * 101, 'ab\x01'):
            with self.subTest(q=q):
                self.assertInvalid(self.request('GET', query('/v1/cases', q=q), w), ['q'])
        self.assertInvalid(self.request('GET', '/v1/cases?q=ab&q=cd', w), ['q'])
        self.create_case(w)
        self.create_case(w)
        plain = self.request('GET', query('/v1/cases', limit=1), w).json()['next_cursor']
        self.assertInvalid(self.request('GET', query('/v1/cases', q='abc', cursor=plain), w), ['cursor'])
        name = token()
        self.create_case(w, family_name=name)
        self.create_case(w, family_name=name)
        found = self.search(w, name, limit=1)['next_cursor']
        self.assertInvalid(self.request('GET', query('/v1/cases', cursor=found), w), ['cursor'])
        # A bad q is still a search: its cursor is no error of its own.
        self.assertInvalid(self.request('GET', query('/v1/cases', q='a', cursor=found), w), ['q'])
        self.assertInvalid(self.request('GET', query('/v1/cases', q='abc', limit=0, status='shut'), w),
                           ['limit', 'status'])

    def test_a_search_follows_every_change_at_once(self):
        """Names, units and deletions are what the next search finds: the terms
        a case is found by change in the transaction that changes them."""
        w = self.world
        old, new, person, renamed = token(), token(), token(), token()
        case = self.create_case(w.worker_a1, family_name=old)
        participant = self.add_participant(case, first_name='Ana', last_name=person)
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', w.worker_a1, body={'family_name': new})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.found(w.worker_a1, old), [])
        self.assertEqual(self.found(w.worker_a1, new), [case['id']])
        r = self.request('PATCH', f'/v1/participants/{participant["id"]}', w.administrator,
                         body={'last_name': renamed})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.found(w.worker_a1, person), [])
        self.assertEqual(self.found(w.worker_a1, renamed), [case['id']])
        # Moved to another unit and worker: found by the new ones' search, not the old.
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', w.administrator,
                         body={'unit': w.unit_b, 'assigned_worker': w.worker_b1.sub})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.found(w.supervisor_a, new), [])
        self.assertEqual(self.found(w.supervisor_b, renamed), [case['id']])
        self.assertEqual(self.found(w.worker_b1, new), [case['id']])
        self.assertTermsAreRebuiltOnes(case['id'])
        self.assertEqual(self.request('DELETE', f'/v1/participants/{participant["id"]}', w.administrator).status,
                         204)
        self.assertEqual(self.found(w.supervisor_b, renamed), [])
        self.assertEqual(self.request('DELETE', f'/v1/cases/{case["id"]}', w.administrator).status, 204)
        self.assertEqual(self.found(w.administrator, new), [])

    def assertTermsAreRebuiltOnes(self, case_id):
        """The terms changed in place (sql/020) are those cw_search_terms_of()
        writes from the case as it stands."""
        terms = ("SELECT participant_id, unit, assigned_worker, term FROM case_search_terms"
                 f" WHERE case_id = '{case_id}' ORDER BY participant_id NULLS FIRST;")
        kept = self.cluster.psql(terms)
        rebuilt = self.cluster.psql(f"BEGIN; SELECT cw_search_terms_of('{case_id}'); {terms} ROLLBACK;")
        self.assertEqual(kept.count('|'), 6, kept)
        self.assertIn(kept.strip(), rebuilt)
