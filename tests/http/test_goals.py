"""Goals of a case plan at /v1/plans/{id}/goals, /v1/goals and /v1/goals/{id},
and their progress notes at /v1/goals/{id}/progress.

A goal is a behaviour-change statement, perhaps for one participant of the
same case, with a target date and a status that moves not_started ->
in_progress -> achieved | not_achieved, or to discontinued. Goals are added
while the plan is a draft; on an active plan only their status and
achieved_on change; a completed or superseded plan's goals, and every goal of
a closed case, are read-only. Progress notes are written once, while the plan
is a draft or active and the case open. Who sees a goal or a note is decided
by its case.
"""
import functools

import harness
from base import MISSING, CaseRecordAccessMatrix, CaseRecordTest, at_once, days_from_today, query, today
from contract import ChildRecordContract, CreateContract, LifecycleContract, ParentContract, PathContract
GOAL_KEYS = {'id', 'plan_id', 'case_id', 'description', 'participant_id', 'target_date', 'status', 'achieved_on',
             'version', 'created_at', 'updated_at'}
NOTE_KEYS = {'id', 'goal_id', 'case_id', 'noted_on', 'note', 'author', 'version', 'created_at', 'updated_at'}
STATUSES = ('not_started', 'in_progress', 'achieved', 'not_achieved', 'discontinued')
NEXT = {'not_started': {'in_progress', 'discontinued'},
        'in_progress': {'achieved', 'not_achieved', 'discontinued'},
        'achieved': set(), 'not_achieved': set(), 'discontinued': set()}
# The path from not_started to each status.
PATH_TO = {'not_started': [], 'in_progress': ['in_progress'], 'achieved': ['in_progress', 'achieved'],
           'not_achieved': ['in_progress', 'not_achieved'], 'discontinued': ['discontinued']}


def new_goal(**fields):
    body = {'description': 'Ms. R will keep the home free of hazards, shown over 3 months of unannounced visits.'}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


class PlanFixture(CaseRecordTest):
    """A case of worker_a1 with a parent and a draft plan, and the requests on
    the records goals and progress notes hang on."""

    def setUp(self):
        super().setUp()
        self.plan = self.new_plan(self.case)

    @functools.cached_property
    def parent(self):
        """A parent of the case, made when a test first needs one."""
        return self.add_participant(self.case)

    def new_plan(self, case, who=None):
        r = self.request('POST', f'/v1/cases/{case["id"]}/plans', who or self.world.administrator, body={})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['status'], 'draft')
        return r.json()

    def set_plan_status(self, plan, status, who=None):
        r = self.request('PATCH', f'/v1/plans/{plan["id"]}', who or self.world.administrator,
                         body={'status': status})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['status'], status)
        return r.json()

    def activate(self, plan, who=None):
        return self.set_plan_status(plan, 'active', who)

    def close_case(self, case):
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', self.world.administrator, body={'status': 'closed'})
        self.assertEqual(r.status, 200, r)

    def add_goal(self, plan=None, who=None, **fields):
        r = self.request('POST', f'/v1/plans/{(plan or self.plan)["id"]}/goals', who or self.world.worker_a1,
                         body=new_goal(**fields))
        self.assertEqual(r.status, 201, r)
        return r.json()

    def move(self, goal, *statuses):
        """Moves the goal through statuses, each a 200; returns the goal after."""
        for status in statuses:
            r = self.request('PATCH', f'/v1/goals/{goal["id"]}', self.world.worker_a1, body={'status': status})
            self.assertEqual(r.status, 200, r)
            goal = r.json()
        return goal

    def post_note(self, goal, body=None, who=None, **kw):
        body = {'note': 'Home visit: floors clear, gate on the stairs.'} if body is None else body
        return self.request('POST', f'/v1/goals/{goal["id"]}/progress', who or self.world.worker_a1, body=body, **kw)

    def add_note(self, goal, who=None, **fields):
        r = self.post_note(goal, dict({'note': harness.unique('Seen')}, **fields), who)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def stored_notes(self, goal):
        return int(self.cluster.psql(f"SELECT count(*) FROM goal_progress WHERE goal_id = '{goal['id']}'"))


