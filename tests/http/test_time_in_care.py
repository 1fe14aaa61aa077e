"""The reports built on a child's removal episodes: the visit measure across
episodes (shared/DOMAIN.md: a month counts when every day of it lies in some
episode of the child's) and, below it, placement stability.

As in test_reports.py, every expected number was worked out by hand from the
data set next to it and is written as a literal; each data set lives in the
units of its own World.
"""
from base import Persona
from test_reports import NOTHING_MONTHS, NOTHING_TOTAL, VISITS, ReportTest, empty_month, m, total


class EpisodeReportTest(ReportTest):
    """Children with removal episodes of their own, as a data set's records."""

    def child(self, case, name):
        return self.participant(case, first_name=name)

    def episode(self, child, removed_on, discharged_on=None, reason='reunification'):
        """Records a removal episode of the child (and its discharge)."""
        discharge = f"'{discharged_on}'" if discharged_on else 'NULL'
        why = f"'{reason}'" if discharged_on else 'NULL'
        self.cluster.psql(
            "BEGIN; SELECT set_config('casework.actor', 'test-time-in-care', true);"
            "INSERT INTO episodes (participant_id, case_id, removed_on, discharged_on, discharge_reason)"
            f" VALUES ('{child['id']}', '{child['case_id']}', '{removed_on}', {discharge}, {why}); COMMIT;")


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


class EpisodeVisitMeasureTest(EpisodeReportTest):
    """The hand-worked data set above, built once and read by every test."""

    data = None

    def setUp(self):
        cls = type(self)
        if cls.data is None:
            super().setUp()
            cls.data = self.build()
        self.world = cls.data['world']

    def build(self):
        w = self.world
        a1 = self.case_in(w.worker_a1)
        a2 = self.case_in(w.worker_a2)
        ann, bo, cy = self.child(a1, 'Ann'), self.child(a1, 'Bo'), self.child(a1, 'Cy')
        dan = self.child(a2, 'Dan')
        self.episode(ann, '2024-12-01', '2025-02-14')
        self.episode(ann, '2025-04-01')
        self.episode(bo, '2025-01-01', '2025-03-10', reason='runaway')
        self.episode(bo, '2025-03-11', '2025-05-31')
        self.episode(cy, '2025-01-01', '2025-03-10')
        self.episode(cy, '2025-03-12')
        self.episode(dan, '2024-06-01', '2025-01-31')
        self.episode(dan, '2025-02-01', '2025-02-27')
        self.episode(dan, '2025-03-01')

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

    def measure(self, who, **params):
        params.setdefault('from', '2025-01')
        params.setdefault('to', '2025-06')
        return self.report(VISITS, who, **params)

    def assertMeasure(self, report, months, overall):
        self.assertEqual(report['months'], months)
        self.assertEqual({k: report[k] for k in overall}, overall)

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


class DeletedEpisodeTest(EpisodeReportTest):
    def test_a_deleted_episode_leaves_the_measure(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        eva = self.child(case, 'Eva')
        self.episode(eva, '2024-11-01', '2025-01-31')
        self.episode(eva, '2025-02-01')
        self.visit(case, w.worker_a1, '2025-01-10T10:00:00Z', [eva])
        self.visit(case, w.worker_a1, '2025-02-10T10:00:00Z', [eva])
        both = [m('2025-01', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                m('2025-02', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)]
        self.assertEqual(self.report(VISITS, w.worker_a1, **{'from': '2025-01', 'to': '2025-02'})['months'], both)
        self.cluster.psql(
            "BEGIN; SELECT set_config('casework.actor', 'test-time-in-care', true);"
            f"UPDATE episodes SET deleted_at = now() WHERE participant_id = '{eva['id']}'"
            " AND removed_on = '2024-11-01'; COMMIT;")
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-01', 'to': '2025-02'})
        self.assertEqual(report['months'], [empty_month('2025-01'), both[1]])
