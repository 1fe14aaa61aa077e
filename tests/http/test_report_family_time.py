"""The family-time report, /v1/reports/family-time, as JSON and as CSV.

Family time delivered (shared/DOMAIN.md, "Family-centred practice"): for each
(plan, month) in which a family-time plan was in force every day of the month,
planned = its visits_per_month and delivered = the family_time visits, not
virtual, of its child with at least one of its people, inside the month in UTC;
delivery_rate = sum(min(delivered, planned)) / sum(planned). Every expected
number below was worked out by hand from the data set next to it and is written
as a literal: the tests never compute what they check.
"""
import harness
import test_reports
from base import Persona, query
from test_reports import DataSetTest, ReportTest, csv_cell, number_or_text

FAMILY_TIME = '/v1/reports/family-time'
FIGURES = ('children', 'plan_months', 'planned', 'delivered', 'delivered_within_plan', 'delivery_rate')
REPORT_KEYS = {'from', 'to', 'unit', 'months', 'shortfalls', 'next_cursor'} | set(FIGURES)
CSV_HEADER = ['month', 'children', 'plan_months', 'planned', 'delivered', 'delivered_within_plan',
              'delivery_rate', 'child_id', 'case_id', 'case_number', 'plan_id']


def m(month, children, plan_months, planned, delivered, within, rate):
    """One month of the report, from a row of a hand-worked table below."""
    return {'month': month, 'children': children, 'plan_months': plan_months, 'planned': planned,
            'delivered': delivered, 'delivered_within_plan': within, 'delivery_rate': rate}


def total(*row):
    figures = m('total', *row)
    del figures['month']
    return figures


def empty_month(month):
    return m(month, 0, 0, 0, 0, 0, None)


class FamilyTimeReportTest(ReportTest):
    """Plans and visits are made through the API, as clients make them."""

    def plan(self, case, child, people, visits_per_month, effective_on, ended_on=None, deleted=False):
        """A family-time plan of child with people, made (and deleted) by an administrator; its id."""
        body = {'child_id': child['id'], 'person_ids': [p['id'] for p in people],
                'visits_per_month': visits_per_month, 'supervision': 'supervised', 'effective_on': effective_on,
                'ended_on': ended_on}
        r = self.request('POST', f'/v1/cases/{case["id"]}/family-time-plans', self.world.administrator, body=body)
        self.assertEqual(r.status, 201, r)
        if deleted:
            self.remove(f'/v1/family-time-plans/{r.json()["id"]}')
        return r.json()['id']

    def family_visit(self, case, who, visited_at, people, location='community', visit_type='family_time'):
        return self.visit(case, who, visited_at, people, visit_type=visit_type, location=location)

    def family_time(self, who, **params):
        params.setdefault('from', '2025-01')
        params.setdefault('to', '2025-06')
        return self.report(FAMILY_TIME, who, **params)

    def assertFigures(self, report, months, overall):
        self.assertEqual(report['months'], months)
        self.assertEqual({k: report[k] for k in FIGURES}, overall)


