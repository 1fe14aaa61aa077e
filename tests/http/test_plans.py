"""Case plans: created as drafts, approved (made active) by a supervisor of the
case's unit, an administrator or an integration, superseded by the next
approved plan, completed when the work under them ends.

Covers the review date default, the lifecycle and who may drive it, at most one
active plan per case under racing activations, closed cases, validation, merge
patch with If-Match, soft delete, the audit trail, and every role's view of
/v1/plans/{id}, /v1/cases/{id}/plans and the cross-case /v1/plans.
"""
import calendar
import datetime
import os
import subprocess
import threading
import time

import harness
from base import MISSING, CaseRecordAccessMatrix, CaseRecordTest, Persona, at_once, query, today
from contract import ChildRecordContract
PLAN_KEYS = {'id', 'case_id', 'status', 'effective_on', 'review_due_on', 'family_participated', 'strengths',
             'needs', 'approved_by', 'approved_at', 'version', 'created_at', 'updated_at'}
TIMESTAMP = r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$'
STATUSES = ('draft', 'active', 'completed', 'superseded')


def six_months_after(text):
    """effective_on + 6 months, the day clamped to the end of a shorter month."""
    d = datetime.date.fromisoformat(text)
    index = d.year * 12 + d.month - 1 + 6
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(d.day, calendar.monthrange(year, month)[1])).isoformat()


class PlanTest(CaseRecordTest):
    """A case of worker_a1, where plans go unless a test says otherwise."""

    resource_type = 'plan'
    path = list_path = '/v1/plans'
    nested = table = 'plans'
    keys = PLAN_KEYS
    not_nullable = ('status', 'effective_on', 'review_due_on', 'family_participated')
    nullable = ('strengths', 'needs')
    read_only = ('id', 'case_id', 'approved_by', 'approved_at', 'version', 'created_at', 'updated_at')
    text_field = 'needs'
    invalid_body = {'status': 'approved', 'effective_on': '2026-02-30', 'review_due_on': 20260801,
                    'family_participated': 'yes', 'strengths': 's' * 10001, 'needs': ['housing'],
                    'approved_by': 'someone', 'approved_at': '2026-01-01T00:00:00Z', 'id': MISSING,
                    'case_id': MISSING, 'version': 1, 'goals': []}
    invalid_patch = {'status': 'open', 'effective_on': '2026-02-29', 'review_due_on': None,
                     'family_participated': 'no', 'strengths': 'x' * 10001, 'needs': 3, 'approved_at': None,
                     'version': 7, 'colour': 'red'}

    def new_body(self, parent=None, **fields):
        return fields

    def full_body(self, parent=None):
        return {'status': 'draft', 'effective_on': '2026-02-01', 'review_due_on': '2026-05-15',
                'family_participated': True, 'strengths': 'Extended family nearby.\nMother attends every visit.',
                'needs': 'Stable housing;\tchildcare'}

    def defaults(self, who):
        return {'status': 'draft', 'effective_on': today(), 'review_due_on': six_months_after(today()),
                'family_participated': False, 'strengths': None, 'needs': None, 'approved_by': None,
                'approved_at': None}

    def activate(self, plan, who=None, **kw):
        r = self.patch(plan, {'status': 'active'}, who or self.world.supervisor_a, **kw)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['status'], 'active')
        return r.json()

    def statuses(self, case):
        """{plan id: status} of every plan of the case, as an administrator lists them."""
        return {p['id']: p['status'] for p in self.list_all(f'/v1/cases/{case["id"]}/plans',
                                                             self.world.administrator)}

    def stored_active_count(self, case):
        return int(self.cluster.psql(
            f"SELECT count(*) FROM plans WHERE case_id = '{case['id']}' AND status = 'active' "
            "AND deleted_at IS NULL").strip())

    def close_case(self, case):
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', self.world.worker_a1,
                         body={'status': 'closed', 'closure_reason': 'Services completed'})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assertNoPlans(self, case):
        self.assertEqual(self.stored_count(case), 0)


class ContractTest(ChildRecordContract, PlanTest):
    def refused_patches(self, plan):
        return [(self.patch(plan, {'status': 'active'}, self.world.worker_a1), 403),
                (self.patch(plan, {'status': 'completed'}, self.world.supervisor_a), 409),
                (self.patch(plan, {'review_due_on': '2000-01-01'}), 422)]


