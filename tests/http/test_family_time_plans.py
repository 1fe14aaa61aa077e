"""Family-time plans at /v1/cases/{id}/family-time-plans, /v1/family-time-plans and
/v1/family-time-plans/{id}.

A family-time plan says how often (visits_per_month, 1 to 62), how long
(minutes_per_visit) and how supervised (supervised, monitored, unsupervised,
overnight) a child's time with some of the parents or relatives of the case is,
from effective_on to ended_on (open when null). child_id names a child of the
plan's case; person_ids 1 to 20 of its parents or relatives, answered sorted. A
child has one plan in force per set of people at a time: a new plan for the same
people ends the one in force the day before it takes effect, in the same
transaction (so the progression supervised -> unsupervised -> overnight is a
chain of plans, each end in the field history); a plan that would overlap
another for the same people otherwise is 409. Who sees a plan is decided by its
case; merge patch with If-Match, soft delete for administrators, an audit row
for every change.
"""
import functools

from base import MISSING, CaseRecordAccessMatrix, CaseRecordTest
from contract import ChildRecordContract

PLAN_KEYS = {'id', 'case_id', 'child_id', 'person_ids', 'visits_per_month', 'minutes_per_visit', 'supervision',
             'effective_on', 'ended_on', 'notes', 'version', 'created_at', 'updated_at'}
SUPERVISION = ('supervised', 'monitored', 'unsupervised', 'overnight')


class FamilyTimePlanTest(CaseRecordTest):
    """A case of worker_a1 with a child, a mother and a father."""

    resource_type = 'family_time_plan'
    path = list_path = '/v1/family-time-plans'
    nested = 'family-time-plans'
    table = 'family_time_plans'
    keys = PLAN_KEYS
    required = ('child_id', 'person_ids', 'visits_per_month', 'supervision', 'effective_on')
    not_nullable = required
    nullable = ('minutes_per_visit', 'ended_on', 'notes')
    text_field = 'notes'
    family = (('child', 'Ava'), ('parent', 'Mia'))
    id_lists = ('person_ids',)
    invalid_body = {'child_id': 'Ava', 'person_ids': [], 'visits_per_month': 0, 'minutes_per_visit': 1441,
                    'supervision': 'none', 'effective_on': '2025-02-30', 'ended_on': 'soon', 'notes': 7,
                    'id': MISSING, 'case_id': MISSING, 'version': 1, 'created_at': '2026-01-01T00:00:00Z',
                    'updated_at': '2026-01-01T00:00:00Z', 'colour': 'blue'}
    invalid_patch = {'child_id': 5, 'person_ids': 'mother', 'visits_per_month': -1, 'minutes_per_visit': 0,
                     'supervision': 'strict', 'effective_on': '2025-13-01', 'ended_on': 20250101, 'notes': ''}

    def setUp(self):
        super().setUp()
        self.child, self.mother = self.family_of()

    @functools.cached_property
    def father(self):
        return self.add_participant(self.case, role='parent', first_name='Ned')

    @functools.cached_property
    def grandmother(self):
        return self.add_participant(self.case, role='relative', first_name='Gran')

    def new_body(self, parent=None, **fields):
        """A weekly plan of the case's child with a relative of its own (made for it, unless
        fields name the people), so that plans made one after another never collide."""
        case = parent or self.case
        child, mother = self.family_of(case)
        if 'person_ids' not in fields:
            r = self.request('POST', f'/v1/cases/{case["id"]}/participants', self.world.administrator,
                             body={'first_name': 'Kin', 'last_name': 'R', 'role': 'relative'})
            fields['person_ids'] = [r.json()['id'] if r.status == 201 else mother['id']]
        body = {'child_id': child['id'], 'visits_per_month': 4, 'supervision': 'supervised',
                'effective_on': '2025-01-01'}
        body.update(fields)
        return {k: v for k, v in body.items() if v is not ...}

    def full_body(self, parent=None):
        return self.new_body(parent, person_ids=[self.mother['id'], self.father['id']], visits_per_month=8,
                             minutes_per_visit=120, supervision='monitored', effective_on='2025-03-01',
                             ended_on='2025-08-31', notes='At the agency, then in the community.\nTwice a week.')

    def defaults(self, who):
        return {'minutes_per_visit': None, 'ended_on': None, 'notes': None}

    def plans_of(self, child):
        """(effective_on, ended_on, visits_per_month) of child's plans, as listed."""
        items = self.list_all(f'/v1/cases/{self.case["id"]}/family-time-plans', self.world.worker_a1)
        return sorted((p['effective_on'], p['ended_on'], p['visits_per_month'])
                      for p in items if p['child_id'] == child['id'])


