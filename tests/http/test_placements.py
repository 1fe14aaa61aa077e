"""Placements: where a child lives during a removal episode, at
/v1/episodes/{id}/placements, /v1/placements and /v1/placements/{id}.

What every kind of record keeps (contract.py) and the role matrix of records
under a case (base.py) run on PlacementTest, whose records go under an open
episode of a child of a case of worker_a1's, each at dates of its own (an
episode's placements do not overlap). Here are placements' own rules: an end
goes with its reason, on or after the start; a placement lies inside its
episode; placements do not overlap except on a move day, even when two
requests race; discharging the episode ends its open placement; and a
placement of an episode the caller cannot see is 404.
"""
import harness
from base import MISSING, CaseRecordAccessMatrix, RecordTest, days_after, days_from_today
from contract import ChildRecordContract

PLACEMENT_KEYS = {'id', 'episode_id', 'participant_id', 'case_id', 'started_on', 'ended_on', 'setting',
                  'provider_name', 'end_reason', 'version', 'created_at', 'updated_at'}
EPISODE_START = '2001-01-01'


class PlacementTest(RecordTest):
    """Each test's records go under an open episode (from 2001-01-01) of a child of
    a case of worker_a1's; each new body takes ten days of its own from then on."""

    resource_type = 'placement'
    path = list_path = '/v1/placements'
    parent_path = '/v1/episodes'
    nested = 'placements'
    parent_field = 'episode_id'
    table = 'placements'
    keys = PLACEMENT_KEYS
    required = not_nullable = ('started_on', 'setting')
    nullable = ('ended_on', 'provider_name', 'end_reason')
    read_only = ('id', 'episode_id', 'participant_id', 'case_id', 'version', 'created_at', 'updated_at')
    text_field = 'provider_name'
    invalid_body = {'started_on': '2025-13-01', 'ended_on': 'soon', 'setting': 'hotel', 'provider_name': '',
                    'end_reason': 'bored', 'colour': 'blue', 'id': MISSING, 'episode_id': MISSING,
                    'participant_id': MISSING, 'case_id': MISSING, 'version': 3}
    invalid_patch = {'started_on': None, 'setting': 'tent', 'provider_name': 'a' * 201, 'end_reason': 7}

    def next_days(self):
        self._days = getattr(self, '_days', -1) + 1
        return days_after(EPISODE_START, 10 * self._days)

    def new_body(self, parent=None, **fields):
        started = self.next_days()
        body = {'started_on': started, 'ended_on': days_after(started, 5), 'setting': 'nonrelative_foster_home',
                'provider_name': harness.unique('Foster family'), 'end_reason': 'step_down'}
        body.update(fields)
        return body

    def full_body(self, parent=None):
        return self.new_body(parent, setting='relative_foster_home', end_reason='kin_found')

    def make_episode(self, child, **fields):
        body = {'removed_on': EPISODE_START}
        body.update(fields)
        r = self.request('POST', f'/v1/participants/{child["id"]}/episodes', self.world.administrator, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def make_parent(self, who=None, **fields):
        return self.make_episode(self.add_participant(self.create_case(who or self.world.worker_a1, **fields),
                                                      role='child'))


class ContractTest(ChildRecordContract, PlacementTest):
    def refused_creates(self, parent):
        return [(self.post(self.new_body(parent, ended_on='2000-12-31'), parent), 422),
                (self.post(self.new_body(parent, end_reason=None), parent), 422),
                (self.post(self.new_body(parent, started_on='2000-12-31'), parent), 422),
                (self.post(self.new_body(parent, started_on=days_from_today(1), ended_on=None, end_reason=None),
                           parent), 422)]

    def refused_patches(self, record):
        return [(self.patch(record, {'ended_on': None}), 422),
                (self.patch(record, {'started_on': '2000-06-01'}), 422),
                (self.patch(record, {'ended_on': days_from_today(1)}), 422)]


class AccessTest(CaseRecordAccessMatrix, PlacementTest):
    def filters_of(self, record):
        return ({'episode_id': record['episode_id']}, {'participant_id': record['participant_id']},
                {'case_id': record['case_id']})


class RulesTest(PlacementTest):
    def test_an_end_goes_with_its_reason_on_or_after_the_start(self):
        episode = self.default_parent()
        cases = [({'end_reason': None}, ['end_reason']),
                 ({'ended_on': None}, ['end_reason']),
                 ({'ended_on': '2001-01-09'}, ['ended_on']),
                 ({'ended_on': days_from_today(1)}, ['ended_on']),
                 ({'setting': None, 'end_reason': 'moved'}, ['setting', 'end_reason'])]
        for fields, bad in cases:
            with self.subTest(fields=fields):
                body = self.new_body(**dict({'started_on': '2001-01-10', 'ended_on': '2001-01-12'}, **fields))
                self.assertInvalid(self.post(body, episode), bad)
        r = self.post(self.new_body(started_on='2001-01-10', ended_on='2001-01-10'), episode)
        self.assertEqual(r.status, 201, r)

    def test_every_setting_and_end_reason(self):
        episode = self.default_parent()
        settings = ('relative_foster_home', 'nonrelative_foster_home', 'pre_adoptive_home', 'group_home',
                    'institution', 'supervised_independent_living', 'trial_home_visit', 'runaway')
        reasons = ('step_down', 'step_up', 'reunification', 'provider_request', 'child_behavior',
                   'allegation_in_care', 'kin_found', 'discharge', 'other')
        for setting, reason in zip(settings, reasons):
            with self.subTest(setting=setting):
                r = self.post(self.new_body(setting=setting, end_reason=reason), episode)
                self.assertEqual(r.status, 201, r)

    def test_a_placement_lies_inside_its_episode(self):
        child = self.add_participant(self.create_case(self.world.worker_a1), role='child')
        episode = self.make_episode(child, removed_on='2020-03-01', discharged_on='2020-06-30',
                                    discharge_reason='reunification')
        cases = [({'started_on': '2020-02-29', 'ended_on': '2020-03-05'}, ['started_on']),
                 ({'started_on': '2020-07-01', 'ended_on': '2020-07-02'}, ['started_on', 'ended_on']),
                 ({'started_on': '2020-06-01', 'ended_on': '2020-07-01'}, ['ended_on']),
                 ({'started_on': '2020-06-01', 'ended_on': None, 'end_reason': None}, ['ended_on'])]
        for fields, bad in cases:
            with self.subTest(fields=fields):
                self.assertInvalid(self.post(self.new_body(**fields), episode), bad)
        r = self.post(self.new_body(started_on='2020-03-01', ended_on='2020-06-30'), episode)
        self.assertEqual(r.status, 201, r)
        # Neither may the episode's dates leave its placements outside.
        ep = self.read(f'/v1/episodes/{episode["id"]}')
        r = self.request('PATCH', f'/v1/episodes/{ep["id"]}', self.world.worker_a1, body={'removed_on': '2020-03-02'})
        p = self.assertInvalid(r, ['removed_on'])
        self.assertIn(self.list_ids(self.nested_path(episode), self.world.administrator)[0], p['errors'][0]['message'])
        r = self.request('PATCH', f'/v1/episodes/{ep["id"]}', self.world.worker_a1, body={'discharged_on': '2020-06-29'})
        self.assertInvalid(r, ['discharged_on'])
        self.assertEqual(self.read(f'/v1/episodes/{episode["id"]}'), ep)

    def test_an_episode_in_a_case_the_caller_cannot_see_is_404(self):
        w = self.world
        hidden = self.make_parent(w.worker_b1)
        missing = {'id': MISSING}
        for who in (w.worker_a1, w.supervisor_a):
            with self.subTest(sub=who.sub):
                self.assertSameProblem(self.post(self.new_body(), hidden, who), self.post(self.new_body(), missing, who))
                self.assertSameProblem(self.request('GET', self.nested_path(hidden), who),
                                       self.request('GET', self.nested_path(missing), who))
        self.assertEqual(self.stored_count(hidden), 0)


class OverlapTest(PlacementTest):
    def test_overlapping_placements_are_409_naming_the_other(self):
        episode = self.default_parent()
        first = self.add(episode, started_on='2002-01-10', ended_on='2002-02-10')
        for started, ended in (('2002-02-09', '2002-03-01'), ('2002-01-01', '2002-01-11'), ('2002-01-15', '2002-01-15'),
                               ('2002-01-01', None), ('2002-01-10', '2002-01-10')):
            with self.subTest(started=started, ended=ended):
                body = self.new_body(started_on=started, ended_on=ended, end_reason='other' if ended else None)
                p = self.assertProblem(self.post(body, episode), 409)
                self.assertIn(first['id'], p['detail'])
        self.assertEqual(self.stored_count(episode), 1)

    def test_one_may_end_on_the_day_the_next_starts(self):
        episode = self.default_parent()
        self.add(episode, started_on='2002-01-10', ended_on='2002-02-10')
        after = self.add(episode, started_on='2002-02-10', ended_on=None, end_reason=None)
        before = self.add(episode, started_on='2002-01-01', ended_on='2002-01-10')
        self.assertEqual(self.list_ids(self.nested_path(episode), self.world.worker_a1)[1:], [after['id'], before['id']])
        # A placement of one day, ended on the day it started, holds that day.
        p = self.assertProblem(self.post(self.new_body(started_on='2002-01-05', ended_on='2002-01-05'), episode), 409)
        self.assertIn(before['id'], p['detail'])

    def test_two_concurrent_overlapping_creates_leave_exactly_one(self):
        episode = self.default_parent()
        bodies = [self.new_body(started_on=f'2003-0{i + 1}-01', ended_on=None, end_reason=None) for i in range(4)]
        winner = self.raced_creates(bodies, episode, names_the_winner=True)
        self.assertEqual(self.list_ids(self.nested_path(episode), self.world.worker_a1), [winner['id']])


class DischargeTest(PlacementTest):
    def test_discharging_the_episode_ends_its_open_placement_that_day(self):
        w = self.world
        episode = self.default_parent()
        ended = self.add(episode, started_on='2004-01-01', ended_on='2004-02-01', end_reason='step_up')
        current = self.add(episode, started_on='2004-02-01', ended_on=None, end_reason=None)
        r = self.request('PATCH', f'/v1/episodes/{episode["id"]}', w.worker_a1,
                         body={'discharged_on': '2004-06-30', 'discharge_reason': 'reunification'})
        self.assertEqual(r.status, 200, r)
        now = self.current(current)
        self.assertEqual((now['ended_on'], now['end_reason'], now['version']), ('2004-06-30', 'discharge', 2))
        self.assertUnchanged(ended)
        rows = self.audit_rows(current)
        self.assertEqual((rows[-1]['action'], rows[-1]['actor'], rows[-1]['request_id']),
                         ('update', w.worker_a1.sub, r.header('X-Request-Id')))
        self.assertEqual(rows[-1]['after'], {'ended_on': '2004-06-30', 'end_reason': 'discharge'})

    def test_a_discharge_before_the_open_placement_started_is_422(self):
        w = self.world
        episode = self.default_parent()
        current = self.add(episode, started_on='2004-02-01', ended_on=None, end_reason=None)
        r = self.request('PATCH', f'/v1/episodes/{episode["id"]}', w.worker_a1,
                         body={'discharged_on': '2004-01-31', 'discharge_reason': 'reunification'})
        p = self.assertInvalid(r, ['discharged_on'])
        self.assertIn(current['id'], p['errors'][0]['message'])
        self.assertUnchanged(current)

    def test_a_discharge_through_the_childs_dates_ends_it_too(self):
        w = self.world
        episode = self.default_parent()
        current = self.add(episode, started_on='2004-02-01', ended_on=None, end_reason=None)
        r = self.request('PATCH', f'/v1/participants/{episode["participant_id"]}', w.worker_a1,
                         body={'in_care_until': '2004-03-31'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((self.current(current)['ended_on'], self.current(current)['end_reason']),
                         ('2004-03-31', 'discharge'))
        self.assertEqual(self.read(f'/v1/episodes/{episode["id"]}')['discharge_reason'], 'not_recorded')

    def test_deleting_the_episode_clears_the_childs_dates(self):
        # That its placements go with it, ContractTest.test_deleting_the_parent_hides_its_records says.
        w = self.world
        episode = self.default_parent()
        self.add(episode)
        r = self.request('DELETE', f'/v1/episodes/{episode["id"]}', w.administrator)
        self.assertEqual(r.status, 204, r)
        child = self.request('GET', f'/v1/participants/{episode["participant_id"]}', w.administrator).json()
        self.assertEqual((child['in_care_since'], child['in_care_until']), (None, None))
