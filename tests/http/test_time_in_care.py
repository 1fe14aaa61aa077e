"""The reports built on a child's removal episodes: the visit measure across
episodes (shared/DOMAIN.md: a month counts when every day of it lies in some
episode of the child's) and, below it, placement stability.

As in test_reports.py, every expected number was worked out by hand from the
data set next to it and is written as a literal; each data set lives in the
units of its own World.
"""
from base import Persona
from test_reports import (NOTHING_MONTHS, NOTHING_TOTAL, VISITS, CSV_TYPE, DataSetTest, ReportTest,
                          VisitMeasureDataSetTest, empty_month, m, total)

STABILITY = '/v1/reports/placement-stability'
STABILITY_KEYS = {'from', 'to', 'unit', 'children', 'days_in_care', 'moves', 'moves_per_1000_days', 'items',
                  'next_cursor'}
STABILITY_CSV_HEADER = ['participant_id', 'case_id', 'case_number', 'assigned_worker', 'children',
                        'days_in_care', 'moves', 'moves_per_1000_days']


class EpisodeReportTest:
    """Children with removal episodes and placements of their own, as a data set's records
    (mixed into a ReportTest)."""

    def child(self, case, name):
        return self.participant(case, first_name=name)

    def placements(self, episode, *stays):
        """Records the episode's placements, each (started_on, ended_on or None, setting)."""
        for started_on, ended_on, setting in stays:
            self.add_placement(episode, started_on, ended_on, setting)


# -- the visit measure across episodes ---------------------------------------------------
#
# The data set of EpisodeVisitMeasureTest, 2025-01 .. 2025-06, in unit_a:
#
#   Ann (A1)  removed 2024-12-01, reunified 2025-02-14; removed again 2025-04-01, in care
#             since: full months Jan, Apr, May, Jun (not Feb, not Mar).
#             Jan 15 residence; Feb 10 residence and Mar 5 residence (neither month is
#             full); Apr 20 residence; May none; Jun 3 school.
#   Bo (A1)   2025-01-01 .. 2025-03-10, then back to back 2025-03-11 .. 2025-05-31: one
#             span, full months Jan..May (March too).
#             Jan 10, Feb 10, Mar 15 residence; Apr none; May 5 office.
#   Cy (A1)   2025-01-01 .. 2025-03-10, then 2025-03-12 on: March 11 is not in care, so
#             March is not a full month; Jan, Feb, Apr, May, Jun are.
#             Jan 10, Feb 10, Mar 20, Apr 10, May 10, Jun 10, all residence.
#   Dan (A2)  2024-06-01 .. 2025-01-31; 2025-02-01 .. 2025-02-27; 2025-03-01 on: February
#             28 is not in care; full months Jan, Mar, Apr, May, Jun.
#             2025-01-31T23:30Z residence; Feb 15 (not full); Mar 1 residence; Apr 1
#             virtual (not a qualifying visit); May 2 and Jun 30 residence.

