"""Service referrals at /v1/cases/{id}/service-referrals, /v1/service-referrals,
/v1/service-referrals/{id} and /v1/service-referrals/{id}/history.

A referral sends a participant of a case to a provider for a type of service,
usually serving one of the case's goals. It is created as referred and moves
referred -> accepted | declined | cancelled; accepted -> in_progress |
cancelled; in_progress -> completed | cancelled; declined, completed and
cancelled are final. status_changed_on is the date of the latest move (today
unless the patch gives it), and every status with its date is kept in the
referral's history, so that a worker or a court can ask when it was accepted
and when services started.

Who sees a referral is decided by its case, except for substance use treatment
referrals (42 CFR Part 2): only the case's assigned worker, a supervisor of
the case's unit and administrators see them, and auditors and integrations
only when the service runs with CASEWORK_DISCLOSE_SUD=1. A caller who may not
see such a referral may not write one either.
"""
import functools

import harness
from base import (MISSING, CaseRecordAccessMatrix, CaseRecordTest, Persona, at_once, days_from_today, query,
                  today, without_bookkeeping)
from contract import ChildRecordContract, LifecycleContract
SUD = 'substance_use_treatment'
SERVICE_TYPES = (SUD, 'mental_health', 'parenting', 'domestic_violence', 'housing', 'employment', 'education',
                 'health', 'family_preservation', 'other')
STATUSES = ('referred', 'accepted', 'declined', 'in_progress', 'completed', 'cancelled')
NEXT = {'referred': ('accepted', 'declined', 'cancelled'), 'accepted': ('in_progress', 'cancelled'),
        'in_progress': ('completed', 'cancelled'), 'declined': (), 'completed': (), 'cancelled': ()}
# The moves from referred to each status.
PATH_TO = {'referred': [], 'accepted': ['accepted'], 'declined': ['declined'], 'cancelled': ['cancelled'],
           'in_progress': ['accepted', 'in_progress'], 'completed': ['accepted', 'in_progress', 'completed']}
REFERRAL_KEYS = {'id', 'case_id', 'service_type', 'provider', 'participant_id', 'goal_id', 'referred_on', 'status',
                 'status_changed_on', 'outcome', 'version', 'created_at', 'updated_at'}
HISTORY_KEYS = {'status', 'changed_on', 'recorded_at', 'recorded_by'}
TIMESTAMP_RE = r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$'


def new_referral(**fields):
    body = {'service_type': 'parenting', 'provider': 'Eastside Family Resource Center'}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not ...}


class ReferralTest(CaseRecordTest):
    """A case of worker_a1 (unit_a) with a parent and a goal on a draft plan."""

    resource_type = 'service_referral'
    path = list_path = '/v1/service-referrals'
    nested = 'service-referrals'
    table = 'service_referrals'
    keys = REFERRAL_KEYS
    required = ('service_type', 'provider')
    not_nullable = ('service_type', 'provider', 'referred_on', 'status', 'status_changed_on')
    nullable = ('participant_id', 'goal_id', 'outcome')
    text_field = 'provider'
    invalid_body = {'service_type': 'detox', 'provider': '', 'participant_id': 'not-a-uuid', 'goal_id': 5,
                    'referred_on': '2026-13-01', 'status': 'done', 'status_changed_on': 'yesterday', 'outcome': 7,
                    'case_id': MISSING, 'id': MISSING, 'version': 1, 'created_at': '2026-01-01T00:00:00Z',
                    'updated_at': '2026-01-01T00:00:00Z', 'priority': 'high'}
    invalid_patch = {'service_type': 'detox', 'provider': 'a\nb', 'participant_id': 'x', 'goal_id': 1,
                     'referred_on': '2026-02-30', 'status': 'done', 'status_changed_on': 'soon', 'outcome': ''}

    @functools.cached_property
    def parent(self):
        """A parent of the case, made when a test first needs one."""
        return self.add_participant(self.case)

    @functools.cached_property
    def goal(self):
        """A goal of a draft plan of the case, made when a test first needs one."""
        return self.add_goal(self.case)

    def new_body(self, parent=None, **fields):
        return new_referral(**fields)

    def full_body(self, parent=None):
        return new_referral(service_type='mental_health', provider='Northside Counseling, Dr. Alvarez',
                            participant_id=self.parent['id'], goal_id=self.goal['id'], referred_on='2026-03-01',
                            status='referred', outcome='Intake scheduled.\nBring the referral letter.')

    def defaults(self, who):
        return {'participant_id': None, 'goal_id': None, 'referred_on': today(), 'status': 'referred',
                'status_changed_on': today(), 'outcome': None}

    # -- the records referrals point at -------------------------------------------
    def add_plan(self, case):
        r = self.request('POST', f'/v1/cases/{case["id"]}/plans', self.world.administrator, body={})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def add_goal(self, case, plan=None):
        plan = plan or self.add_plan(case)
        r = self.request('POST', f'/v1/plans/{plan["id"]}/goals', self.world.administrator,
                         body={'description': 'Ms. R will stay sober and keep every appointment for 6 months.'})
        self.assertEqual(r.status, 201, r)
        return r.json()

    def remove(self, path):
        r = self.request('DELETE', path, self.world.administrator)
        self.assertEqual(r.status, 204, r)

    # -- referrals ----------------------------------------------------------------
    def move(self, ref, *statuses, who=None):
        """Moves the referral through statuses, each a 200; returns it after."""
        for status in statuses:
            ref = self.patched(ref, {'status': status}, who)
            self.assertEqual(ref['status'], status)
        return ref

    def referral_in(self, status, **fields):
        """A new referral of this case moved to status."""
        return self.move(self.add(**fields), *PATH_TO[status])

    def history(self, ref, who=None):
        r = self.request('GET', f'/v1/service-referrals/{ref["id"]}/history', who or self.world.administrator)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        page = r.json()
        self.assertEqual(set(page), {'items', 'next_cursor', 'fields'})
        self.assertIsNone(page['next_cursor'])
        return page['items']

    def moves(self, ref, who=None):
        return [(h['status'], h['changed_on']) for h in self.history(ref, who)]

    def stored_history(self, ref):
        return int(self.cluster.psql(
            f"SELECT count(*) FROM service_referral_history WHERE referral_id = '{ref['id']}'"))

    def nested_ids(self, case, who, **params):
        return self.list_ids(self.nested_path(case), who, **params)


