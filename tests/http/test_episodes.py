"""Removal episodes: a child's removals into out-of-home care, at
/v1/participants/{id}/episodes, /v1/episodes and /v1/episodes/{id}.

What every kind of record keeps (contract.py) and the role matrix of records
under a case (base.py) run on EpisodeTest, whose records go under a child of a
case of worker_a1's, each at dates of its own (a child's episodes never
overlap). Here are episodes' own rules: only a child is removed; a discharge
goes with its reason, on or after the removal; a concurrent goal differs from
the permanency goal; a child's episodes never overlap, even when two requests
race; and the participant's in_care_since / in_care_until are the latest
episode's dates, both ways.
"""
import harness
from base import MISSING, CaseRecordAccessMatrix, RecordTest, at_once, days_after, days_from_today, today
from contract import ChildRecordContract

EPISODE_KEYS = {'id', 'participant_id', 'case_id', 'removed_on', 'removal_manner', 'removal_reasons',
                'discharged_on', 'discharge_reason', 'permanency_goal', 'concurrent_goal', 'tpr_exception', 'notes',
                'entered_care_on', 'version', 'created_at', 'updated_at'}


class EpisodeTest(RecordTest):
    """Each test's records go under a child of a case of worker_a1's; each new
    body takes ten days of its own from 2001-01-01 on, so that none overlaps
    another of the test."""

    resource_type = 'episode'
    path = list_path = '/v1/episodes'
    parent_path = '/v1/participants'
    nested = 'episodes'
    parent_field = 'participant_id'
    table = 'episodes'
    keys = EPISODE_KEYS
    required = not_nullable = ('removed_on',)
    nullable = ('removal_manner', 'removal_reasons', 'discharged_on', 'discharge_reason', 'permanency_goal',
                'concurrent_goal', 'tpr_exception', 'notes')
    read_only = ('id', 'participant_id', 'case_id', 'entered_care_on', 'version', 'created_at', 'updated_at')
    text_field = 'notes'
    invalid_body = {'removed_on': '2025-02-30', 'removal_manner': 'by_force', 'removal_reasons': [],
                    'discharged_on': 20250101, 'discharge_reason': 'not_recorded', 'permanency_goal': 'home',
                    'concurrent_goal': 7, 'tpr_exception': 'none', 'notes': ' ', 'colour': 'blue', 'id': MISSING,
                    'participant_id': MISSING, 'case_id': MISSING, 'entered_care_on': '2025-01-01', 'version': 2}
    invalid_patch = {'removed_on': None, 'removal_reasons': ['neglect', 'neglect'], 'discharge_reason': 'moved',
                     'tpr_exception': 'compelling'}

    def next_days(self):
        """The start of ten days no other body of this test has used."""
        self._days = getattr(self, '_days', -1) + 1
        return days_after('2001-01-01', 10 * self._days)

    def new_body(self, parent=None, **fields):
        removed = self.next_days()
        body = {'removed_on': removed, 'discharged_on': days_after(removed, 5), 'discharge_reason': 'reunification',
                'notes': harness.unique('Removed after a report')}
        body.update(fields)
        return {k: v for k, v in body.items() if v is not ...}

    def full_body(self, parent=None):
        return self.new_body(parent, removal_manner='court_ordered', removal_reasons=['neglect', 'inadequate_housing'],
                             permanency_goal='reunification', concurrent_goal='adoption',
                             tpr_exception='relative_placement')

    def defaults(self, who):
        return {'removal_manner': None, 'removal_reasons': None, 'permanency_goal': None, 'concurrent_goal': None,
                'tpr_exception': None}

    def make_parent(self, who=None, **fields):
        return self.add_participant(self.create_case(who or self.world.worker_a1, **fields), role='child')

    def dates_of(self, child):
        """The child's in_care_since and in_care_until as the participant answers them now."""
        p = self.read(f'/v1/participants/{child["id"]}')
        return p['in_care_since'], p['in_care_until']


class ContractTest(ChildRecordContract, EpisodeTest):
    def refused_creates(self, parent):
        return [(self.post(self.new_body(parent, discharged_on='2000-12-31'), parent), 422),
                (self.post(self.new_body(parent, discharge_reason=None), parent), 422),
                (self.post(self.new_body(parent, permanency_goal='adoption', concurrent_goal='adoption'), parent),
                 422),
                (self.post(self.new_body(parent, removed_on=days_from_today(1), discharged_on=None,
                                         discharge_reason=None), parent), 422)]

    def refused_patches(self, record):
        return [(self.patch(record, {'discharged_on': None}), 422),
                (self.patch(record, {'discharged_on': days_from_today(1)}), 422),
                (self.patch(record, {'permanency_goal': 'guardianship', 'concurrent_goal': 'guardianship'}), 422)]


