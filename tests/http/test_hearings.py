"""Court hearings at /v1/cases/{id}/hearings, /v1/hearings and /v1/hearings/{id}.

A hearing has a type, the day it is held (held_on), the children it concerns
(child_ids: 1 to 50 live participants of the hearing's own case with role
child, answered sorted in lower case), its findings (contrary_to_welfare,
reasonable_efforts, abuse_neglect_found), its outcome and the next hearing's
date, which comes after held_on. A hearing not yet held (held_on after the
agency's today) has no findings or outcome. The database holds the same rules
(hearing_children, one row per child of a live hearing, and triggers), and a
child that live hearings concern stays a child and is not deleted.

Who sees a hearing is decided by its case. Lists filter by hearing_type,
updated_since and, across cases, case_id. Merge patch with If-Match, soft
delete for administrators, an audit row for every change, the change feed.
"""

import harness
from base import MISSING, CaseRecordAccessMatrix, ChildCaseRecordTest, days_from_today
from contract import ChildRecordContract

HEARING_KEYS = {'id', 'case_id', 'hearing_type', 'held_on', 'child_ids', 'contrary_to_welfare',
                'reasonable_efforts', 'abuse_neglect_found', 'outcome', 'next_hearing_on', 'version',
                'created_at', 'updated_at'}
HEARING_TYPES = ('removal', 'adjudication', 'disposition', 'review', 'permanency', 'tpr', 'other')
FINDINGS = {'contrary_to_welfare': True, 'reasonable_efforts': 'made', 'abuse_neglect_found': False,
            'outcome': 'Continued in care.'}


class HearingTest(ChildCaseRecordTest):
    """A case of worker_a1 with a child in care."""

    resource_type = 'hearing'
    path = list_path = '/v1/hearings'
    nested = table = 'hearings'
    keys = HEARING_KEYS
    required = ('hearing_type', 'held_on', 'child_ids')
    not_nullable = required
    nullable = ('contrary_to_welfare', 'reasonable_efforts', 'abuse_neglect_found', 'outcome', 'next_hearing_on')
    text_field = 'outcome'
    id_lists = ('child_ids',)
    invalid_body = {'hearing_type': 'trial', 'held_on': '2026-02-30', 'child_ids': 'all of them',
                    'contrary_to_welfare': 'yes', 'reasonable_efforts': 'some', 'abuse_neglect_found': 1,
                    'outcome': 7, 'next_hearing_on': 'soon', 'id': MISSING, 'case_id': MISSING, 'version': 1,
                    'created_at': '2026-01-01T00:00:00Z', 'updated_at': '2026-01-01T00:00:00Z', 'judge': 'X'}
    invalid_patch = {'hearing_type': 'x', 'held_on': '2026-13-01', 'child_ids': [], 'contrary_to_welfare': 'no',
                     'reasonable_efforts': 'tried', 'abuse_neglect_found': 'maybe', 'outcome': '',
                     'next_hearing_on': '20260101'}

    def new_body(self, parent=None, **fields):
        body = {'hearing_type': 'adjudication', 'held_on': '2025-02-20', 'child_ids': [self.child_of(parent)['id']],
                'outcome': 'Adjudicated; the child stays in care.'}
        body.update(fields)
        return body

    def full_body(self, parent=None):
        sibling = self.add_participant(self.case, role='child')
        return {'hearing_type': 'disposition', 'held_on': '2025-03-05',
                'child_ids': [self.child['id'].upper(), sibling['id']], 'contrary_to_welfare': True,
                'reasonable_efforts': 'made', 'abuse_neglect_found': True,
                'outcome': 'Custody with the agency;\nparents to complete services.', 'next_hearing_on': '2025-09-05'}

    def defaults(self, who):
        return {'contrary_to_welfare': None, 'reasonable_efforts': None, 'abuse_neglect_found': None,
                'next_hearing_on': None}

    def stored_children(self, hearing):
        """hearing_children rows of a hearing: (participant, case, type, held_on, abuse or neglect found)."""
        out = self.cluster.psql(
            f"SELECT participant_id, case_id, hearing_type, held_on, abuse_neglect_found FROM hearing_children "
            f"WHERE hearing_id = '{hearing['id']}' ORDER BY 1")
        return [tuple(line.split('|')) for line in out.split()]

    def messages(self, problem, field):
        return [e['message'] for e in problem['errors'] if e['field'] == field]

    def refused_by(self, statement):
        """The constraint that refuses statement, run as the service's role."""
        out = self.cluster.psql_as(harness.SERVICE_ROLE, f"""
            DO $do$ DECLARE c text; BEGIN
                PERFORM set_config('casework.actor', 'test', true), set_config('casework.roles', 'administrator', true);
                {statement};
                RAISE EXCEPTION 'nothing refused';
            EXCEPTION WHEN integrity_constraint_violation THEN
                GET STACKED DIAGNOSTICS c = CONSTRAINT_NAME;
                RAISE EXCEPTION 'refused by [%]', c;
            END $do$""")
        self.assertIn('refused by [', out.stderr, out)
        return out.stderr.split('refused by [', 1)[1].split(']', 1)[0]


