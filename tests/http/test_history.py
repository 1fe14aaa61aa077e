"""GET /v1/{cases,participants,plans,goals,visits}/{id}/history and the
fields of GET /v1/service-referrals/{id}/history: every value each field has
had, from the audit trail, with when, by whom and in which request.

Federal foster-care reporting asks what a field held on a date (a child's
permanency goal at the end of the period, the date the plan was approved),
so every earlier value is kept, not only the latest.
"""
import datetime

import harness
from base import ApiTest

MISSING = '00000000-0000-4000-8000-000000000000'
SUD = 'substance_use_treatment'
ENTRY_KEYS = {'value', 'since', 'by', 'request_id'}
BOOKKEEPING = {'id', 'version', 'created_at', 'updated_at'}


def instant(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))


class HistoryTest(ApiTest):
    def history(self, path, who=None):
        r = self.request('GET', f'{path}/history', who or self.world.administrator)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def values(self, history, field):
        return [e['value'] for e in history['fields'][field]]

    def patch(self, path, body, who=None):
        r = self.request('PATCH', path, who or self.world.administrator, body=body)
        self.assertEqual(r.status, 200, r)
        return r

    def post(self, path, body, who=None):
        r = self.request('POST', path, who or self.world.administrator, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()


class CaseHistoryTest(HistoryTest):
    def setUp(self):
        super().setUp()
        w = self.world
        r = self.request('POST', '/v1/cases', w.worker_a1,
                         body={'case_number': harness.unique('H'), 'family_name': 'Garcia',
                               'case_type': 'out_of_home', 'unit': w.unit_a})
        self.assertEqual(r.status, 201, r)
        self.case = r.json()
        self.path = f'/v1/cases/{self.case["id"]}'
        self.requests = [r.header('X-Request-Id')]
        for who, body in ((w.worker_a1, {'family_name': 'Garcia-Lopez', 'permanency_goal': 'reunification'}),
                          (w.supervisor_a, {'permanency_goal': 'adoption'}),
                          (w.administrator, {'family_name': 'Lopez', 'unit': None})):
            self.requests.append(self.patch(self.path, body, who).header('X-Request-Id'))

    def test_every_value_with_when_and_by_whom(self):
        w = self.world
        h = self.history(self.path)
        self.assertEqual((h['id'], h['resource_type']), (self.case['id'], 'case'))
        self.assertEqual(self.values(h, 'family_name'), ['Garcia', 'Garcia-Lopez', 'Lopez'])
        self.assertEqual(self.values(h, 'permanency_goal'), ['not_established', 'reunification', 'adoption'])
        self.assertEqual(self.values(h, 'unit'), [w.unit_a, None])
        names = h['fields']['family_name']
        self.assertEqual([e['by'] for e in names], [w.worker_a1.sub, w.worker_a1.sub, w.administrator.sub])
        self.assertEqual([e['request_id'] for e in names], [self.requests[0], self.requests[1], self.requests[3]])
        goals = h['fields']['permanency_goal']
        self.assertEqual([e['by'] for e in goals], [w.worker_a1.sub, w.worker_a1.sub, w.supervisor_a.sub])
        for field, entries in h['fields'].items():
            for e in entries:
                self.assertEqual(set(e), ENTRY_KEYS, field)
                self.assertRegex(e['since'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')
            sinces = [instant(e['since']) for e in entries]
            self.assertEqual(sinces, sorted(sinces), field)

    def test_since_is_when_each_change_was_written(self):
        h = self.history(self.path)
        audit = self.list_all('/v1/audit', self.world.administrator, resource_id=self.case['id'])
        self.assertEqual([instant(e['since']) for e in h['fields']['family_name']],
                         [instant(a['at']) for a in audit if 'family_name' in (a['after'] or {})])
        self.assertEqual(h['fields']['case_number'][0]['since'], self.case['created_at'])

    def test_fields_that_never_changed_have_their_first_value(self):
        h = self.history(self.path)
        self.assertEqual(self.values(h, 'case_number'), [self.case['case_number']])
        self.assertEqual(self.values(h, 'case_type'), ['out_of_home'])
        self.assertEqual(self.values(h, 'closed_on'), [None])
        self.assertFalse(BOOKKEEPING & set(h['fields']))
        current = self.request('GET', self.path, self.world.administrator).json()
        for field, entries in h['fields'].items():
            self.assertEqual(entries[-1]['value'], current[field], field)

    def test_what_a_field_held_on_a_date(self):
        h = self.history(self.path)
        goals = h['fields']['permanency_goal']
        at = instant(goals[1]['since'])

        def held(when):
            return [e['value'] for e in goals if instant(e['since']) <= when][-1]
        self.assertEqual(held(at), 'reunification')
        self.assertEqual(held(instant(goals[2]['since'])), 'adoption')

    def test_an_unchanged_patch_adds_nothing(self):
        before = self.history(self.path)
        self.patch(self.path, {'family_name': 'Lopez'})
        self.assertEqual(self.history(self.path), before)

    def test_who_may_read_it(self):
        w = self.world
        for who in (w.worker_a1, w.administrator, w.auditor, w.integration):
            with self.subTest(sub=who.sub):
                self.assertEqual(self.history(self.path, who)['id'], self.case['id'])
        missing = self.request('GET', f'/v1/cases/{MISSING}/history', w.worker_a2).json()
        # The case has left unit_a: its supervisor no longer sees it, nor its history.
        for who in (w.supervisor_a, w.worker_a2, w.worker_b1, w.supervisor_b):
            with self.subTest(sub=who.sub):
                p = self.assertProblem(self.request('GET', f'{self.path}/history', who), 404)
                self.assertEqual(p['detail'], missing['detail'])
        self.assertProblem(self.request('GET', f'{self.path}/history'), 401)

    def test_a_deleted_record_has_no_history_to_show(self):
        r = self.request('DELETE', self.path, self.world.administrator)
        self.assertEqual(r.status, 204, r)
        self.assertProblem(self.request('GET', f'{self.path}/history', self.world.administrator), 404)
        self.assertEqual(len(self.list_all('/v1/audit', self.world.administrator, resource_id=self.case['id'])), 5)

    def test_bad_requests(self):
        admin = self.world.administrator
        self.assertProblem(self.request('GET', '/v1/cases/not-a-uuid/history', admin), 404)
        self.assertProblem(self.request('GET', f'/v1/cases/{MISSING}/history', admin), 404)
        for params, fields in (('?limit=0', ['limit']), ('?limit=501', ['limit']), ('?limit=x', ['limit']),
                               ('?cursor=xyz', ['cursor']), ('?sort=desc', ['sort'])):
            with self.subTest(params=params):
                self.assertProblem(self.request('GET', f'{self.path}/history{params}', admin), 422, fields)
        for method in ('POST', 'PATCH', 'PUT', 'DELETE'):
            with self.subTest(method=method):
                r = self.request(method, f'{self.path}/history', admin, body={})
                self.assertProblem(r, 405)
                self.assertEqual(r.header('Allow'), 'GET, HEAD, OPTIONS')

    def test_writes_of_a_state_loader_are_attributed(self):
        self.cluster.psql("BEGIN; SELECT set_config('casework.actor', 'state-loader', true);"
                          f"UPDATE cases SET family_name = 'Loaded' WHERE id = '{self.case['id']}'; COMMIT;")
        last = self.history(self.path)['fields']['family_name'][-1]
        self.assertEqual((last['value'], last['by'], last['request_id']), ('Loaded', 'state-loader', None))


class RecordKindsHistoryTest(HistoryTest):
    def setUp(self):
        super().setUp()
        self.case = self.create_case(self.world.administrator)
        self.cid = self.case['id']

    def test_participant(self):
        p = self.post(f'/v1/cases/{self.cid}/participants',
                      {'first_name': 'Mia', 'last_name': 'Lopez', 'role': 'child', 'date_of_birth': '2016-02-03'})
        path = f'/v1/participants/{p["id"]}'
        self.patch(path, {'in_care_since': '2025-05-01'})
        self.patch(path, {'in_care_until': '2026-02-01'})
        self.patch(path, {'in_care_since': '2025-04-28'})
        h = self.history(path)
        self.assertEqual(h['resource_type'], 'participant')
        self.assertEqual(self.values(h, 'in_care_since'), [None, '2025-05-01', '2025-04-28'])
        self.assertEqual(self.values(h, 'in_care_until'), [None, '2026-02-01'])
        self.assertEqual(self.values(h, 'case_id'), [self.cid])

    def test_plan_with_its_approval(self):
        plan = self.post(f'/v1/cases/{self.cid}/plans', {})
        path = f'/v1/plans/{plan["id"]}'
        self.patch(path, {'needs': 'Stable housing'})
        r = self.patch(path, {'status': 'active'}, self.world.administrator)
        approved = r.json()
        h = self.history(path)
        self.assertEqual(self.values(h, 'status'), ['draft', 'active'])
        self.assertEqual(self.values(h, 'needs'), [None, 'Stable housing'])
        # Instants are in the API's form, as the record shows them.
        self.assertEqual(self.values(h, 'approved_at'), [None, approved['approved_at']])
        self.assertEqual(self.values(h, 'approved_by'), [None, self.world.administrator.sub])

    def test_goal(self):
        plan = self.post(f'/v1/cases/{self.cid}/plans', {})
        goal = self.post(f'/v1/plans/{plan["id"]}/goals', {'description': 'Safe housing'})
        path = f'/v1/goals/{goal["id"]}'
        self.patch(path, {'target_date': '2027-01-31'})
        self.patch(path, {'description': 'Safe, stable housing', 'target_date': None})
        h = self.history(path)
        self.assertEqual(h['resource_type'], 'goal')
        self.assertEqual(self.values(h, 'description'), ['Safe housing', 'Safe, stable housing'])
        self.assertEqual(self.values(h, 'target_date'), [None, '2027-01-31', None])

    def test_visit_instants_in_the_api_form(self):
        child = self.post(f'/v1/cases/{self.cid}/participants',
                          {'first_name': 'Mia', 'last_name': 'Lopez', 'role': 'child'})
        parent = self.post(f'/v1/cases/{self.cid}/participants',
                           {'first_name': 'Ana', 'last_name': 'Lopez', 'role': 'parent'})
        visit = self.post(f'/v1/cases/{self.cid}/visits',
                          {'visited_at': '2026-01-15T10:00:00-05:00', 'visit_type': 'caseworker_child',
                           'location': 'child_residence', 'participant_ids': [child['id']]})
        path = f'/v1/visits/{visit["id"]}'
        moved = self.patch(path, {'visited_at': '2026-01-16T09:30:00.25+01:00',
                                  'participant_ids': [child['id'], parent['id']]}).json()
        h = self.history(path)
        self.assertEqual(self.values(h, 'visited_at'), [visit['visited_at'], moved['visited_at']])
        self.assertEqual(self.values(h, 'visited_at'), ['2026-01-15T15:00:00.000000Z', '2026-01-16T08:30:00.250000Z'])
        self.assertEqual(self.values(h, 'participant_ids'), [visit['participant_ids'], moved['participant_ids']])
        self.assertEqual(sorted(moved['participant_ids']), sorted([child['id'], parent['id']]))

    def test_referral_history_keeps_its_statuses_and_adds_fields(self):
        ref = self.post(f'/v1/cases/{self.cid}/service-referrals',
                        {'service_type': 'housing', 'provider': 'Housing Authority'})
        path = f'/v1/service-referrals/{ref["id"]}'
        self.patch(path, {'status': 'accepted'})
        self.patch(path, {'provider': 'County Housing Authority'})
        h = self.history(path)
        self.assertEqual([i['status'] for i in h['items']], ['referred', 'accepted'])
        self.assertIsNone(h['next_cursor'])
        self.assertEqual(self.values(h, 'status'), ['referred', 'accepted'])
        self.assertEqual(self.values(h, 'provider'), ['Housing Authority', 'County Housing Authority'])


class ProtectedReferralHistoryTest(HistoryTest):
    """A referral that was ever substance use treatment: its field history, like
    its audit rows, only for those who may see such referrals of its case."""

    def setUp(self):
        super().setUp()
        w = self.world
        self.case = self.create_case(w.worker_a1, unit=w.unit_a)
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/service-referrals', w.worker_a1,
                         body={'service_type': SUD, 'provider': 'Harbor Recovery Services'})
        self.assertEqual(r.status, 201, r)
        self.path = f'/v1/service-referrals/{r.json()["id"]}'
        self.patch(self.path, {'service_type': 'health', 'provider': 'Family Clinic'}, w.worker_a1)

    def test_those_who_see_it(self):
        for who in (self.world.worker_a1, self.world.supervisor_a, self.world.administrator):
            with self.subTest(sub=who.sub):
                h = self.history(self.path, who)
                self.assertEqual(self.values(h, 'service_type'), [SUD, 'health'])

    def test_hidden_from_others_who_see_the_referral_now(self):
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(sub=who.sub):
                self.assertEqual(self.request('GET', self.path, who).status, 200)
                self.assertProblem(self.request('GET', f'{self.path}/history', who), 404)

    def test_shown_when_disclosed(self):
        self.api = self.own_service('history-disclose', CASEWORK_DISCLOSE_SUD='1')
        h = self.history(self.path, self.world.auditor)
        self.assertEqual(self.values(h, 'provider'), ['Harbor Recovery Services', 'Family Clinic'])

    def test_other_kinds_are_not_affected(self):
        self.assertEqual(self.history(f'/v1/cases/{self.case["id"]}', self.world.auditor)['resource_type'], 'case')