class AccessTest(CaseRecordAccessMatrix, EpisodeTest):
    def filters_of(self, record):
        return ({'participant_id': record['participant_id']}, {'case_id': record['case_id']},
                {'case_id': record['case_id'], 'participant_id': record['participant_id']})


class RulesTest(EpisodeTest):
    def test_only_a_child_is_removed(self):
        case = self.create_case(self.world.worker_a1)
        for role in ('parent', 'caregiver', 'relative', 'foster_parent', 'other'):
            with self.subTest(role=role):
                parent = self.add_participant(case, role=role)
                r = self.post(self.new_body(), parent)
                p = self.assertInvalid(r, ['participant_id'])
                self.assertIn(role, p['errors'][0]['message'])
                self.assertInvalid(self.post(self.new_body(discharged_on='2000-01-01'), parent),
                                   ['participant_id', 'discharged_on'])
        self.assertEqual(self.writes(), 0)

    def test_a_discharge_goes_with_its_reason_on_or_after_the_removal(self):
        child = self.default_parent()
        cases = [({'discharge_reason': None}, ['discharge_reason']),
                 ({'discharged_on': None}, ['discharge_reason']),
                 ({'discharged_on': '2000-12-31'}, ['discharged_on']),
                 ({'discharged_on': days_from_today(1)}, ['discharged_on']),
                 ({'removed_on': days_from_today(1), 'discharged_on': days_from_today(2)},
                  ['removed_on', 'discharged_on']),
                 ({'discharge_reason': 'not_recorded'}, ['discharge_reason'])]
        for fields, bad in cases:
            with self.subTest(fields=fields):
                self.assertInvalid(self.post(self.new_body(**dict({'removed_on': '2001-01-01'}, **fields)), child), bad)
        r = self.post(self.new_body(removed_on='2001-01-01', discharged_on='2001-01-01'), child)
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json()['discharged_on'], r.json()['entered_care_on']), ('2001-01-01', '2001-03-02'))

    def test_the_removal_is_not_before_birth(self):
        child = self.add_participant(self.case_of_a1(), role='child', date_of_birth='2010-06-15')
        self.assertInvalid(self.post(self.new_body(removed_on='2010-06-14', discharged_on='2010-07-01'), child),
                           ['removed_on'])
        r = self.post(self.new_body(removed_on='2010-06-15', discharged_on='2010-07-01'), child)
        self.assertEqual(r.status, 201, r)

    def case_of_a1(self):
        return self.create_case(self.world.worker_a1)

    def test_reasons_are_one_or_more_known_codes_each_once(self):
        for bad in ([], ['neglect', 'neglect'], ['hunger'], 'neglect', [None], [1]):
            with self.subTest(reasons=bad):
                self.assertInvalid(self.post(self.new_body(removal_reasons=bad)), ['removal_reasons'])
        every = ['neglect', 'physical_abuse', 'sexual_abuse', 'parent_substance_use', 'parent_incarceration',
                 'inadequate_housing', 'caretaker_inability', 'child_behavior', 'abandonment', 'other']
        r = self.post(self.new_body(removal_reasons=every))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['removal_reasons'], every)

    def test_the_concurrent_goal_differs_from_the_permanency_goal(self):
        r = self.post(self.new_body(permanency_goal='reunification', concurrent_goal='reunification'))
        self.assertInvalid(r, ['concurrent_goal'])
        record = self.add(permanency_goal='reunification', concurrent_goal='guardianship')
        self.assertInvalid(self.patch(record, {'permanency_goal': 'guardianship'}), ['concurrent_goal'])
        r = self.patch(record, {'permanency_goal': 'guardianship', 'concurrent_goal': 'reunification'})
        self.assertEqual(r.status, 200, r)
        r = self.patch(record, {'concurrent_goal': None})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['permanency_goal'], 'guardianship')

    def test_the_permanency_goals_history_is_the_field_history(self):
        w = self.world
        record = self.add(permanency_goal='reunification')
        self.patched(record, {'permanency_goal': 'adoption', 'concurrent_goal': 'guardianship'}, w.supervisor_a)
        history = self.request('GET', f'/v1/episodes/{record["id"]}/history', w.worker_a1).json()
        self.assertEqual([(e['value'], e['by']) for e in history['fields']['permanency_goal']],
                         [('reunification', w.worker_a1.sub), ('adoption', w.supervisor_a.sub)])
        self.assertEqual([e['value'] for e in history['fields']['concurrent_goal']], [None, 'guardianship'])


