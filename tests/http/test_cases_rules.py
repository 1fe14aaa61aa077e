"""Cases: what every kind of record keeps (contract.py) runs on CaseTest; here
are cases' own rules: defaults, validation of their fields, cross-field rules,
unique case numbers, the syntax of If-Match, and the permanency goal history."""
import harness
from base import MISSING, RecordTest, days_from_today, today
from contract import RecordContract

CASE_KEYS = {'id', 'case_number', 'family_name', 'case_type', 'status', 'opened_on', 'closed_on',
             'closure_reason', 'assigned_worker', 'unit', 'permanency_goal', 'permanency_goal_since',
             'version', 'created_at', 'updated_at'}


def new_case(**fields):
    body = {'case_number': harness.unique('CN'), 'family_name': 'Family', 'case_type': 'in_home'}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


class CaseTest(RecordTest):
    resource_type = 'case'
    path = list_path = '/v1/cases'
    parent_path = parent_field = None
    table = 'cases'
    keys = CASE_KEYS
    required = ('case_number', 'family_name', 'case_type')
    not_nullable = ('case_number', 'family_name', 'case_type', 'status', 'opened_on', 'assigned_worker',
                    'permanency_goal', 'permanency_goal_since')
    nullable = ('closed_on', 'closure_reason')
    cleared = ('closure_reason',)   # a closed case keeps its closed_on
    read_only = ('id', 'version', 'created_at', 'updated_at')
    text_field = 'family_name'
    reads_under = ('/history', '/permanency-goals')
    invalid_body = {'family_name': 7, 'case_type': 'foster', 'status': 'pending', 'opened_on': '2026-02-30',
                    'color': 'blue', 'id': MISSING, 'version': 3, 'closure_reason': '', 'permanency_goal': None,
                    'unit': ['a']}
    invalid_patch = {'family_name': '', 'case_type': 'x', 'opened_on': '2026-02-30', 'nope': 1, 'version': 9}

    def new_body(self, parent=None, **fields):
        return new_case(**fields)

    def full_body(self, parent=None):
        return new_case(case_type='out_of_home', status='closed', opened_on='2024-02-29', closed_on='2025-03-01',
                        closure_reason='Reunified.\nCase plan goals achieved.',
                        assigned_worker=self.world.worker_a1.sub, unit=self.world.unit_a,
                        permanency_goal='reunification', permanency_goal_since='2024-03-15')

    def defaults(self, who):
        return {'status': 'open', 'opened_on': today(), 'closed_on': None, 'closure_reason': None,
                'assigned_worker': who.sub, 'unit': who.unit, 'permanency_goal': 'not_established',
                'permanency_goal_since': today()}

    def assertNothingCreated(self, case_number):
        n = self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{case_number}'")
        self.assertEqual(n.strip(), '0')


class ContractTest(RecordContract, CaseTest):
    pass


class CreateTest(CaseTest):
    def test_permanency_goal_since_defaults_to_a_given_opened_on(self):
        r = self.post(new_case(opened_on='2026-01-15'))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['permanency_goal_since'], '2026-01-15')
        r = self.post(new_case(opened_on='2026-01-15', permanency_goal='reunification',
                               permanency_goal_since='2026-02-01'))
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()['permanency_goal'], r.json()['permanency_goal_since']),
                         ('reunification', '2026-02-01'))