class ContractTest(ChildRecordContract, LifecycleContract, ReferralTest):
    """Each move is dated (today unless the patch says) and kept in the referral's history."""

    statuses, moves_from = STATUSES, NEXT

    def record_in(self, status):
        return self.referral_in(status)

    def assertMoved(self, before, after):
        self.assertEqual(after['status_changed_on'], today())
        self.assertEqual(self.moves(before)[-2:], [(before['status'], today()), (after['status'], today())])

    def assertNotMoved(self, ref):
        super().assertNotMoved(ref)
        self.assertEqual([s for s, _ in self.moves(ref)], ['referred'] + PATH_TO[ref['status']])

    def refused_creates(self, case):
        w = self.world
        foreign = self.add_participant(self.create_case(w.worker_b1))
        return [(self.post(new_referral(status='accepted'), case), 422),
                (self.post(new_referral(participant_id=foreign['id']), case), 422),
                (self.post(new_referral(referred_on=days_from_today(3)), case), 422),
                (self.post(new_referral(service_type=SUD), case, w.integration), 403)]

    def refused_patches(self, ref):
        other = self.add_participant(self.create_case(self.world.worker_a1))
        return [(self.patch(ref, {'participant_id': other['id']}), 422),
                (self.patch(ref, {'status': 'completed'}), 409),
                (self.patch(ref, {'status_changed_on': days_from_today(1)}), 422)]


class CreateTest(ReferralTest):
    def test_status_changed_on_defaults_to_referred_on(self):
        for referred_on in ('2025-12-31', '2026-03-01', today()):
            with self.subTest(referred_on=referred_on):
                ref = self.add(referred_on=referred_on)
                self.assertEqual((ref['referred_on'], ref['status_changed_on']), (referred_on, referred_on))

    def test_every_service_type_is_accepted(self):
        for service_type in SERVICE_TYPES:
            with self.subTest(service_type=service_type):
                self.assertEqual(self.add(service_type=service_type)['service_type'], service_type)
        self.assertEqual(self.stored_count(), len(SERVICE_TYPES))

    def test_service_type_is_required_and_one_of_the_list(self):
        self.assertInvalid(self.post({'provider': 'P'}), ['service_type'])
        for bad in (None, '', 'detox', 'Parenting', 'substance use treatment', 5, ['parenting']):
            with self.subTest(service_type=bad):
                self.assertInvalid(self.post(new_referral(service_type=bad)), ['service_type'])
        self.assertEqual(self.stored_count(), 0)

    def test_provider_is_required_one_line_of_at_most_200_characters(self):
        self.assertInvalid(self.post({'service_type': 'housing'}), ['provider'])
        for bad in (None, '', '   ', 7, 'x' * 201, 'Two\nlines', 'Tab\there', 'bell \x07', 'csi \u009b',
                    {'name': 'P'}):
            with self.subTest(provider=bad if not isinstance(bad, str) else bad[:20]):
                self.assertInvalid(self.post(new_referral(provider=bad)), ['provider'])
        self.assertEqual(self.stored_count(), 0)
        name = 'é' * 200
        self.assertEqual(self.add(provider=name)['provider'], name)

    def test_outcome_is_optional_text_of_at_most_2000_characters(self):
        self.assertIsNone(self.add(outcome=None)['outcome'])
        for bad in ('', ' \n ', 12, 'o' * 2001, 'esc \x1b[2J', True):
            with self.subTest(outcome=bad if not isinstance(bad, str) else bad[:20]):
                self.assertInvalid(self.post(new_referral(outcome=bad)), ['outcome'])
        text = 'ü' * 1990 + '\r\n\tdone.'
        self.assertEqual(self.add(outcome=text)['outcome'], text)
        self.assertEqual(self.stored_count(), 2)

    def test_referred_on_may_be_past_and_today_but_not_in_the_future(self):
        self.assertEqual(self.add(referred_on='2019-07-15')['referred_on'], '2019-07-15')
        self.assertEqual(self.add(referred_on=today())['referred_on'], today())
        for bad in (None, '2026-02-30', '2025-02-29', 'today', '2026-3-1', 20260301):
            with self.subTest(referred_on=bad):
                self.assertInvalid(self.post(new_referral(referred_on=bad)), ['referred_on'])
        self.assertEqual(self.stored_count(), 2)

    def test_a_future_referred_on_is_422_naming_only_referred_on(self):
        for later in (days_from_today(1), '2099-01-01'):
            with self.subTest(referred_on=later):
                self.assertInvalid(self.post(new_referral(referred_on=later)), ['referred_on'])
        self.assertEqual(self.stored_count(), 0)

    def test_a_referral_starts_as_referred(self):
        self.assertEqual(self.add(status='referred')['status'], 'referred')
        for status in STATUSES[1:]:
            with self.subTest(status=status):
                self.assertInvalid(self.post(new_referral(status=status)), ['status'])
        for bad in ('open', None, 1):
            with self.subTest(status=bad):
                self.assertInvalid(self.post(new_referral(status=bad)), ['status'])
        self.assertEqual(self.stored_count(), 1)

    def test_a_given_status_changed_on_keeps_the_date_rules(self):
        r = self.post(new_referral(referred_on='2026-03-05', status_changed_on='2026-03-04'))
        self.assertInvalid(r, ['status_changed_on'])
        r = self.post(new_referral(status_changed_on=days_from_today(1)))
        self.assertInvalid(r, ['status_changed_on'])
        self.assertEqual(self.stored_count(), 0)

    def test_rule_errors_are_listed_together(self):
        r = self.post(new_referral(participant_id=MISSING, goal_id=MISSING, status='accepted',
                                   referred_on='2026-03-05', status_changed_on='2026-03-01'))
        self.assertInvalid(r, ['participant_id', 'goal_id', 'status', 'status_changed_on'])
        self.assertEqual(self.stored_count(), 0)

    def test_query_parameters_on_a_create_are_422_after_the_role_check(self):
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/service-referrals?status=accepted',
                         self.world.worker_a1, body=new_referral(provider=''))
        self.assertInvalid(r, ['status', 'provider'])
        r = self.request('POST', f'/v1/cases/{self.case["id"]}/service-referrals?status=accepted',
                         self.world.auditor, body=new_referral())
        self.assertProblem(r, 403)
        self.assertEqual(self.stored_count(), 0)