class OverlapTest(EpisodeTest):
    def test_overlapping_episodes_are_409_naming_the_other(self):
        child = self.default_parent()
        first = self.add(child, removed_on='2020-01-10', discharged_on='2020-03-31')
        for removed, discharged in (('2020-03-31', '2020-05-01'), ('2019-12-01', '2020-01-10'),
                                    ('2020-02-01', '2020-02-02'), ('2019-01-01', '2021-01-01'), ('2019-01-01', None)):
            with self.subTest(removed=removed, discharged=discharged):
                r = self.post(self.new_body(removed_on=removed, discharged_on=discharged,
                                            discharge_reason='reunification' if discharged else None), child)
                p = self.assertProblem(r, 409)
                self.assertIn(first['id'], p['detail'])
        self.assertEqual(self.stored_count(child), 1)
        # Back to back is no overlap.
        r = self.post(self.new_body(removed_on='2020-04-01', discharged_on=None, discharge_reason=None), child)
        self.assertEqual(r.status, 201, r)

    def test_only_the_latest_episode_may_be_open(self):
        child = self.default_parent()
        open_one = self.add(child, removed_on='2022-05-01', discharged_on=None, discharge_reason=None)
        p = self.assertProblem(self.post(self.new_body(removed_on='2023-01-01', discharged_on=None,
                                                       discharge_reason=None), child), 409)
        self.assertIn(open_one['id'], p['detail'])
        p = self.assertProblem(self.post(self.new_body(removed_on='2021-01-01', discharged_on=None,
                                                       discharge_reason=None), child), 409)
        self.assertIn(open_one['id'], p['detail'])
        earlier = self.add(child, removed_on='2021-01-01', discharged_on='2021-12-31')
        # Reopening the earlier one would run into the open one.
        p = self.assertProblem(self.patch(earlier, {'discharged_on': None, 'discharge_reason': None}), 409)
        self.assertIn(open_one['id'], p['detail'])
        self.assertUnchanged(earlier)

    def test_episodes_of_two_children_may_overlap(self):
        case = self.create_case(self.world.worker_a1)
        for name in ('Ana', 'Ben'):
            child = self.add_participant(case, role='child', first_name=name)
            r = self.post(self.new_body(removed_on='2024-02-01', discharged_on=None, discharge_reason=None), child)
            self.assertEqual(r.status, 201, r)

    def test_two_concurrent_overlapping_creates_leave_exactly_one(self):
        child = self.default_parent()
        bodies = [self.new_body(removed_on=f'2024-0{i + 1}-01', discharged_on=None, discharge_reason=None)
                  for i in range(4)]
        winner = self.raced_creates(bodies, child, names_the_winner=True)
        self.assertEqual(self.list_ids(self.nested_path(child), self.world.worker_a1), [winner['id']])

    def test_two_concurrent_patches_into_each_other_leave_exactly_one(self):
        # Each alone is fine; together they would share February 10 to 20.
        child = self.default_parent()
        a = self.add(child, removed_on='2024-01-01', discharged_on='2024-01-31')
        b = self.add(child, removed_on='2024-03-01', discharged_on='2024-03-31')
        patches = [(a, {'discharged_on': '2024-02-20'}), (b, {'removed_on': '2024-02-10'})]
        results = at_once(2, lambda i: self.patch(patches[i][0], patches[i][1]))
        self.assertEqual(sorted(r.status for r in results), [200, 409], results)
        episodes = self.list_all(self.nested_path(child), self.world.worker_a1)
        spans = sorted((e['removed_on'], e['discharged_on']) for e in episodes)
        self.assertTrue(spans[0][1] < spans[1][0], spans)