class ValidationTest(CaseTest):
    def test_wrong_types(self):
        cases = [('case_number', 123), ('case_number', 1.5), ('case_number', True), ('family_name', ['A']),
                 ('family_name', {'last': 'A'}), ('case_type', 1), ('case_type', ['in_home']),
                 ('status', False), ('opened_on', 20260101), ('opened_on', {'y': 2026}),
                 ('closure_reason', 5), ('assigned_worker', 42), ('unit', 3), ('unit', {}),
                 ('permanency_goal', ['adoption']), ('permanency_goal_since', True)]
        for field, value in cases:
            with self.subTest(field=field, value=value):
                body = new_case(**{field: value})
                self.assertInvalid(self.post(body), [field])
                self.assertNothingCreated(body['case_number'])

    def test_bad_enums(self):
        for field, value in (('case_type', 'foster'), ('case_type', 'IN_HOME'), ('case_type', ''),
                             ('status', 'pending'), ('status', 'Open'), ('permanency_goal', 'reunify'),
                             ('permanency_goal', 'adoption ')):
            with self.subTest(field=field, value=value):
                self.assertInvalid(self.post(new_case(**{field: value})), [field])

    def test_every_enum_value_is_accepted(self):
        for value in ('reunification', 'live_with_relatives', 'adoption', 'guardianship', 'appla',
                      'not_established'):
            with self.subTest(permanency_goal=value):
                self.assertEqual(self.post(new_case(permanency_goal=value)).status, 201)
        for value in ('in_home', 'out_of_home'):
            with self.subTest(case_type=value):
                self.assertEqual(self.post(new_case(case_type=value)).status, 201)

    def test_impossible_dates(self):
        for value in ('2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-01-00',
                      '26-01-01', '2026-1-1', '2026-01-1', '2026/01/01', '01-01-2026', '2026-01-01T00:00:00Z',
                      '2026-01-01 ', ' 2026-01-01', '', '1899-12-31', '0000-01-01', '2101-01-01',
                      '9999-12-31', '+2026-01-01', '２０２６-01-01'):
            with self.subTest(opened_on=value):
                body = new_case(opened_on=value)
                self.assertInvalid(self.post(body), ['opened_on'])
                self.assertNothingCreated(body['case_number'])

    def test_real_dates_at_the_edges_are_accepted(self):
        for value in ('2024-02-29', '2000-02-29', '1900-01-01', '2025-12-31'):
            with self.subTest(opened_on=value):
                r = self.post(new_case(opened_on=value))
                self.assertEqual(r.status, 201, r)
                self.assertEqual(r.json()['opened_on'], value)

    def test_over_long_strings(self):
        for field, limit in (('case_number', 64), ('family_name', 200)):
            with self.subTest(field=field):
                body = new_case(**{field: 'x' * (limit + 1)})
                self.assertInvalid(self.post(body), [field])
                r = self.post(new_case(**{field: 'x' * limit}))
                self.assertEqual(r.status, 201, r)
        body = new_case(status='closed', closure_reason='r' * 2001)
        self.assertInvalid(self.post(body), ['closure_reason'])
        r = self.post(new_case(status='closed', closure_reason='r' * 2000))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(len(r.json()['closure_reason']), 2000)

    def test_over_long_worker_and_unit(self):
        a = self.world.administrator
        self.assertInvalid(self.post(new_case(assigned_worker='w' * 256, unit='u' * 101), who=a),
                           ['assigned_worker', 'unit'])
        r = self.post(new_case(assigned_worker='w' * 255, unit='u' * 100), who=a)
        self.assertEqual(r.status, 201, r)

    def test_text_round_trips_exactly(self):
        name = 'O\'Brien "Jr." \\ Nguyễn 漢字 😀 \u2028 <b>&amp;</b>'
        r = self.post(new_case(family_name=name))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['family_name'], name)
        self.assertEqual(self.current(r.json())['family_name'], name)

    def test_length_limits_count_characters_not_bytes(self):
        for letter in ('é', 'ß', 'Ж', '漢', '𝒜'):
            with self.subTest(letter=letter):
                r = self.post(new_case(case_number=letter * 64))
                self.assertEqual(r.status, 201, r)
                self.assertEqual(r.json()['case_number'], letter * 64)
                self.assertInvalid(self.post(new_case(case_number=letter * 65)), ['case_number'])
        r = self.post(new_case(family_name='Ñ' * 200))
        self.assertEqual(r.status, 201, r)

    def test_blank_strings(self):
        for field, value in (('case_number', ''), ('case_number', '   '), ('family_name', ''),
                             ('family_name', '\t'), ('assigned_worker', ' '), ('unit', '')):
            with self.subTest(field=field, value=value):
                self.assertInvalid(self.post(new_case(**{field: value})), [field])
        self.assertInvalid(self.post(new_case(status='closed', closure_reason='  ')), ['closure_reason'])

    def test_control_characters(self):
        for field, value in (('family_name', 'A\u0001B'), ('family_name', 'A\nB'), ('case_number', 'C\tN'),
                             ('case_number', 'C\rN'), ('family_name', 'A\u007fB'), ('family_name', 'A\u001bB')):
            with self.subTest(field=field, value=value):
                body = new_case(**{field: value})
                self.assertInvalid(self.post(body), [field])
        self.assertInvalid(self.post(new_case(status='closed', closure_reason='a\u0007b')), ['closure_reason'])

    def test_closure_reason_is_free_text_with_lines_and_tabs(self):
        reason = 'Reunified.\n\tAll goals achieved.\r\nFinal visit done.'
        r = self.post(new_case(status='closed', closure_reason=reason))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['closure_reason'], reason)


