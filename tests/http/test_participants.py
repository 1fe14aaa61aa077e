"""Participants: the people of a case (children, parents, caregivers, relatives,
foster parents, others) at /v1/cases/{id}/participants, /v1/participants and
/v1/participants/{id}.

Their fields and rules (time in care is a child's, a discharge follows a
removal, nothing in the future, a removal not before birth), merge patch with
If-Match, soft delete for administrators, audit rows, keyset lists with
filters, and who sees what: a participant is seen by whoever sees its case.
"""
import datetime
import threading

import harness
from base import ApiTest, CaseRecordAccessMatrix, Persona, query, today

MISSING = '00000000-0000-4000-8000-000000000000'
PARTICIPANT_KEYS = {'id', 'case_id', 'first_name', 'last_name', 'role', 'date_of_birth', 'in_care_since',
                    'in_care_until', 'version', 'created_at', 'updated_at'}
ROLES = ('child', 'parent', 'caregiver', 'relative', 'foster_parent', 'other')
BOOKKEEPING = {'version', 'created_at', 'updated_at'}


def tomorrow():
    return (datetime.date.fromisoformat(today()) + datetime.timedelta(days=1)).isoformat()


def new_participant(**fields):
    body = {'first_name': 'Ana', 'last_name': harness.unique('Lopez'), 'role': 'parent'}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


def child(**fields):
    return new_participant(**dict({'role': 'child', 'date_of_birth': '2015-04-01'}, **fields))


class ParticipantTest(ApiTest):
    def setUp(self):
        super().setUp()
        self.case = self.create_case(self.world.worker_a1)

    def post(self, body, case=None, who=None, **kw):
        case = case or self.case
        return self.request('POST', f'/v1/cases/{case["id"]}/participants', who or self.world.worker_a1,
                            body=body, **kw)

    def add(self, case=None, who=None, **fields):
        r = self.post(new_participant(**fields), case, who)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def patch(self, participant, body, who=None, **kw):
        return self.request('PATCH', f'/v1/participants/{participant["id"]}', who or self.world.worker_a1,
                            body=body, **kw)

    def delete(self, participant, who=None, **kw):
        return self.request('DELETE', f'/v1/participants/{participant["id"]}', who or self.world.administrator,
                            **kw)

    def current(self, participant):
        """The participant as an administrator reads it now."""
        r = self.request('GET', f'/v1/participants/{participant["id"]}', self.world.administrator)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assertInvalid(self, r, fields):
        """A 422 naming exactly these fields, each with a message."""
        p = self.assertProblem(r, 422, fields)
        for e in p['errors']:
            self.assertIsInstance(e['message'], str)
            self.assertTrue(e['message'])
        return p

    def stored_count(self, case=None):
        case = case or self.case
        return int(self.cluster.psql(f"SELECT count(*) FROM participants WHERE case_id = '{case['id']}'"))

    def audit_rows(self, participant):
        return self.list_all('/v1/audit', self.world.administrator, resource_type='participant',
                             resource_id=participant['id'])