class GoalTest(PlanFixture):
    """Goals go under this test's plan unless a test says otherwise."""

    resource_type = 'goal'
    path = list_path = '/v1/goals'
    parent_path, nested, parent_field = '/v1/plans', 'goals', 'plan_id'
    table = 'goals'
    keys = GOAL_KEYS
    required = ('description',)
    not_nullable = ('description', 'status')
    nullable = ('participant_id', 'target_date', 'achieved_on')
    cleared = ('participant_id', 'target_date')
    read_only = ('id', 'plan_id', 'case_id', 'version', 'created_at', 'updated_at')
    text_field = 'description'
    reads_under = ('/history', '/progress')
    invalid_body = {'description': 7, 'participant_id': 'not-a-uuid', 'target_date': '2026-02-30', 'status': 'done',
                    'achieved_on': 'today', 'plan_id': MISSING, 'case_id': MISSING, 'id': MISSING, 'version': 1,
                    'priority': 'high'}
    invalid_patch = {'description': '', 'participant_id': 'x', 'target_date': '2026-13-01', 'status': 'done',
                     'achieved_on': 5}

    def default_parent(self):
        return self.plan

    def make_parent(self, who=None, **case_fields):
        """A draft plan of a new case, both made by who."""
        who = who or self.world.worker_a1
        return self.new_plan(self.create_case(who, **case_fields), who)

    def new_body(self, parent=None, **fields):
        return new_goal(**fields)

    def full_body(self, parent=None):
        return new_goal(description='Mr. R will attend every session.\nHe will tell his worker when he cannot.',
                        participant_id=self.parent['id'], target_date=days_from_today(90), status='not_started')

    def defaults(self, who):
        return {'participant_id': None, 'target_date': None, 'status': 'not_started', 'achieved_on': None}


class NoteTest(PlanFixture):
    """Progress notes of a goal of this test's plan: written once, never changed or deleted."""

    resource_type = 'goal_progress'
    parent_path, nested, parent_field = '/v1/goals', 'progress', 'goal_id'
    path = list_path = None
    table = 'goal_progress'
    keys = NOTE_KEYS
    required = ('note',)
    not_nullable = ('note', 'noted_on')
    nullable = ()
    read_only = ('id', 'goal_id', 'case_id', 'author', 'version', 'created_at', 'updated_at')
    text_field = 'note'
    reads_under = ()
    updatable = deletable = False
    invalid_body = {'note': '', 'noted_on': '2025-13-01', 'author': 'x', 'goal_id': MISSING, 'case_id': MISSING,
                    'id': MISSING, 'version': 1, 'mood': 'good'}

    def setUp(self):
        super().setUp()
        self.goal = self.add_goal(participant_id=self.parent['id'])

    def default_parent(self):
        return self.goal

    def make_parent(self, who=None, **case_fields):
        """A goal of a draft plan of a new case, all made by who."""
        who = who or self.world.worker_a1
        return self.add_goal(self.new_plan(self.create_case(who, **case_fields), who), who)

    def item_path(self, note):
        return f'/v1/goals/{note.get("goal_id", self.goal["id"])}/progress/{note["id"]}'

    def new_body(self, parent=None, **fields):
        return dict({'note': harness.unique('Seen')}, **fields)

    def full_body(self, parent=None):
        return {'note': 'Visited. Stairs gated.\nKitchen clear.', 'noted_on': '2025-12-01'}

    def defaults(self, who):
        return {'noted_on': today(), 'author': who.sub}


class GoalContractTest(ChildRecordContract, LifecycleContract, GoalTest):
    """Statuses move on an active plan, where goals are worked."""

    statuses, moves_from = STATUSES, NEXT

    def record_in(self, status):
        """A goal in status on an active plan of its own case."""
        plan = self.make_parent()
        goal = self.add(plan)
        self.activate(plan)
        return self.move(goal, *PATH_TO[status])

    def records_in_every_status(self):
        plan = self.make_parent()
        goals = {status: self.add(plan) for status in self.statuses}
        self.activate(plan)
        return {status: self.move(goal, *PATH_TO[status]) for status, goal in goals.items()}

    def refused_creates(self, plan):
        other = self.add_participant(self.create_case(self.world.worker_b1))
        refused = [(self.post(new_goal(status='in_progress'), plan), 422),
                   (self.post(new_goal(participant_id=other['id']), plan), 422)]
        self.activate(plan)
        return refused + [(self.post(new_goal(), plan), 409)]

    def refused_patches(self, goal):
        other = self.add_participant(self.create_case(self.world.worker_a1))
        refused = [(self.patch(goal, {'participant_id': other['id']}), 422),
                   (self.patch(goal, {'status': 'achieved'}), 409),
                   (self.patch(goal, {'achieved_on': '2025-01-01'}), 422)]
        self.activate(self.plan)
        return refused + [(self.patch(goal, {'description': 'Fixed now'}), 409)]


class NoteContractTest(CreateContract, PathContract, ParentContract, NoteTest):
    def refused_creates(self, goal):
        return [(self.post_note(goal, {'note': 'x', 'noted_on': days_from_today(2)}), 422)]