class ContractTest(ChildRecordContract, FamilyTimePlanTest):
    def refused_creates(self, case):
        child, mother = self.family_of(case)
        stranger = self.add_participant(self.create_case(self.world.worker_a1), role='parent')
        foster = self.add_participant(case, role='foster_parent')
        return [(self.post(self.new_body(case, person_ids=[stranger['id']]), case), 422),
                (self.post(self.new_body(case, person_ids=[foster['id']]), case), 422),
                (self.post(self.new_body(case, child_id=mother['id'], person_ids=[child['id']]), case), 422),
                (self.post(self.new_body(case, effective_on='2025-05-01', ended_on='2025-04-30'), case), 422)]

    def refused_patches(self, plan):
        foster = self.add_participant(self.case, role='foster_parent')
        return [(self.patch(plan, {'person_ids': [foster['id']]}), 422),
                (self.patch(plan, {'child_id': self.mother['id']}), 422),
                (self.patch(plan, {'ended_on': '2024-12-31'}), 422),
                (self.patch(plan, {'person_ids': [i.upper() for i in plan['person_ids']]}), 200)]


class AccessTest(CaseRecordAccessMatrix, FamilyTimePlanTest):
    def filters_of(self, plan):
        return ({'case_id': plan['case_id']}, {'child_id': plan['child_id']},
                {'case_id': plan['case_id'], 'child_id': plan['child_id']})


class BadInputTest(FamilyTimePlanTest):
    def test_people_of_another_case_are_422(self):
        other = self.create_case(self.world.worker_a1)
        stranger_child, stranger_parent = self.family_of(other)
        r = self.post(self.new_body(child_id=stranger_child['id'], person_ids=[stranger_parent['id']]))
        p = self.assertInvalid(r, ['child_id', 'person_ids'])
        self.assertIn(stranger_parent['id'], ' '.join(e['message'] for e in p['errors']))
        self.assertEqual(self.stored_count(self.case), 0)

    def test_the_child_must_be_a_child_and_the_people_parents_or_relatives(self):
        foster = self.add_participant(self.case, role='foster_parent')
        caregiver = self.add_participant(self.case, role='caregiver')
        sibling = self.add_participant(self.case, role='child')
        for body, fields in ((self.new_body(person_ids=[foster['id']]), ['person_ids']),
                             (self.new_body(person_ids=[self.mother['id'], caregiver['id']]), ['person_ids']),
                             (self.new_body(person_ids=[sibling['id']]), ['person_ids']),
                             (self.new_body(person_ids=[self.child['id']]), ['person_ids']),
                             (self.new_body(child_id=self.mother['id'], person_ids=[self.father['id']]), ['child_id']),
                             (self.new_body(child_id=MISSING), ['child_id'])):
            with self.subTest(body=body):
                self.assertInvalid(self.post(body), fields)
        self.assertEqual(self.stored_count(self.case), 0)
        self.assertEqual(self.add(person_ids=[self.grandmother['id']])['person_ids'], [self.grandmother['id']])

    def test_zero_or_negative_visits_and_an_end_before_the_start_are_422(self):
        for fields, bad in (({'visits_per_month': 0}, ['visits_per_month']),
                            ({'visits_per_month': -4}, ['visits_per_month']),
                            ({'visits_per_month': 63}, ['visits_per_month']),
                            ({'ended_on': '2024-12-31'}, ['ended_on']),
                            ({'supervision': 'hourly'}, ['supervision'])):
            with self.subTest(fields=fields):
                self.assertInvalid(self.post(self.new_body(**fields)), bad)

    def test_every_bad_field_at_once_including_the_rules_across_fields(self):
        foster = self.add_participant(self.case, role='foster_parent')
        r = self.post(self.new_body(child_id=self.mother['id'], person_ids=[foster['id']], visits_per_month=0,
                                    supervision='none'))
        self.assertInvalid(r, ['visits_per_month', 'supervision'])
        r = self.post(self.new_body(child_id=self.mother['id'], person_ids=[foster['id']],
                                    effective_on='2025-05-01', ended_on='2025-04-01'))
        self.assertInvalid(r, ['child_id', 'person_ids', 'ended_on'])

    # A case the caller cannot see answers 404 to every read and write of its records:
    # AccessTest (CaseRecordAccessMatrix.assertCannotSee) checks it role by role.