# -- the data set -------------------------------------------------------------------------
#
# Range 2025-01 .. 2025-06 unless a test says otherwise. Visits are family_time, in
# the community, unless noted.
#
# Case F1 (worker_a1, unit_a): children Ava and Ben; Mia (mother), Ned (father),
# Flo (foster parent).
#   P1  Ava with Mia, 4 a month, from 2024-12-01; ended 2025-03-14 by P2.
#   P2  Ava with Mia, 8 a month (twice weekly), from 2025-03-15: March counts for neither.
#   P3  Ava with Ned, 2 a month, 2025-01-01 .. 2025-04-30 (a plan of its own with the father).
#   P4  Ben with Mia, 4 a month, from 2025-02-01.
#   Jan  Ava+Mia 4, 11, 18, 25, 28 (five: one extra); Ava+Mia virtual on the 30th;
#        Ava+Ned on the 12th.
#   Feb  Ava+Ben+Mia on the 8th and 22nd (two children in one visit: counts for P1 and P4);
#        Ava+Flo on the 15th (foster parent only: counts for none); Ava+Ned 10th, 24th.
#   Mar  Ava+Mia 1, 8, 22, 29 (no plan-month: the month of the change); Ava+Ned 9th, 23rd;
#        Ben+Mia 5, 12, 19, 26.
#   Apr  Ava+Mia seven visits and one at "2025-05-01T01:30:00+02:00" = April 30 23:30Z;
#        Ava+Ned on the 10th, deleted; nothing for Ben.
#   May  Ava+Mia six visits; Ben+Mia eight (twice his plan: April stays missed).
#   Jun  Ava+Mia eight; a caseworker_child visit with Ava and Mia (not family time);
#        Ben+Mia four.
#   Outside the range: Ava+Mia at 2024-12-31T23:59:59Z and 2025-07-01T00:00:00Z.
# Case F2 (worker_a2, unit_a): Cal (child), Gran (relative).
#   P5  Cal with Gran, 2 a month, from 2025-01-01; two visits a month, one in June.
#   A deleted plan of Cal with Gran, 10 a month from 2024-01-01: counts for nothing.
# Case F3 (worker_b1, unit_b): Eli (child), Pia (parent).
#   P6  Eli with Pia, 4 a month, from 2024-06-01; four visits every month.
#
# plan-months (planned / delivered):
#        Jan     Feb     Mar     Apr     May     Jun
#   P1   4/5     4/2     -       -       -       -
#   P2   -       -       -       8/8     8/6     8/8
#   P3   2/1     2/2     2/2     2/0     -       -
#   P4   -       4/2     4/4     4/0     4/8     4/4
#   P5   2/2     2/2     2/2     2/2     2/2     2/1
#   P6   4/4     4/4     4/4     4/4     4/4     4/4

#                    month   children plan_months planned delivered within rate
UNIT_A_MONTHS = [m('2025-01', 2, 3, 8, 8, 7, 0.875),
                 m('2025-02', 3, 4, 12, 8, 8, 0.6667),
                 m('2025-03', 3, 3, 8, 8, 8, 1.0),
                 m('2025-04', 3, 4, 16, 10, 10, 0.625),
                 m('2025-05', 3, 3, 14, 16, 12, 0.8571),
                 m('2025-06', 3, 3, 14, 13, 13, 0.9286)]
UNIT_A_TOTAL = total(3, 20, 72, 63, 58, 0.8056)

# worker_a1's caseload: Ava and Ben.
WORKER_A1_MONTHS = [m('2025-01', 1, 2, 6, 6, 5, 0.8333),
                    m('2025-02', 2, 3, 10, 6, 6, 0.6),
                    m('2025-03', 2, 2, 6, 6, 6, 1.0),
                    m('2025-04', 2, 3, 14, 8, 8, 0.5714),
                    m('2025-05', 2, 2, 12, 14, 10, 0.8333),
                    m('2025-06', 2, 2, 12, 12, 12, 1.0)]
WORKER_A1_TOTAL = total(2, 14, 60, 52, 47, 0.7833)

# worker_a2's caseload: Cal.
WORKER_A2_MONTHS = [m(f'2025-0{i}', 1, 1, 2, 2, 2, 1.0) for i in range(1, 6)] + [
    m('2025-06', 1, 1, 2, 1, 1, 0.5)]
WORKER_A2_TOTAL = total(1, 6, 12, 11, 11, 0.9167)
# Every text cell is quoted; numbers are not; an empty cell is null or absent.
WORKER_A2_CSV_HEAD = (b'"month","children","plan_months","planned","delivered","delivered_within_plan",'
                      b'"delivery_rate","child_id","case_id","case_number","plan_id"\r\n'
                      b'"2025-01",1,1,2,2,2,1,,,,\r\n'
                      b'"2025-02",1,1,2,2,2,1,,,,\r\n'
                      b'"2025-03",1,1,2,2,2,1,,,,\r\n'
                      b'"2025-04",1,1,2,2,2,1,,,,\r\n'
                      b'"2025-05",1,1,2,2,2,1,,,,\r\n'
                      b'"2025-06",1,1,2,1,1,0.5,,,,\r\n'
                      b'"total",1,6,12,11,11,0.9167,,,,\r\n')

# unit_b: Eli.
UNIT_B_MONTHS = [m(f'2025-0{i}', 1, 1, 4, 4, 4, 1.0) for i in range(1, 7)]
UNIT_B_TOTAL = total(1, 6, 24, 24, 24, 1.0)