class CreateTest(GoalTest):
    def test_target_date_may_be_past_or_future_and_null(self):
        for target in ('2020-01-01', days_from_today(365), None):
            with self.subTest(target_date=target):
                r = self.post(new_goal(target_date=target))
                self.assertEqual(r.status, 201, r)
                self.assertEqual(r.json()['target_date'], target)

    def test_a_goal_starts_as_not_started(self):
        for status in STATUSES[1:]:
            with self.subTest(status=status):
                self.assertInvalid(self.post(new_goal(status=status)), ['status'])
        self.assertInvalid(self.post(new_goal(status='done')), ['status'])
        self.assertInvalid(self.post(new_goal(status=None)), ['status'])
        self.assertEqual(self.stored_count(), 0)

    def test_achieved_on_is_refused_on_a_new_goal(self):
        self.assertInvalid(self.post(new_goal(achieved_on='2025-01-01')), ['achieved_on'])
        r = self.post(new_goal(achieved_on='2025-01-01', status='achieved'))
        self.assertInvalid(r, ['status'])
        r = self.post(new_goal(achieved_on=None))
        self.assertEqual(r.status, 201, r)
        self.assertIsNone(r.json()['achieved_on'])

    def test_description_is_required_free_text_of_at_most_2000_characters(self):
        self.assertInvalid(self.post({}), ['description'])
        for bad in ('', '  \n\t', None, 5, 'x' * 2001, 'bell \x07', 'csi \u009b'):
            with self.subTest(description=bad if not isinstance(bad, str) else bad[:20]):
                self.assertInvalid(self.post(new_goal(description=bad)), ['description'])
        text = 'ü' * 1990 + '\r\n\tend.'
        r = self.post(new_goal(description=text))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['description'], text)

    def test_rule_errors_are_listed_together(self):
        r = self.post(new_goal(participant_id=MISSING, status='in_progress', achieved_on=today()))
        self.assertInvalid(r, ['participant_id', 'status', 'achieved_on'])
        self.assertEqual(self.stored_count(), 0)


class ParticipantReferenceTest(GoalTest):
    def assertRefused(self, participant_id):
        self.assertInvalid(self.post(new_goal(participant_id=participant_id)), ['participant_id'])
        self.assertEqual(self.stored_count(), 0)

    def test_a_participant_of_the_same_case_is_accepted(self):
        child = self.add_participant(self.case, role='child')
        for p in (self.parent, child):
            r = self.post(new_goal(participant_id=p['id']))
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.json()['participant_id'], p['id'])

    def test_a_participant_of_another_visible_case_is_422(self):
        other = self.create_case(self.world.worker_a1)
        stranger = self.add_participant(other)
        self.assertEqual(self.request('GET', f'/v1/participants/{stranger["id"]}', self.world.worker_a1).status, 200)
        self.assertRefused(stranger['id'])

    def test_a_participant_of_a_case_the_caller_cannot_see_is_422(self):
        hidden = self.add_participant(self.create_case(self.world.worker_b1))
        self.assertRefused(hidden['id'])

    def test_a_participant_of_another_case_is_422_even_for_an_administrator(self):
        stranger = self.add_participant(self.create_case(self.world.worker_b1))
        r = self.post(new_goal(participant_id=stranger['id']), who=self.world.administrator)
        self.assertInvalid(r, ['participant_id'])

    def test_an_unknown_participant_is_422(self):
        self.assertRefused(MISSING)
        self.assertRefused(self.case['id'])
        self.assertRefused(self.plan['id'])

    def test_a_deleted_participant_is_422(self):
        gone = self.add_participant(self.case)
        r = self.request('DELETE', f'/v1/participants/{gone["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        self.assertRefused(gone['id'])

    def test_patching_to_a_participant_of_another_case_is_422(self):
        goal = self.add(participant_id=self.parent['id'])
        stranger = self.add_participant(self.create_case(self.world.worker_a1))
        for pid in (stranger['id'], MISSING):
            with self.subTest(participant_id=pid):
                self.assertInvalid(self.patch(goal, {'participant_id': pid}), ['participant_id'])
        self.assertEqual(self.current(goal), goal)

    def test_patching_the_participant_within_the_case_and_clearing_it(self):
        goal = self.add(participant_id=self.parent['id'])
        child = self.add_participant(self.case, role='child')
        r = self.patch(goal, {'participant_id': child['id']})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['participant_id'], child['id'])
        r = self.patch(goal, {'participant_id': None})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json()['participant_id'])


