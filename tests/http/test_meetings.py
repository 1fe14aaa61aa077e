"""Family team meetings at /v1/cases/{id}/meetings, /v1/meetings and /v1/meetings/{id}.

A meeting records a decision made with the family and its network: its kind
(meeting_type), what led to it (reason), the day it was held (held_on, not
after the agency's today), the facilitator, the case participants present
(participant_ids: 1 to 50 of the case's own, answered sorted), others present
by name and relationship (others_present: at most 50 objects of exactly those
two non-blank strings), the decision, a recommendation from the practice's
list, whether the group reached consensus, and optionally the case plan it
produced or changed (plan_id, a plan of the same case). Who sees a meeting is
decided by its case; merge patch with If-Match, soft delete for
administrators, an audit row for every change.
"""
import functools

from base import MISSING, CaseRecordAccessMatrix, CaseRecordTest, days_from_today, today
from contract import ChildRecordContract

MEETING_KEYS = {'id', 'case_id', 'meeting_type', 'reason', 'held_on', 'facilitator', 'participant_ids',
                'others_present', 'decision', 'recommendation', 'consensus', 'plan_id', 'version', 'created_at',
                'updated_at'}
MEETING_TYPES = ('team_decision_making', 'family_team_meeting', 'family_group_decision_making', 'other')
REASONS = ('considered_removal', 'placement_change', 'exit_from_care', 'plan_review', 'other')
RECOMMENDATIONS = ('remain_home_with_safety_plan', 'remain_home_with_services', 'place_with_relative',
                   'place_in_foster_care', 'reunify', 'maintain_placement', 'change_placement', 'other')
PASTOR = {'name': 'Rev. Kim', 'relationship': 'pastor'}
PROVIDER = {'name': 'J. Ortiz', 'relationship': 'service provider'}


class MeetingTest(CaseRecordTest):
    """A case of worker_a1 with a mother."""

    resource_type = 'meeting'
    path = list_path = '/v1/meetings'
    nested = table = 'meetings'
    keys = MEETING_KEYS
    required = ('meeting_type', 'reason', 'held_on', 'participant_ids')
    not_nullable = required + ('others_present',)
    nullable = ('facilitator', 'decision', 'recommendation', 'consensus', 'plan_id')
    text_field = 'decision'
    family = (('parent', 'Mia'),)
    id_lists = ('participant_ids',)
    invalid_body = {'meeting_type': 'picnic', 'reason': 'boredom', 'held_on': '2025-02-30', 'facilitator': 12,
                    'participant_ids': ['nobody'], 'others_present': [{'name': 'A'}], 'decision': [],
                    'recommendation': 'adopt_a_dog', 'consensus': 'mostly', 'plan_id': 'plan',
                    'id': MISSING, 'case_id': MISSING, 'version': 1, 'created_at': '2026-01-01T00:00:00Z',
                    'updated_at': '2026-01-01T00:00:00Z', 'venue': 'church hall'}
    invalid_patch = {'meeting_type': 'x', 'reason': 'y', 'held_on': 'yesterday', 'facilitator': '',
                     'participant_ids': [], 'others_present': {'name': 'A', 'relationship': 'b'}, 'decision': 5,
                     'recommendation': 'z', 'consensus': 'no', 'plan_id': 7}

    @property
    def mother(self):
        return self.family_of()[0]

    @functools.cached_property
    def child(self):
        return self.add_participant(self.case, role='child', first_name='Ava')

    @functools.cached_property
    def plan(self):
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/plans', self.world.worker_a1,
                         body={'effective_on': '2025-03-01'})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def new_body(self, parent=None, **fields):
        body = {'meeting_type': 'team_decision_making', 'reason': 'placement_change', 'held_on': '2025-03-01',
                'participant_ids': [self.family_of(parent)[0]['id']]}
        body.update(fields)
        return {k: v for k, v in body.items() if v is not ...}

    def full_body(self, parent=None):
        return self.new_body(parent, meeting_type='family_group_decision_making', reason='exit_from_care',
                             held_on='2025-06-12', facilitator='A. Novak (TDM facilitator)',
                             participant_ids=[self.mother['id'], self.child['id']],
                             others_present=[PASTOR, PROVIDER],
                             decision='Reunify with the mother after two more overnight visits.\nReview in 30 days.',
                             recommendation='reunify', consensus=True, plan_id=self.plan['id'])

    def defaults(self, who):
        return {'facilitator': None, 'others_present': [], 'decision': None, 'recommendation': None,
                'consensus': None, 'plan_id': None}