class ReferenceTest(ReferralTest):
    """participant_id and goal_id must name a live participant and goal of the referral's own case."""

    def assertRefused(self, field, value, who=None):
        self.assertInvalid(self.post(new_referral(**{field: value}), who=who), [field])
        self.assertEqual(self.stored_count(), 0)

    def test_a_participant_and_a_goal_of_the_same_case_are_accepted(self):
        child = self.add_participant(self.case, role='child')
        second_goal = self.add_goal(self.case)
        for participant, goal in ((self.parent, self.goal), (child, second_goal)):
            ref = self.add(participant_id=participant['id'], goal_id=goal['id'])
            self.assertEqual((ref['participant_id'], ref['goal_id']), (participant['id'], goal['id']))

    def test_references_of_another_case_the_caller_sees_are_422(self):
        other = self.create_case(self.world.worker_a1)
        stranger, foreign_goal = self.add_participant(other), self.add_goal(other)
        w = self.world.worker_a1
        self.assertEqual(self.request('GET', f'/v1/participants/{stranger["id"]}', w).status, 200)
        self.assertEqual(self.request('GET', f'/v1/goals/{foreign_goal["id"]}', w).status, 200)
        self.assertRefused('participant_id', stranger['id'])
        self.assertRefused('goal_id', foreign_goal['id'])

    def test_references_of_a_case_the_caller_cannot_see_are_422(self):
        hidden = self.create_case(self.world.worker_b1)
        self.assertRefused('participant_id', self.add_participant(hidden)['id'])
        self.assertRefused('goal_id', self.add_goal(hidden)['id'])

    def test_references_of_another_case_are_422_even_for_an_administrator(self):
        other = self.create_case(self.world.worker_b1)
        self.assertRefused('participant_id', self.add_participant(other)['id'], self.world.administrator)
        self.assertRefused('goal_id', self.add_goal(other)['id'], self.world.administrator)

    def test_unknown_references_are_422(self):
        for value in (MISSING, self.case['id'], self.goal['id']):
            with self.subTest(participant_id=value):
                self.assertRefused('participant_id', value)
        for value in (MISSING, self.case['id'], self.parent['id'], self.goal['plan_id']):
            with self.subTest(goal_id=value):
                self.assertRefused('goal_id', value)

    def test_a_deleted_participant_is_422(self):
        gone = self.add_participant(self.case)
        self.remove(f'/v1/participants/{gone["id"]}')
        self.assertRefused('participant_id', gone['id'])

    def test_a_deleted_goal_is_422(self):
        gone = self.add_goal(self.case)
        self.remove(f'/v1/goals/{gone["id"]}')
        self.assertRefused('goal_id', gone['id'])

    def test_a_goal_of_a_deleted_plan_is_422(self):
        plan = self.add_plan(self.case)
        goal = self.add_goal(self.case, plan)
        self.remove(f'/v1/plans/{plan["id"]}')
        self.assertProblem(self.request('GET', f'/v1/goals/{goal["id"]}', self.world.administrator), 404)
        self.assertRefused('goal_id', goal['id'])

    def test_both_bad_references_are_named_at_once(self):
        r = self.post(new_referral(participant_id=MISSING, goal_id=MISSING))
        self.assertInvalid(r, ['participant_id', 'goal_id'])

    def test_patching_to_a_reference_of_another_case_is_422_and_writes_nothing(self):
        ref = self.add(participant_id=self.parent['id'], goal_id=self.goal['id'])
        other = self.create_case(self.world.worker_a1)
        stranger, foreign_goal = self.add_participant(other), self.add_goal(other)
        for body, fields in (({'participant_id': stranger['id']}, ['participant_id']),
                             ({'goal_id': foreign_goal['id']}, ['goal_id']),
                             ({'participant_id': MISSING, 'goal_id': MISSING}, ['participant_id', 'goal_id'])):
            with self.subTest(body=body):
                self.assertInvalid(self.patch(ref, body), fields)
                self.assertEqual(self.current(ref), ref)

    def test_patching_references_within_the_case_and_clearing_them(self):
        ref = self.add(participant_id=self.parent['id'], goal_id=self.goal['id'])
        child = self.add_participant(self.case, role='child')
        second_goal = self.add_goal(self.case)
        ref = self.patched(ref, {'participant_id': child['id'], 'goal_id': second_goal['id']})
        self.assertEqual((ref['participant_id'], ref['goal_id']), (child['id'], second_goal['id']))
        ref = self.patched(ref, {'participant_id': None, 'goal_id': None})
        self.assertEqual((ref['participant_id'], ref['goal_id']), (None, None))
        self.assertEqual(ref['version'], 3)

    def test_a_participant_named_by_a_referral_is_not_deleted(self):
        ref = self.add(participant_id=self.parent['id'])
        path = f'/v1/participants/{self.parent["id"]}'
        p = self.assertProblem(self.request('DELETE', path, self.world.administrator), 409)
        self.assertIn('referrals', p['detail'])
        self.patched(ref, {'participant_id': None})
        self.remove(path)