# -- creating -----------------------------------------------------------------------
class CreatePlanTest(PlanTest):
    def test_review_due_on_defaults_to_six_months_after_effective_on(self):
        for effective, review in (('2026-01-15', '2026-07-15'), ('2026-08-31', '2027-02-28'),
                                  ('2027-08-31', '2028-02-29'), ('2026-03-31', '2026-09-30'),
                                  ('2026-12-31', '2027-06-30'), ('2026-07-01', '2027-01-01'),
                                  ('2024-02-29', '2024-08-29')):
            with self.subTest(effective_on=effective):
                plan = self.add(self.case, effective_on=effective)
                self.assertEqual(plan['review_due_on'], review)
                self.assertEqual(six_months_after(effective), review)

    def test_a_default_review_date_is_always_one_the_api_accepts_back(self):
        # Dates run from 1900 to 2100; six months after a late-2100 effective
        # date would leave that range. The service must refuse such a plan (422)
        # or answer a review date a client can send back unchanged.
        for effective in ('2100-07-01', '2100-12-31'):
            with self.subTest(effective_on=effective):
                r = self.post({'effective_on': effective}, self.case)
                if r.status == 422:
                    p = self.assertProblem(r, 422)
                    self.assertLessEqual({e['field'] for e in p['errors']}, {'effective_on', 'review_due_on'}, p)
                    continue
                self.assertEqual(r.status, 201, r)
                plan = r.json()
                self.assertLessEqual(plan['review_due_on'], '2100-12-31', plan)
                r = self.patch(plan, {'review_due_on': plan['review_due_on'], 'needs': 'Housing'})
                self.assertEqual(r.status, 200, r)

    def test_review_due_on_may_equal_but_not_precede_effective_on(self):
        self.assertInvalid(self.post({'effective_on': '2026-05-01', 'review_due_on': '2026-04-30'}, self.case),
                           ['review_due_on'])
        self.assertInvalid(self.post({'review_due_on': '2000-01-01'}, self.case), ['review_due_on'])
        self.assertNoPlans(self.case)
        plan = self.add(self.case, effective_on='2026-05-01', review_due_on='2026-05-01')
        self.assertEqual(plan['review_due_on'], '2026-05-01')
        plan = self.add(self.case, review_due_on=today())
        self.assertEqual((plan['effective_on'], plan['review_due_on']), (today(), today()))

    def test_a_plan_is_created_only_as_a_draft(self):
        for status in ('active', 'completed', 'superseded'):
            with self.subTest(status=status):
                for who in (self.world.worker_a1, self.world.supervisor_a, self.world.administrator,
                            self.world.integration):
                    self.assertInvalid(self.post({'status': status}, self.case, who), ['status'])
        self.assertNoPlans(self.case)
        self.assertEqual(self.add(self.case, status='draft')['status'], 'draft')

    def test_rule_errors_are_listed_together(self):
        r = self.post({'status': 'active', 'effective_on': '2026-05-01', 'review_due_on': '2026-04-01'}, self.case)
        self.assertInvalid(r, ['status', 'review_due_on'])
        self.assertNoPlans(self.case)

    def test_wrong_types(self):
        for field, value in (('status', 1), ('status', ['draft']), ('effective_on', 20260101),
                             ('effective_on', {'y': 2026}), ('review_due_on', True),
                             ('family_participated', 'true'), ('family_participated', 1),
                             ('family_participated', 0), ('family_participated', [True]),
                             ('strengths', 5), ('strengths', {'text': 'x'}), ('needs', False), ('needs', 1.5)):
            with self.subTest(field=field, value=value):
                self.assertInvalid(self.post({field: value}, self.case), [field])
        self.assertNoPlans(self.case)

    def test_bad_status_enum(self):
        for value in ('approved', 'Draft', 'DRAFT', 'draft ', '', 'closed'):
            with self.subTest(status=value):
                self.assertInvalid(self.post({'status': value}, self.case), ['status'])
        self.assertNoPlans(self.case)

    def test_impossible_dates(self):
        for value in ('2026-02-30', '2025-02-29', '2026-13-01', '2026-04-31', '2026-00-10', '2026-1-1',
                      '2026/01/01', '2026-01-01T00:00:00Z', '', '1899-12-31', '2101-01-01', ' 2026-01-01'):
            for field in ('effective_on', 'review_due_on'):
                with self.subTest(field=field, value=value):
                    self.assertInvalid(self.post({field: value}, self.case), [field])
        self.assertNoPlans(self.case)

    def test_over_long_text(self):
        for field in ('strengths', 'needs'):
            with self.subTest(field=field):
                self.assertInvalid(self.post({field: 'x' * 10001}, self.case), [field])
                self.assertInvalid(self.post({field: '\u00e9' * 10001}, self.case), [field])
                plan = self.add(self.case, **{field: '\u00e9' * 10000})
                self.assertEqual(plan[field], '\u00e9' * 10000)
                self.assertInvalid(self.patch(plan, {field: 'y' * 10001}), [field])
                self.assertEqual(self.current(plan), plan)

    def test_blank_text_is_refused(self):
        for value in ('', '   ', '\n\t'):
            with self.subTest(value=value):
                self.assertInvalid(self.post({'strengths': value, 'needs': value}, self.case), ['strengths', 'needs'])
        self.assertNoPlans(self.case)