class LifecycleTest(GoalTest):
    """Statuses move on an active plan, where goals are worked."""

    def setUp(self):
        super().setUp()
        self.goals = {status: self.add() for status in STATUSES}
        self.activate(self.plan)
        for status, goal in self.goals.items():
            self.goals[status] = self.move(goal, *PATH_TO[status])
            self.assertEqual(self.goals[status]['status'], status)

    def test_forbidden_move_detail_lists_exactly_the_allowed_statuses(self):
        p = self.assertProblem(self.patch(self.goals['not_started'], {'status': 'achieved'}), 409)
        self.assertIn('in_progress, discontinued', p['detail'])
        self.assertNotIn('not_achieved', p['detail'])
        p = self.assertProblem(self.patch(self.goals['in_progress'], {'status': 'not_started'}), 409)
        self.assertIn('achieved, not_achieved, discontinued', p['detail'])

    def test_achieved_on_is_today_when_achieved_without_one(self):
        goal = self.goals['achieved']
        self.assertEqual(goal['achieved_on'], today())
        self.assertEqual(self.current(goal)['achieved_on'], today())

    def test_achieved_on_may_be_given_when_achieved(self):
        goal = self.goals['in_progress']
        r = self.patch(goal, {'status': 'achieved', 'achieved_on': '2025-11-30'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['status'], r.json()['achieved_on']), ('achieved', '2025-11-30'))
        r = self.patch(r.json(), {'achieved_on': today()})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['achieved_on'], today())

    def test_clearing_achieved_on_of_an_achieved_goal_is_422_and_keeps_the_date(self):
        r = self.patch(self.goals['in_progress'], {'status': 'achieved', 'achieved_on': '2025-11-30'})
        self.assertEqual(r.status, 200, r)
        goal = r.json()
        self.assertInvalid(self.patch(goal, {'achieved_on': None}), ['achieved_on'])
        self.assertEqual(self.current(goal)['achieved_on'], '2025-11-30')

    def test_achieved_on_cannot_be_in_the_future(self):
        goal = self.goals['in_progress']
        r = self.patch(goal, {'status': 'achieved', 'achieved_on': days_from_today(1)})
        self.assertInvalid(r, ['achieved_on'])
        self.assertEqual(self.current(goal), goal)
        r = self.patch(self.goals['achieved'], {'achieved_on': days_from_today(1)})
        self.assertInvalid(r, ['achieved_on'])

    def test_achieved_on_must_be_null_unless_achieved(self):
        for status in ('not_started', 'in_progress'):
            with self.subTest(status=status):
                goal = self.goals[status]
                self.assertInvalid(self.patch(goal, {'achieved_on': '2025-01-01'}), ['achieved_on'])
                self.assertEqual(self.current(goal), goal)
        r = self.patch(self.goals['in_progress'], {'status': 'not_achieved', 'achieved_on': '2025-01-01'})
        self.assertInvalid(r, ['achieved_on'])
        r = self.patch(self.goals['in_progress'], {'status': 'discontinued', 'achieved_on': '2025-01-01'})
        self.assertInvalid(r, ['achieved_on'])
        for status in ('not_achieved', 'discontinued'):
            self.assertIsNone(self.goals[status]['achieved_on'])


