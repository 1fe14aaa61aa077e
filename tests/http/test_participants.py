"""Participants: the people of a case (children, parents, caregivers, relatives,
foster parents, others) at /v1/cases/{id}/participants, /v1/participants and
/v1/participants/{id}.

What every kind of record keeps (contract.py) and the role matrix of records
under a case (base.py) run on ParticipantTest; here are participants' own
rules: time in care is a child's, a discharge follows a removal, nothing in
the future, a removal not before birth; the role filter; a participant that
other records name is not deleted.
"""
import harness
from base import MISSING, CaseRecordAccessMatrix, CaseRecordTest, days_from_today, today
from contract import ChildRecordContract

PARTICIPANT_KEYS = {'id', 'case_id', 'first_name', 'last_name', 'role', 'date_of_birth', 'in_care_since',
                    'in_care_until', 'version', 'created_at', 'updated_at'}
ROLES = ('child', 'parent', 'caregiver', 'relative', 'foster_parent', 'other')


def tomorrow():
    return days_from_today(1)


def new_participant(**fields):
    body = {'first_name': 'Ana', 'last_name': harness.unique('Lopez'), 'role': 'parent'}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def child(**fields):
    return new_participant(**dict({'role': 'child', 'date_of_birth': '2015-04-01'}, **fields))


class ParticipantTest(CaseRecordTest):
    """A case of worker_a1's, where participants go unless a test says otherwise."""

    resource_type = 'participant'
    path = list_path = '/v1/participants'
    nested = table = 'participants'
    keys = PARTICIPANT_KEYS
    required = not_nullable = ('first_name', 'last_name', 'role')
    nullable = ('date_of_birth', 'in_care_since', 'in_care_until')
    text_field = 'first_name'
    invalid_body = {'first_name': 7, 'last_name': '  ', 'role': 'grandparent', 'date_of_birth': '2025-02-29',
                    'in_care_since': 'yesterday', 'in_care_until': 20250101, 'color': 'blue', 'id': MISSING,
                    'case_id': MISSING, 'version': 2, 'created_at': '2026-01-01T00:00:00Z'}
    invalid_patch = {'first_name': '', 'role': 'uncle', 'date_of_birth': '2023-02-29'}

    def new_body(self, parent=None, **fields):
        return new_participant(**fields)

    def full_body(self, parent=None):
        return child(first_name='Zoë', date_of_birth='2016-02-29', in_care_since='2024-03-01',
                     in_care_until='2025-01-31')

    def defaults(self, who):
        return {'date_of_birth': None, 'in_care_since': None, 'in_care_until': None}


class ContractTest(ChildRecordContract, ParticipantTest):
    def refused_creates(self, parent):
        return [(self.post(new_participant(role='x'), parent), 422),
                (self.post(child(in_care_until='2020-01-01'), parent), 422)]

    def refused_patches(self, record):
        return [(self.patch(record, {'in_care_until': '2024-01-01'}), 422)]


class CreateTest(ParticipantTest):
    def test_a_child_in_care_without_a_discharge(self):
        r = self.post(child(in_care_since='2025-06-01'))
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()['in_care_since'], r.json()['in_care_until']), ('2025-06-01', None))

    def test_every_role_is_accepted(self):
        for role in ROLES:
            with self.subTest(role=role):
                r = self.post(new_participant(role=role, date_of_birth='1990-01-01'))
                self.assertEqual(r.status, 201, r)
                self.assertEqual(r.json()['role'], role)

    def test_participants_may_be_added_after_the_case_closes(self):
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', self.world.worker_a1, body={'status': 'closed'})
        self.assertEqual(r.status, 200, r)
        r = self.post(child(in_care_since='2024-01-01', in_care_until=today()))
        self.assertEqual(r.status, 201, r)