class LifecycleTest(ReferralTest):
    def test_forbidden_move_detail_lists_exactly_the_allowed_statuses(self):
        p = self.assertProblem(self.patch(self.add(), {'status': 'completed'}), 409)
        self.assertIn('accepted, declined, cancelled', p['detail'])
        self.assertNotIn('in_progress', p['detail'])
        p = self.assertProblem(self.patch(self.referral_in('accepted'), {'status': 'referred'}), 409)
        self.assertIn('in_progress, cancelled', p['detail'])
        self.assertNotIn('declined', p['detail'])
        p = self.assertProblem(self.patch(self.referral_in('in_progress'), {'status': 'accepted'}), 409)
        self.assertIn('completed, cancelled', p['detail'])

    def test_a_forbidden_move_is_409_even_with_a_date(self):
        ref = self.referral_in('declined')
        r = self.patch(ref, {'status': 'accepted', 'status_changed_on': today()})
        self.assertProblem(r, 409)
        self.assertEqual(self.current(ref), ref)

    def test_final_referrals_still_take_other_changes(self):
        ref = self.referral_in('completed')
        ref = self.patched(ref, {'outcome': 'Completed 12 weeks; certificate on file.'})
        self.assertEqual((ref['status'], ref['outcome']), ('completed', 'Completed 12 weeks; certificate on file.'))

    def test_a_move_is_dated_today_unless_the_patch_gives_the_date(self):
        ref = self.add(referred_on='2026-03-01')
        self.assertEqual(ref['status_changed_on'], '2026-03-01')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-02'})
        self.assertEqual((ref['status'], ref['status_changed_on']), ('accepted', '2026-03-02'))
        ref = self.patched(ref, {'status': 'in_progress'})
        self.assertEqual((ref['status'], ref['status_changed_on']), ('in_progress', today()))

    def test_moves_may_fall_on_the_same_day(self):
        ref = self.add(referred_on='2026-03-02')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-02'})
        ref = self.patched(ref, {'status': 'in_progress', 'status_changed_on': '2026-03-02'})
        self.assertEqual(self.moves(ref), [('referred', '2026-03-02'), ('accepted', '2026-03-02'),
                                           ('in_progress', '2026-03-02')])

    def test_a_move_date_in_the_future_is_422(self):
        ref = self.add()
        for later in (days_from_today(1), '2099-12-31'):
            with self.subTest(status_changed_on=later):
                r = self.patch(ref, {'status': 'accepted', 'status_changed_on': later})
                self.assertInvalid(r, ['status_changed_on'])
        self.assertEqual(self.current(ref), ref)
        self.assertEqual(self.stored_history(ref), 1)

    def test_a_move_date_before_referred_on_is_422(self):
        ref = self.add(referred_on='2026-03-05')
        r = self.patch(ref, {'status': 'declined', 'status_changed_on': '2026-03-04'})
        self.assertInvalid(r, ['status_changed_on'])
        self.assertEqual(self.current(ref), ref)
        self.assertEqual(self.stored_history(ref), 1)

    def test_a_move_date_before_the_previous_status_change_is_422(self):
        ref = self.add(referred_on='2026-03-01')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-05'})
        r = self.patch(ref, {'status': 'in_progress', 'status_changed_on': '2026-03-04'})
        p = self.assertInvalid(r, ['status_changed_on'])
        self.assertIn('2026-03-05', p['errors'][0]['message'])
        self.assertEqual(self.current(ref), ref)
        self.assertEqual(self.stored_history(ref), 2)

    def test_changing_only_status_changed_on_is_a_correction(self):
        ref = self.add(referred_on='2026-03-01')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-05'})
        r = self.patch(ref, {'status_changed_on': '2026-03-03'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['status'], r.json()['status_changed_on']), ('accepted', '2026-03-03'))
        self.assertEqual(r.json()['version'], ref['version'] + 1)
        r = self.patch(r.json(), {'status': 'accepted', 'status_changed_on': '2026-03-04'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.moves(ref), [('referred', '2026-03-01'), ('accepted', '2026-03-05'),
                                           ('accepted', '2026-03-03'), ('accepted', '2026-03-04')])

    def test_a_correction_keeps_the_date_rules(self):
        ref = self.add(referred_on='2026-03-01')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-05'})
        self.assertInvalid(self.patch(ref, {'status_changed_on': days_from_today(1)}), ['status_changed_on'])
        self.assertInvalid(self.patch(ref, {'status_changed_on': '2026-02-28'}), ['status_changed_on'])
        self.assertEqual(self.current(ref), ref)
        self.assertEqual(self.stored_history(ref), 2)

    def test_a_correction_cannot_date_a_status_before_the_status_it_followed(self):
        ref = self.add(referred_on='2026-03-01')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-05'})
        ref = self.patched(ref, {'status': 'in_progress', 'status_changed_on': '2026-03-09'})
        r = self.patch(ref, {'status_changed_on': '2026-03-03'})
        self.assertInvalid(r, ['status_changed_on'])
        self.assertEqual(self.current(ref), ref)
        self.assertEqual(self.moves(ref), [('referred', '2026-03-01'), ('accepted', '2026-03-05'),
                                           ('in_progress', '2026-03-09')])

    def test_referred_on_cannot_move_past_the_latest_status_change(self):
        ref = self.add(referred_on='2026-03-01')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-05'})
        self.assertProblem(self.patch(ref, {'referred_on': '2026-03-06'}), 422)
        self.assertEqual(self.current(ref), ref)
        ref = self.patched(ref, {'referred_on': '2026-03-04'})
        self.assertEqual((ref['referred_on'], ref['status_changed_on']), ('2026-03-04', '2026-03-05'))


class HistoryTest(ReferralTest):
    def test_a_new_referral_has_one_entry(self):
        w = self.world.worker_a1
        ref = self.add(referred_on='2026-02-27')
        items = self.history(ref, w)
        self.assertEqual(len(items), 1, items)
        self.assertEqual(set(items[0]), HISTORY_KEYS)
        self.assertEqual((items[0]['status'], items[0]['changed_on'], items[0]['recorded_by']),
                         ('referred', '2026-02-27', w.sub))
        self.assertRegex(items[0]['recorded_at'], TIMESTAMP_RE)

    def test_history_answers_when_it_was_accepted_and_when_services_started(self):
        w = self.world
        ref = self.add(referred_on='2026-02-27', service_type='mental_health')
        ref = self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-02'}, w.supervisor_a)
        ref = self.patched(ref, {'status': 'in_progress', 'status_changed_on': '2026-03-09'}, w.integration)
        ref = self.patched(ref, {'status': 'completed', 'outcome': 'Completed 12 sessions.'})
        items = self.history(ref, w.worker_a1)
        self.assertEqual([(h['status'], h['changed_on'], h['recorded_by']) for h in items],
                         [('referred', '2026-02-27', w.worker_a1.sub), ('accepted', '2026-03-02', w.supervisor_a.sub),
                          ('in_progress', '2026-03-09', w.integration.sub), ('completed', today(), w.worker_a1.sub)])
        stamps = [h['recorded_at'] for h in items]
        for stamp in stamps:
            self.assertRegex(stamp, TIMESTAMP_RE)
        self.assertEqual(stamps, sorted(stamps))
        accepted = next(h['changed_on'] for h in items if h['status'] == 'accepted')
        started = next(h['changed_on'] for h in items if h['status'] == 'in_progress')
        self.assertEqual((accepted, started), ('2026-03-02', '2026-03-09'))

    def test_every_ending_is_kept(self):
        for status in ('declined', 'cancelled', 'completed'):
            with self.subTest(status=status):
                ref = self.referral_in(status)
                self.assertEqual([s for s, _ in self.moves(ref)], ['referred'] + PATH_TO[status])

    def test_changes_that_are_not_moves_add_no_entry(self):
        ref = self.referral_in('accepted')
        other_goal = self.add_goal(self.case)
        for body in ({'provider': 'Another provider'}, {'outcome': 'Waiting list: 3 weeks'},
                     {'goal_id': other_goal['id']}, {'service_type': 'housing'}, {}, {'status': 'accepted'},
                     {'referred_on': '2026-01-01'}):
            with self.subTest(body=body):
                self.assertEqual(self.patch(self.current(ref), body).status, 200)
        self.assertEqual(self.moves(ref), [('referred', today()), ('accepted', today())])

    def test_refused_changes_add_no_entry(self):
        w = self.world
        ref = self.referral_in('accepted')
        for r, status in ((self.patch(ref, {'status': 'declined'}), 409),
                          (self.patch(ref, {'status': 'in_progress', 'provider': ''}), 422),
                          (self.patch(ref, {'status': 'in_progress', 'status_changed_on': days_from_today(2)}), 422),
                          (self.patch(ref, {'status': 'in_progress'}, headers={'If-Match': '"1"'}), 412),
                          (self.patch(ref, {'status': 'in_progress'}, w.auditor), 403),
                          (self.patch(ref, {'status': 'in_progress'}, w.worker_b1), 404)):
            self.assertProblem(r, status)
        self.assertEqual(self.moves(ref), [('referred', today()), ('accepted', today())])

    def test_history_of_an_unknown_or_invisible_referral_is_404(self):
        w = self.world
        ref = self.add()
        path = f'/v1/service-referrals/{ref["id"]}/history'
        for who in (w.worker_a2, w.worker_b1, w.supervisor_b):
            with self.subTest(who=who.sub):
                self.assertSameProblem(self.request('GET', path, who),
                                       self.request('GET', f'/v1/service-referrals/{MISSING}/history', who))
        for bad in (MISSING, self.case['id'], 'abc', ref['id'][:-1]):
            with self.subTest(id=bad):
                self.assertProblem(
                    self.request('GET', f'/v1/service-referrals/{bad}/history', w.administrator), 404)

    def test_history_of_a_deleted_referral_is_404_and_stays_in_the_database(self):
        ref = self.referral_in('accepted')
        self.assertEqual(self.delete(ref).status, 204)
        for who in (self.world.administrator, self.world.worker_a1, self.world.auditor):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', f'/v1/service-referrals/{ref["id"]}/history', who), 404)
        self.assertEqual(self.stored_history(ref), 2)

    def test_history_takes_only_limit_and_cursor(self):
        ref = self.add()
        r = self.request('GET', f'/v1/service-referrals/{ref["id"]}/history?order=desc&limit=0',
                         self.world.worker_a1)
        self.assertProblem(r, 422, ['order', 'limit'])


class MergePatchTest(ReferralTest):
    def test_changing_the_service_type(self):
        ref = self.add(service_type='parenting')
        ref = self.patched(ref, {'service_type': 'family_preservation'})
        self.assertEqual(ref['service_type'], 'family_preservation')
        self.assertEqual(ref['version'], 2)


class AccessTest(CaseRecordAccessMatrix, ReferralTest):
    def filters_of(self, ref):
        return ({'case_id': ref['case_id']}, {'case_id': ref['case_id'], 'status': ref['status']},
                {'case_id': ref['case_id'], 'service_type': ref['service_type']},
                {'service_type': ref['service_type']}, {'status': ref['status']})

    def assertSees(self, who, ref):
        super().assertSees(who, ref)
        self.assertEqual(len(self.history(ref, who)), self.stored_history(ref))

    def test_caseworker_moves_the_status_of_own_case_referrals(self):
        w = self.world.worker_a1
        self.assertEqual(self.move(self.a1, 'accepted', who=w)['status'], 'accepted')


class ProtectedReferralTest(ReferralTest):
    """worker_a1's case holds a substance use treatment referral and a mental
    health one. Helpers only: the tests are in the classes below."""

    def setUp(self):
        super().setUp()
        self.sud = self.add(service_type=SUD, provider='Harbor Recovery Services',
                            participant_id=self.parent['id'], goal_id=self.goal['id'], referred_on='2026-03-01')
        self.plain = self.add(service_type='mental_health', provider='Northside Counseling')
        self.since = self.sud['created_at']

    def assertSeesProtected(self, who, ref=None):
        """who reads the referral by id, finds it in every list and reads its history."""
        ref = ref or self.sud
        r = self.request('GET', f'/v1/service-referrals/{ref["id"]}', who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), self.current(ref))
        self.assertIn(ref['id'], self.nested_ids(self.case, who))
        self.assertIn(ref['id'], self.nested_ids(self.case, who, service_type=SUD))
        self.assertIn(ref['id'], self.list_ids('/v1/service-referrals', who, case_id=self.case['id']))
        self.assertIn(ref['id'], self.list_ids('/v1/service-referrals', who, service_type=SUD,
                                               updated_since=self.since))
        self.assertIn(ref['id'], self.list_ids('/v1/service-referrals', who, updated_since=self.since))
        self.assertEqual(len(self.history(ref, who)), self.stored_history(ref))

    def assertProtectedFrom(self, who, ref=None, sees_case=True):
        """who gets 404 for the referral and its history and never finds it in a
        list; when sees_case, who still sees the case and its other referrals."""
        ref = ref or self.sud
        self.assertSameProblem(self.request('GET', f'/v1/service-referrals/{ref["id"]}', who),
                               self.request('GET', f'/v1/service-referrals/{MISSING}', who))
        self.assertSameProblem(self.request('GET', f'/v1/service-referrals/{ref["id"]}/history', who),
                               self.request('GET', f'/v1/service-referrals/{MISSING}/history', who))
        self.assertNotIn(ref['id'], self.list_ids('/v1/service-referrals', who, updated_since=self.since))
        for params in ({'case_id': self.case['id']}, {'case_id': self.case['id'], 'service_type': SUD},
                       {'service_type': SUD}, {'service_type': SUD, 'status': ref['status']}):
            with self.subTest(params=params):
                self.assertNotIn(ref['id'], self.list_ids('/v1/service-referrals', who, updated_since=self.since,
                                                          **params))
        r = self.request('GET', query('/v1/service-referrals', case_id=self.case['id'], service_type=SUD), who)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})
        if sees_case:
            self.assertEqual(self.request('GET', f'/v1/cases/{self.case["id"]}', who).status, 200)
            self.assertEqual(self.nested_ids(self.case, who, service_type=SUD), [])
            self.assertNotIn(ref['id'], self.nested_ids(self.case, who))
            self.assertIn(self.plain['id'], self.nested_ids(self.case, who))
            self.assertEqual(self.request('GET', f'/v1/service-referrals/{self.plain["id"]}', who).status, 200)
        else:
            self.assertProblem(self.request('GET', f'/v1/cases/{self.case["id"]}/service-referrals', who), 404)