class LifecycleTest(PlanTest):
    def setUp(self):
        super().setUp()
        self.plan = self.add(self.case, strengths='Strong kin network')

    def test_supervisor_of_the_unit_activates_a_draft_and_the_approval_is_stamped(self):
        s = self.world.supervisor_a
        before = time.time()
        r = self.patch(self.plan, {'status': 'active'}, s)
        self.assertEqual(r.status, 200, r)
        plan = r.json()
        self.assertEqual(plan['status'], 'active')
        self.assertEqual(plan['approved_by'], s.sub)
        self.assertRegex(plan['approved_at'], TIMESTAMP)
        approved = datetime.datetime.strptime(plan['approved_at'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(
            tzinfo=datetime.timezone.utc).timestamp()
        self.assertLess(abs(approved - before), 120)
        self.assertEqual(plan['version'], 2)
        self.assertEqual(r.header('ETag'), '"2"')
        self.assertEqual(plan['strengths'], 'Strong kin network')
        self.assertEqual(self.current(self.plan), plan)

    def test_administrator_and_integration_activate_plans_in_any_unit(self):
        w = self.world
        case_b = self.create_case(w.worker_b1)
        for who in (w.administrator, w.integration):
            for case in (self.case, case_b):
                with self.subTest(role=who.role, unit=case['unit']):
                    plan = self.activate(self.add(case, w.administrator), who)
                    self.assertEqual(plan['approved_by'], who.sub)

    def test_caseworkers_may_not_activate_even_on_their_own_case(self):
        w = self.world
        self.assertProblem(self.patch(self.plan, {'status': 'active'}, w.worker_a1), 403)
        self.assertUnchanged(self.plan)
        self.assertProblem(self.patch(self.plan, {'status': 'active', 'needs': 'Housing'}, w.worker_a1), 403)
        self.assertUnchanged(self.plan)

    def test_auditor_may_not_activate(self):
        self.assertProblem(self.patch(self.plan, {'status': 'active'}, self.world.auditor), 403)
        self.assertUnchanged(self.plan)

    def test_those_who_cannot_see_the_case_get_404_on_activation(self):
        w = self.world
        for who in (w.supervisor_b, w.worker_a2, w.worker_b1):
            with self.subTest(who=who.sub):
                self.assertProblem(self.patch(self.plan, {'status': 'active'}, who), 404)
        self.assertUnchanged(self.plan)

    def test_supervisor_of_another_unit_who_sees_the_case_as_its_worker_gets_403(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('worker-supervisor'), ['caseworker', 'supervisor'], w.unit_b)
        case = self.create_case(w.administrator, assigned_worker=both.sub, unit=w.unit_a)
        plan = self.add(case, both)
        self.assertProblem(self.patch(plan, {'status': 'active'}, both), 403)
        self.assertUnchanged(plan)
        self.assertEqual(self.activate(plan, w.supervisor_a)['approved_by'], w.supervisor_a.sub)
        r = self.patch(plan, {'status': 'completed'}, both)
        self.assertEqual(r.status, 200, r)

    def test_activating_supersedes_the_previous_active_plan(self):
        s = self.world.supervisor_a
        first = self.activate(self.plan)
        second = self.add(self.case)
        self.assertEqual(self.current(first)['status'], 'active')
        second = self.activate(second)
        superseded = self.current(first)
        self.assertEqual(superseded['status'], 'superseded')
        self.assertEqual(superseded['version'], first['version'] + 1)
        self.assertEqual((superseded['approved_by'], superseded['approved_at']),
                         (first['approved_by'], first['approved_at']))
        self.assertEqual(superseded['strengths'], first['strengths'])
        self.assertEqual(self.statuses(self.case), {first['id']: 'superseded', second['id']: 'active'})
        third = self.activate(self.add(self.case), self.world.integration)
        self.assertEqual(self.statuses(self.case), {first['id']: 'superseded', second['id']: 'superseded',
                                                    third['id']: 'active'})
        self.assertEqual(self.stored_active_count(self.case), 1)
        self.assertEqual(self.current(second)['approved_by'], s.sub)

    def test_activation_never_touches_another_cases_plans(self):
        other_case = self.create_case(self.world.worker_a1)
        other = self.activate(self.add(other_case))
        self.activate(self.plan)
        self.activate(self.add(self.case))
        self.assertEqual(self.current(other), other)

    def test_active_plan_is_completed_by_anyone_who_may_write_the_case(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.integration):
            with self.subTest(role=who.role):
                plan = self.activate(self.add(self.case))
                r = self.patch(plan, {'status': 'completed'}, who)
                self.assertEqual(r.status, 200, r)
                done = r.json()
                self.assertEqual(done['status'], 'completed')
                self.assertEqual((done['approved_by'], done['approved_at']),
                                 (plan['approved_by'], plan['approved_at']))
                self.assertEqual(done['version'], plan['version'] + 1)
        self.assertEqual(self.stored_active_count(self.case), 0)

    def test_auditor_may_not_complete(self):
        plan = self.activate(self.plan)
        self.assertProblem(self.patch(plan, {'status': 'completed'}, self.world.auditor), 403)
        self.assertUnchanged(plan)

    def test_forbidden_moves_are_409_naming_what_the_plan_may_become(self):
        active = self.activate(self.add(self.case))
        moves = [(self.plan, 'completed', 'active'), (self.plan, 'superseded', 'active'),
                 (active, 'draft', 'completed'), (active, 'superseded', 'completed')]
        for plan, to, may_become in moves:
            with self.subTest(status=plan['status'], to=to):
                p = self.assertProblem(self.patch(plan, {'status': to}, self.world.administrator), 409)
                self.assertIn(may_become, p['detail'])
                self.assertUnchanged(plan)

    def test_caseworker_completing_a_draft_gets_409_not_403(self):
        p = self.assertProblem(self.patch(self.plan, {'status': 'completed'}, self.world.worker_a1), 409)
        self.assertIn('active', p['detail'])
        self.assertUnchanged(self.plan)

    def final_plans(self):
        """A completed and a superseded plan of self.case."""
        completed = self.activate(self.plan)
        r = self.patch(completed, {'status': 'completed'})
        self.assertEqual(r.status, 200, r)
        completed = r.json()
        superseded = self.activate(self.add(self.case))
        self.activate(self.add(self.case))
        superseded = self.current(superseded)
        self.assertEqual(superseded['status'], 'superseded')
        return completed, superseded

    def test_completed_and_superseded_plans_are_final(self):
        for plan in self.final_plans():
            for body in ({'status': 'active'}, {'status': 'draft'}, {'status': 'completed'},
                         {'status': 'superseded'}, {'review_due_on': '2099-01-01'}, {'strengths': 'New'},
                         {'needs': 'Food'}, {'family_participated': True}, {'effective_on': '2026-01-01'}):
                if body.get('status') == plan['status']:
                    continue
                with self.subTest(status=plan['status'], body=body):
                    p = self.assertProblem(self.patch(plan, body, self.world.administrator), 409)
                    self.assertIn(plan['status'], p['detail'])
                    self.assertUnchanged(plan)

    def test_no_op_patch_of_a_final_plan_answers_200_without_writing(self):
        for plan in self.final_plans():
            rows = len(self.audit_rows(plan))
            for body in ({}, {'status': plan['status']}, {'strengths': plan['strengths'],
                                                          'review_due_on': plan['review_due_on']}):
                with self.subTest(status=plan['status'], body=body):
                    r = self.patch(plan, body, self.world.supervisor_a)
                    self.assertEqual(r.status, 200, r)
                    self.assertEqual(r.json(), plan)
                    self.assertEqual(r.header('ETag'), f'"{plan["version"]}"')
            self.assertUnchanged(plan)
            self.assertEqual(len(self.audit_rows(plan)), rows)

    def test_no_op_patch_answers_200_without_writing(self):
        draft = self.add(self.case)
        active = self.activate(self.add(self.case, needs='Childcare'))
        for plan in (draft, active):
            rows = len(self.audit_rows(plan))
            for body in ({}, {'status': plan['status']}, {k: plan[k] for k in (
                    'status', 'effective_on', 'review_due_on', 'family_participated', 'strengths', 'needs')}):
                with self.subTest(status=plan['status'], body=body):
                    r = self.patch(plan, body)
                    self.assertEqual(r.status, 200, r)
                    self.assertEqual(r.json(), plan)
            self.assertUnchanged(plan)
            self.assertEqual(len(self.audit_rows(plan)), rows)

    def test_re_activating_an_active_plan_is_a_no_op(self):
        active = self.activate(self.plan)
        r = self.patch(active, {'status': 'active'}, self.world.supervisor_a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), active)
        self.assertEqual(self.statuses(self.case), {active['id']: 'active'})

    def test_active_plan_content_is_fixed(self):
        active = self.activate(self.plan)
        for body in ({'effective_on': '2026-01-01'}, {'family_participated': True}, {'strengths': 'Changed'},
                     {'strengths': None}, {'needs': 'Housing'}, {'status': 'completed', 'needs': 'Housing'},
                     {'review_due_on': '2099-01-01', 'strengths': 'Changed'}):
            with self.subTest(body=body):
                p = self.assertProblem(self.patch(active, body, self.world.administrator), 409)
                self.assertIn('review_due_on', p['detail'])
                self.assertUnchanged(active)

    def test_active_plan_review_date_may_still_change(self):
        active = self.activate(self.plan)
        r = self.patch(active, {'review_due_on': '2099-06-30'})
        self.assertEqual(r.status, 200, r)
        changed = r.json()
        self.assertEqual(changed['review_due_on'], '2099-06-30')
        self.assertEqual(changed['status'], 'active')
        self.assertEqual(changed['version'], active['version'] + 1)
        self.assertEqual((changed['approved_by'], changed['approved_at']),
                         (active['approved_by'], active['approved_at']))
        self.assertInvalid(self.patch(changed, {'review_due_on': '2000-01-01'}), ['review_due_on'])
        r = self.patch(changed, {'review_due_on': changed['effective_on'], 'status': 'completed'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['status'], r.json()['review_due_on']), ('completed', changed['effective_on']))

    def test_draft_content_changes_freely(self):
        r = self.patch(self.plan, {'strengths': None, 'needs': 'Housing', 'family_participated': True,
                                   'effective_on': '2026-04-01', 'review_due_on': '2026-06-01'})
        self.assertEqual(r.status, 200, r)
        plan = r.json()
        self.assertEqual((plan['strengths'], plan['needs'], plan['family_participated'], plan['effective_on'],
                          plan['review_due_on'], plan['version']),
                         (None, 'Housing', True, '2026-04-01', '2026-06-01', 2))
        self.assertEqual(r.header('ETag'), '"2"')
        self.assertEqual(self.current(plan), plan)

    def test_a_draft_may_be_edited_and_activated_in_one_patch(self):
        r = self.patch(self.plan, {'status': 'active', 'family_participated': True},
                       self.world.supervisor_a)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['status'], r.json()['family_participated']), ('active', True))

    def test_patch_of_status_validates_the_enum(self):
        for value in ('approved', 'Active', '', None, 1):
            with self.subTest(status=value):
                self.assertInvalid(self.patch(self.plan, {'status': value}, self.world.supervisor_a), ['status'])
        self.assertUnchanged(self.plan)