class CreateTest(ParticipantTest):
    def test_create_answers_201_with_location_etag_and_the_record(self):
        body = new_participant()
        r = self.post(body)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        p = r.json()
        self.assertEqual(set(p), PARTICIPANT_KEYS)
        self.assertRegex(p['id'], r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
        self.assertEqual(p['case_id'], self.case['id'])
        self.assertEqual((p['first_name'], p['last_name'], p['role']),
                         (body['first_name'], body['last_name'], 'parent'))
        self.assertEqual((p['date_of_birth'], p['in_care_since'], p['in_care_until']), (None, None, None))
        self.assertEqual(p['version'], 1)
        self.assertRegex(p['created_at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')
        self.assertEqual(p['created_at'], p['updated_at'])
        self.assertTrue(r.header('Location').endswith(f'/v1/participants/{p["id"]}'), r.header('Location'))
        self.assertEqual(r.header('ETag'), '"1"')
        g = self.request('GET', r.header('Location'), self.world.worker_a1)
        self.assertEqual(g.status, 200, g)
        self.assertEqual(g.json(), p)
        self.assertEqual(g.header('ETag'), '"1"')

    def test_create_accepts_every_field_it_may_set(self):
        body = child(first_name='Zoë', date_of_birth='2016-02-29', in_care_since='2024-03-01',
                     in_care_until='2025-01-31')
        r = self.post(body)
        self.assertEqual(r.status, 201, r)
        for key, value in body.items():
            self.assertEqual(r.json()[key], value, key)

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

    def test_null_for_nullable_dates_on_create_is_accepted(self):
        r = self.post(new_participant(role='child', date_of_birth=None, in_care_since=None, in_care_until=None))
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.json()['date_of_birth'])

    def test_participants_may_be_added_after_the_case_closes(self):
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', self.world.worker_a1, body={'status': 'closed'})
        self.assertEqual(r.status, 200, r)
        r = self.post(child(in_care_since='2024-01-01', in_care_until=today()))
        self.assertEqual(r.status, 201, r)


class ValidationTest(ParticipantTest):
    def test_missing_required_fields_are_listed_together(self):
        self.assertInvalid(self.post({}), ['first_name', 'last_name', 'role'])
        for field in ('first_name', 'last_name', 'role'):
            with self.subTest(field=field):
                body = new_participant()
                del body[field]
                self.assertInvalid(self.post(body), [field])
        self.assertEqual(self.stored_count(), 0)

    def test_every_bad_field_is_listed_in_one_answer(self):
        body = {'first_name': 7, 'last_name': '  ', 'role': 'grandparent', 'date_of_birth': '2025-02-29',
                'in_care_since': 'yesterday', 'in_care_until': 20250101, 'color': 'blue',
                'id': MISSING, 'case_id': MISSING, 'version': 2, 'created_at': '2026-01-01T00:00:00Z'}
        self.assertInvalid(self.post(body), ['first_name', 'last_name', 'role', 'date_of_birth', 'in_care_since',
                                             'in_care_until', 'color', 'id', 'case_id', 'version', 'created_at'])
        self.assertEqual(self.stored_count(), 0)

    def test_case_id_is_read_only(self):
        other = self.create_case(self.world.worker_a1)
        self.assertInvalid(self.post(new_participant(case_id=other['id'])), ['case_id'])
        self.assertInvalid(self.post(new_participant(case_id=self.case['id'])), ['case_id'])
        self.assertEqual(self.stored_count(other), 0)

    def test_null_for_a_required_field_is_422(self):
        for field in ('first_name', 'last_name', 'role'):
            with self.subTest(field=field):
                self.assertInvalid(self.post(new_participant(**{field: None})), [field])

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
    def test_absent_fields_stay_and_the_version_grows(self):
        p = self.add(role='child', date_of_birth='2015-01-01', in_care_since='2023-01-01')
        r = self.patch(p, {'first_name': 'Renamed'})
        self.assertEqual(r.status, 200, r)
        after = r.json()
        self.assertEqual(after, dict(p, first_name='Renamed', version=2, updated_at=after['updated_at']))
        self.assertGreater(after['updated_at'], p['updated_at'])
        self.assertEqual(r.header('ETag'), '"2"')
        self.assertEqual(self.current(p), after)

    def test_null_clears_a_nullable_field(self):
        p = self.add(role='child', date_of_birth='2015-01-01', in_care_since='2023-01-01',
                     in_care_until='2023-06-01')
        r = self.patch(p, {'in_care_until': None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()['in_care_until'])
        self.assertEqual(r.json()['in_care_since'], '2023-01-01')
        r = self.patch(p, {'date_of_birth': None, 'in_care_since': None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['date_of_birth'], r.json()['in_care_since']), (None, None))

    def test_null_on_a_required_field_is_422(self):
        p = self.add()
        self.assertInvalid(self.patch(p, {'first_name': None, 'last_name': None, 'role': None}),
                           ['first_name', 'last_name', 'role'])
        self.assertEqual(self.current(p), p)

    def test_read_only_fields_cannot_be_patched(self):
        p = self.add()
        other = self.create_case(self.world.worker_a1)
        r = self.patch(p, {'case_id': other['id'], 'id': MISSING, 'version': 9,
                           'updated_at': '2026-01-01T00:00:00Z', 'nickname': 'x'})
        self.assertInvalid(r, ['case_id', 'id', 'version', 'updated_at', 'nickname'])
        self.assertEqual(self.current(p), p)

    def test_patch_validates_every_field_at_once(self):
        p = self.add()
        r = self.patch(p, {'first_name': '', 'role': 'uncle', 'date_of_birth': '2023-02-29'})
        self.assertInvalid(r, ['first_name', 'role', 'date_of_birth'])
        self.assertEqual(self.current(p), p)

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

    def test_no_op_patch_does_not_bump_the_version(self):
        p = self.add()
        for body in ({}, {'first_name': p['first_name']}, {'date_of_birth': None}):
            with self.subTest(body=body):
                r = self.patch(p, body)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), p)
                self.assertEqual(r.header('ETag'), '"1"')

    def test_merge_patch_media_type_is_accepted(self):
        p = self.add()
        r = self.patch(p, {'last_name': 'Merged'}, headers={'Content-Type': 'application/merge-patch+json'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['last_name'], 'Merged')

    def test_participants_stay_editable_after_the_case_closes(self):
        p = self.add(role='child', in_care_since='2024-01-01')
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', self.world.worker_a1, body={'status': 'closed'})
        self.assertEqual(r.status, 200, r)
        r = self.patch(p, {'in_care_until': today()})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['in_care_until'], today())
        self.assertEqual(self.request('GET', f'/v1/participants/{p["id"]}', self.world.worker_a1).status, 200)

    def test_patch_of_a_missing_participant_is_404(self):
        r = self.request('PATCH', f'/v1/participants/{MISSING}', self.world.administrator, body={'first_name': 'X'})
        self.assertProblem(r, 404)