class ContractTest(ChildRecordContract, MeetingTest):
    def refused_creates(self, case):
        stranger = self.add_participant(self.create_case(self.world.worker_a1))
        other_plan = self.request('POST', f'/v1/cases/{stranger["case_id"]}/plans', self.world.worker_a1,
                                  body={'effective_on': '2025-03-01'}).json()
        return [(self.post(self.new_body(case, participant_ids=[stranger['id']]), case), 422),
                (self.post(self.new_body(case, plan_id=other_plan['id']), case), 422),
                (self.post(self.new_body(case, held_on=days_from_today(1)), case), 422)]

    def refused_patches(self, meeting):
        stranger = self.add_participant(self.create_case(self.world.worker_a1))
        return [(self.patch(meeting, {'participant_ids': [stranger['id']]}), 422),
                (self.patch(meeting, {'held_on': days_from_today(2)}), 422),
                (self.patch(meeting, {'plan_id': MISSING}), 422),
                (self.patch(meeting, {'participant_ids': [i.upper() for i in meeting['participant_ids']],
                                      'others_present': []}), 200)]


class AccessTest(CaseRecordAccessMatrix, MeetingTest):
    pass


class BadInputTest(MeetingTest):
    def test_people_and_plans_of_another_case_are_422_naming_each_field(self):
        other = self.create_case(self.world.worker_a1)
        stranger = self.add_participant(other)
        plan = self.request('POST', f'/v1/cases/{other["id"]}/plans', self.world.worker_a1,
                            body={'effective_on': '2025-03-01'}).json()
        r = self.post(self.new_body(participant_ids=[self.mother['id'], stranger['id']], plan_id=plan['id']))
        p = self.assertInvalid(r, ['participant_ids', 'plan_id'])
        self.assertIn(stranger['id'], ' '.join(e['message'] for e in p['errors']))
        self.assertEqual(self.stored_count(self.case), 0)

    def test_others_present_are_names_with_relationships(self):
        for others in ({'name': 'A', 'relationship': 'pastor'}, [{'name': 'A'}], [{'relationship': 'pastor'}],
                       [{'name': 'A', 'relationship': 'pastor', 'phone': '555'}], [{'name': ' ', 'relationship': 'x'}],
                       [{'name': 'A', 'relationship': 3}], ['A'], [PASTOR] * 51,
                       [{'name': 'A' * 201, 'relationship': 'x'}], [{'name': 'A\nB', 'relationship': 'x'}]):
            with self.subTest(others=str(others)[:60]):
                self.assertInvalid(self.post(self.new_body(others_present=others)), ['others_present'])
        meeting = self.add(others_present=[PASTOR, PROVIDER])
        self.assertEqual(meeting['others_present'], [PASTOR, PROVIDER])
        rows = self.cluster.psql("SELECT position, name, relationship FROM meeting_others"
                                 f" WHERE meeting_id = '{meeting['id']}' ORDER BY position").splitlines()
        self.assertEqual(rows, ['1|Rev. Kim|pastor', '2|J. Ortiz|service provider'])

    def test_a_meeting_is_not_held_in_the_future(self):
        self.assertInvalid(self.post(self.new_body(held_on=days_from_today(1))), ['held_on'])
        self.assertEqual(self.add(held_on=today())['held_on'], today())

    def test_unknown_codes_are_422(self):
        r = self.post(self.new_body(meeting_type='picnic', reason='boredom', recommendation='adopt_a_dog'))
        self.assertInvalid(r, ['meeting_type', 'reason', 'recommendation'])

    # A case the caller cannot see answers 404 to every read and write of its records:
    # AccessTest (CaseRecordAccessMatrix.assertCannotSee) checks it role by role.


class NamedPeopleTest(MeetingTest):
    def test_a_participant_a_live_meeting_names_is_kept_until_the_meeting_goes(self):
        self.assertKeepsWhoItNames(self.add(), [self.mother])


class FieldsTest(MeetingTest):
    def test_every_type_reason_and_recommendation_is_accepted(self):
        for field, values in (('meeting_type', MEETING_TYPES), ('reason', REASONS),
                              ('recommendation', RECOMMENDATIONS)):
            for value in values:
                with self.subTest(field=field, value=value):
                    self.assertEqual(self.add(**{field: value})[field], value)

    def test_the_people_present_are_kept_as_rows_and_answered_sorted(self):
        meeting = self.add(participant_ids=[self.child['id'], self.mother['id']], others_present=[PROVIDER])
        self.assertEqual(meeting['participant_ids'], sorted([self.child['id'], self.mother['id']]))
        rows = self.cluster.psql(f"SELECT participant_id FROM meeting_participants WHERE meeting_id = '{meeting['id']}'"
                                 " ORDER BY 1").split()
        self.assertEqual(rows, meeting['participant_ids'])
        changed = self.patched(meeting, {'participant_ids': [self.mother['id']], 'others_present': []})
        self.assertEqual((changed['participant_ids'], changed['others_present']), ([self.mother['id']], []))
        self.assertEqual(self.cluster.psql(f"SELECT count(*) FROM meeting_others WHERE meeting_id = '{meeting['id']}'").strip(), '0')

    def test_the_plan_it_produced_is_a_plan_of_the_case(self):
        meeting = self.add(plan_id=self.plan['id'], recommendation='maintain_placement', consensus=False)
        self.assertEqual((meeting['plan_id'], meeting['consensus']), (self.plan['id'], False))
        self.assertIsNone(self.patched(meeting, {'plan_id': None})['plan_id'])