class ReviewDateTest(PlanTest):
    def test_moving_effective_on_moves_a_default_review_date_along(self):
        plan = self.add(self.case, effective_on='2026-02-28')
        self.assertEqual(plan['review_due_on'], '2026-08-28')
        r = self.patch(plan, {'effective_on': '2026-08-31'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['review_due_on'], '2027-02-28')
        r = self.patch(r.json(), {'effective_on': '2026-03-15'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['review_due_on'], '2026-09-15')

    def test_a_review_date_set_by_hand_stays_when_effective_on_moves(self):
        plan = self.add(self.case, effective_on='2026-01-10', review_due_on='2026-04-10')
        r = self.patch(plan, {'effective_on': '2026-02-01'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['effective_on'], r.json()['review_due_on']), ('2026-02-01', '2026-04-10'))

    def test_a_review_date_that_happens_to_equal_the_default_follows(self):
        plan = self.add(self.case, effective_on='2026-01-10', review_due_on='2026-07-10')
        r = self.patch(plan, {'effective_on': '2026-01-20'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['review_due_on'], '2026-07-20')

    def test_a_review_date_sent_with_the_new_effective_on_wins(self):
        plan = self.add(self.case, effective_on='2026-01-10')
        r = self.patch(plan, {'effective_on': '2026-02-10', 'review_due_on': '2026-03-01'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['effective_on'], r.json()['review_due_on']), ('2026-02-10', '2026-03-01'))
        r = self.patch(r.json(), {'effective_on': '2026-02-20', 'review_due_on': '2026-03-01'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['review_due_on'], '2026-03-01')

    def test_moving_effective_on_past_a_hand_set_review_date_is_422(self):
        plan = self.add(self.case, effective_on='2026-01-10', review_due_on='2026-02-01')
        self.assertInvalid(self.patch(plan, {'effective_on': '2026-03-01'}), ['review_due_on'])
        self.assertInvalid(self.patch(plan, {'review_due_on': '2026-01-09'}), ['review_due_on'])
        self.assertUnchanged(plan)

    def test_review_date_not_before_effective_on_is_also_enforced_by_the_database(self):
        plan = self.add(self.case, effective_on='2026-01-10')
        with self.assertRaises(subprocess.CalledProcessError) as refused:
            self.cluster.psql(
                "BEGIN; SELECT set_config('casework.actor', 'test', true);"
                f" UPDATE plans SET review_due_on = '2026-01-01' WHERE id = '{plan['id']}'; COMMIT;")
        self.assertIn('check constraint', refused.exception.stderr)
        self.assertUnchanged(plan)


# -- closed cases -------------------------------------------------------------------
class ClosedCaseTest(PlanTest):
    def setUp(self):
        super().setUp()
        self.draft = self.add(self.case, needs='Housing')
        self.was_active = self.activate(self.add(self.case))
        self.add(self.case)
        self.closed = self.close_case(self.case)
        self.completed = self.current(self.was_active)

    def test_closing_the_case_completes_its_active_plan(self):
        self.assertEqual(self.completed['status'], 'completed')
        self.assertEqual(self.completed['version'], self.was_active['version'] + 1)
        self.assertEqual(self.stored_active_count(self.case), 0)
        r = self.request('GET', query('/v1/audit', resource_type='plan', resource_id=self.was_active['id']),
                         self.world.administrator)
        last = r.json()['items'][-1]
        self.assertEqual((last['action'], last['actor'], last['after']), ('update', self.world.worker_a1.sub,
                                                                         {'status': 'completed'}))

    def test_a_closed_case_takes_no_new_plans(self):
        before = self.statuses(self.case)
        for who in (self.world.worker_a1, self.world.supervisor_a, self.world.administrator,
                    self.world.integration):
            with self.subTest(role=who.role):
                p = self.assertProblem(self.post({}, self.case, who), 409)
                self.assertIn('closed', p['detail'])
        self.assertEqual(self.statuses(self.case), before)

    def test_a_closed_cases_plans_are_read_only(self):
        w = self.world
        for plan, body, who in ((self.draft, {'needs': 'Food'}, w.worker_a1),
                                (self.draft, {'status': 'active'}, w.supervisor_a),
                                (self.draft, {'status': 'active'}, w.administrator),
                                (self.completed, {'review_due_on': '2099-01-01'}, w.integration)):
            with self.subTest(plan=plan['status'], body=body, role=who.role):
                p = self.assertProblem(self.patch(plan, body, who), 409)
                self.assertIn('closed', p['detail'])
                self.assertUnchanged(plan)
        self.assertEqual(self.stored_active_count(self.case), 0)

    def test_a_closed_cases_plans_are_still_read(self):
        for who in (self.world.worker_a1, self.world.supervisor_a, self.world.auditor):
            with self.subTest(role=who.role):
                r = self.request('GET', f'/v1/plans/{self.draft["id"]}', who)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), self.draft)
                self.assertEqual(len(self.list_all(f'/v1/cases/{self.case["id"]}/plans', who)), 3)

    def test_a_no_op_patch_on_a_closed_cases_plan_answers_it_unchanged(self):
        # As for completed and superseded plans: nothing changes, so nothing is refused.
        for patch in ({}, {'needs': self.draft['needs']}):
            with self.subTest(patch=patch):
                r = self.patch(self.draft, patch)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), self.draft)
        self.assertUnchanged(self.draft)

    def test_reopening_the_case_makes_its_plans_writable_again(self):
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', self.world.worker_a1, body={'status': 'open'})
        self.assertEqual(r.status, 200, r)
        r = self.patch(self.draft, {'needs': 'Food'})
        self.assertEqual(r.status, 200, r)
        self.activate(r.json())
        self.assertEqual(self.current(self.was_active)['status'], 'completed')
        self.add(self.case)