class PlanStateTest(GoalTest):
    def test_goals_of_a_draft_plan_change_freely(self):
        goal = self.add(participant_id=self.parent['id'], target_date='2026-06-30')
        r = self.patch(goal, {'description': 'Revised with the family.', 'target_date': '2026-09-30'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['description'], r.json()['target_date']),
                         ('Revised with the family.', '2026-09-30'))
        self.assertEqual(r.json()['participant_id'], self.parent['id'])
        self.assertEqual(r.header('ETag'), '"2"')
        r = self.patch(goal, {'target_date': None, 'participant_id': None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['target_date'], r.json()['participant_id']), (None, None))
        self.assertEqual(r.json()['description'], 'Revised with the family.')
        self.assertEqual(r.json()['version'], 3)

    def test_goals_are_added_only_while_the_plan_is_a_draft(self):
        self.add()
        self.activate(self.plan)
        p = self.assertProblem(self.post(new_goal()), 409)
        self.assertIn('draft', p['detail'])
        self.assertEqual(self.stored_count(), 1)

    def test_no_goals_are_added_to_a_completed_or_superseded_plan(self):
        first = self.activate(self.plan)
        second = self.new_plan(self.case)
        self.activate(second)
        self.assertEqual(self.current_plan(first)['status'], 'superseded')
        self.assertProblem(self.post(new_goal(), first), 409)
        self.set_plan_status(second, 'completed')
        self.assertProblem(self.post(new_goal(), second), 409)
        self.assertEqual(self.stored_count(first) + self.stored_count(second), 0)

    def current_plan(self, plan):
        r = self.request('GET', f'/v1/plans/{plan["id"]}', self.world.administrator)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_on_an_active_plan_only_status_and_achieved_on_change(self):
        goal = self.add(participant_id=self.parent['id'], target_date='2026-06-30')
        self.activate(self.plan)
        other = self.add_participant(self.case)
        self.assertPatchesRefused(goal, ({'description': 'Rewritten'}, {'participant_id': other['id']},
                                         {'participant_id': None}, {'target_date': '2026-12-31'},
                                         {'target_date': None}, {'status': 'in_progress', 'description': 'Rewritten'}))
        r = self.patch(goal, {'status': 'in_progress', 'description': goal['description'],
                              'target_date': goal['target_date']})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['status'], 'in_progress')
        r = self.patch(r.json(), {'status': 'achieved', 'achieved_on': '2026-01-15'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['status'], r.json()['achieved_on']), ('achieved', '2026-01-15'))

    def test_goals_of_a_completed_plan_are_read_only(self):
        goal = self.add()
        self.activate(self.plan)
        goal = self.move(goal, 'in_progress')
        self.set_plan_status(self.plan, 'completed')
        self.assertPatchesRefused(goal, ({'status': 'achieved'}, {'status': 'discontinued'},
                                         {'description': 'Too late'}, {'target_date': '2026-01-01'}),
                                  detail='completed')

    def test_goals_of_a_superseded_plan_are_read_only(self):
        goal = self.add()
        self.activate(self.plan)
        goal = self.move(goal, 'in_progress')
        self.activate(self.new_plan(self.case))
        self.assertPatchesRefused(goal, ({'status': 'achieved'}, {'status': 'not_achieved'}, {'achieved_on': today()}),
                                  detail='superseded')

    def test_goals_of_a_closed_case_are_read_only(self):
        draft_goal = self.add()
        active_plan = self.new_plan(self.case)
        active_goal = self.add(active_plan)
        self.activate(active_plan)
        self.close_case(self.case)
        for goal, bodies in ((draft_goal, ({'description': 'Closed'}, {'status': 'in_progress'})),
                             (active_goal, ({'status': 'in_progress'}, {'status': 'discontinued'}))):
            for body in bodies:
                with self.subTest(goal=goal['id'], body=body):
                    for who in (self.world.worker_a1, self.world.administrator, self.world.integration):
                        p = self.assertProblem(self.patch(goal, body, who=who), 409)
                        self.assertIn('closed', p['detail'])
                    self.assertEqual(self.current(goal), goal)
        self.assertProblem(self.post(new_goal(), self.plan), 409)
        self.assertEqual(self.stored_count(), 1)

    def test_reopening_the_case_makes_goals_writable_again(self):
        goal = self.add()
        self.close_case(self.case)
        self.assertProblem(self.patch(goal, {'description': 'Closed'}), 409)
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', self.world.administrator, body={'status': 'open'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.patch(goal, {'description': 'Reopened'}).status, 200)

    def test_a_patch_that_changes_nothing_answers_a_read_only_goal_as_it_is(self):
        goal = self.add()
        self.close_case(self.case)
        for body in ({}, {'description': goal['description'], 'status': 'not_started'}):
            with self.subTest(body=body):
                r = self.patch(goal, body)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), goal)
        self.assertEqual(self.current(goal), goal)