class CrossFieldTest(CaseTest):
    def assertFutureOpenedOn(self, r, *others):
        """422 naming opened_on (and the others); permanency_goal_since, which
        defaults to opened_on, may be named too."""
        p = self.assertProblem(r, 422)
        named = {e['field'] for e in p['errors']}
        self.assertIn('opened_on', named, p)
        self.assertLessEqual(named, {'opened_on', 'permanency_goal_since', *others}, p)
        self.assertGreaterEqual(named, {'opened_on', *others}, p)

    def test_opened_on_cannot_be_in_the_future(self):
        self.assertFutureOpenedOn(self.post(new_case(opened_on='2100-12-31')))
        tomorrow = days_from_today(1)
        self.assertFutureOpenedOn(self.post(new_case(opened_on=tomorrow)))
        self.assertInvalid(self.post(new_case(opened_on=tomorrow, permanency_goal_since=today())), ['opened_on'])
        case = self.create_case(self.world.worker_a1)
        self.assertInvalid(self.patch(case, {'opened_on': tomorrow}), ['opened_on'])
        self.assertEqual(self.current(case), case)

    def test_closed_on_and_goal_date_cannot_be_in_the_future(self):
        self.assertInvalid(self.post(new_case(status='closed', closed_on='2100-01-01')), ['closed_on'])
        self.assertInvalid(self.post(new_case(permanency_goal_since='2100-01-01')), ['permanency_goal_since'])

    def test_closed_on_before_opened_on(self):
        body = new_case(status='closed', opened_on='2026-03-10', closed_on='2026-03-09')
        self.assertInvalid(self.post(body), ['closed_on'])
        self.assertNothingCreated(body['case_number'])
        r = self.post(new_case(status='closed', opened_on='2026-03-10', closed_on='2026-03-10'))
        self.assertEqual(r.status, 201, r)
        case = r.json()
        self.assertInvalid(self.patch(case, {'opened_on': '2026-03-11'}), ['closed_on'])
        self.assertInvalid(self.patch(case, {'closed_on': '2026-03-01'}), ['closed_on'])

    def test_closed_on_on_an_open_case(self):
        self.assertInvalid(self.post(new_case(closed_on='2026-03-01')), ['closed_on'])
        self.assertInvalid(self.post(new_case(status='open', closed_on='2026-03-01')), ['closed_on'])
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01')
        self.assertInvalid(self.patch(case, {'closed_on': '2026-03-01'}), ['closed_on'])
        self.assertEqual(self.current(case), case)

    def test_closure_reason_on_an_open_case(self):
        self.assertInvalid(self.post(new_case(closure_reason='Moved away')), ['closure_reason'])
        case = self.create_case(self.world.worker_a1)
        self.assertInvalid(self.patch(case, {'closure_reason': 'Moved away'}), ['closure_reason'])

    def test_closing_without_closed_on_defaults_it_to_today(self):
        r = self.post(new_case(status='closed', opened_on='2026-01-01'))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['closed_on'], today())
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01')
        r = self.patch(case, {'status': 'closed', 'closure_reason': 'Services completed'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['status'], r.json()['closed_on'], r.json()['closure_reason']),
                         ('closed', today(), 'Services completed'))

    def test_closing_with_a_given_closed_on(self):
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01')
        r = self.patch(case, {'status': 'closed', 'closed_on': '2026-02-01'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['closed_on'], '2026-02-01')

    def test_closing_with_null_closed_on_is_refused(self):
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01')
        self.assertInvalid(self.patch(case, {'status': 'closed', 'closed_on': None}), ['closed_on'])

    def test_reopening_clears_closed_on_and_closure_reason(self):
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01', status='closed',
                                closed_on='2026-02-01', closure_reason='Family moved out of state')
        r = self.patch(case, {'status': 'open'})
        self.assertEqual(r.status, 200, r)
        reopened = r.json()
        self.assertEqual(reopened['status'], 'open')
        self.assertIsNone(reopened['closed_on'])
        self.assertIsNone(reopened['closure_reason'])
        self.assertEqual(reopened['version'], 2)
        self.assertEqual(self.current(case), reopened)

    def test_reopening_with_a_closure_reason_is_refused(self):
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01', status='closed',
                                closure_reason='Done')
        self.assertInvalid(self.patch(case, {'status': 'open', 'closure_reason': 'Still done'}),
                           ['closure_reason'])

    def test_cross_field_errors_are_listed_together(self):
        body = new_case(opened_on='2100-01-01', closed_on='2026-01-01', closure_reason='x')
        self.assertFutureOpenedOn(self.post(body), 'closed_on', 'closure_reason')
        body = new_case(opened_on='2026-03-10', closed_on='2026-03-01', closure_reason='x',
                        permanency_goal_since='2100-01-01')
        self.assertInvalid(self.post(body), ['closed_on', 'closure_reason', 'permanency_goal_since'])