NOTHING_MONTHS = [empty_month(f'2025-0{i}') for i in range(1, 7)]
NOTHING_TOTAL = total(0, 0, 0, 0, 0, None)


class FamilyTimeDeliveredTest(DataSetTest, FamilyTimeReportTest):
    """The hand-worked data set above."""

    def setUp(self):
        super().setUp()
        self.ids = self.data['ids']

    def build(self):
        w = self.world
        f1 = self.case_in(w.worker_a1)
        f2 = self.case_in(w.worker_a2)
        f3 = self.case_in(w.worker_b1)
        ava = self.participant(f1, first_name='Ava')
        ben = self.participant(f1, first_name='Ben')
        mia = self.participant(f1, role='parent', first_name='Mia')
        ned = self.participant(f1, role='parent', first_name='Ned')
        flo = self.participant(f1, role='foster_parent', first_name='Flo')
        cal = self.participant(f2, first_name='Cal')
        gran = self.participant(f2, role='relative', first_name='Gran')
        eli = self.participant(f3, first_name='Eli')
        pia = self.participant(f3, role='parent', first_name='Pia')

        p1 = self.plan(f1, ava, [mia], 4, '2024-12-01')
        p2 = self.plan(f1, ava, [mia], 8, '2025-03-15')
        p3 = self.plan(f1, ava, [ned], 2, '2025-01-01', '2025-04-30')
        p4 = self.plan(f1, ben, [mia], 4, '2025-02-01')
        self.plan(f2, cal, [gran], 10, '2024-01-01', deleted=True)
        p5 = self.plan(f2, cal, [gran], 2, '2025-01-01')
        p6 = self.plan(f3, eli, [pia], 4, '2024-06-01')

        a1, v = w.worker_a1, self.family_visit
        for day in ('04', '11', '18', '25', '28'):
            v(f1, a1, f'2025-01-{day}T15:00:00Z', [ava, mia])
        v(f1, a1, '2025-01-30T15:00:00Z', [ava, mia], location='virtual')
        v(f1, a1, '2025-01-12T15:00:00Z', [ava, ned])
        for day in ('08', '22'):
            v(f1, a1, f'2025-02-{day}T15:00:00Z', [ava, ben, mia])
        v(f1, a1, '2025-02-15T15:00:00Z', [ava, flo])
        for day in ('10', '24'):
            v(f1, a1, f'2025-02-{day}T15:00:00Z', [ava, ned])
        for day in ('01', '08', '22', '29'):
            v(f1, a1, f'2025-03-{day}T15:00:00Z', [ava, mia])
        for day in ('09', '23'):
            v(f1, a1, f'2025-03-{day}T15:00:00Z', [ava, ned])
        for day in ('05', '12', '19', '26'):
            v(f1, a1, f'2025-03-{day}T15:00:00Z', [ben, mia])
        for day in ('02', '05', '09', '12', '16', '19', '23'):
            v(f1, a1, f'2025-04-{day}T15:00:00Z', [ava, mia])
        v(f1, a1, '2025-05-01T01:30:00+02:00', [ava, mia])
        deleted = v(f1, a1, '2025-04-10T15:00:00Z', [ava, ned])
        for day in ('03', '07', '10', '14', '17', '21'):
            v(f1, a1, f'2025-05-{day}T15:00:00Z', [ava, mia])
        for day in ('02', '05', '09', '12', '16', '19', '23', '26'):
            v(f1, a1, f'2025-05-{day}T15:00:00Z', [ben, mia])
        for day in ('04', '07', '11', '14', '18', '21', '25', '28'):
            v(f1, a1, f'2025-06-{day}T15:00:00Z', [ava, mia])
        v(f1, a1, '2025-06-30T10:00:00Z', [ava, mia], visit_type='caseworker_child', location='child_residence')
        for day in ('06', '13', '20', '27'):
            v(f1, a1, f'2025-06-{day}T15:00:00Z', [ben, mia])
        v(f1, a1, '2024-12-31T23:59:59Z', [ava, mia])
        v(f1, a1, '2025-07-01T00:00:00Z', [ava, mia])
        for month in range(1, 7):
            for day in (('10', '24') if month < 6 else ('13',)):
                v(f2, w.worker_a2, f'2025-0{month}-{day}T15:00:00Z', [cal, gran])
            for day in ('05', '12', '19', '26'):
                v(f3, w.worker_b1, f'2025-0{month}-{day}T15:00:00Z', [eli, pia])
        self.remove(f'/v1/visits/{deleted["id"]}')
        ids = {'f1': f1, 'f2': f2, 'f3': f3, 'ava': ava['id'], 'ben': ben['id'], 'cal': cal['id'],
               'eli': eli['id'], 'mia': mia['id'], 'ned': ned['id'], 'gran': gran['id'],
               'p1': p1, 'p2': p2, 'p3': p3, 'p4': p4, 'p5': p5, 'p6': p6}
        return {'world': w, 'ids': ids}

    def shortfall(self, child, case, plan, people, month, planned, delivered):
        case = self.ids[case]
        return {'child_id': self.ids[child], 'case_id': case['id'], 'case_number': case['case_number'],
                'plan_id': self.ids[plan], 'person_ids': [self.ids[p] for p in people], 'month': month,
                'planned': planned, 'delivered': delivered}

    def unit_a_shortfalls(self):
        s = self.shortfall
        rows = [s('ava', 'f1', 'p3', ['ned'], '2025-01', 2, 1),
                s('ava', 'f1', 'p1', ['mia'], '2025-02', 4, 2),
                s('ava', 'f1', 'p3', ['ned'], '2025-04', 2, 0),
                s('ava', 'f1', 'p2', ['mia'], '2025-05', 8, 6),
                s('ben', 'f1', 'p4', ['mia'], '2025-02', 4, 2),
                s('ben', 'f1', 'p4', ['mia'], '2025-04', 4, 0),
                s('cal', 'f2', 'p5', ['gran'], '2025-06', 2, 1)]
        # By child, then month, then plan: the order of the children is that of their ids.
        return sorted(rows, key=lambda r: (r['child_id'], r['month'], r['plan_id']))

    # -- shape --------------------------------------------------------------------
    def test_the_report_names_its_range_and_unit(self):
        w = self.world
        report = self.family_time(w.administrator, unit=w.unit_a)
        self.assertEqual(set(report), REPORT_KEYS)
        self.assertEqual((report['from'], report['to'], report['unit']), ('2025-01', '2025-06', w.unit_a))
        for month in report['months']:
            self.assertEqual(set(month), {'month'} | set(FIGURES))
        self.assertIsNone(self.family_time(w.supervisor_a)['unit'])
        self.assertIsNone(report['next_cursor'])

    # -- the figures, role by role ------------------------------------------------
    def test_unit_view_counts_plan_months_planned_and_delivered_exactly(self):
        w = self.world
        report = self.family_time(w.supervisor_a)
        self.assertFigures(report, UNIT_A_MONTHS, UNIT_A_TOTAL)
        self.assertEqual(report['shortfalls'], self.unit_a_shortfalls())

    def test_administrator_auditor_and_integration_see_every_unit_filtered_by_unit(self):
        w = self.world
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role, unit='a'):
                report = self.family_time(who, unit=w.unit_a)
                self.assertFigures(report, UNIT_A_MONTHS, UNIT_A_TOTAL)
                self.assertEqual(report['shortfalls'], self.unit_a_shortfalls())
            with self.subTest(role=who.role, unit='b'):
                report = self.family_time(who, unit=w.unit_b)
                self.assertFigures(report, UNIT_B_MONTHS, UNIT_B_TOTAL)
                self.assertEqual(report['shortfalls'], [])

    def test_caseworkers_see_only_their_own_caseload(self):
        w = self.world
        report = self.family_time(w.worker_a1)
        self.assertFigures(report, WORKER_A1_MONTHS, WORKER_A1_TOTAL)
        self.assertEqual(report['shortfalls'], [r for r in self.unit_a_shortfalls() if r['case_id'] == self.ids['f1']['id']])
        report = self.family_time(w.worker_a2)
        self.assertFigures(report, WORKER_A2_MONTHS, WORKER_A2_TOTAL)
        self.assertEqual(report['shortfalls'], [self.shortfall('cal', 'f2', 'p5', ['gran'], '2025-06', 2, 1)])
        self.assertFigures(self.family_time(w.worker_b1), UNIT_B_MONTHS, UNIT_B_TOTAL)

    def test_a_token_with_several_roles_sees_what_each_role_sees(self):
        # worker_a1's caseload (Ava, Ben) and, as supervisor of unit_b, Eli.
        w = self.world
        both = Persona(self.cluster, w.worker_a1.sub, ['caseworker', 'supervisor'], w.unit_b)
        self.assertFigures(self.family_time(both), [
            m('2025-01', 2, 3, 10, 10, 9, 0.9),
            m('2025-02', 3, 4, 14, 10, 10, 0.7143),
            m('2025-03', 3, 3, 10, 10, 10, 1.0),
            m('2025-04', 3, 4, 18, 12, 12, 0.6667),
            m('2025-05', 3, 3, 16, 18, 14, 0.875),
            m('2025-06', 3, 3, 16, 16, 16, 1.0)],
            total(3, 20, 84, 76, 71, 0.8452))

    def test_another_units_data_never_appears(self):
        w = self.world
        self.assertFigures(self.family_time(w.supervisor_b), UNIT_B_MONTHS, UNIT_B_TOTAL)
        for who, unit in ((w.supervisor_b, w.unit_a), (w.worker_b1, w.unit_a), (w.worker_a1, w.unit_b),
                          (w.administrator, harness.unique('no-such-unit'))):
            with self.subTest(role=who.role, sub=who.sub, unit=unit):
                report = self.family_time(who, unit=unit)
                self.assertFigures(report, NOTHING_MONTHS, NOTHING_TOTAL)
                self.assertEqual(report['shortfalls'], [])

    # -- the rules, one at a time (read off the tables above) -----------------------
    def test_the_month_a_plan_changes_counts_for_neither_plan(self):
        # March: P1 ends on the 14th, P2 starts on the 15th; Ava's four visits with Mia
        # count nowhere. P3 (Ava with Ned) and P4 (Ben) still count.
        w = self.world
        march = self.family_time(w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertFigures(march, [m('2025-03', 2, 2, 6, 6, 6, 1.0)], total(2, 2, 6, 6, 6, 1.0))
        feb_apr = self.family_time(w.worker_a1, **{'from': '2025-02', 'to': '2025-04'})
        self.assertEqual([row['plan_months'] for row in feb_apr['months']], [3, 2, 3])

    def test_a_plan_with_the_mother_and_one_with_the_father_count_apart(self):
        # January: P1 (Mia, 4 planned, 5 delivered) and P3 (Ned, 2 planned, 1 delivered):
        # Mia's extra visit does not cover Ned's missed one.
        w = self.world
        january = self.family_time(w.worker_a1, **{'from': '2025-01', 'to': '2025-01'})
        self.assertFigures(january, [m('2025-01', 1, 2, 6, 6, 5, 0.8333)], total(1, 2, 6, 6, 5, 0.8333))
        self.assertEqual([(r['plan_id'], r['planned'], r['delivered']) for r in january['shortfalls']],
                         [(self.ids['p3'], 2, 1)])

    def test_extra_visits_in_one_month_do_not_make_up_for_a_missed_month(self):
        # Ben (P4): April 0 of 4, May 8 of 4: 4 of 8 delivered within the plan, not 8 of 8.
        w = self.world
        spring = self.family_time(w.worker_a1, **{'from': '2025-04', 'to': '2025-05'})
        self.assertFigures(spring, [m('2025-04', 2, 3, 14, 8, 8, 0.5714), m('2025-05', 2, 2, 12, 14, 10, 0.8333)],
                           total(2, 5, 26, 22, 18, 0.6923))

    def test_virtual_foster_parent_only_caseworker_and_deleted_visits_do_not_count(self):
        # January's virtual visit would make 6 for P1; February's visit with Flo would give
        # P1 3 of 4; June's caseworker_child visit would make 9; the deleted April visit
        # would give P3 1 of 2. None of them is in the figures.
        w = self.world
        report = self.family_time(w.worker_a1)
        by_month = {row['month']: row for row in report['months']}
        self.assertEqual([by_month[k]['delivered'] for k in sorted(by_month)], [6, 6, 6, 8, 14, 12])
        stored = self.cluster.psql(f"SELECT count(*) FROM visits WHERE case_id = '{self.ids['f1']['id']}'"
                                   " AND deleted_at IS NOT NULL")
        self.assertEqual(stored.strip(), '1')

    def test_two_children_at_one_visit_count_for_each_childs_plan(self):
        # February 8 and 22: Ava, Ben and Mia together: 2 for P1 and 2 for P4.
        w = self.world
        february = self.family_time(w.worker_a1, **{'from': '2025-02', 'to': '2025-02'})
        shortfalls = {r['plan_id']: r['delivered'] for r in february['shortfalls']}
        self.assertEqual(shortfalls, {self.ids['p1']: 2, self.ids['p4']: 2})

    def test_a_deleted_plan_counts_for_nothing(self):
        # Cal's deleted plan (10 a month) would make every month of worker_a2 fall short.
        w = self.world
        self.assertFigures(self.family_time(w.worker_a2), WORKER_A2_MONTHS, WORKER_A2_TOTAL)

    def test_months_are_utc_months_and_the_range_ends_are_utc_month_boundaries(self):
        # "2025-05-01T01:30:00+02:00" is April's (P2: 8 of 8, not 7); 2025-07-01T00:00:00Z is
        # July's; 2024-12-31T23:59:59Z is December's (P1 would otherwise have 6 in January).
        w = self.world
        april = self.family_time(w.worker_a1, **{'from': '2025-04', 'to': '2025-04'})
        self.assertNotIn(self.ids['p2'], [r['plan_id'] for r in april['shortfalls']])
        july = self.family_time(w.worker_a1, **{'from': '2025-07', 'to': '2025-07'})
        self.assertFigures(july, [m('2025-07', 2, 2, 12, 1, 1, 0.0833)], total(2, 2, 12, 1, 1, 0.0833))
        report = self.report_in_zone('Pacific/Kiritimati', FAMILY_TIME, w.administrator,
                                     **{'from': '2025-01', 'to': '2025-06', 'unit': w.unit_a})
        self.assertFigures(report, UNIT_A_MONTHS, UNIT_A_TOTAL)

    # -- shortfalls, paged ------------------------------------------------------------
    def test_shortfalls_come_in_pages_that_put_together_are_the_whole_list(self):
        w = self.world
        pages, cursor = [], None
        while True:
            r = self.request('GET', query(FAMILY_TIME, **{'from': '2025-01', 'to': '2025-06', 'limit': 2,
                                                           'cursor': cursor}), w.supervisor_a)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertFigures(page, UNIT_A_MONTHS, UNIT_A_TOTAL)
            self.assertLessEqual(len(page['shortfalls']), 2)
            pages.append(page['shortfalls'])
            cursor = page['next_cursor']
            self.assertEqual(r.header('Next-Cursor'), cursor)
            if cursor is None:
                break
        self.assertEqual([len(p) for p in pages], [2, 2, 2, 1])
        self.assertEqual([row for p in pages for row in p], self.unit_a_shortfalls())

    def test_a_cursor_must_be_one_of_this_report(self):
        w = self.world
        other = self.request('GET', query(test_reports.REVIEWS, limit=1), w.supervisor_a).json()['next_cursor']
        for cursor in ('nonsense', 'AAAA', other):
            if cursor is None:
                continue
            with self.subTest(cursor=cursor):
                r = self.request('GET', query(FAMILY_TIME, **{'from': '2025-01', 'to': '2025-06', 'cursor': cursor}),
                                 w.supervisor_a)
                self.assertInvalid(r, ['cursor'])

    # -- CSV ----------------------------------------------------------------------
    def test_csv_has_a_line_per_month_a_total_line_and_a_line_per_shortfall(self):
        w = self.world
        body, rows, r = self.csv_report(FAMILY_TIME, w.worker_a2, **{'from': '2025-01', 'to': '2025-06'})
        case = self.ids['f2']
        self.assertEqual(body, WORKER_A2_CSV_HEAD + (
            f'"2025-06",,,2,1,,,"{self.ids["cal"]}","{case["id"]}","{case["case_number"]}","{self.ids["p5"]}"\r\n'
        ).encode())
        self.assertEqual(r.header('Content-Disposition'), 'attachment; filename="family-time-2025-01-2025-06.csv"')
        self.assertEqual(rows[0], CSV_HEADER)

    def test_csv_reads_back_as_the_json(self):
        w = self.world
        for who, unit in ((w.supervisor_a, None), (w.worker_a1, None), (w.administrator, w.unit_b),
                          (w.auditor, w.unit_a), (w.integration, w.unit_a)):
            with self.subTest(role=who.role, unit=unit):
                report = self.family_time(who, unit=unit)
                _, rows, _ = self.csv_report(FAMILY_TIME, who, **{'from': '2025-01', 'to': '2025-06', 'unit': unit})
                self.assertEqual(rows[0], CSV_HEADER)
                expected = [dict(row) for row in report['months']]
                expected.append(dict({k: report[k] for k in FIGURES}, month='total'))
                expected += report['shortfalls']
                self.assertEqual(len(rows), 1 + len(expected))
                for line, want in zip(rows[1:], expected):
                    got = dict(zip(CSV_HEADER, line))
                    for key in CSV_HEADER:
                        self.assertEqual(number_or_text(got[key]), csv_cell(want.get(key)), (want['month'], key))

    def test_csv_pages_put_together_are_the_whole_report(self):
        w = self.world
        _, whole, _ = self.csv_report(FAMILY_TIME, w.supervisor_a, **{'from': '2025-01', 'to': '2025-06'})
        lines, cursor = [], None
        while True:
            _, rows, r = self.csv_report(FAMILY_TIME, w.supervisor_a,
                                         **{'from': '2025-01', 'to': '2025-06', 'limit': 3, 'cursor': cursor})
            self.assertEqual(rows[0], CSV_HEADER)
            lines += rows[1:]
            cursor = r.header('Next-Cursor')
            if cursor is None:
                break
        self.assertEqual(len(whole), 1 + 6 + 1 + 7)
        self.assertEqual(lines, whole[1:])


class FamilyTimeEdgesTest(FamilyTimeReportTest):
    """Small data sets of their own, one per test."""

    def test_a_plan_from_the_first_to_the_last_day_of_a_month_counts_that_month(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case)
        mother = self.participant(case, role='parent')
        grandma = self.participant(case, role='relative')
        self.plan(case, child, [mother], 3, '2024-02-01', '2024-02-29')
        self.plan(case, child, [grandma], 1, '2024-02-02', '2024-03-31')
        self.family_visit(case, w.worker_a1, '2024-02-29T23:30:00Z', [child, mother])
        self.family_visit(case, w.worker_a1, '2024-03-01T00:30:00+01:00', [child, grandma, mother])
        report = self.family_time(w.worker_a1, **{'from': '2024-02', 'to': '2024-03'})
        # February: the mother's plan, 3 planned, 2 delivered (the second visit too is
        # 2024-02-29T23:30Z); the grandmother's starts on the 2nd, so February is not hers.
        # March: hers, 0 of 1 (her visit was February's).
        self.assertFigures(report, [m('2024-02', 1, 1, 3, 2, 2, 0.6667), m('2024-03', 1, 1, 1, 0, 0, 0.0)],
                           total(1, 2, 4, 2, 2, 0.5))

    def test_a_visit_with_several_of_the_plans_people_counts_once(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case)
        mother = self.participant(case, role='parent')
        father = self.participant(case, role='parent')
        self.plan(case, child, [mother, father], 2, '2025-01-01')
        self.family_visit(case, w.worker_a1, '2025-03-03T10:00:00Z', [child, mother, father])
        self.family_visit(case, w.worker_a1, '2025-03-04T10:00:00Z', [child, father])
        report = self.family_time(w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertFigures(report, [m('2025-03', 1, 1, 2, 2, 2, 1.0)], total(1, 1, 2, 2, 2, 1.0))

    def test_a_deleted_case_counts_for_nothing(self):
        # (A child that a live plan names cannot be deleted: test_family_time_plans.)
        w = self.world
        gone_case = self.case_in(w.worker_a1)
        child = self.participant(gone_case)
        father = self.participant(gone_case, role='parent')
        self.plan(gone_case, child, [father], 2, '2025-01-01')
        before = self.family_time(w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertEqual(before['plan_months'], 1)
        self.remove(f'/v1/cases/{gone_case["id"]}')
        after = self.family_time(w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertFigures(after, [empty_month('2025-03')], total(0, 0, 0, 0, 0, None))

    def test_a_visit_changed_afterwards_counts_as_it_now_stands(self):
        # Two visits with the mother in March 2025 against a plan of 2: delivered 2, then
        # one turned virtual, the other changed to leave the mother out: 0; then the
        # plan ended in mid-March: March is no plan-month any more.
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case)
        mother = self.participant(case, role='parent')
        foster = self.participant(case, role='foster_parent')
        plan = self.plan(case, child, [mother], 2, '2025-01-01')
        one = self.family_visit(case, w.worker_a1, '2025-03-03T10:00:00Z', [child, mother])
        two = self.family_visit(case, w.worker_a1, '2025-03-10T10:00:00Z', [child, mother])
        march = {'from': '2025-03', 'to': '2025-03'}
        self.assertFigures(self.family_time(w.worker_a1, **march), [m('2025-03', 1, 1, 2, 2, 2, 1.0)],
                           total(1, 1, 2, 2, 2, 1.0))
        for visit, change in ((one, {'location': 'virtual'}), (two, {'participant_ids': [child['id'], foster['id']]})):
            r = self.request('PATCH', f'/v1/visits/{visit["id"]}', w.worker_a1, body=change)
            self.assertEqual(r.status, 200, r)
        self.assertFigures(self.family_time(w.worker_a1, **march), [m('2025-03', 1, 1, 2, 0, 0, 0.0)],
                           total(1, 1, 2, 0, 0, 0.0))
        r = self.request('PATCH', f'/v1/family-time-plans/{plan}', w.worker_a1, body={'ended_on': '2025-03-15'})
        self.assertEqual(r.status, 200, r)
        self.assertFigures(self.family_time(w.worker_a1, **march), [empty_month('2025-03')],
                           total(0, 0, 0, 0, 0, None))

    def test_a_range_of_exactly_ten_years_lists_every_month(self):
        w = self.world
        report = self.family_time(w.worker_a1, **{'from': '2015-01', 'to': '2024-12'})
        self.assertEqual(len(report['months']), 120)
        self.assertEqual((report['months'][0]['month'], report['months'][-1]['month']), ('2015-01', '2024-12'))


class FamilyTimeParametersTest(ReportTest):
    def get(self, **params):
        return self.request('GET', query(FAMILY_TIME, **params), self.world.supervisor_a)

    def test_months_must_be_written_yyyy_mm(self):
        for bad in ('2025-1', '2025-13', '2025-01-01', '25-01', 'January', ''):
            with self.subTest(bad=bad):
                self.assertInvalid(self.get(**{'from': bad, 'to': '2025-06'}), ['from'])

    def test_from_and_to_are_required(self):
        self.assertInvalid(self.get(), ['from', 'to'])
        self.assertInvalid(self.get(**{'from': '2025-01'}), ['to'])

    def test_from_after_to_and_a_range_over_ten_years_are_refused(self):
        self.assertInvalid(self.get(**{'from': '2025-06', 'to': '2025-01'}), ['to'])
        self.assertInvalid(self.get(**{'from': '2015-01', 'to': '2025-01'}), ['to'])

    def test_limit_must_be_1_to_500(self):
        for bad in ('0', '501', '-1', 'ten'):
            with self.subTest(bad=bad):
                self.assertInvalid(self.get(**{'from': '2025-01', 'to': '2025-06', 'limit': bad}), ['limit'])

    def test_every_bad_parameter_is_listed_in_one_answer(self):
        r = self.get(**{'from': '2025-13', 'to': 'x', 'limit': '0', 'cursor': 'bad', 'colour': 'red'})
        self.assertInvalid(r, ['from', 'to', 'limit', 'cursor', 'colour'])

    def test_a_refusal_is_problem_json_even_when_csv_is_asked_for(self):
        r = self.request('GET', query(FAMILY_TIME, **{'from': '2025-13'}), self.world.supervisor_a,
                         headers={'Accept': 'text/csv'})
        self.assertInvalid(r, ['from', 'to'])

    def test_a_request_without_a_token_is_401(self):
        r = self.request('GET', query(FAMILY_TIME, **{'from': '2025-01', 'to': '2025-06'}))
        self.assertProblem(r, 401)


class FamilyTimeMethodsTest(test_reports.ReportMethodsTest):
    PATHS = (query(FAMILY_TIME, **{'from': '2025-01', 'to': '2025-02'}),)