class ContractTest(ChildRecordContract, HearingTest):
    def refused_creates(self, case):
        stranger = self.add_participant(self.create_case(self.world.worker_b1), role='child')
        parent = self.add_participant(case)
        child = self.children[case['id']]
        return [(self.post(self.new_body(case, child_ids=[stranger['id']]), case), 422),
                (self.post(self.new_body(case, child_ids=[parent['id']]), case), 422),
                (self.post(self.new_body(case, held_on=days_from_today(1), child_ids=[child['id']]), case), 422),
                (self.post(self.new_body(case, held_on='2025-02-20', next_hearing_on='2025-02-20',
                                         child_ids=[child['id']]), case), 422)]

    def refused_patches(self, hearing):
        stranger = self.add_participant(self.create_case(self.world.worker_a1), role='child')
        return [(self.patch(hearing, {'child_ids': [stranger['id']]}), 422),
                (self.patch(hearing, {'child_ids': [self.parent['id']]}), 422),
                (self.patch(hearing, {'held_on': days_from_today(3)}), 422),
                (self.patch(hearing, {'next_hearing_on': '2025-01-01'}), 422)]


class AccessTest(CaseRecordAccessMatrix, HearingTest):
    pass


class RulesTest(HearingTest):
    def test_every_type_and_finding_is_accepted(self):
        for hearing_type in HEARING_TYPES:
            with self.subTest(hearing_type=hearing_type):
                self.assertEqual(self.add(hearing_type=hearing_type)['hearing_type'], hearing_type)
        for efforts in ('made', 'not_made', 'not_required'):
            self.assertEqual(self.add(reasonable_efforts=efforts)['reasonable_efforts'], efforts)

    def test_a_participant_who_is_not_a_child_of_the_case_is_named_with_every_other_bad_field(self):
        w = self.world
        stranger = self.add_participant(self.create_case(w.worker_a1), role='child')
        r = self.post({'hearing_type': 'hearing', 'held_on': '2025-02-20',
                       'child_ids': [self.child['id'], self.parent['id'], stranger['id']],
                       'reasonable_efforts': 'tried', 'abuse_neglect_found': 'yes'})
        problem = self.assertInvalid(r, ['hearing_type', 'reasonable_efforts', 'abuse_neglect_found'])
        # The people are checked once every field is well formed.
        r = self.post(self.new_body(child_ids=[self.child['id'], self.parent['id'], stranger['id']]))
        problem = self.assertInvalid(r, ['child_ids'])
        self.assertEqual(len(self.messages(problem, 'child_ids')), 2, problem)
        self.assertTrue(any('not a child' in m for m in self.messages(problem, 'child_ids')), problem)
        self.assertTrue(any('not a participant of this case' in m for m in self.messages(problem, 'child_ids')),
                        problem)
        self.assertEqual(self.writes(), 0)

    def test_a_deleted_child_cannot_be_named(self):
        gone = self.add_participant(self.case, role='child')
        r = self.delete_participant(gone)
        self.assertEqual(r.status, 204, r)
        self.assertInvalid(self.post(self.new_body(child_ids=[gone['id']])), ['child_ids'])

    def test_a_scheduled_hearing_has_no_findings(self):
        later = days_from_today(30)
        scheduled = self.add(held_on=later, outcome=None, hearing_type='permanency')
        self.assertEqual(scheduled['held_on'], later)
        for finding, value in FINDINGS.items():
            with self.subTest(finding=finding):
                body = dict(self.new_body(held_on=later, outcome=None), **{finding: value})
                self.assertInvalid(self.post(body), ['held_on'])
                self.assertInvalid(self.patch(scheduled, {finding: value}), ['held_on'])
        # Held today, it has them.
        r = self.patch(scheduled, dict(FINDINGS, held_on=days_from_today(0)))
        self.assertEqual(r.status, 200, r)
        self.assertInvalid(self.patch(r.json(), {'held_on': days_from_today(1)}), ['held_on'])

    def test_the_next_hearing_comes_after_this_one(self):
        problem = self.assertInvalid(self.post(self.new_body(held_on='2025-06-01', next_hearing_on='2025-05-31')),
                                     ['next_hearing_on'])
        self.assertIn('after held_on', self.messages(problem, 'next_hearing_on')[0])
        hearing = self.add(held_on='2025-06-01', next_hearing_on='2025-06-02')
        self.assertInvalid(self.patch(hearing, {'held_on': '2025-06-02'}), ['next_hearing_on'])

    def test_hearing_children_follow_the_hearing(self):
        sibling = self.add_participant(self.case, role='child')
        hearing = self.add(child_ids=[self.child['id']], abuse_neglect_found=True)
        case = self.case['id']
        self.assertEqual(self.stored_children(hearing), [(self.child['id'], case, 'adjudication', '2025-02-20', 't')])
        hearing = self.patched(hearing, {'child_ids': [sibling['id'], self.child['id']], 'held_on': '2025-02-21',
                                         'abuse_neglect_found': None, 'hearing_type': 'removal'})
        self.assertEqual(self.stored_children(hearing),
                         sorted([(self.child['id'], case, 'removal', '2025-02-21', 'f'),
                                 (sibling['id'], case, 'removal', '2025-02-21', 'f')]))
        self.assertEqual(self.delete(hearing).status, 204)
        self.assertEqual(self.stored_children(hearing), [])

    def test_a_child_that_hearings_concern_stays_a_child_and_stays(self):
        w = self.world
        hearing = self.add()
        child = self.child
        r = self.request('PATCH', f'/v1/participants/{child["id"]}', w.administrator, body={'role': 'parent',
                                                                                             'in_care_since': None})
        self.assertProblem(r, 409)
        self.assertIn('Hearings (1)', r.json()['detail'])
        r = self.delete_participant(child)
        self.assertProblem(r, 409)
        self.assertIn('hearings', r.json()['detail'])
        # Once the hearing is gone, both may.
        self.assertEqual(self.delete(hearing).status, 204)
        r = self.delete_participant(child)
        self.assertEqual(r.status, 204, r)

    def test_the_database_holds_the_rules_whatever_the_service_does(self):
        hearing = self.add()
        parent = self.parent
        other = self.add_participant(self.create_case(self.world.worker_a1), role='child')
        refusals = {
            f"UPDATE hearings SET child_ids = ARRAY['{parent['id']}']::uuid[] WHERE id = '{hearing['id']}'":
                'hearings_of_children',
            f"UPDATE hearings SET child_ids = ARRAY['{other['id']}']::uuid[] WHERE id = '{hearing['id']}'":
                'hearings_of_children',
            f"UPDATE hearings SET child_ids = '{{}}' WHERE id = '{hearing['id']}'": 'hearings_child_ids_check',
            f"UPDATE hearings SET held_on = current_date + 5 WHERE id = '{hearing['id']}'":
                'hearings_findings_once_held',
            f"UPDATE hearings SET next_hearing_on = held_on WHERE id = '{hearing['id']}'":
                'hearings_next_after_held',
            f"UPDATE participants SET role = 'parent', in_care_since = NULL WHERE id = '{self.child['id']}'":
                'hearings_of_children',
            f"UPDATE participants SET deleted_at = now() WHERE id = '{self.child['id']}'": 'hearings_of_children',
        }
        for statement, constraint in refusals.items():
            with self.subTest(statement=statement):
                self.assertEqual(self.refused_by(statement), constraint)
        self.assertUnchanged(hearing)

    def test_lists_filter_by_type(self):
        review = self.add(hearing_type='review')
        self.add(hearing_type='permanency')
        w = self.world.worker_a1
        self.assertEqual(self.list_ids(self.nested_path(self.case), w, hearing_type='review'), [review['id']])
        self.assertEqual(self.list_ids(self.list_path, w, hearing_type='review', case_id=self.case['id']),
                         [review['id']])
        self.assertInvalid(self.request('GET', self.nested_path(self.case) + '?hearing_type=trial', w),
                           ['hearing_type'])

    def test_hearings_are_in_the_change_feed(self):
        hearing = self.add(who=self.world.integration)
        r = self.request('GET', f'/v1/changes?resource_type=hearing&case_id={self.case["id"]}',
                         self.world.integration)
        self.assertEqual(r.status, 200, r)
        changes = r.json()['items']
        self.assertEqual([(c['id'], c['action']) for c in changes], [(hearing['id'], 'created')])
        self.assertEqual(changes[0]['record'], hearing)