class ProtectionEitherWay:
    """What holds whether CASEWORK_DISCLOSE_SUD is on or off (mixed into a
    ProtectedReferralTest)."""

    def test_the_assigned_worker_sees_it_everywhere(self):
        self.assertSeesProtected(self.world.worker_a1)

    def test_a_supervisor_of_the_case_unit_sees_it(self):
        self.assertSeesProtected(self.world.supervisor_a)

    def test_administrators_see_it(self):
        self.assertSeesProtected(self.world.administrator)

    def test_other_workers_and_other_units_do_not_see_it(self):
        for who in (self.world.worker_a2, self.world.worker_b1, self.world.supervisor_b):
            with self.subTest(who=who.sub):
                self.assertProtectedFrom(who, sees_case=False)

    def test_reassigning_the_case_moves_who_sees_it(self):
        w = self.world
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', w.supervisor_a,
                         body={'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertSeesProtected(w.worker_a2)
        self.assertProblem(self.request('GET', f'/v1/service-referrals/{self.sud["id"]}', w.worker_a1), 404)
        r = self.request('PATCH', f'/v1/cases/{self.case["id"]}', w.administrator, body={'unit': w.unit_b})
        self.assertEqual(r.status, 200, r)
        self.assertSeesProtected(w.supervisor_b)
        self.assertProblem(self.request('GET', f'/v1/service-referrals/{self.sud["id"]}', w.supervisor_a), 404)

    def test_the_worker_the_unit_supervisor_and_administrators_write_them(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a, w.administrator):
            with self.subTest(role=who.role):
                ref = self.add(who=who, service_type=SUD)
                self.assertEqual(self.move(ref, 'accepted', who=who)['status'], 'accepted')
                self.patched(self.sud, {'outcome': harness.unique('Outcome')}, who)

    def test_the_assigned_worker_may_change_another_referral_into_one(self):
        ref = self.patched(self.plain, {'service_type': SUD})
        self.assertEqual((ref['service_type'], ref['version']), (SUD, 2))
        self.assertSeesProtected(self.world.supervisor_a, ref)

    def test_auditors_write_none(self):
        a = self.world.auditor
        self.assertProblem(self.post(new_referral(service_type=SUD), who=a), 403)
        self.assertProblem(self.patch(self.plain, {'service_type': SUD}, a), 403)
        self.assertProblem(self.delete(self.plain, a), 403)
        self.assertEqual(self.current(self.plain), self.plain)
        self.assertEqual(self.current(self.sud), self.sud)

    def test_administrators_see_every_audit_row(self):
        self.move(self.sud, 'accepted')
        self.assertEqual([row['action'] for row in self.audit_rows(self.sud, self.world.administrator)],
                         ['create', 'update'])


class SubstanceUseTest(ProtectionEitherWay, ProtectedReferralTest):
    """CASEWORK_DISCLOSE_SUD off (the main service): auditors and integrations
    do not see substance use treatment referrals and may not write them."""

    def test_auditors_do_not_see_it(self):
        self.assertProtectedFrom(self.world.auditor)

    def test_integrations_do_not_see_it(self):
        self.assertProtectedFrom(self.world.integration)

    def test_it_stays_hidden_in_every_status(self):
        ref = self.add(service_type=SUD)
        for status in ('accepted', 'in_progress', 'completed'):
            ref = self.move(ref, status)
            for who in (self.world.auditor, self.world.integration):
                with self.subTest(status=status, role=who.role):
                    self.assertProtectedFrom(who, ref)

    def test_a_caseworker_who_is_also_an_auditor_sees_only_own_cases_protected_referrals(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('worker-auditor'), ['caseworker', 'auditor'], w.unit_b)
        own_case = self.create_case(w.administrator, assigned_worker=both.sub, unit=w.unit_b)
        mine = self.add(own_case, w.administrator, service_type=SUD)
        self.assertEqual(self.request('GET', f'/v1/service-referrals/{mine["id"]}', both).status, 200)
        self.assertIn(mine['id'], self.list_ids('/v1/service-referrals', both, service_type=SUD,
                                                updated_since=self.since))
        self.assertProtectedFrom(both)

    def test_an_integration_may_not_create_one(self):
        before = self.stored_count()
        p = self.assertProblem(self.post(new_referral(service_type=SUD), who=self.world.integration), 403)
        self.assertIn('42 CFR Part 2', p['detail'])
        self.assertEqual(self.stored_count(), before)

    def test_an_integration_may_not_change_a_referral_into_one(self):
        i = self.world.integration
        self.assertProblem(self.patch(self.plain, {'service_type': SUD}, i), 403)
        self.assertProblem(self.patch(self.plain, {'service_type': SUD, 'status': 'accepted'}, i), 403)
        self.assertEqual(self.current(self.plain), self.plain)
        self.assertEqual(self.patched(self.plain, {'status': 'accepted'}, i)['status'], 'accepted')

    def test_an_integration_cannot_reach_one_to_change_it(self):
        i = self.world.integration
        for body in ({'status': 'accepted'}, {'service_type': 'health'}, {'provider': 'X'}):
            with self.subTest(body=body):
                self.assertSameProblem(self.patch(self.sud, body, i), self.patch({'id': MISSING}, body, i))
        self.assertEqual(self.current(self.sud), self.sud)

    def test_a_referral_changed_into_one_is_hidden_from_auditors_and_integrations(self):
        ref = self.patched(self.plain, {'service_type': SUD})
        self.plain = self.add(service_type='housing')
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(role=who.role):
                self.assertProtectedFrom(who, ref)

    def test_a_referral_changed_out_of_it_is_seen_through_the_case(self):
        ref = self.patched(self.sud, {'service_type': 'health'})
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(role=who.role):
                r = self.request('GET', f'/v1/service-referrals/{ref["id"]}', who)
                self.assertEqual(r.status, 200, r)

    def test_the_audit_trail_shows_an_auditor_no_row_of_it(self):
        w = self.world
        self.move(self.sud, 'accepted')
        self.assertEqual(self.audit_rows(self.sud, w.auditor), [])
        r = self.request('GET', query('/v1/audit', resource_id=self.sud['id']), w.auditor)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})
        self.assertEqual([row['action'] for row in self.audit_rows(self.plain, w.auditor)], ['create'])

    def test_no_audit_filter_shows_an_auditor_a_row_of_it(self):
        w = self.world
        self.move(self.sud, 'accepted')
        for params in ({'actor': w.worker_a1.sub}, {'resource_type': 'service_referral', 'actor': w.worker_a1.sub},
                       {'resource_type': 'service_referral', 'from': self.since}):
            with self.subTest(params=params):
                ids = {row['resource_id'] for row in self.list_all('/v1/audit', w.auditor, **params)}
                self.assertNotIn(self.sud['id'], ids)
                self.assertIn(self.plain['id'], ids)
                admin_ids = {row['resource_id'] for row in self.list_all('/v1/audit', w.administrator, **params)}
                self.assertIn(self.sud['id'], admin_ids)

    def test_audit_rows_written_while_it_was_protected_stay_hidden(self):
        ref = self.move(self.patched(self.sud, {'service_type': 'health'}), 'accepted')
        self.assertEqual(len(self.audit_rows(ref, self.world.administrator)), 3)
        rows = self.audit_rows(ref, self.world.auditor)
        self.assertNotIn('create', [row['action'] for row in rows])
        for row in rows:
            for doc in (row['before'] or {}, row['after'] or {}):
                self.assertNotEqual(doc.get('service_type'), SUD, row)
                self.assertNotIn('provider', doc, row)

    def test_changing_a_referral_into_one_hides_its_earlier_audit_rows(self):
        ref = self.patched(self.plain, {'service_type': SUD})
        self.assertEqual(len(self.audit_rows(ref, self.world.administrator)), 2)
        self.assertEqual(self.audit_rows(ref, self.world.auditor), [])