# -- racing writers -----------------------------------------------------------------
class ConcurrencyTest(PlanTest):
    def assertNoServerErrors(self, results):
        for r in results:
            self.assertIsInstance(r, harness.Response, r)
            self.assertLess(r.status, 500, r)

    def assertExactlyOneActive(self):
        statuses = self.statuses(self.case)
        active = [pid for pid, status in statuses.items() if status == 'active']
        self.assertEqual(len(active), 1, statuses)
        self.assertEqual(self.stored_active_count(self.case), 1)
        self.assertEqual(self.list_ids(f'/v1/cases/{self.case["id"]}/plans', self.world.supervisor_a,
                                       status='active'), active)
        return active[0]

    def test_two_concurrent_activations_leave_exactly_one_active_plan(self):
        plans = [self.add(self.case) for _ in range(2)]
        results = at_once(2, lambda i: self.patch(plans[i], {'status': 'active'}, self.world.supervisor_a))
        self.assertNoServerErrors(results)
        self.assertEqual([r.status for r in results], [200, 200], results)
        active = self.assertExactlyOneActive()
        other = next(p for p in plans if p['id'] != active)
        self.assertEqual(self.current(other)['status'], 'superseded')

    def test_racing_activations_leave_exactly_one_active_plan_and_supersede_the_rest(self):
        threads, rounds = 6, 3
        ever_activated = set()
        for round_ in range(rounds):
            with self.subTest(round=round_):
                drafts = [self.add(self.case, needs=f'round {round_} plan {i}') for i in range(threads)]
                results = at_once(threads, lambda i: self.patch(drafts[i], {'status': 'active'},
                                                                self.world.supervisor_a))
                self.assertNoServerErrors(results)
                won = {d['id'] for d, r in zip(drafts, results) if r.status == 200}
                self.assertTrue(won, results)
                for r in results:
                    if r.status == 200:
                        self.assertEqual(r.json()['approved_by'], self.world.supervisor_a.sub)
                ever_activated |= won
                active = self.assertExactlyOneActive()
                self.assertIn(active, won)
                statuses = self.statuses(self.case)
                for pid in ever_activated - {active}:
                    self.assertEqual(statuses[pid], 'superseded', pid)
                for d in drafts:
                    if d['id'] not in won:
                        self.assertEqual(statuses[d['id']], 'draft', d['id'])
        superseded_rows = int(self.cluster.psql(
            "SELECT count(*) FROM audit_log WHERE resource_type = 'plan' "
            f"AND case_id = '{self.case['id']}' AND after ->> 'status' = 'superseded'").strip())
        self.assertEqual(superseded_rows, len(ever_activated) - 1)

    def test_racing_activations_by_every_approving_role(self):
        w = self.world
        approvers = [w.supervisor_a, w.administrator, w.integration] * 2
        drafts = [self.add(self.case) for _ in approvers]
        results = at_once(len(drafts), lambda i: self.patch(drafts[i], {'status': 'active'}, approvers[i]))
        self.assertNoServerErrors(results)
        self.assertEqual([r.status for r in results], [200] * len(drafts), results)
        active = self.assertExactlyOneActive()
        statuses = self.statuses(self.case)
        self.assertEqual(sorted(statuses.values()), ['active'] + ['superseded'] * (len(drafts) - 1))
        self.assertIn(active, statuses)

    def race_activation_with(self, change):
        """Activates a new draft while a caseworker patches the active plan with
        change: the activation succeeds, the change succeeds or is 409, and one
        plan is active, the new one. Returns the old plan and the change's answer."""
        old = self.activate(self.add(self.case))
        new = self.add(self.case)
        work = [lambda: self.patch(new, {'status': 'active'}, self.world.supervisor_a),
                lambda: self.patch(old, change, self.world.worker_a1)]
        results = at_once(2, lambda i: work[i]())
        self.assertNoServerErrors(results)
        self.assertEqual(results[0].status, 200, results)
        self.assertIn(results[1].status, (200, 409), results)
        self.assertEqual(self.assertExactlyOneActive(), new['id'])
        return old, results[1]

    def test_activation_racing_a_change_to_the_active_plan(self):
        for round_ in range(3):
            with self.subTest(round=round_):
                old, _ = self.race_activation_with({'review_due_on': '2099-01-01'})
                self.assertEqual(self.current(old)['status'], 'superseded')

    def test_activation_racing_completion_of_the_active_plan(self):
        for round_ in range(3):
            with self.subTest(round=round_):
                old, completion = self.race_activation_with({'status': 'completed'})
                expected = 'completed' if completion.status == 200 else 'superseded'
                self.assertEqual(self.current(old)['status'], expected)

    def test_activation_racing_the_closing_of_the_case(self):
        for round_ in range(3):
            with self.subTest(round=round_):
                case = self.create_case(self.world.worker_a1)
                old = self.activate(self.add(case))
                new = self.add(case)
                work = [lambda: self.patch(new, {'status': 'active'}, self.world.supervisor_a),
                        lambda: self.request('PATCH', f'/v1/cases/{case["id"]}', self.world.worker_a1,
                                             body={'status': 'closed', 'closure_reason': 'Done'})]
                results = at_once(2, lambda i: work[i]())
                self.assertNoServerErrors(results)
                self.assertEqual(results[1].status, 200, results)
                self.assertIn(results[0].status, (200, 409), results)
                # Closing completes whichever plan is active when it commits.
                self.assertEqual(self.stored_active_count(case), 0)
                if results[0].status == 200:
                    self.assertEqual((self.current(new)['status'], self.current(old)['status']),
                                     ('completed', 'superseded'))
                else:
                    self.assertEqual((self.current(new)['status'], self.current(old)['status']),
                                     ('draft', 'completed'))

    def test_two_approvers_activating_the_same_draft_approve_it_once(self):
        w = self.world
        plan = self.add(self.case)
        approvers = [w.supervisor_a, w.administrator, w.integration]
        results = at_once(3, lambda i: self.patch(plan, {'status': 'active'}, approvers[i]))
        self.assertNoServerErrors(results)
        self.assertEqual([r.status for r in results], [200] * 3, results)
        stored = self.current(plan)
        self.assertEqual((stored['status'], stored['version']), ('active', 2))
        self.assertIn(stored['approved_by'], {a.sub for a in approvers})
        self.assertEqual([row['action'] for row in self.audit_rows(plan)], ['create', 'update'])

    def wait_until(self, condition, what, seconds=15):
        deadline = time.time() + seconds
        while not condition():
            if time.time() > deadline:
                self.fail(f'timed out waiting for {what}')
            time.sleep(0.02)

    def deadlocks_logged(self):
        with open(os.path.join(self.cluster.dir, 'postgres.log'), encoding='utf-8', errors='replace') as f:
            return f.read().count('deadlock detected')

    def lock_waiters(self):
        return int(self.cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'caseworkd'"
                                     " AND wait_event_type = 'Lock'").strip())

    def test_activation_queued_behind_a_change_to_the_active_plan_does_not_deadlock(self):
        # The case row is held elsewhere while an activation and a change to the
        # active plan queue for it, in that order. Both must then go through in
        # turn: an activation that holds the case and then locks the active plan,
        # against a change that holds the active plan and then locks the case,
        # deadlocks (each costs a second and a retry; repeated ones end in 503).
        old = self.activate(self.add(self.case))
        new = self.add(self.case)
        holder_name = harness.unique('case-lock-holder')
        holder = subprocess.Popen(
            [os.path.join(self.cluster.bindir, 'psql'), '-h', self.cluster.dir, '-U', 'casework', '-d', 'casework',
             '-c', f"BEGIN; SELECT 1 FROM cases WHERE id = '{self.case['id']}' FOR UPDATE; SELECT pg_sleep(60);"],
            env=dict(os.environ, PGAPPNAME=holder_name), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results = [None, None]

        def run(i, work):
            try:
                results[i] = work()
            except Exception as e:  # reported below
                results[i] = e

        threads = [threading.Thread(target=run, args=(0, lambda: self.patch(new, {'status': 'active'},
                                                                           self.world.supervisor_a))),
                   threading.Thread(target=run, args=(1, lambda: self.patch(old, {'review_due_on': '2099-01-01'},
                                                                           self.world.worker_a1)))]
        try:
            self.wait_until(lambda: self.cluster.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                f"'{holder_name}' AND wait_event = 'PgSleep'").strip() == '1', 'the case lock')
            before = self.deadlocks_logged()
            threads[0].start()
            self.wait_until(lambda: self.lock_waiters() == 1, 'the activation to queue')
            threads[1].start()
            self.wait_until(lambda: self.lock_waiters() == 2, 'the change to queue')
        finally:
            self.cluster.psql(f"SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                              f"WHERE application_name = '{holder_name}'")
            holder.wait(timeout=30)
            for t in threads:
                if t.ident is not None:
                    t.join()
        self.assertNoServerErrors(results)
        self.assertEqual(results[0].status, 200, results)
        self.assertIn(results[1].status, (200, 409), results)
        self.assertEqual(self.assertExactlyOneActive(), new['id'])
        self.assertEqual(self.current(old)['status'], 'superseded')
        self.assertEqual(self.deadlocks_logged() - before, 0, 'the database detected a deadlock')

    def test_the_database_refuses_a_second_active_plan(self):
        first = self.activate(self.add(self.case))
        second = self.add(self.case)
        with self.assertRaises(subprocess.CalledProcessError) as refused:
            self.cluster.psql(
                "BEGIN; SELECT set_config('casework.actor', 'test', true);"
                f" UPDATE plans SET status = 'active' WHERE id = '{second['id']}'; COMMIT;")
        self.assertIn('plans_one_active_per_case', refused.exception.stderr)
        self.assertEqual(self.statuses(self.case), {first['id']: 'active', second['id']: 'draft'})


# -- preconditions ------------------------------------------------------------------
class PreconditionTest(PlanTest):
    def setUp(self):
        super().setUp()
        self.plan = self.add(self.case)

    def test_etag_is_the_version_on_every_answer(self):
        r = self.request('GET', f'/v1/plans/{self.plan["id"]}', self.world.worker_a1)
        self.assertEqual(r.header('ETag'), '"1"')
        r = self.patch(self.plan, {'needs': 'Housing'})
        self.assertEqual((r.status, r.header('ETag')), (200, '"2"'))
        r = self.patch(r.json(), {'status': 'active'}, self.world.supervisor_a)
        self.assertEqual((r.status, r.header('ETag')), (200, '"3"'))
        self.assertEqual(r.json()['version'], 3)

    def test_stale_activation_leaves_the_active_plan_active(self):
        active = self.activate(self.add(self.case))
        self.assertProblem(self.patch(self.plan, {'status': 'active'}, self.world.supervisor_a,
                                      headers={'If-Match': '"7"'}), 412)
        self.assertEqual(self.statuses(self.case), {active['id']: 'active', self.plan['id']: 'draft'})
        self.assertUnchanged(active)


class DeletePlanTest(PlanTest):
    def setUp(self):
        super().setUp()
        self.plan = self.add(self.case, needs='Housing')

    def test_deleting_the_active_plan_lets_the_next_one_be_activated(self):
        active = self.activate(self.plan)
        self.assertEqual(self.delete(active, self.world.administrator).status, 204)
        self.assertEqual(self.stored_active_count(self.case), 0)
        nxt = self.activate(self.add(self.case))
        self.assertEqual(self.statuses(self.case), {nxt['id']: 'active'})
        status = self.cluster.psql(f"SELECT status FROM plans WHERE id = '{active['id']}'").strip()
        self.assertEqual(status, 'active')


# -- who sees what ------------------------------------------------------------------
class AccessTest(CaseRecordAccessMatrix, PlanTest):
    def filters_of(self, plan):
        return ({'case_id': plan['case_id']}, {'case_id': plan['case_id'], 'status': plan['status']},
                {'status': plan['status']})


# -- lists --------------------------------------------------------------------------
class PlanListTest(PlanTest):
    def setUp(self):
        super().setUp()
        w = self.world
        self.cases = [self.create_case(w.worker_a1), self.create_case(w.worker_a2), self.create_case(w.worker_a1)]
        self.plans = []
        for i in range(8):
            self.plans.append(self.add(self.cases[i % 3], w.supervisor_a, needs=f'plan {i}'))
        self.other_unit = self.add(self.create_case(w.worker_b1), w.worker_b1)

    def expected_order(self, plans):
        return [p['id'] for p in sorted(plans, key=lambda p: (p['created_at'], p['id']))]

    def test_paging_while_plans_are_added_skips_and_repeats_nothing(self):
        s = self.world.supervisor_a
        r = self.request('GET', query('/v1/plans', limit=3), s)
        first = r.json()
        added = self.add(self.cases[1], s)
        seen, cursor = [p['id'] for p in first['items']], first['next_cursor']
        while cursor is not None:
            r = self.request('GET', query('/v1/plans', limit=3, cursor=cursor), s)
            self.assertEqual(r.status, 200, r)
            seen += [p['id'] for p in r.json()['items']]
            cursor = r.json()['next_cursor']
        self.assertEqual(seen, self.expected_order(self.plans) + [added['id']])

    def test_status_filter(self):
        w = self.world
        a = self.activate(self.plans[0])
        b = self.activate(self.plans[1])
        r = self.patch(b, {'status': 'completed'}, w.supervisor_a)
        self.assertEqual(r.status, 200, r)
        c = self.activate(self.plans[3])  # supersedes a (same case)
        self.assertEqual(self.current(a)['status'], 'superseded')
        expected = {'active': [c['id']], 'completed': [b['id']], 'superseded': [a['id']],
                    'draft': self.expected_order([p for p in self.plans if p['id'] not in (a['id'], b['id'], c['id'])])}
        for status in STATUSES:
            with self.subTest(status=status):
                self.assertEqual(self.list_ids('/v1/plans', w.supervisor_a, status=status), expected[status])
                nested = [pid for pid in expected[status] if pid in {p['id'] for p in self.plans
                                                                     if p['case_id'] == self.cases[0]['id']}]
                self.assertEqual(self.list_ids(f'/v1/cases/{self.cases[0]["id"]}/plans', w.worker_a1,
                                               status=status), nested)

    def test_bad_filters_are_422(self):
        s = self.world.supervisor_a
        case_path = self.nested_path(self.cases[0])
        for path, params, field in (('/v1/plans', {'status': 'open'}, 'status'), ('/v1/plans', {'unit': 'x'}, 'unit'),
                                    (case_path, {'status': 'Draft'}, 'status')):
            with self.subTest(path=path, params=params):
                self.assertInvalid(self.request('GET', query(path, **params), s), [field])
        self.assertInvalid(self.request('GET', query('/v1/plans', limit=0, status='x'), s), ['limit', 'status'])


class PlanAuditTest(PlanTest):
    def test_activation_audits_the_activated_and_the_superseded_plan(self):
        s = self.world.supervisor_a
        first = self.activate(self.add(self.case))
        second = self.add(self.case)
        r = self.patch(second, {'status': 'active'}, s, headers={'X-Request-Id': 'activate-2'})
        self.assertEqual(r.status, 200, r)
        activated = self.audit_rows(second)
        self.assertEqual([row['action'] for row in activated], ['create', 'update'])
        row = activated[-1]
        rid = r.header('X-Request-Id')
        self.assertEqual((row['actor'], row['actor_roles'], row['request_id'], row['client_request_id']),
                         (s.sub, ['supervisor'], rid, 'activate-2'))
        self.assertEqual(row['before']['status'], 'draft')
        self.assertEqual(row['after']['status'], 'active')
        self.assertIsNone(row['before']['approved_by'])
        self.assertEqual(row['after']['approved_by'], s.sub)
        self.assertIsNotNone(row['after']['approved_at'])
        superseded = self.audit_rows(first)
        self.assertEqual([row['action'] for row in superseded], ['create', 'update', 'update'])
        row = superseded[-1]
        self.assertEqual((row['actor'], row['request_id'], row['client_request_id'], row['case_id']),
                         (s.sub, rid, 'activate-2', self.case['id']))
        self.assertEqual((row['before'], row['after']), ({'status': 'active'}, {'status': 'superseded'}))

    def test_completion_and_review_changes_are_audited(self):
        plan = self.activate(self.add(self.case))
        r = self.patch(plan, {'review_due_on': '2099-01-01'})
        self.assertEqual(r.status, 200, r)
        r = self.patch(r.json(), {'status': 'completed'}, self.world.integration)
        self.assertEqual(r.status, 200, r)
        rows = self.audit_rows(plan)
        self.assertEqual([(row['action'], row['actor']) for row in rows],
                         [('create', self.world.worker_a1.sub), ('update', self.world.supervisor_a.sub),
                          ('update', self.world.worker_a1.sub), ('update', self.world.integration.sub)])
        self.assertEqual((rows[2]['before'], rows[2]['after']),
                         ({'review_due_on': plan['review_due_on']}, {'review_due_on': '2099-01-01'}))
        self.assertEqual((rows[3]['before'], rows[3]['after']), ({'status': 'active'}, {'status': 'completed'}))