class ValidationTest(ParticipantTest):
    def test_bad_roles(self):
        for role in ('Child', 'grandparent', '', 'foster parent', ['child'], 1):
            with self.subTest(role=role):
                self.assertInvalid(self.post(new_participant(role=role)), ['role'])

    def test_impossible_dates(self):
        for bad in ('2025-02-29', '1899-12-31', '2024-13-01', '2024-04-31', '2024-1-01', '01/02/2024',
                    '2024-01-01T00:00:00Z', '', 'today', 20240101):
            with self.subTest(date=bad):
                r = self.post(child(date_of_birth=bad, in_care_since=bad, in_care_until=bad))
                self.assertInvalid(r, ['date_of_birth', 'in_care_since', 'in_care_until'])

    def test_names_are_at_most_100_characters(self):
        r = self.post(new_participant(first_name='é' * 100, last_name='L' * 100))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['first_name'], 'é' * 100)
        self.assertInvalid(self.post(new_participant(first_name='a' * 101, last_name='é' * 101)),
                           ['first_name', 'last_name'])

    def test_names_are_one_line_without_control_characters(self):
        for bad in ('Ana\nMaria', 'Ana\tMaria', 'Ana\x07', 'Ana\u0085'):
            with self.subTest(name=bad):
                self.assertInvalid(self.post(new_participant(first_name=bad, last_name=bad)),
                                   ['first_name', 'last_name'])

    def test_blank_names_are_422(self):
        self.assertInvalid(self.post(new_participant(first_name='', last_name=' \t')), ['first_name', 'last_name'])


class CareDatesTest(ParticipantTest):
    def test_dates_cannot_be_in_the_future(self):
        later = tomorrow()
        r = self.post(child(date_of_birth=later, in_care_since=later, in_care_until=later))
        self.assertInvalid(r, ['date_of_birth', 'in_care_since', 'in_care_until'])
        r = self.post(child(date_of_birth='2010-01-01', in_care_since=today(), in_care_until=today()))
        self.assertEqual(r.status, 201, r)
        self.assertInvalid(self.post(new_participant(date_of_birth='2099-01-01')), ['date_of_birth'])

    def test_only_a_child_has_time_in_care(self):
        for role in ROLES[1:]:
            with self.subTest(role=role):
                self.assertInvalid(self.post(new_participant(role=role, in_care_since='2024-01-01')),
                                   ['in_care_since'])
                r = self.post(new_participant(role=role, in_care_since='2024-01-01', in_care_until='2024-06-01'))
                self.assertProblem(r, 422)
        self.assertEqual(self.stored_count(), 0)

    def test_a_non_child_with_removal_and_discharge_names_both_fields(self):
        r = self.post(new_participant(role='parent', in_care_since='2024-01-01', in_care_until='2024-06-01'))
        self.assertInvalid(r, ['in_care_since', 'in_care_until'])

    def test_a_discharge_needs_a_removal(self):
        self.assertInvalid(self.post(child(in_care_until='2024-06-01')), ['in_care_until'])
        self.assertInvalid(self.post(child(in_care_since=None, in_care_until='2024-06-01')), ['in_care_until'])

    def test_a_discharge_before_the_removal_is_422(self):
        r = self.post(child(in_care_since='2024-06-01', in_care_until='2024-05-31'))
        p = self.assertInvalid(r, ['in_care_until'])
        self.assertIn('in_care_since', p['errors'][0]['message'])
        self.assertEqual(self.stored_count(), 0)

    def test_a_discharge_on_the_day_of_removal_is_accepted(self):
        r = self.post(child(in_care_since='2024-06-01', in_care_until='2024-06-01'))
        self.assertEqual(r.status, 201, r)

    def test_a_removal_before_birth_is_422(self):
        r = self.post(child(date_of_birth='2020-05-10', in_care_since='2020-05-09'))
        self.assertInvalid(r, ['in_care_since'])
        r = self.post(child(date_of_birth='2020-05-10', in_care_since='2020-05-10'))
        self.assertEqual(r.status, 201, r)

    def test_care_dates_without_a_date_of_birth_are_accepted(self):
        r = self.post(child(date_of_birth=None, in_care_since='2020-01-01'))
        self.assertEqual(r.status, 201, r)

    def test_cross_field_errors_are_listed_together(self):
        r = self.post(child(date_of_birth=tomorrow(), in_care_until='2024-01-01'))
        self.assertInvalid(r, ['date_of_birth', 'in_care_until'])
        r = self.post(child(date_of_birth='2024-01-10', in_care_since='2024-01-05', in_care_until='2024-01-01'))
        self.assertInvalid(r, ['in_care_since', 'in_care_until'])
        self.assertEqual(self.stored_count(), 0)