class DisclosedSubstanceUseTest(ProtectionEitherWay, ProtectedReferralTest):
    """CASEWORK_DISCLOSE_SUD=1, on a second service over the same database:
    auditors and integrations see substance use treatment referrals, their
    history and their audit rows, and integrations write them; nobody else
    sees more than with the setting off."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.main = cls.api
        cls.api = cls.class_service('disclose-sud', CASEWORK_DISCLOSE_SUD='1')

    def test_auditors_see_it(self):
        self.assertSeesProtected(self.world.auditor)

    def test_integrations_see_it(self):
        self.assertSeesProtected(self.world.integration)

    def test_it_is_seen_in_every_status(self):
        ref = self.add(service_type=SUD)
        for status in ('accepted', 'in_progress', 'completed'):
            ref = self.move(ref, status)
            for who in (self.world.auditor, self.world.integration):
                with self.subTest(status=status, role=who.role):
                    self.assertSeesProtected(who, ref)

    def test_a_referral_changed_into_one_stays_seen_by_auditors_and_integrations(self):
        ref = self.patched(self.plain, {'service_type': SUD})
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(role=who.role):
                self.assertSeesProtected(who, ref)

    def test_integrations_write_them(self):
        i = self.world.integration
        created = self.add(who=i, service_type=SUD, participant_id=self.parent['id'])
        self.assertEqual(created['service_type'], SUD)
        self.assertEqual(self.move(created, 'accepted', 'in_progress', who=i)['status'], 'in_progress')
        self.assertEqual(self.patched(self.plain, {'service_type': SUD}, i)['service_type'], SUD)
        self.assertEqual(self.patched(self.sud, {'status': 'declined'}, i)['status'], 'declined')
        self.assertEqual([h['recorded_by'] for h in self.history(created, i)], [i.sub] * 3)

    def test_the_audit_trail_shows_an_auditor_its_rows(self):
        w = self.world
        self.move(self.sud, 'accepted')
        rows = self.audit_rows(self.sud, w.auditor)
        self.assertEqual([row['action'] for row in rows], ['create', 'update'])
        self.assertEqual(rows[0]['after'], without_bookkeeping(self.sud))
        ids = {row['resource_id'] for row in self.list_all('/v1/audit', w.auditor, actor=w.worker_a1.sub)}
        self.assertIn(self.sud['id'], ids)

    def test_audit_rows_of_every_period_are_shown(self):
        ref = self.move(self.patched(self.sud, {'service_type': 'health'}), 'accepted')
        self.assertEqual([row['action'] for row in self.audit_rows(ref, self.world.auditor)],
                         ['create', 'update', 'update'])

    def test_a_service_without_the_setting_still_hides_it(self):
        w = self.world
        for who in (w.auditor, w.integration):
            with self.subTest(role=who.role):
                r = self.main.request('GET', f'/v1/service-referrals/{self.sud["id"]}', token=who.token)
                self.assertProblem(r, 404)
                r = self.main.request('GET', query('/v1/service-referrals', case_id=self.case['id'],
                                                   service_type=SUD), token=who.token)
                self.assertEqual(r.json(), {'items': [], 'next_cursor': None})
                r = self.api.request('GET', f'/v1/service-referrals/{self.sud["id"]}', token=who.token)
                self.assertEqual(r.status, 200, r)
        r = self.main.request('GET', query('/v1/audit', resource_id=self.sud['id']), token=w.auditor.token)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})


class ListTest(ReferralTest):
    def make(self, n, case=None, who=None, **fields):
        return [self.add(case, who, **fields) for _ in range(n)]

    def test_pages_hold_no_protected_referral_for_those_who_may_not_see_it(self):
        made = self.make(2) + self.make(2, service_type=SUD) + self.make(2)
        plain = [r['id'] for r in made if r['service_type'] != SUD]
        for limit in (1, 2, 3):
            with self.subTest(limit=limit):
                pages = self.pages(f'/v1/cases/{self.case["id"]}/service-referrals', self.world.auditor, limit)
                self.assertEqual([i for page in pages for i in page], plain)
                pages = self.pages(f'/v1/cases/{self.case["id"]}/service-referrals', self.world.worker_a1, limit)
                self.assertEqual([i for page in pages for i in page], [r['id'] for r in made])

    def test_service_type_and_status_filters(self):
        w = self.world.worker_a1
        housing, parenting, sud = self.add(service_type='housing'), self.add(), self.add(service_type=SUD)
        accepted = self.move(self.add(service_type='housing'), 'accepted')
        path = f'/v1/cases/{self.case["id"]}/service-referrals'
        for p in (path, '/v1/service-referrals'):
            with self.subTest(path=p):
                self.assertEqual(self.list_ids(p, w, service_type='housing'), [housing['id'], accepted['id']])
                self.assertEqual(self.list_ids(p, w, service_type=SUD), [sud['id']])
                self.assertEqual(self.list_ids(p, w, status='accepted'), [accepted['id']])
                self.assertEqual(self.list_ids(p, w, status='referred'), [housing['id'], parenting['id'], sud['id']])
                self.assertEqual(self.list_ids(p, w, status='referred', service_type='housing'), [housing['id']])
                self.assertEqual(self.list_ids(p, w, status='completed'), [])
                self.assertEqual(self.list_ids(p, w, service_type='education'), [])

    def test_bad_filters_are_422(self):
        w = self.world.worker_a1
        for path in (self.nested_path(self.case), self.list_path):
            for params, fields in (('status=done', ['status']), ('service_type=detox', ['service_type']),
                                   ('provider=x', ['provider']),
                                   ('status=x&limit=-1&nope=1', ['status', 'limit', 'nope'])):
                with self.subTest(path=path, params=params):
                    self.assertProblem(self.request('GET', f'{path}?{params}', w), 422, fields)

    def test_a_cursor_from_one_case_list_cannot_widen_another(self):
        self.make(3)
        hidden_case = self.create_case(self.world.worker_b1)
        self.make(2, hidden_case, self.world.worker_b1)
        w = self.world.worker_a1
        cursor = self.request('GET', query(f'/v1/cases/{self.case["id"]}/service-referrals', limit=1),
                              w).json()['next_cursor']
        r = self.request('GET', query('/v1/service-referrals', cursor=cursor, case_id=hidden_case['id']), w)
        self.assertIn(r.status, (200, 422), r)
        if r.status == 200:
            self.assertEqual(r.json()['items'], [])


class ConcurrencyTest(ReferralTest):
    def test_concurrent_moves_to_two_final_statuses_leave_exactly_one(self):
        for start, finals in (('referred', ('declined', 'cancelled')), ('in_progress', ('completed', 'cancelled'))):
            for round_ in range(3):
                with self.subTest(start=start, round=round_):
                    ref = self.referral_in(start)
                    results = at_once(2, lambda i: self.patch(ref, {'status': finals[i]}))
                    self.assertEqual(sorted(r.status for r in results), [200, 409], results)
                    winner = next(r.json() for r in results if r.status == 200)
                    self.assertEqual(self.current(ref), winner)
                    self.assertEqual(winner['version'], ref['version'] + 1)
                    self.assertEqual([s for s, _ in self.moves(ref)], ['referred'] + PATH_TO[start] + [winner['status']])
                    self.assertEqual(len(self.audit_rows(ref)), ref['version'] + 1)


class AuditTest(ReferralTest):
    def test_a_status_move_is_audited_with_its_date(self):
        s = self.world.supervisor_a
        ref = self.add(referred_on='2026-03-01', participant_id=self.parent['id'])
        self.patched(ref, {'status': 'accepted', 'status_changed_on': '2026-03-02'}, s)
        rows = self.audit_rows(ref)
        self.assertEqual([row['action'] for row in rows], ['create', 'update'])
        self.assertEqual((rows[1]['actor'], rows[1]['before'], rows[1]['after']),
                         (s.sub, {'status': 'referred', 'status_changed_on': '2026-03-01'},
                          {'status': 'accepted', 'status_changed_on': '2026-03-02'}))

    def test_audit_rows_are_filtered_by_resource_type(self):
        ref = self.add()
        rows = self.list_all('/v1/audit', self.world.auditor, resource_type='service_referral',
                             actor=self.world.worker_a1.sub)
        self.assertEqual([row['resource_id'] for row in rows], [ref['id']])


class ReferralDatesWhileReferredTest(ReferralTest):
    def test_the_status_date_is_the_referral_date_while_referred(self):
        r = self.post({'service_type': 'housing', 'provider': 'P', 'referred_on': '2026-03-01',
                       'status_changed_on': '2026-03-04'})
        self.assertProblem(r, 422, ['status_changed_on'])
        referral = self.add(referred_on='2026-03-01')
        r = self.request('PATCH', f'/v1/service-referrals/{referral["id"]}', self.world.worker_a1,
                         body={'referred_on': '2026-02-20'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['status_changed_on'], '2026-02-20')


class GoalNamedByReferralTest(ReferralTest):
    def test_a_goal_a_referral_names_is_not_deleted(self):
        plan = self.request('POST', f'/v1/cases/{self.case["id"]}/plans', self.world.worker_a1, body={}).json()
        goal = self.request('POST', f'/v1/plans/{plan["id"]}/goals', self.world.worker_a1,
                            body={'description': 'Stable housing'}).json()
        referral = self.add(goal_id=goal['id'])
        problem = self.assertProblem(self.request('DELETE', f'/v1/goals/{goal["id"]}', self.world.administrator), 409)
        self.assertIn('name this goal', problem['detail'])
        r = self.request('PATCH', f'/v1/service-referrals/{referral["id"]}', self.world.worker_a1,
                         body={'goal_id': None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.request('DELETE', f'/v1/goals/{goal["id"]}', self.world.administrator).status, 204)