class ChainTest(FamilyTimePlanTest):
    def with_mother(self, **fields):
        """A plan of the child with the mother (new_body's are with someone new)."""
        return self.add(**dict({'person_ids': [self.mother['id']]}, **fields))

    def body_with_mother(self, **fields):
        return self.new_body(**dict({'person_ids': [self.mother['id']]}, **fields))

    def test_a_new_plan_for_the_same_people_ends_the_one_in_force_the_day_before(self):
        weekly = self.add(person_ids=[self.mother['id'], self.father['id']], effective_on='2025-01-01')
        twice = self.add(person_ids=[self.father['id'], self.mother['id']], effective_on='2025-03-15',
                         visits_per_month=8, supervision='unsupervised')
        overnight = self.add(person_ids=[self.mother['id'], self.father['id']], effective_on='2025-06-01',
                             visits_per_month=8, supervision='overnight')
        self.assertEqual(self.current(weekly)['ended_on'], '2025-03-14')
        self.assertEqual(self.current(weekly)['version'], 2)
        self.assertEqual(self.current(twice)['ended_on'], '2025-05-31')
        self.assertIsNone(overnight['ended_on'])
        # Each end is in the field history, in the name of whoever made the next plan.
        r = self.request('GET', f'/v1/family-time-plans/{weekly["id"]}/history', self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(e['value'], e['by']) for e in r.json()['fields']['ended_on']],
                         [(None, self.world.worker_a1.sub), ('2025-03-14', self.world.worker_a1.sub)])
        rows = self.audit_rows(twice)
        self.assertEqual([row['action'] for row in rows], ['create', 'update'])

    def test_plans_with_other_people_stand_side_by_side(self):
        self.add(person_ids=[self.mother['id']], effective_on='2025-01-01')
        self.add(person_ids=[self.father['id']], effective_on='2025-02-01')
        self.add(person_ids=[self.mother['id'], self.father['id']], effective_on='2025-03-01')
        self.assertEqual(self.plans_of(self.child), [('2025-01-01', None, 4), ('2025-02-01', None, 4),
                                                     ('2025-03-01', None, 4)])

    def test_an_overlap_that_is_no_successor_is_409_and_writes_nothing(self):
        first = self.with_mother(effective_on='2025-03-01')
        for fields in ({'effective_on': '2025-03-01'}, {'effective_on': '2025-02-01'},
                       {'effective_on': '2025-01-01', 'ended_on': '2025-03-01'}):
            with self.subTest(fields=fields):
                self.assertProblem(self.post(self.body_with_mother(**fields)), 409)
        self.assertUnchanged(first)
        earlier = self.with_mother(effective_on='2025-01-01', ended_on='2025-02-28')
        self.assertProblem(self.patch(earlier, {'ended_on': '2025-03-05'}), 409)
        self.assertEqual(self.current(earlier)['ended_on'], '2025-02-28')

    def test_of_concurrent_new_plans_for_one_day_exactly_one_is_made(self):
        self.with_mother(effective_on='2025-01-01')
        self.raced_creates([self.body_with_mother(effective_on='2025-06-01', visits_per_month=i + 1) for i in range(4)])
        self.assertEqual(len(self.plans_of(self.child)), 2)
        self.assertEqual(self.plans_of(self.child)[0][1], '2025-05-31')

    def test_a_deleted_plan_is_neither_ended_nor_in_the_way(self):
        first = self.with_mother(effective_on='2025-01-01')
        self.assertEqual(self.delete(first).status, 204)
        second = self.with_mother(effective_on='2025-01-01')
        self.assertIsNone(second['ended_on'])
        self.assertEqual(self.cluster.psql(f"SELECT ended_on IS NULL FROM family_time_plans WHERE id = '{first['id']}'").strip(), 't')


class NamedPeopleTest(FamilyTimePlanTest):
    def test_a_child_or_person_a_live_plan_names_is_kept_until_the_plan_goes(self):
        self.assertKeepsWhoItNames(self.add(person_ids=[self.mother['id']]), [self.child, self.mother])


class FieldsTest(FamilyTimePlanTest):
    def test_every_supervision_level_is_accepted(self):
        for i, level in enumerate(SUPERVISION):
            with self.subTest(level=level):
                self.assertEqual(self.add(supervision=level, effective_on=f'202{i}-01-01',
                                          ended_on=f'202{i}-12-31')['supervision'], level)

    def test_people_are_answered_sorted_and_kept_as_rows(self):
        plan = self.add(person_ids=[self.mother['id'], self.father['id'], self.grandmother['id']])
        self.assertEqual(plan['person_ids'], sorted([self.mother['id'], self.father['id'], self.grandmother['id']]))
        rows = self.cluster.psql(f"SELECT participant_id FROM family_time_plan_people WHERE plan_id = '{plan['id']}'"
                                 " ORDER BY 1").split()
        self.assertEqual(rows, plan['person_ids'])

    def test_lists_filter_by_child(self):
        sibling = self.add_participant(self.case, role='child')
        mine = self.add()
        theirs = self.add(child_id=sibling['id'])
        self.assertEqual(self.list_ids('/v1/family-time-plans', self.world.worker_a1, child_id=self.child['id']),
                         [mine['id']])
        self.assertEqual(self.list_ids(f'/v1/cases/{self.case["id"]}/family-time-plans', self.world.worker_a1,
                                       child_id=sibling['id']), [theirs['id']])