class MergePatchTest(ParticipantTest):
    def test_rules_apply_to_the_merged_record(self):
        p = self.add(role='child', date_of_birth='2015-01-01', in_care_since='2023-01-01',
                     in_care_until='2023-06-01')
        cases = [({'in_care_since': None}, ['in_care_until']),
                 ({'in_care_until': '2022-12-31'}, ['in_care_until']),
                 ({'in_care_since': '2023-06-02'}, ['in_care_until']),
                 ({'date_of_birth': '2023-01-02'}, ['in_care_since']),
                 ({'in_care_until': tomorrow()}, ['in_care_until'])]
        for body, fields in cases:
            with self.subTest(body=body):
                self.assertInvalid(self.patch(p, body), fields)
        r = self.patch(p, {'role': 'parent'})
        self.assertProblem(r, 422)
        self.assertLessEqual({e['field'] for e in r.json()['errors']}, {'in_care_since', 'in_care_until'})
        self.assertEqual(self.current(p), p)

    def test_role_changes_once_time_in_care_is_cleared(self):
        p = self.add(role='child', in_care_since='2023-01-01')
        r = self.patch(p, {'role': 'relative', 'in_care_since': None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['role'], r.json()['in_care_since']), ('relative', None))

    def test_recording_a_discharge(self):
        p = self.add(role='child', date_of_birth='2012-03-04', in_care_since='2024-02-01')
        r = self.patch(p, {'in_care_until': today()})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['in_care_until'], today())

    def test_participants_stay_editable_after_the_case_closes(self):
        p = self.add(role='child', in_care_since='2024-01-01')
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', self.world.worker_a1, body={'status': 'closed'})
        self.assertEqual(r.status, 200, r)
        r = self.patch(p, {'in_care_until': today()})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['in_care_until'], today())
        self.assertEqual(self.request('GET', f'/v1/participants/{p["id"]}', self.world.worker_a1).status, 200)


class DeleteTest(ParticipantTest):
    def test_a_participant_a_goal_names_is_not_deleted(self):
        w = self.world
        p = self.add(role='parent')
        plan = self.request('POST', f'/v1/cases/{self.case["id"]}/plans', w.worker_a1, body={}).json()
        goal = self.request('POST', f'/v1/plans/{plan["id"]}/goals', w.worker_a1,
                            body={'description': 'Keep the home safe', 'participant_id': p['id']}).json()
        problem = self.assertProblem(self.delete(p, w.administrator), 409)
        self.assertIn('name this participant', problem['detail'])
        self.assertEqual(self.current(p), p)
        r = self.request('PATCH', f'/v1/goals/{goal["id"]}', w.worker_a1, body={'participant_id': None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.delete(p, w.administrator).status, 204)

    def test_a_participant_a_visit_or_referral_names_is_not_deleted(self):
        w = self.world
        child = self.add(role='child')
        parent = self.add(role='parent')
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/visits', w.worker_a1,
                         body={'visited_at': '2026-01-15T10:00:00Z', 'visit_type': 'caseworker_child',
                               'location': 'child_residence', 'participant_ids': [child['id']]})
        self.assertEqual(r.status, 201, r)
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/service-referrals', w.worker_a1,
                         body={'service_type': 'parenting', 'provider': 'Center', 'participant_id': parent['id']})
        self.assertEqual(r.status, 201, r)
        for p in (child, parent):
            with self.subTest(role=p['role']):
                self.assertProblem(self.delete(p, w.administrator), 409)
                self.assertEqual(self.current(p), p)


class AccessTest(CaseRecordAccessMatrix, ParticipantTest):
    def filters_of(self, p):
        return ({'case_id': p['case_id']}, {'case_id': p['case_id'], 'role': p['role']}, {'role': p['role']})


class ListTest(ParticipantTest):
    def make(self, roles, case=None, who=None):
        return [self.add(case, who, role=role) for role in roles]

    def test_role_filter(self):
        made = self.make(['child', 'parent', 'child', 'foster_parent'])
        path = f'/v1/cases/{self.case["id"]}/participants'
        w = self.world.worker_a1
        self.assertEqual(self.list_ids(path, w, role='child'), [made[0]['id'], made[2]['id']])
        self.assertEqual(self.list_ids(path, w, role='foster_parent'), [made[3]['id']])
        self.assertEqual(self.list_ids(path, w, role='relative'), [])
        self.assertEqual(self.list_ids('/v1/participants', w, role='child', limit=1), [made[0]['id'], made[2]['id']])

    def test_bad_filters_are_422(self):
        w = self.world.worker_a1
        for path in (self.nested_path(self.case), self.list_path):
            for params, fields in (('role=uncle', ['role']), ('status=open', ['status']),
                                   ('role=x&limit=-1&nope=1', ['role', 'limit', 'nope'])):
                with self.subTest(path=path, params=params):
                    self.assertProblem(self.request('GET', f'{path}?{params}', w), 422, fields)