#                 month     children full visited every visits in_res visit_rate res_rate meets_v meets_r
WORKER_A1_MONTHS = [m('2025-01', 3, 3, 3, 3, 3, 3, 1.0, 1.0, True, True),
                    m('2025-02', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
                    m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-04', 3, 3, 2, 2, 2, 2, 0.6667, 1.0, False, True),
                    m('2025-05', 3, 3, 2, 2, 2, 1, 0.6667, 0.5, False, True),
                    m('2025-06', 2, 2, 2, 2, 2, 1, 1.0, 0.5, True, True)]
# Cy alone is visited in every one of his full months.
WORKER_A1_TOTAL = total(3, 14, 12, 1, 12, 10, 0.8571, 0.8333, False, True)

WORKER_A2_MONTHS = [m('2025-01', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    empty_month('2025-02'),
                    m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-04', 1, 1, 0, 0, 0, 0, 0.0, None, False, None),
                    m('2025-05', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-06', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)]
WORKER_A2_TOTAL = total(1, 5, 4, 0, 4, 4, 0.8, 1.0, False, True)

UNIT_A_MONTHS = [m('2025-01', 4, 4, 4, 4, 4, 4, 1.0, 1.0, True, True),
                 m('2025-02', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
                 m('2025-03', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
                 m('2025-04', 4, 4, 2, 2, 2, 2, 0.5, 1.0, False, True),
                 m('2025-05', 4, 4, 3, 3, 3, 2, 0.75, 0.6667, False, True),
                 m('2025-06', 3, 3, 3, 3, 3, 2, 1.0, 0.6667, True, True)]
UNIT_A_TOTAL = total(4, 19, 16, 1, 16, 14, 0.8421, 0.875, False, True)


class EpisodeVisitMeasureTest(EpisodeReportTest, VisitMeasureDataSetTest):
    """The hand-worked data set above, built once and read by every test."""

    def build(self):
        w = self.world
        a1 = self.case_in(w.worker_a1)
        a2 = self.case_in(w.worker_a2)
        ann, bo, cy = self.child(a1, 'Ann'), self.child(a1, 'Bo'), self.child(a1, 'Cy')
        dan = self.child(a2, 'Dan')
        self.add_episode(ann, '2024-12-01', '2025-02-14')
        self.add_episode(ann, '2025-04-01')
        self.add_episode(bo, '2025-01-01', '2025-03-10', reason='runaway')
        self.add_episode(bo, '2025-03-11', '2025-05-31')
        self.add_episode(cy, '2025-01-01', '2025-03-10')
        self.add_episode(cy, '2025-03-12')
        self.add_episode(dan, '2024-06-01', '2025-01-31')
        self.add_episode(dan, '2025-02-01', '2025-02-27')
        self.add_episode(dan, '2025-03-01')

        def seen(case, who, child, days, location='child_residence'):
            for day in days:
                self.visit(case, who, day if 'T' in day else f'{day}T10:00:00Z', [child], location=location)

        seen(a1, w.worker_a1, ann, ['2025-01-15', '2025-02-10', '2025-03-05', '2025-04-20'])
        seen(a1, w.worker_a1, ann, ['2025-06-03'], location='school')
        seen(a1, w.worker_a1, bo, ['2025-01-10', '2025-02-10', '2025-03-15'])
        seen(a1, w.worker_a1, bo, ['2025-05-05'], location='office')
        seen(a1, w.worker_a1, cy, ['2025-01-10', '2025-02-10', '2025-03-20', '2025-04-10', '2025-05-10',
                                   '2025-06-10'])
        seen(a2, w.worker_a2, dan, ['2025-01-31T23:30:00Z', '2025-02-15', '2025-03-01', '2025-05-02',
                                    '2025-06-30'])
        seen(a2, w.worker_a2, dan, ['2025-04-01'], location='virtual')
        return {'world': w, 'children': {'ann': ann, 'bo': bo, 'cy': cy, 'dan': dan}}

    def test_each_caseworker_sees_the_months_of_every_episode_of_their_children(self):
        w = self.world
        self.assertMeasure(self.measure(w.worker_a1), WORKER_A1_MONTHS, WORKER_A1_TOTAL)
        self.assertMeasure(self.measure(w.worker_a2), WORKER_A2_MONTHS, WORKER_A2_TOTAL)

    def test_the_supervisor_and_the_agency_wide_roles_see_the_whole_unit(self):
        w = self.world
        self.assertMeasure(self.measure(w.supervisor_a), UNIT_A_MONTHS, UNIT_A_TOTAL)
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                self.assertMeasure(self.measure(who, unit=w.unit_a), UNIT_A_MONTHS, UNIT_A_TOTAL)

    def test_a_token_with_several_roles_sees_what_each_role_sees(self):
        w = self.world
        both = Persona(self.cluster, w.worker_a2.sub, ['caseworker', 'supervisor'], w.unit_b)
        self.assertMeasure(self.measure(both), WORKER_A2_MONTHS, WORKER_A2_TOTAL)

    def test_other_units_and_caseloads_see_nothing_of_it(self):
        w = self.world
        for who, unit in ((w.supervisor_b, None), (w.worker_b1, None), (w.supervisor_b, w.unit_a),
                          (w.worker_a1, w.unit_b)):
            with self.subTest(sub=who.sub, unit=unit):
                params = {'unit': unit} if unit else {}
                self.assertMeasure(self.measure(who, **params), NOTHING_MONTHS, NOTHING_TOTAL)

    def test_the_gap_between_two_episodes_is_not_in_care(self):
        # Ann: reunified Feb 14, back on Apr 1: February and March are not hers.
        w = self.world
        report = self.measure(w.worker_a1, **{'from': '2025-02', 'to': '2025-03'})
        self.assertEqual([row['children'] for row in report['months']], [2, 1])
        self.assertEqual((report['children'], report['full_months_in_care']), (2, 3))

    def test_back_to_back_episodes_are_one_span_and_one_missing_day_breaks_the_month(self):
        # March 2025: Bo (Mar 10 / Mar 11) counts; Cy (Mar 10 / Mar 12) does not.
        w = self.world
        march = self.measure(w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertEqual(march['months'], [m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)])
        # February 2025: Dan's second episode ends on the 27th, the third starts on March 1.
        february = self.measure(w.worker_a2, **{'from': '2025-02', 'to': '2025-02'})
        self.assertEqual(february['months'], [empty_month('2025-02')])


class DeletedEpisodeTest(EpisodeReportTest, ReportTest):
    def test_a_deleted_episode_leaves_the_measure(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        eva = self.child(case, 'Eva')
        first = self.add_episode(eva, '2024-11-01', '2025-01-31')
        self.add_episode(eva, '2025-02-01')
        self.visit(case, w.worker_a1, '2025-01-10T10:00:00Z', [eva])
        self.visit(case, w.worker_a1, '2025-02-10T10:00:00Z', [eva])
        both = [m('2025-01', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                m('2025-02', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)]
        self.assertEqual(self.report(VISITS, w.worker_a1, **{'from': '2025-01', 'to': '2025-02'})['months'], both)
        self.remove(f'/v1/episodes/{first["id"]}')
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-01', 'to': '2025-02'})
        self.assertEqual(report['months'], [empty_month('2025-01'), both[1]])


# -- placement stability -------------------------------------------------------------------
#
# The data set of PlacementStabilityTest; the range is March 2025 (31 days) unless a test says
# otherwise. A move is a placement that starts in the range and is not the first of its
# episode, when neither it nor the one before it is a trial home visit or a runaway.
#
#   Kim (A1)  removed 2025-01-01, in care since. Foster home Jan 1 - Feb 10; group home
#             Feb 10 (a move day) - Mar 5; relative Mar 5 - Mar 20 (a move in March); trial
#             home visit Mar 20 - Mar 25 (not a move); relative again from Mar 25 (after a
#             trial home visit: not a move). March: 31 days, 1 move.
#   Lu (A1)   removed 2025-02-15, reunified 2025-03-10: group home Feb 15 - Mar 1, foster
#             home Mar 1 - Mar 10 (a move). Removed again 2025-03-20: relative Mar 20 - Mar 22
#             (the episode's first: not a move), runaway Mar 22 - Mar 24 (not a move), group
#             home from Mar 24 (after a runaway: not a move). March: 10 + 12 = 22 days, 1 move.
#   Mo (A2)   removed 2024-11-01, in care since: foster home to Mar 15, institution Mar 15 -
#             Apr 2 (a move), group home from Apr 2 (a move in April). March: 31 days, 1 move.
#   Ned (B1)  removed 2025-03-01, one placement: March: 31 days, no move.

def child_row(child, case, worker, days, moves, rate):
    return {'participant_id': child['id'], 'case_id': case['id'], 'case_number': case['case_number'],
            'assigned_worker': worker.sub, 'days_in_care': days, 'moves': moves, 'moves_per_1000_days': rate}


def figures(children, days, moves, rate):
    return {'children': children, 'days_in_care': days, 'moves': moves, 'moves_per_1000_days': rate}


class PlacementStabilityTest(EpisodeReportTest, DataSetTest):
    """The hand-worked data set above, built once and read by every test."""

    def build(self):
        w = self.world
        a1, a2, b1 = self.case_in(w.worker_a1), self.case_in(w.worker_a2), self.case_in(w.worker_b1)
        kim, lu, mo, ned = self.child(a1, 'Kim'), self.child(a1, 'Lu'), self.child(a2, 'Mo'), self.child(b1, 'Ned')
        self.placements(self.add_episode(kim, '2025-01-01'),
                        ('2025-01-01', '2025-02-10', 'nonrelative_foster_home'),
                        ('2025-02-10', '2025-03-05', 'group_home'),
                        ('2025-03-05', '2025-03-20', 'relative_foster_home'),
                        ('2025-03-20', '2025-03-25', 'trial_home_visit'),
                        ('2025-03-25', None, 'relative_foster_home'))
        self.placements(self.add_episode(lu, '2025-02-15', '2025-03-10'),
                        ('2025-02-15', '2025-03-01', 'group_home'),
                        ('2025-03-01', '2025-03-10', 'nonrelative_foster_home'))
        self.placements(self.add_episode(lu, '2025-03-20'),
                        ('2025-03-20', '2025-03-22', 'relative_foster_home'),
                        ('2025-03-22', '2025-03-24', 'runaway'),
                        ('2025-03-24', None, 'group_home'))
        self.placements(self.add_episode(mo, '2024-11-01'),
                        ('2024-11-01', '2025-03-15', 'nonrelative_foster_home'),
                        ('2025-03-15', '2025-04-02', 'institution'),
                        ('2025-04-02', None, 'group_home'))
        self.placements(self.add_episode(ned, '2025-03-01'), ('2025-03-01', None, 'relative_foster_home'))
        return {'world': w, 'a1': a1, 'a2': a2, 'b1': b1, 'kim': kim, 'lu': lu, 'mo': mo, 'ned': ned}

    def stability(self, who, **params):
        params.setdefault('from', '2025-03-01')
        params.setdefault('to', '2025-03-31')
        return self.report(STABILITY, who, **params)

    def rows(self, *rows):
        """Children rows in the report's order: by case number, then child."""
        return sorted(rows, key=lambda r: (r['case_number'], r['participant_id']))

    def kim(self, days=31, moves=1, rate=32.26):
        return child_row(self.data['kim'], self.data['a1'], self.world.worker_a1, days, moves, rate)

    def lu(self, days=22, moves=1, rate=45.45):
        return child_row(self.data['lu'], self.data['a1'], self.world.worker_a1, days, moves, rate)

    def mo(self, days=31, moves=1, rate=32.26):
        return child_row(self.data['mo'], self.data['a2'], self.world.worker_a2, days, moves, rate)

    def assertStability(self, report, overall, rows):
        self.assertEqual({k: report[k] for k in overall}, overall)
        self.assertEqual(report['items'], rows)
        self.assertIsNone(report['next_cursor'])

    def test_the_report_names_its_range_and_unit(self):
        w = self.world
        report = self.stability(w.administrator, unit=w.unit_a)
        self.assertEqual(set(report), STABILITY_KEYS)
        self.assertEqual((report['from'], report['to'], report['unit']), ('2025-03-01', '2025-03-31', w.unit_a))
        self.assertIsNone(self.stability(w.supervisor_a)['unit'])

    def test_the_unit_counts_days_in_care_and_moves_exactly(self):
        # 31 + 22 + 31 days, one move each: 3 x 1000 / 84 = 35.714...
        w = self.world
        unit_a = (figures(3, 84, 3, 35.71), self.rows(self.kim(), self.lu(), self.mo()))
        self.assertStability(self.stability(w.supervisor_a), *unit_a)
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                self.assertStability(self.stability(who, unit=w.unit_a), *unit_a)

    def test_each_caseworker_sees_their_own_children(self):
        w = self.world
        self.assertStability(self.stability(w.worker_a1), figures(2, 53, 2, 37.74),
                             self.rows(self.kim(), self.lu()))
        self.assertStability(self.stability(w.worker_a2), figures(1, 31, 1, 32.26), [self.mo()])
        ned = child_row(self.data['ned'], self.data['b1'], w.worker_b1, 31, 0, 0.0)
        self.assertStability(self.stability(w.worker_b1), figures(1, 31, 0, 0.0), [ned])
        self.assertStability(self.stability(w.supervisor_b), figures(1, 31, 0, 0.0), [ned])

    def test_a_token_with_several_roles_sees_what_each_role_sees(self):
        w = self.world
        both = Persona(self.cluster, w.worker_a2.sub, ['caseworker', 'supervisor'], w.unit_b)
        ned = child_row(self.data['ned'], self.data['b1'], w.worker_b1, 31, 0, 0.0)
        self.assertStability(self.stability(both), figures(2, 62, 1, 16.13), self.rows(self.mo(), ned))

    def test_other_units_see_nothing_and_no_days_is_a_null_rate(self):
        w = self.world
        for who, unit in ((w.supervisor_b, w.unit_a), (w.worker_a1, w.unit_b), (w.supervisor_a, w.unit_b)):
            with self.subTest(sub=who.sub, unit=unit):
                self.assertStability(self.stability(who, unit=unit), figures(0, 0, 0, None), [])

    def test_a_range_that_starts_and_ends_mid_placement(self):
        # March 10 - April 5 (27 days). Kim: 27 days, her March 5 move is before the range.
        # Lu: March 10 (the discharge day) and March 20 - April 5: 18 days, no move. Mo: 27
        # days, moves on March 15 and April 2.
        w = self.world
        window = {'from': '2025-03-10', 'to': '2025-04-05'}
        self.assertStability(self.stability(w.worker_a1, **window), figures(2, 45, 0, 0.0),
                             self.rows(self.kim(27, 0, 0.0), self.lu(18, 0, 0.0)))
        self.assertStability(self.stability(w.worker_a2, **window), figures(1, 27, 2, 74.07),
                             [self.mo(27, 2, 74.07)])

    def test_the_move_day_and_the_day_before_the_range(self):
        # Kim moved on March 5 and Mo on March 15: a range from the move day counts the
        # move; one that starts the day after does not.
        w = self.world
        self.assertEqual(self.stability(w.worker_a2, **{'from': '2025-03-15'})['moves'], 1)
        self.assertEqual(self.stability(w.worker_a2, **{'from': '2025-03-16'})['moves'], 0)
        # Lu was in care that day too, in the placement she had since March 1.
        self.assertEqual(self.stability(w.worker_a1, **{'from': '2025-03-05', 'to': '2025-03-05'})['items'],
                         self.rows(self.kim(1, 1, 1000.0), self.lu(1, 0, 0.0)))

    def test_a_child_out_of_care_in_the_whole_range_is_not_counted(self):
        # March 11 - 19: Lu was home, between her episodes.
        w = self.world
        report = self.stability(w.worker_a1, **{'from': '2025-03-11', 'to': '2025-03-19'})
        self.assertStability(report, figures(1, 9, 0, 0.0), [self.kim(9, 0, 0.0)])

    def test_pages_of_children_carry_the_whole_ranges_figures(self):
        w = self.world
        first = self.stability(w.supervisor_a, limit=2)
        self.assertEqual(len(first['items']), 2)
        self.assertIsNotNone(first['next_cursor'])
        second = self.stability(w.supervisor_a, limit=2, cursor=first['next_cursor'])
        self.assertIsNone(second['next_cursor'])
        self.assertEqual(first['items'] + second['items'], self.rows(self.kim(), self.lu(), self.mo()))
        for page in (first, second):
            self.assertEqual({k: page[k] for k in ('children', 'days_in_care', 'moves', 'moves_per_1000_days')},
                             figures(3, 84, 3, 35.71))

    def test_csv_has_a_line_per_child_then_the_whole_range(self):
        w = self.world
        body, rows, r = self.csv_report(STABILITY, w.worker_a2, **{'from': '2025-03-01', 'to': '2025-03-31'})
        self.assertEqual(r.header('Content-Disposition'),
                         'attachment; filename="placement-stability-2025-03-01-2025-03-31.csv"')
        mo, a2 = self.data['mo'], self.data['a2']
        self.assertEqual(body, (
            b'"participant_id","case_id","case_number","assigned_worker","children","days_in_care","moves",'
            b'"moves_per_1000_days"\r\n'
            + f'"{mo["id"]}","{a2["id"]}","{a2["case_number"]}","{w.worker_a2.sub}",,31,1,32.26\r\n'.encode()
            + b'"total",,,,1,31,1,32.26\r\n'))
        self.assertEqual(rows[0], STABILITY_CSV_HEADER)

    def test_a_deleted_placement_episode_or_child_does_not_count(self):
        # A world of its own: the shared data set stays as it is.
        w = self.world
        case = self.case_in(w.supervisor_a, assigned_worker=w.worker_a1.sub)
        ada, bea = self.child(case, 'Ada'), self.child(case, 'Bea')
        first = self.add_episode(ada, '2025-03-01')
        self.placements(first, ('2025-03-01', '2025-03-10', 'group_home'), ('2025-03-10', None, 'institution'))
        self.placements(self.add_episode(bea, '2025-03-01'), ('2025-03-01', None, 'group_home'))
        report = self.stability(w.administrator, unit=w.unit_a)
        self.assertEqual((report['children'], report['days_in_care'], report['moves']), (5, 146, 4))
        moved = self.list_all(f'/v1/episodes/{first["id"]}/placements', w.administrator)[1]
        self.remove(f'/v1/placements/{moved["id"]}')
        report = self.stability(w.administrator, unit=w.unit_a)
        self.assertEqual((report['children'], report['days_in_care'], report['moves']), (5, 146, 3))
        self.remove(f'/v1/participants/{bea["id"]}')
        report = self.stability(w.administrator, unit=w.unit_a)
        self.assertEqual((report['children'], report['days_in_care'], report['moves']), (4, 115, 3))
        self.remove(f'/v1/episodes/{first["id"]}')
        self.remove(f'/v1/cases/{case["id"]}')
        self.assertStability(self.stability(w.supervisor_a), figures(3, 84, 3, 35.71),
                             self.rows(self.kim(), self.lu(), self.mo()))


class PlacementStabilityParametersTest(ReportTest):
    def test_from_and_to_are_required_dates_in_order(self):
        w = self.world
        for params, fields in (('', ['from', 'to']), ('from=2025-03-01', ['to']),
                               ('from=2025-02-30&to=2025-03-01', ['from']), ('from=2025-03&to=2025-04', ['from', 'to']),
                               ('from=2025-03-02&to=2025-03-01', ['to']), ('from=2015-01-01&to=2025-01-01', ['to']),
                               ('from=2025-03-01&to=2025-03-31&limit=0', ['limit']),
                               ('from=2025-03-01&to=2025-03-31&limit=501', ['limit']),
                               ('from=2025-03-01&to=2025-03-31&cursor=abc', ['cursor']),
                               ('from=2025-03-01&to=2025-03-31&month=3', ['month'])):
            with self.subTest(params=params):
                self.assertProblem(self.request('GET', f'{STABILITY}?{params}', w.worker_a1), 422, fields)

    def test_a_cursor_of_another_report_or_list_is_refused(self):
        w = self.world
        self.create_case(w.worker_a1)
        self.create_case(w.worker_a1)
        cursor = self.request('GET', '/v1/cases?limit=1', w.worker_a1).json()['next_cursor']
        r = self.request('GET', f'{STABILITY}?from=2025-03-01&to=2025-03-31&cursor={cursor}', w.worker_a1)
        self.assertProblem(r, 422, ['cursor'])

    def test_json_unless_csv_is_preferred(self):
        w = self.world
        r = self.request('GET', f'{STABILITY}?from=2025-03-01&to=2025-03-31', w.auditor,
                         headers={'Accept': 'text/csv;q=0.5, application/json'})
        self.assertEqual((r.status, r.header('Content-Type')), (200, 'application/json'), r)
        r = self.request('GET', f'{STABILITY}?from=2025-03-01&to=2025-03-31', w.auditor,
                         headers={'Accept': 'text/csv'})
        self.assertEqual((r.status, r.header('Content-Type')), (200, CSV_TYPE), r)