class UniqueCaseNumberTest(CaseTest):
    def test_duplicate_case_number_is_409(self):
        case = self.create_case(self.world.worker_a1)
        r = self.post(new_case(case_number=case['case_number'], family_name='Other'),
                      who=self.world.worker_b1)
        p = self.assertProblem(r, 409)
        self.assertNotIn('Other', p['detail'])
        n = self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{case['case_number']}'")
        self.assertEqual(n.strip(), '1')

    def test_patching_to_a_taken_case_number_is_409(self):
        first = self.create_case(self.world.worker_a1)
        second = self.create_case(self.world.worker_a1)
        r = self.patch(second, {'case_number': first['case_number']}, who=self.world.administrator)
        self.assertProblem(r, 409)
        self.assertEqual(self.current(second), second)

    def test_case_numbers_are_compared_exactly(self):
        case = self.post(new_case(case_number=harness.unique('cn'))).json()   # lower case: .upper() differs
        r = self.post(new_case(case_number=case['case_number'].upper()))
        self.assertEqual(r.status, 201, r)

    def test_a_deleted_case_frees_its_number(self):
        case = self.create_case(self.world.worker_a1)
        r = self.request('DELETE', f'/v1/cases/{case["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        r = self.post(new_case(case_number=case['case_number']))
        self.assertEqual(r.status, 201, r)
        self.assertNotEqual(r.json()['id'], case['id'])
        other = self.create_case(self.world.worker_a1)
        r = self.request('DELETE', f'/v1/cases/{r.json()["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        r = self.patch(other, {'case_number': case['case_number']}, who=self.world.integration)
        self.assertEqual(r.status, 200, r)


class ConcurrentWriteTest(CaseTest):
    def test_concurrent_creates_with_one_case_number_give_one_201_and_409s(self):
        number = harness.unique('CN')
        self.raced_creates([new_case(case_number=number, family_name=f'Family {i}') for i in range(6)])
        n = self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{number}'")
        self.assertEqual(n.strip(), '1')


class IfMatchSyntaxTest(CaseTest):
    """If-Match is read the same way on every write; cases show it."""

    def test_malformed_if_match_never_matches(self):
        case = self.create_case(self.world.worker_a1)
        for value in ('1', '"1', 'abc', '"one"', '""', '"-1"', '"1 "', '"1.0"', '"+1"'):
            with self.subTest(if_match=value):
                self.assertProblem(self.patch(case, {'family_name': 'X'}, headers={'If-Match': value}), 412)
        self.assertEqual(self.current(case), case)

    def test_if_match_with_a_matching_tag_but_bad_syntax_never_matches(self):
        for value in ('"1"x', '"1", garbage', '"1"; "2"', '"1" W/', '"1", "2'):
            with self.subTest(if_match=value):
                case = self.create_case(self.world.worker_a1)
                self.assertProblem(self.patch(case, {'family_name': 'X'}, headers={'If-Match': value}), 412)
                self.assertEqual(self.current(case), case)

    def test_etags_compare_as_exact_strings(self):
        for value in ('"01"', '"001"'):
            with self.subTest(if_match=value):
                case = self.create_case(self.world.worker_a1)
                self.assertProblem(self.patch(case, {'family_name': 'X'}, headers={'If-Match': value}), 412)
                self.assertEqual(self.current(case), case)

    def test_if_match_allows_optional_whitespace_and_empty_list_elements(self):
        for value in (' "1" ', '"1",', '"7" ,\t"1"', ', "1"'):
            with self.subTest(if_match=value):
                case = self.create_case(self.world.worker_a1)
                r = self.patch(case, {'family_name': 'X'}, headers={'If-Match': value})
                self.assertEqual(r.status, 200, r)


class PermanencyGoalHistoryTest(CaseTest):
    def goals(self, case, who=None):
        r = self.request('GET', f'/v1/cases/{case["id"]}/permanency-goals', who or self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        page = r.json()
        self.assertIsNone(page['next_cursor'])
        return page['items']

    def test_a_new_case_has_its_first_goal_in_the_history(self):
        w = self.world.worker_a1
        case = self.create_case(w, opened_on='2026-01-10')
        items = self.goals(case)
        self.assertEqual(len(items), 1, items)
        self.assertEqual(items[0]['permanency_goal'], 'not_established')
        self.assertEqual(items[0]['since'], '2026-01-10')
        self.assertEqual(items[0]['recorded_by'], w.sub)
        self.assertRegex(items[0]['recorded_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')

    def test_every_goal_change_is_kept_oldest_first(self):
        w = self.world
        case = self.create_case(w.worker_a1, opened_on='2026-01-10')
        r = self.patch(case, {'permanency_goal': 'reunification', 'permanency_goal_since': '2026-02-01'})
        self.assertEqual(r.status, 200, r)
        r = self.patch(case, {'family_name': 'Not a goal change'}, who=w.supervisor_a)
        self.assertEqual(r.status, 200, r)
        r = self.patch(case, {'permanency_goal': 'adoption'}, who=w.supervisor_a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['permanency_goal'], r.json()['permanency_goal_since']), ('adoption', today()))
        r = self.patch(case, {'permanency_goal': 'guardianship', 'permanency_goal_since': '2026-03-01'},
                       who=w.integration)
        self.assertEqual(r.status, 200, r)
        items = self.goals(case)
        self.assertEqual([(g['permanency_goal'], g['since'], g['recorded_by']) for g in items], [
            ('not_established', '2026-01-10', w.worker_a1.sub),
            ('reunification', '2026-02-01', w.worker_a1.sub),
            ('adoption', today(), w.supervisor_a.sub),
            ('guardianship', '2026-03-01', w.integration.sub),
        ])
        self.assertEqual(items, sorted(items, key=lambda g: g['recorded_at']))
        current = self.current(case)
        self.assertEqual((current['permanency_goal'], current['permanency_goal_since']),
                         ('guardianship', '2026-03-01'))

    def test_a_patch_that_keeps_the_goal_adds_no_history(self):
        case = self.create_case(self.world.worker_a1, permanency_goal='reunification')
        r = self.patch(case, {'permanency_goal': 'reunification', 'family_name': 'Other'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['permanency_goal_since'], case['permanency_goal_since'])
        self.assertEqual(len(self.goals(case)), 1)

    def test_a_refused_goal_change_adds_no_history(self):
        case = self.create_case(self.world.worker_a1)
        self.assertInvalid(self.patch(case, {'permanency_goal': 'adoption', 'permanency_goal_since': '2100-01-01'}),
                           ['permanency_goal_since'])
        self.assertProblem(self.patch(case, {'permanency_goal': 'adoption'}, headers={'If-Match': '"9"'}), 412)
        self.assertEqual(len(self.goals(case)), 1)

    def test_history_follows_the_case_visibility(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        for who in (w.supervisor_a, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                self.assertEqual(len(self.goals(case, who)), 1)
        for who in (w.worker_a2, w.worker_b1, w.supervisor_b):
            with self.subTest(role=who.role, sub=who.sub):
                r = self.request('GET', f'/v1/cases/{case["id"]}/permanency-goals', who)
                self.assertProblem(r, 404)

    def test_history_takes_only_limit_and_cursor(self):
        case = self.create_case(self.world.worker_a1)
        path = f'/v1/cases/{case["id"]}/permanency-goals'
        for params, fields in (('?limit=0', ['limit']), ('?limit=501', ['limit']), ('?cursor=xyz', ['cursor']),
                               ('?order=desc', ['order'])):
            with self.subTest(params=params):
                self.assertInvalid(self.request('GET', path + params, self.world.worker_a1), fields)
        self.assertEqual(self.request('GET', path + '?limit=5', self.world.worker_a1).status, 200)