class DeleteTest(GoalTest):
    def test_a_deleted_goals_progress_notes_leave_every_answer(self):
        w = self.world
        goal = self.add()
        note = self.add_note(goal)
        self.assertEqual(self.delete(goal).status, 204)
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', f'/v1/goals/{goal["id"]}/progress', who), 404)
                self.assertProblem(self.request('GET', f'/v1/goals/{goal["id"]}/progress/{note["id"]}', who), 404)
        self.assertProblem(self.post_note(goal), 404)
        self.assertEqual(self.stored_notes(goal), 1)

    def test_deleting_the_plan_hides_its_goals_progress_notes(self):
        w = self.world
        goal = self.add()
        note = self.add_note(goal)
        r = self.request('DELETE', f'/v1/plans/{self.plan["id"]}', w.administrator)
        self.assertEqual(r.status, 204, r)
        for who in (w.worker_a1, w.administrator, w.auditor):
            with self.subTest(role=who.role):
                self.assertEqual(self.list_ids('/v1/goals', who, case_id=self.case['id']), [])
                self.assertProblem(self.request('GET', f'/v1/goals/{goal["id"]}/progress/{note["id"]}', who), 404)
        self.assertProblem(self.post_note(goal, who=w.administrator), 404)

    def test_deleting_the_case_hides_its_participants_plans_and_goals(self):
        w = self.world
        goal = self.add(participant_id=self.parent['id'])
        r = self.request('DELETE', f'/v1/cases/{self.case["id"]}', w.administrator)
        self.assertEqual(r.status, 204, r)
        for who in (w.worker_a1, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', f'/v1/participants/{self.parent["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/plans/{self.plan["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/goals/{goal["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/plans/{self.plan["id"]}/goals', who), 404)
                self.assertProblem(self.request('GET', f'/v1/goals/{goal["id"]}/progress', who), 404)
                self.assertEqual(self.list_ids('/v1/goals', who, case_id=self.case['id']), [])
                self.assertEqual(self.list_ids('/v1/participants', who, case_id=self.case['id']), [])
        self.assertProblem(self.patch(goal, {'status': 'in_progress'}, who=w.administrator), 404)


class AccessTest(CaseRecordAccessMatrix, GoalTest):
    """The role matrix, with a progress note on worker_a1's and worker_b1's goals."""

    def setUp(self):
        super().setUp()
        w = self.world
        self.n_a1 = self.add_note(self.a1, w.worker_a1)
        self.n_b1 = self.add_note(self.b1, w.worker_b1)

    def filters_of(self, goal):
        return ({'case_id': goal['case_id']}, {'plan_id': goal['plan_id']},
                {'case_id': goal['case_id'], 'plan_id': goal['plan_id'], 'status': goal['status']},
                {'status': goal['status']})

    def assertCannotSee(self, who, goal):
        notes = self.stored_notes(goal)
        super().assertCannotSee(who, goal)
        self.assertProblem(self.post_note(goal, who=who), 404)
        self.assertEqual(self.stored_notes(goal), notes)

    def assertCreates(self, who, goal):
        super().assertCreates(who, goal)
        r = self.post_note(goal, who=who)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['author'], who.sub)

    def test_auditor_writes_no_progress_note(self):
        a = self.world.auditor
        for goal in (self.a1, self.b1):
            with self.subTest(goal=goal['case_id']):
                self.assertProblem(self.post_note(goal, who=a), 403)
                self.assertEqual(self.stored_notes(goal), 1)
        self.assertProblem(self.post_note({'id': MISSING}, who=a), 403)

    def test_invisible_record_answers_exactly_like_a_missing_one(self):
        super().test_invisible_record_answers_exactly_like_a_missing_one()
        w = self.world.worker_a1
        self.assertSameProblem(self.post_note(self.b1, who=w), self.post_note({'id': MISSING}, who=w))

    # -- progress notes ---------------------------------------------------------------
    def test_notes_are_seen_by_whoever_sees_the_goal(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                r = self.request('GET', f'/v1/goals/{self.a1["id"]}/progress/{self.n_a1["id"]}', who)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), self.n_a1)
                self.assertEqual(self.list_ids(f'/v1/goals/{self.a1["id"]}/progress', who), [self.n_a1['id']])
        for who in (w.worker_a2, w.worker_b1, w.supervisor_b):
            with self.subTest(hidden_from=who.sub):
                self.assertProblem(
                    self.request('GET', f'/v1/goals/{self.a1["id"]}/progress/{self.n_a1["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/goals/{self.a1["id"]}/progress', who), 404)

    def test_a_note_is_found_only_under_its_own_goal(self):
        w = self.world
        other = self.add(self.plan)
        for who in (w.worker_a1, w.administrator):
            with self.subTest(role=who.role):
                self.assertProblem(
                    self.request('GET', f'/v1/goals/{other["id"]}/progress/{self.n_a1["id"]}', who), 404)
                self.assertProblem(
                    self.request('GET', f'/v1/goals/{self.a1["id"]}/progress/{self.n_b1["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/goals/{MISSING}/progress/{self.n_a1["id"]}', who), 404)
                self.assertProblem(self.request('GET', f'/v1/goals/{self.a1["id"]}/progress/{MISSING}', who), 404)


class ListTest(GoalTest):
    def make(self, n, plan=None, who=None):
        return [self.add(plan, who) for _ in range(n)]

    def test_status_filter(self):
        a, b, c = self.make(3)
        self.activate(self.plan)
        self.move(a, 'in_progress')
        self.move(c, 'discontinued')
        w = self.world.worker_a1
        path = f'/v1/plans/{self.plan["id"]}/goals'
        self.assertEqual(self.list_ids(path, w, status='in_progress'), [a['id']])
        self.assertEqual(self.list_ids(path, w, status='not_started'), [b['id']])
        self.assertEqual(self.list_ids(path, w, status='achieved'), [])
        self.assertEqual(self.list_ids('/v1/goals', w, status='discontinued'), [c['id']])

    def test_case_and_plan_filters_of_the_cross_case_list(self):
        w = self.world.supervisor_a
        here = self.make(2)
        second_plan = self.new_plan(self.case)
        there = self.make(1, second_plan)
        other_case = self.create_case(self.world.worker_a2)
        elsewhere = self.make(1, self.new_plan(other_case), self.world.worker_a2)
        ids = lambda goals: [g['id'] for g in goals]  # noqa: E731
        self.assertEqual(self.list_ids('/v1/goals', w, case_id=self.case['id']), ids(here + there))
        self.assertEqual(self.list_ids('/v1/goals', w, plan_id=self.plan['id']), ids(here))
        self.assertEqual(self.list_ids('/v1/goals', w, plan_id=second_plan['id']), ids(there))
        self.assertEqual(self.list_ids('/v1/goals', w, case_id=other_case['id']), ids(elsewhere))
        self.assertEqual(self.list_ids('/v1/goals', w, case_id=other_case['id'], plan_id=self.plan['id']), [])
        self.assertEqual(self.list_ids('/v1/goals', w, case_id=self.case['id'], status='achieved'), [])
        self.assertEqual(self.list_ids('/v1/goals', w, plan_id=MISSING), [])

    def test_bad_filters_are_422(self):
        w = self.world.worker_a1
        nested = self.nested_path(self.plan)
        for path in (nested, self.list_path):
            for params, fields in (('status=done', ['status']), ('role=child', ['role']),
                                   ('status=x&limit=-1&nope=1', ['status', 'limit', 'nope'])):
                with self.subTest(path=path, params=params):
                    self.assertProblem(self.request('GET', f'{path}?{params}', w), 422, fields)
        self.assertProblem(self.request('GET', f'{self.list_path}?case_id=abc', w), 422, ['case_id'])
        self.assertProblem(self.request('GET', f'{nested}?case_id={self.case["id"]}', w), 422, ['case_id'])


class ProgressTest(NoteTest):
    def test_the_author_is_the_caller(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a, w.integration, w.administrator):
            with self.subTest(role=who.role):
                self.assertEqual(self.add_note(self.goal, who)['author'], who.sub)
        self.assertInvalid(self.post_note(self.goal, {'note': 'x', 'author': 'someone-else'}), ['author'])

    def test_noted_on_may_be_given_and_not_in_the_future(self):
        self.assertEqual(self.add_note(self.goal, noted_on='2025-12-01')['noted_on'], '2025-12-01')
        self.assertEqual(self.add_note(self.goal, noted_on=today())['noted_on'], today())
        self.assertInvalid(self.post_note(self.goal, {'note': 'x', 'noted_on': days_from_today(1)}), ['noted_on'])
        for bad in (None, '2025-02-29', 'today', 20250101):
            with self.subTest(noted_on=bad):
                self.assertInvalid(self.post_note(self.goal, {'note': 'x', 'noted_on': bad}), ['noted_on'])
        self.assertEqual(self.stored_notes(self.goal), 2)

    def test_note_is_required_free_text_of_at_most_10000_characters(self):
        self.assertInvalid(self.post_note(self.goal, {}), ['note'])
        for bad in ('', ' \n ', None, 12, 'n' * 10001, 'esc \x1b[2J'):
            with self.subTest(note=bad if not isinstance(bad, str) else bad[:20]):
                self.assertInvalid(self.post_note(self.goal, {'note': bad}), ['note'])
        text = 'ñ' * 9990 + '\r\n\tdone.'
        self.assertEqual(self.add_note(self.goal, note=text)['note'], text)
        self.assertEqual(self.stored_notes(self.goal), 1)

    def test_list_is_oldest_first_and_pages_through_every_note_once(self):
        notes = [self.add_note(self.goal) for _ in range(5)]
        self.add_note(self.add_goal())
        path = f'/v1/goals/{self.goal["id"]}/progress'
        r = self.request('GET', path, self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'items': notes, 'next_cursor': None})
        for limit in (1, 2, 4, 5):
            with self.subTest(limit=limit):
                self.assertEqual(self.list_all(path, self.world.worker_a1, limit=limit), notes)
        r = self.request('GET', query(path, limit=2), self.world.worker_a1)
        self.assertEqual(len(r.json()['items']), 2)
        self.assertIsNotNone(r.json()['next_cursor'])

    def test_list_of_a_goal_without_notes_is_empty(self):
        r = self.request('GET', f'/v1/goals/{self.goal["id"]}/progress', self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})

    def test_bad_list_parameters_are_422(self):
        path = f'/v1/goals/{self.goal["id"]}/progress'
        self.add_goal()
        goals_cursor = self.request('GET', '/v1/goals?limit=1', self.world.administrator).json()['next_cursor']
        for params, fields in (('limit=0', ['limit']), ('limit=501', ['limit']), ('cursor=abc', ['cursor']),
                               (f'cursor={goals_cursor}', ['cursor']), ('status=x', ['status']),
                               ('updated_since=2026-01-01T00:00:00Z', ['updated_since'])):
            with self.subTest(params=params):
                self.assertProblem(self.request('GET', f'{path}?{params}', self.world.worker_a1), 422, fields)

    def test_notes_are_written_on_draft_and_active_plans_whatever_the_goal_status(self):
        self.add_note(self.goal)
        self.activate(self.plan)
        self.add_note(self.goal)
        goal = self.move(self.goal, 'in_progress', 'achieved')
        self.add_note(goal)
        self.assertEqual(self.stored_notes(self.goal), 3)

    def test_notes_are_refused_once_the_plan_is_completed(self):
        self.activate(self.plan)
        self.set_plan_status(self.plan, 'completed')
        p = self.assertProblem(self.post_note(self.goal), 409)
        self.assertIn('completed', p['detail'])
        self.assertEqual(self.stored_notes(self.goal), 0)

    def test_notes_are_refused_once_the_plan_is_superseded(self):
        self.activate(self.plan)
        self.activate(self.new_plan(self.case))
        p = self.assertProblem(self.post_note(self.goal), 409)
        self.assertIn('superseded', p['detail'])
        self.assertEqual(self.stored_notes(self.goal), 0)

    def test_notes_are_refused_while_the_case_is_closed(self):
        note = self.add_note(self.goal)
        self.close_case(self.case)
        for who in (self.world.worker_a1, self.world.administrator):
            p = self.assertProblem(self.post_note(self.goal, who=who), 409)
            self.assertIn('closed', p['detail'])
        self.assertEqual(self.stored_notes(self.goal), 1)
        r = self.request('GET', self.item_path(note), self.world.worker_a1)
        self.assertEqual(r.json(), note)
        self.assertEqual(self.list_ids(f'/v1/goals/{self.goal["id"]}/progress', self.world.worker_a1), [note['id']])

    def test_a_note_refused_for_its_fields_is_not_stored_on_a_closed_case_either(self):
        self.close_case(self.case)
        self.assertInvalid(self.post_note(self.goal, {'note': ''}), ['note'])
        self.assertEqual(self.stored_notes(self.goal), 0)


class ConcurrencyTest(GoalTest):
    def test_concurrent_moves_to_different_final_statuses_leave_exactly_one(self):
        goal = self.add()
        self.activate(self.plan)
        goal = self.move(goal, 'in_progress')
        finals = ['achieved', 'not_achieved', 'discontinued']
        results = at_once(3, lambda i: self.patch(goal, {'status': finals[i]}))
        self.assertEqual(sorted(r.status for r in results), [200, 409, 409], results)
        winner = next(r.json() for r in results if r.status == 200)
        self.assertEqual(self.current(goal), winner)
        self.assertEqual(winner['version'], 3)
        self.assertEqual([row['action'] for row in self.audit_rows(goal)], ['create', 'update', 'update'])

    def test_goals_added_while_the_plan_is_activated_are_added_before_it_or_refused(self):
        def work(i):
            if i == 0:
                return self.request('PATCH', f'/v1/plans/{self.plan["id"]}', self.world.supervisor_a,
                                    body={'status': 'active'})
            return self.post(new_goal(description=f'Goal {i}'))
        results = at_once(6, work)
        self.assertEqual(results[0].status, 200, results[0])
        self.assertTrue(all(r.status in (201, 409) for r in results[1:]), results)
        created = sorted(r.json()['id'] for r in results[1:] if r.status == 201)
        self.assertEqual(sorted(self.list_ids(f'/v1/plans/{self.plan["id"]}/goals', self.world.worker_a1)), created)
        self.assertEqual(self.stored_count(), len(created))


class AuditTest(GoalTest):
    def test_status_moves_are_audited_with_the_date_they_stamp(self):
        goal = self.add(target_date='2026-08-01')
        self.activate(self.plan)
        self.move(goal, 'in_progress', 'achieved')
        rows = self.audit_rows(goal)
        self.assertEqual([row['action'] for row in rows], ['create', 'update', 'update'])
        self.assertEqual((rows[1]['before'], rows[1]['after']), ({'status': 'not_started'}, {'status': 'in_progress'}))
        self.assertEqual((rows[2]['before'], rows[2]['after']),
                         ({'status': 'in_progress', 'achieved_on': None},
                          {'status': 'achieved', 'achieved_on': today()}))