class CareDatesTest(EpisodeTest):
    """The participant's in_care_since / in_care_until are the latest episode's dates."""

    def test_a_childs_dates_are_the_latest_episodes(self):
        child = self.default_parent()
        self.assertEqual(self.dates_of(child), (None, None))
        first = self.add(child, removed_on='2019-02-01', discharged_on='2019-08-31')
        self.assertEqual(self.dates_of(child), ('2019-02-01', '2019-08-31'))
        second = self.add(child, removed_on='2021-05-05', discharged_on=None, discharge_reason=None)
        self.assertEqual(self.dates_of(child), ('2021-05-05', None))
        self.patched(second, {'discharged_on': '2022-01-31', 'discharge_reason': 'guardianship'})
        self.assertEqual(self.dates_of(child), ('2021-05-05', '2022-01-31'))
        self.assertEqual(self.delete(second).status, 204)
        self.assertEqual(self.dates_of(child), ('2019-02-01', '2019-08-31'))
        self.assertEqual(self.delete(first).status, 204)
        self.assertEqual(self.dates_of(child), (None, None))

    def test_writing_a_childs_dates_opens_the_first_episode_then_edits_the_latest(self):
        w = self.world
        child = self.default_parent()
        r = self.request('PATCH', f'/v1/participants/{child["id"]}', w.worker_a1, body={'in_care_since': '2023-04-01'})
        self.assertEqual(r.status, 200, r)
        [opened] = self.list_all(self.nested_path(child), w.worker_a1)
        self.assertEqual((opened['removed_on'], opened['discharged_on'], opened['discharge_reason']),
                         ('2023-04-01', None, None))
        r = self.request('PATCH', f'/v1/participants/{child["id"]}', w.worker_a1, body={'in_care_until': '2023-09-30'})
        self.assertEqual(r.status, 200, r)
        edited = self.current(opened)
        self.assertEqual((edited['discharged_on'], edited['discharge_reason'], edited['version']),
                         ('2023-09-30', 'not_recorded', 2))
        # A real reason stays when the date moves; the client may not write not_recorded itself.
        self.patched(edited, {'discharge_reason': 'reunification'})
        self.assertInvalid(self.patch(edited, {'discharge_reason': 'not_recorded'}), ['discharge_reason'])
        r = self.request('PATCH', f'/v1/participants/{child["id"]}', w.worker_a1, body={'in_care_until': '2023-10-15'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((self.current(opened)['discharged_on'], self.current(opened)['discharge_reason']),
                         ('2023-10-15', 'reunification'))
        # Both writes are in the episode's audit trail, under the participant's requests.
        rows = self.audit_rows(opened)
        self.assertEqual([row['action'] for row in rows], ['create', 'update', 'update', 'update'])
        self.assertEqual(rows[0]['request_id'], self.audit_rows(child)[1]['request_id'])

    def test_a_participant_created_in_care_has_a_first_episode(self):
        case = self.create_case(self.world.worker_a1)
        child = self.add_participant(case, role='child', in_care_since='2022-02-02',
                                   in_care_until='2022-12-12')
        [episode] = self.list_all(self.nested_path(child), self.world.worker_a1)
        self.assertEqual((episode['removed_on'], episode['discharged_on'], episode['discharge_reason'],
                          episode['case_id']), ('2022-02-02', '2022-12-12', 'not_recorded', case['id']))

    def test_the_participants_dates_keep_the_rules_of_the_latest_episode(self):
        w = self.world
        child = self.default_parent()
        first = self.add(child, removed_on='2018-01-01', discharged_on='2018-06-30')
        self.add(child, removed_on='2019-01-01', discharged_on=None, discharge_reason=None)
        path = f'/v1/participants/{child["id"]}'
        p = self.assertProblem(self.request('PATCH', path, w.worker_a1, body={'in_care_since': '2018-06-01'}), 409)
        self.assertIn(first['id'], p['detail'])
        self.assertInvalid(self.request('PATCH', path, w.worker_a1, body={'in_care_since': None}), ['in_care_since'])
        self.assertEqual(self.dates_of(child)[0], '2019-01-01')

    def test_clearing_the_one_episodes_dates_deletes_it(self):
        w = self.world
        child = self.default_parent()
        episode = self.add(child, removed_on='2018-01-01', discharged_on=None, discharge_reason=None)
        r = self.request('PATCH', f'/v1/participants/{child["id"]}', w.worker_a1, body={'in_care_since': None})
        self.assertEqual(r.status, 200, r)
        self.assertProblem(self.request('GET', self.item_path(episode), w.worker_a1), 404)
        self.assertEqual(self.list_all(self.nested_path(child), w.worker_a1), [])

    def test_a_child_with_episodes_stays_a_child(self):
        w = self.world
        child = self.default_parent()
        self.add(child)
        r = self.request('PATCH', f'/v1/participants/{child["id"]}', w.worker_a1, body={'role': 'relative'})
        self.assertProblem(r, 422)


class DateWindowTest(EpisodeTest):
    def test_an_episodes_days_and_todays_bounds(self):
        r = self.post(self.new_body(removed_on=today(), discharged_on=None, discharge_reason=None))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['entered_care_on'], days_from_today(60))