class PreconditionTest(ParticipantTest):
    def test_if_match_with_the_current_etag_applies(self):
        p = self.add()
        r = self.patch(p, {'first_name': 'Matched'}, headers={'If-Match': '"1"'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('ETag'), '"2"')
        r = self.patch(r.json(), {'first_name': 'Star'}, headers={'If-Match': '*'})
        self.assertEqual(r.status, 200, r)

    def test_stale_if_match_is_412_and_writes_nothing(self):
        p = self.add()
        self.assertEqual(self.patch(p, {'first_name': 'Second'}).status, 200)
        now = self.current(p)
        for tag in ('"1"', 'W/"2"', '"3"', 'nonsense'):
            with self.subTest(tag=tag):
                self.assertProblem(self.patch(p, {'first_name': 'Lost'}, headers={'If-Match': tag}), 412)
        self.assertEqual(self.current(p), now)
        self.assertEqual(len(self.audit_rows(p)), 2)

    def test_concurrent_patches_with_the_same_if_match_apply_once(self):
        p = self.add()
        barrier = threading.Barrier(5)
        results = [None] * 5

        def run(i):
            barrier.wait()
            results[i] = self.patch(p, {'first_name': f'Edit {i}'}, headers={'If-Match': '"1"'})
        threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(r.status for r in results), [200, 412, 412, 412, 412], results)
        winner = next(r.json() for r in results if r.status == 200)
        self.assertEqual(self.current(p), winner)
        self.assertEqual(winner['version'], 2)

    def test_delete_honours_if_match(self):
        p = self.add()
        self.assertProblem(self.delete(p, headers={'If-Match': '"2"'}), 412)
        self.assertEqual(self.current(p), p)
        self.assertEqual(self.delete(p, headers={'If-Match': '"1"'}).status, 204)


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

    def test_only_administrators_delete(self):
        w = self.world
        p = self.add()
        for who in (w.worker_a1, w.supervisor_a, w.integration, w.auditor):
            with self.subTest(role=who.role):
                self.assertProblem(self.delete(p, who), 403)
        self.assertProblem(self.request('DELETE', f'/v1/participants/{MISSING}', w.worker_a1), 403)
        self.assertEqual(self.current(p), p)

    def test_deleted_participant_leaves_every_answer_but_stays_in_the_database(self):
        w = self.world
        p = self.add(role='child')
        kept = self.add()
        r = self.delete(p)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', f'/v1/participants/{p["id"]}', who), 404)
                self.assertEqual(self.list_ids(f'/v1/cases/{self.case["id"]}/participants', who), [kept['id']])
                self.assertEqual(self.list_ids('/v1/participants', who, case_id=self.case['id']), [kept['id']])
                self.assertEqual(self.list_ids('/v1/participants', who, case_id=self.case['id'], role='child'), [])
        self.assertProblem(self.patch(p, {'first_name': 'Gone'}), 404)
        self.assertProblem(self.delete(p), 404)
        row = self.cluster.psql(
            f"SELECT first_name, deleted_at IS NOT NULL FROM participants WHERE id = '{p['id']}'").strip()
        self.assertEqual(row, f"{p['first_name']}|t")

    def test_delete_of_a_missing_participant_is_404(self):
        self.assertProblem(self.request('DELETE', f'/v1/participants/{MISSING}', self.world.administrator), 404)

    def test_deleting_the_case_hides_its_participants(self):
        w = self.world
        p = self.add()
        self.assertEqual(self.request('DELETE', f'/v1/cases/{self.case["id"]}', w.administrator).status, 204)
        for who in (w.worker_a1, w.administrator, w.auditor):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', f'/v1/participants/{p["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/cases/{self.case["id"]}/participants', who), 404)
                self.assertEqual(self.list_ids('/v1/participants', who, case_id=self.case['id']), [])
        self.assertProblem(self.patch(p, {'first_name': 'X'}, who=w.administrator), 404)
        self.assertProblem(self.post(new_participant(), who=w.administrator), 404)


class AccessTest(CaseRecordAccessMatrix, ParticipantTest):
    """Three cases: worker_a1's, worker_a2's (same unit) and worker_b1's (other
    unit), each with one participant added by its worker."""

    def setUp(self):
        super().setUp()
        w = self.world
        self.case_a1 = self.case
        self.case_a2 = self.create_case(w.worker_a2)
        self.case_b1 = self.create_case(w.worker_b1)
        self.p_a1 = self.add(self.case_a1, w.worker_a1)
        self.p_a2 = self.add(self.case_a2, w.worker_a2)
        self.p_b1 = self.add(self.case_b1, w.worker_b1)
        self.since = self.p_a1['created_at']

    list_path = '/v1/participants'

    def records(self):
        return self.p_a1, self.p_a2, self.p_b1

    def case_of(self, participant):
        return {self.case_a1['id']: self.case_a1, self.case_a2['id']: self.case_a2,
                self.case_b1['id']: self.case_b1}[participant['case_id']]

    def visible_ids(self, who):
        """This test's participants in who's cross-case list."""
        return set(self.list_ids('/v1/participants', who, updated_since=self.since))

    def assertSees(self, who, p):
        r = self.request('GET', f'/v1/participants/{p["id"]}', who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), self.current(p))
        self.assertEqual(r.header('ETag'), f'"{r.json()["version"]}"')
        self.assertIn(p['id'], self.list_ids(f'/v1/cases/{p["case_id"]}/participants', who))
        self.assertIn(p['id'], self.list_ids('/v1/participants', who, case_id=p['case_id']))
        self.assertIn(p['id'], self.visible_ids(who))

    def assertCannotSee(self, who, p):
        before = self.current(p)
        self.assertProblem(self.request('GET', f'/v1/participants/{p["id"]}', who), 404)
        self.assertProblem(self.patch(p, {'first_name': 'Hidden'}, who=who), 404)
        self.assertProblem(self.request('GET', f'/v1/cases/{p["case_id"]}/participants', who), 404)
        self.assertProblem(self.post(new_participant(), self.case_of(p), who), 404)
        self.assertNotIn(p['id'], self.visible_ids(who))
        for params in ({'case_id': p['case_id']}, {'case_id': p['case_id'], 'role': p['role']},
                       {'role': p['role']}):
            self.assertNotIn(p['id'], self.list_ids('/v1/participants', who, **params), params)
        r = self.request('GET', query('/v1/participants', case_id=p['case_id']), who)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})
        self.assertEqual(self.current(p), before)
        self.assertEqual(self.stored_count(self.case_of(p)), 1)

    def assertUpdates(self, who, p):
        current = self.current(p)
        r = self.patch(p, {'last_name': harness.unique('Renamed')}, who=who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['version'], current['version'] + 1)

    def assertCreates(self, who, p):
        case = self.case_of(p)
        r = self.post(new_participant(), case, who)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['case_id'], case['id'])

    # -- caseworker (the rest in CaseRecordAccessMatrix) ---------------------
    def test_reassigning_the_case_moves_its_participants(self):
        w = self.world
        r = self.request('PATCH', f'/v1/cases/{self.case_a1["id"]}', w.supervisor_a,
                         body={'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertCannotSee(w.worker_a1, self.p_a1)
        self.assertSees(w.worker_a2, self.p_a1)

    # -- supervisor -------------------------------------------------------------
    def test_supervisor_list_holds_exactly_the_unit(self):
        self.assertEqual(set(self.list_ids('/v1/participants', self.world.supervisor_a)),
                         {self.p_a1['id'], self.p_a2['id']})
        self.assertEqual(self.list_ids('/v1/participants', self.world.supervisor_b), [self.p_b1['id']])

    # -- administrator, auditor, integration ----------------------------------
    def test_agency_wide_roles_see_every_participant(self):
        w = self.world
        everything = {self.p_a1['id'], self.p_a2['id'], self.p_b1['id']}
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                for p in (self.p_a1, self.p_a2, self.p_b1):
                    self.assertSees(who, p)
                self.assertEqual(self.visible_ids(who), everything)

    def test_auditor_gets_403_on_every_write(self):
        a = self.world.auditor
        for p in (self.p_a1, self.p_b1):
            with self.subTest(case=p['case_id']):
                self.assertProblem(self.post(new_participant(), self.case_of(p), a), 403)
                self.assertProblem(self.patch(p, {'first_name': 'X'}, who=a), 403)
                self.assertProblem(self.patch(p, {}, who=a), 403)
                self.assertProblem(self.delete(p, a), 403)
                self.assertEqual(self.current(p), p)
                self.assertEqual(self.stored_count(self.case_of(p)), 1)
        self.assertProblem(self.post(new_participant(), {'id': MISSING}, a), 403)
        self.assertProblem(self.patch({'id': MISSING}, {'first_name': 'X'}, who=a), 403)

    def test_several_roles_in_one_token_add_up(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('worker-supervisor'), ['caseworker', 'supervisor'], w.unit_a)
        own = self.create_case(w.administrator, assigned_worker=both.sub, unit=w.unit_b)
        mine = self.add(own, both)
        for p in (self.p_a1, self.p_a2, mine):
            self.assertSees(both, p)
        self.assertCannotSee(both, self.p_b1)
        self.assertEqual(set(self.list_ids('/v1/participants', both)),
                         {self.p_a1['id'], self.p_a2['id'], mine['id']})

    # -- hidden and missing look alike -------------------------------------------
    def test_invisible_participant_answers_exactly_like_a_missing_one(self):
        w = self.world.worker_a1

        def same(hidden, missing):
            self.assertEqual((hidden.status, missing.status), (404, 404))
            self.assertEqual({k: v for k, v in hidden.json().items() if k != 'request_id'},
                             {k: v for k, v in missing.json().items() if k != 'request_id'})
        same(self.request('GET', f'/v1/participants/{self.p_b1["id"]}', w),
             self.request('GET', f'/v1/participants/{MISSING}', w))
        same(self.patch(self.p_b1, {'first_name': 'X'}, who=w), self.patch({'id': MISSING}, {'first_name': 'X'}, who=w))
        same(self.request('GET', f'/v1/cases/{self.case_b1["id"]}/participants', w),
             self.request('GET', f'/v1/cases/{MISSING}/participants', w))
        same(self.post(new_participant(), self.case_b1, w), self.post(new_participant(), {'id': MISSING}, w))

    def test_unknown_case_is_404_for_every_role(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.integration):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', f'/v1/cases/{MISSING}/participants', who), 404)
                self.assertProblem(self.post(new_participant(), {'id': MISSING}, who), 404)

    def test_non_uuid_ids_in_the_path_are_404(self):
        a = self.world.administrator
        for bad in ('abc', '123', self.p_a1['id'][:-1], self.p_a1['id'] + '0', '%27%20OR%201%3D1', 'x' * 80):
            with self.subTest(id=bad):
                self.assertProblem(self.request('GET', f'/v1/participants/{bad}', a), 404)
                self.assertProblem(self.request('PATCH', f'/v1/participants/{bad}', a, body={'first_name': 'X'}), 404)
                self.assertProblem(self.request('DELETE', f'/v1/participants/{bad}', a), 404)
                self.assertProblem(self.request('GET', f'/v1/cases/{bad}/participants', a), 404)
                self.assertProblem(self.request('POST', f'/v1/cases/{bad}/participants', a,
                                                body=new_participant()), 404)

    def test_upper_case_uuid_names_the_same_participant(self):
        r = self.request('GET', f'/v1/participants/{self.p_a1["id"].upper()}', self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), self.p_a1)


class ListTest(ParticipantTest):
    def make(self, roles, case=None, who=None):
        return [self.add(case, who, role=role) for role in roles]

    def pages(self, path, who, limit, **params):
        pages, cursor = [], None
        for _ in range(100):
            r = self.request('GET', query(path, limit=limit, cursor=cursor, **params), who)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertEqual(set(page), {'items', 'next_cursor'})
            pages.append([item['id'] for item in page['items']])
            cursor = page['next_cursor']
            if cursor is None:
                return pages
        self.fail('the list never ended')

    def test_case_list_holds_its_participants_oldest_first(self):
        made = self.make(['child', 'parent', 'child', 'caregiver'])
        self.make(['parent'], self.create_case(self.world.worker_a1))
        r = self.request('GET', f'/v1/cases/{self.case["id"]}/participants', self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'items': made, 'next_cursor': None})

    def test_walking_all_pages_gives_every_participant_once_in_a_stable_order(self):
        made = self.make(['child', 'parent'] * 4 + ['other'])
        expected = [p['id'] for p in sorted(made, key=lambda p: (p['created_at'], p['id']))]
        path = f'/v1/cases/{self.case["id"]}/participants'
        for limit in (1, 2, 4, 8, 9, 10, 500):
            with self.subTest(limit=limit):
                pages = self.pages(path, self.world.worker_a1, limit)
                self.assertEqual([i for page in pages for i in page], expected)
                self.assertTrue(all(len(page) == limit for page in pages[:-1]))
                self.assertEqual(len(pages), max(1, -(-9 // limit)))
                pages = self.pages('/v1/participants', self.world.worker_a1, limit)
                self.assertEqual([i for page in pages for i in page], expected)

    def test_role_filter(self):
        made = self.make(['child', 'parent', 'child', 'foster_parent'])
        path = f'/v1/cases/{self.case["id"]}/participants'
        w = self.world.worker_a1
        self.assertEqual(self.list_ids(path, w, role='child'), [made[0]['id'], made[2]['id']])
        self.assertEqual(self.list_ids(path, w, role='foster_parent'), [made[3]['id']])
        self.assertEqual(self.list_ids(path, w, role='relative'), [])
        self.assertEqual(self.list_ids('/v1/participants', w, role='child', limit=1), [made[0]['id'], made[2]['id']])

    def test_case_id_filter_of_the_cross_case_list(self):
        w = self.world.supervisor_a
        here = self.make(['child', 'parent'])
        other_case = self.create_case(self.world.worker_a2)
        there = self.make(['child'], other_case, self.world.worker_a2)
        self.assertEqual(self.list_ids('/v1/participants', w, case_id=self.case['id']), [p['id'] for p in here])
        self.assertEqual(self.list_ids('/v1/participants', w, case_id=other_case['id']), [there[0]['id']])
        self.assertEqual(self.list_ids('/v1/participants', w, case_id=other_case['id'], role='parent'), [])
        self.assertEqual(self.list_ids('/v1/participants', w, case_id=MISSING), [])

    def test_updated_since_filter(self):
        old, changed = self.make(['child', 'parent'])
        r = self.patch(changed, {'first_name': 'Later'})
        self.assertEqual(r.status, 200, r)
        since = r.json()['updated_at']
        w = self.world.worker_a1
        path = f'/v1/cases/{self.case["id"]}/participants'
        self.assertEqual(self.list_ids(path, w, updated_since=since), [changed['id']])
        self.assertEqual(self.list_ids('/v1/participants', w, updated_since=since), [changed['id']])
        self.assertEqual(self.list_ids(path, w, updated_since='2000-01-01T00:00:00+02:00'),
                         [old['id'], changed['id']])
        self.assertEqual(self.list_ids(path, w, updated_since='2099-01-01T00:00:00Z'), [])

    def test_lists_hold_the_same_records_as_single_reads(self):
        self.make(['child', 'parent'])
        for item in self.list_all('/v1/participants', self.world.worker_a1, limit=1):
            r = self.request('GET', f'/v1/participants/{item["id"]}', self.world.worker_a1)
            self.assertEqual(r.json(), item)

    def test_bad_query_parameters_are_422(self):
        self.make(['child'])
        self.create_case(self.world.worker_a1)
        w = self.world.worker_a1
        nested = f'/v1/cases/{self.case["id"]}/participants'
        cases_cursor = self.request('GET', '/v1/cases?limit=1', self.world.administrator).json()['next_cursor']
        self.assertIsNotNone(cases_cursor)
        for path in (nested, '/v1/participants'):
            for params, fields in (('role=uncle', ['role']), ('updated_since=yesterday', ['updated_since']),
                                   ('updated_since=2026-01-01', ['updated_since']), ('limit=0', ['limit']),
                                   ('limit=501', ['limit']), ('limit=x', ['limit']), ('cursor=abc', ['cursor']),
                                   (f'cursor={cases_cursor}', ['cursor']), ('status=open', ['status']),
                                   ('role=x&limit=-1&nope=1', ['role', 'limit', 'nope'])):
                with self.subTest(path=path, params=params):
                    self.assertProblem(self.request('GET', f'{path}?{params}', w), 422, fields)
        self.assertProblem(self.request('GET', f'{nested}?case_id={self.case["id"]}', w), 422, ['case_id'])
        self.assertProblem(self.request('GET', '/v1/participants?case_id=abc', w), 422, ['case_id'])

    def test_single_reads_and_writes_take_no_query_parameters(self):
        p = self.make(['child'])[0]
        w = self.world.worker_a1
        self.assertProblem(self.request('GET', f'/v1/participants/{p["id"]}?x=1', w), 422, ['x'])
        self.assertProblem(self.request('PATCH', f'/v1/participants/{p["id"]}?x=1', w, body={'first_name': 'Q'}),
                           422, ['x'])
        self.assertProblem(self.request('POST', f'/v1/cases/{self.case["id"]}/participants?x=1', w,
                                        body=new_participant()), 422, ['x'])
        self.assertEqual(self.current(p), p)

    def test_wrong_methods_are_405(self):
        p = self.make(['child'])[0]
        a = self.world.administrator
        for method, path in (('PUT', f'/v1/participants/{p["id"]}'), ('POST', f'/v1/participants/{p["id"]}'),
                             ('POST', '/v1/participants'), ('DELETE', '/v1/participants'),
                             ('PATCH', f'/v1/cases/{self.case["id"]}/participants'),
                             ('DELETE', f'/v1/cases/{self.case["id"]}/participants')):
            with self.subTest(method=method, path=path):
                self.assertProblem(self.request(method, path, a, body={}), 405)


class AuditTest(ParticipantTest):
    def stored(self, p):
        return {k: v for k, v in p.items() if k not in BOOKKEEPING}

    def test_create_update_and_delete_write_rows(self):
        w = self.world
        p = self.add(role='child', date_of_birth='2014-07-01')
        r = self.patch(p, {'in_care_since': '2024-01-15', 'first_name': 'Changed'}, who=w.supervisor_a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.delete(p).status, 204)
        rows = self.audit_rows(p)
        self.assertEqual([row['action'] for row in rows], ['create', 'update', 'delete'])
        for row in rows:
            self.assertEqual((row['resource_type'], row['resource_id'], row['case_id']),
                             ('participant', p['id'], self.case['id']))
        self.assertEqual((rows[0]['actor'], rows[0]['before'], rows[0]['after']),
                         (w.worker_a1.sub, None, self.stored(p)))
        self.assertEqual(rows[1]['actor'], w.supervisor_a.sub)
        self.assertEqual(rows[1]['before'], {'first_name': p['first_name'], 'in_care_since': None})
        self.assertEqual(rows[1]['after'], {'first_name': 'Changed', 'in_care_since': '2024-01-15'})
        self.assertEqual((rows[2]['actor'], rows[2]['before'], rows[2]['after']),
                         (w.administrator.sub, self.stored(r.json()), None))

    def test_failed_writes_write_no_row(self):
        w = self.world
        p = self.add(role='child')
        failures = [
            (self.patch(p, {'first_name': ''}), 422),
            (self.patch(p, {'in_care_until': '2024-01-01'}), 422),
            (self.patch(p, {'first_name': 'Stale'}, headers={'If-Match': '"7"'}), 412),
            (self.patch(p, {'first_name': 'Hidden'}, who=w.worker_b1), 404),
            (self.patch(p, {'first_name': 'Auditor'}, who=w.auditor), 403),
            (self.delete(p, w.worker_a1), 403),
            (self.delete(p, headers={'If-Match': '"2"'}), 412),
            (self.patch(p, {}), 200),
        ]
        for r, status in failures:
            self.assertEqual(r.status, status, r)
        self.assertEqual([row['action'] for row in self.audit_rows(p)], ['create'])

    def test_refused_creates_write_no_row(self):
        w = self.world
        before = self.list_all('/v1/audit', w.administrator, resource_type='participant', actor=w.worker_a1.sub)
        for body, status in ((new_participant(role='x'), 422), (child(in_care_until='2020-01-01'), 422)):
            self.assertEqual(self.post(body).status, status)
        self.assertEqual(self.post(new_participant(), who=w.auditor).status, 403)
        after = self.list_all('/v1/audit', w.administrator, resource_type='participant', actor=w.worker_a1.sub)
        self.assertEqual(after, before)
        self.assertEqual(self.stored_count(), 0)
