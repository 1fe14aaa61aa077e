"""The federal clocks: GET /v1/episodes/{id}/clocks and GET /v1/reports/federal-clocks.

Every expected value below is worked by hand from DOMAIN.md ("Court and the
federal clocks"). "Today" is the agency's date: these tests run a service of
their own with CASEWORK_TIMEZONE set to a zone fourteen hours ahead of UTC
(Pacific/Kiritimati), so that its today is often not UTC's, and place every
date relative to that today (T). "+ N months" keeps the day of the month or
takes the month's last day (add_months below, the rule itself); the
month-end cases are written out as literal dates.

  case_plan           due R + 60; met by the first plan approval of the case
                      from R to the discharge (dates in the agency's zone).
  periodic_review     due 6 months after the latest held review or permanency
                      hearing within the episode, else after entered care.
  permanency_hearing  the same, 12 months, permanency hearings only.
  tpr_15_of_22        the first day on which the counted days (entered care to
                      discharge, across episodes, without trial home visits
                      and runaways) of the 22 months ending that day reach 457.
"""
import calendar
import csv
import datetime
import io
import zoneinfo

import harness
from base import MISSING, ApiTest, Persona, query

ZONE = 'Pacific/Kiritimati'
SETTINGS = {'CASEWORK_TIMEZONE': ZONE}


def today():
    return datetime.datetime.now(zoneinfo.ZoneInfo(ZONE)).date()


def day(n):
    """T + n days, as YYYY-MM-DD."""
    return (today() + datetime.timedelta(days=n)).isoformat()


def add_months(text, n):
    """A date + n months: the same day, or the month's last day when it has no such day."""
    d = datetime.date.fromisoformat(text)
    month = d.month - 1 + n
    year, month = d.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(d.day, calendar.monthrange(year, month)[1])).isoformat()


def plus(text, n):
    return (datetime.date.fromisoformat(text) + datetime.timedelta(days=n)).isoformat()


class ClockTest(ApiTest):
    """A service of its own in the agency's zone; a case of worker_a1's per child."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api = cls.class_service('clocks', **SETTINGS)

    # -- records ------------------------------------------------------------------
    def child(self, who=None, **case_fields):
        """A child of a new case of who's (default worker_a1)."""
        case = self.create_case(who or self.world.worker_a1, **case_fields)
        child = self.add_participant(case, role='child')
        child['case'] = case
        return child

    def hearing(self, child, hearing_type, held_on, **fields):
        body = dict({'hearing_type': hearing_type, 'held_on': held_on, 'child_ids': [child['id']]}, **fields)
        r = self.request('POST', f'/v1/cases/{child["case_id"]}/hearings', self.world.worker_a1, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def approve_plan(self, child):
        """A plan of the child's case, approved now by the unit's supervisor."""
        w = self.world
        r = self.request('POST', f'/v1/cases/{child["case_id"]}/plans', w.worker_a1, body={})
        self.assertEqual(r.status, 201, r)
        r = self.request('PATCH', f'/v1/plans/{r.json()["id"]}', w.supervisor_a, body={'status': 'active'})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def approved_on(self, plan, local_day, at='12:00'):
        """Moves the plan's approval to local_day at in the agency's zone: history made by hand,
        past the database's rule that approvals are stamped when they happen."""
        self.cluster.psql(
            "SET LOCAL session_replication_role = replica;"
            f"UPDATE plans SET approved_at = '{local_day} {at}'::timestamp AT TIME ZONE '{ZONE}'"
            f" WHERE id = '{plan['id']}'")

    # -- reads --------------------------------------------------------------------
    def clocks(self, episode, who=None):
        r = self.request('GET', f'/v1/episodes/{episode["id"]}/clocks', who or self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def current_episode(self, episode):
        r = self.request('GET', f'/v1/episodes/{episode["id"]}', self.world.administrator)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def report(self, who, **params):
        r = self.request('GET', query('/v1/reports/federal-clocks', **params), who)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assertClock(self, clocks, name, **expected):
        self.assertEqual({k: clocks[name][k] for k in expected}, expected, (name, clocks))


class CasePlanTest(ClockTest):
    def test_a_plan_approved_on_day_59_is_met_and_on_day_61_met_late(self):
        on_59 = self.child()
        e59 = self.add_episode(on_59, day(-59))
        self.approve_plan(on_59)
        self.assertClock(self.clocks(e59), 'case_plan', due_on=day(1), met_on=day(0), status='met')
        on_61 = self.child()
        e61 = self.add_episode(on_61, day(-61))
        self.approve_plan(on_61)
        self.assertClock(self.clocks(e61), 'case_plan', due_on=day(-1), met_on=day(0), status='met_late')

    def test_without_an_approved_plan_it_is_due_then_overdue(self):
        young = self.child()
        self.assertClock(self.clocks(self.add_episode(young, day(-60))), 'case_plan',
                         due_on=day(0), met_on=None, status='due')
        old = self.child()
        self.assertClock(self.clocks(self.add_episode(old, day(-61))), 'case_plan',
                         due_on=day(-1), met_on=None, status='overdue')

    def test_a_plan_approved_before_the_removal_does_not_count(self):
        child = self.child()
        first = self.add_episode(child, day(-400), day(-300))
        plan = self.approve_plan(child)
        self.approved_on(plan, day(-350))
        second = self.add_episode(child, day(-30))
        # Approved on day 50 of the first episode: met there, and nothing for the second.
        self.assertClock(self.clocks(first), 'case_plan', due_on=day(-340), met_on=day(-350), status='met')
        self.assertClock(self.clocks(second), 'case_plan', due_on=day(30), met_on=None, status='due')
        # An approval after a discharge does not count for that episode either.
        self.approved_on(plan, day(-250))
        self.assertClock(self.clocks(first), 'case_plan', due_on=day(-340), met_on=None, status='overdue')

    def test_an_episode_discharged_before_the_due_date_is_not_applicable(self):
        child = self.child()
        episode = self.add_episode(child, day(-100), day(-80))
        self.assertClock(self.clocks(episode), 'case_plan', due_on=day(-40), met_on=None, status='not_applicable')

    def test_an_approval_is_dated_in_the_agencys_zone(self):
        child = self.child()
        episode = self.add_episode(child, day(-60))
        plan = self.approve_plan(child)
        # 23:30 on day 0 in the agency's zone is 09:30 UTC on day 0: still day 0, in time.
        self.approved_on(plan, day(0), '23:30')
        self.assertClock(self.clocks(episode), 'case_plan', due_on=day(0), met_on=day(0), status='met')
        # And 00:30 on day 1 there is still day 0 in UTC: day 1 for the agency, late.
        self.approved_on(plan, day(1), '00:30')
        self.assertClock(self.clocks(episode), 'case_plan', met_on=day(1), status='met_late')


class EnteredCareTest(ClockTest):
    def test_adjudication_before_day_60_brings_entered_care_forward(self):
        child = self.child()
        episode = self.add_episode(child, day(-100))
        self.assertEqual(episode['entered_care_on'], day(-40))
        self.hearing(child, 'adjudication', day(-90), abuse_neglect_found=False)   # no finding of abuse: no change
        self.assertEqual(self.current_episode(episode)['entered_care_on'], day(-40))
        hearing = self.hearing(child, 'adjudication', day(-70), abuse_neglect_found=True)
        after = self.current_episode(episode)
        self.assertEqual((after['entered_care_on'], after['version']), (day(-70), episode['version'] + 1))
        clocks = self.clocks(episode)
        self.assertEqual(clocks['entered_care_on'], day(-70))
        self.assertClock(clocks, 'periodic_review', due_on=add_months(day(-70), 6), last_hearing_on=None)
        self.assertClock(clocks, 'permanency_hearing', due_on=add_months(day(-70), 12), last_hearing_on=None)
        # The hearing gone, the 60-day rule again; the episode's audit trail says who moved it.
        r = self.request('DELETE', f'/v1/hearings/{hearing["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.current_episode(episode)['entered_care_on'], day(-40))
        moves = [(row['actor'], (row['after'] or {}).get('entered_care_on'))
                 for row in self.audit_rows(episode, self.world.administrator) if row['action'] == 'update']
        self.assertEqual(moves, [(self.world.worker_a1.sub, day(-70)), (self.world.administrator.sub, day(-40))])

    def test_a_finding_after_day_60_leaves_the_60_day_rule(self):
        child = self.child()
        episode = self.add_episode(child, day(-100))
        self.hearing(child, 'adjudication', day(-25), abuse_neglect_found=True)
        self.assertEqual(self.current_episode(episode)['entered_care_on'], day(-40))

    def test_entered_care_follows_the_episode_and_the_hearing(self):
        child = self.child()
        episode = self.add_episode(child, day(-100))
        hearing = self.hearing(child, 'adjudication', day(-70), abuse_neglect_found=True)
        # A removal moved after the finding: the finding is outside the episode.
        r = self.request('PATCH', f'/v1/episodes/{episode["id"]}', self.world.administrator,
                         body={'removed_on': day(-60)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['entered_care_on'], day(0))
        r = self.request('PATCH', f'/v1/hearings/{hearing["id"]}', self.world.worker_a1, body={'held_on': day(-50)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.current_episode(episode)['entered_care_on'], day(-50))
        # A hearing about another child of the case moves nothing of this one.
        sibling = self.add_participant(child['case'], role='child')
        sibling['case_id'] = child['case_id']
        self.add_episode(sibling, day(-60))
        self.hearing(sibling, 'adjudication', day(-55), abuse_neglect_found=True)
        self.assertEqual(self.current_episode(episode)['entered_care_on'], day(-50))


class ReviewAndPermanencyTest(ClockTest):
    def test_hearings_restart_the_clocks_in_a_chain(self):
        child = self.child()
        episode = self.add_episode(child, day(-400))
        entered = day(-340)
        clocks = self.clocks(episode)
        self.assertClock(clocks, 'periodic_review', due_on=add_months(entered, 6), last_hearing_on=None,
                         status='overdue')
        self.assertClock(clocks, 'permanency_hearing', due_on=add_months(entered, 12), last_hearing_on=None)
        self.hearing(child, 'review', day(-200))
        clocks = self.clocks(episode)
        self.assertClock(clocks, 'periodic_review', due_on=add_months(day(-200), 6), last_hearing_on=day(-200),
                         status='overdue' if add_months(day(-200), 6) < day(0) else 'due')
        self.assertClock(clocks, 'permanency_hearing', due_on=add_months(entered, 12))   # a review is not one
        self.hearing(child, 'permanency', day(-20))
        clocks = self.clocks(episode)
        self.assertClock(clocks, 'periodic_review', due_on=add_months(day(-20), 6), last_hearing_on=day(-20),
                         status='due')
        self.assertClock(clocks, 'permanency_hearing', due_on=add_months(day(-20), 12), last_hearing_on=day(-20),
                         status='due')
        # A scheduled hearing is not held: nothing moves.
        self.hearing(child, 'permanency', day(30))
        self.assertEqual(self.clocks(episode), clocks)

    def test_31_august_plus_6_months_is_the_last_day_of_february(self):
        leap = self.child()
        episode = self.add_episode(leap, '2023-06-01', '2024-09-30')
        self.hearing(leap, 'review', '2023-08-31')
        clocks = self.clocks(episode)
        self.assertEqual(clocks['entered_care_on'], '2023-07-31')
        self.assertClock(clocks, 'periodic_review', due_on='2024-02-29', last_hearing_on='2023-08-31',
                         status='overdue')
        self.assertClock(clocks, 'permanency_hearing', due_on='2024-07-31', status='overdue')
        common = self.child()
        episode = self.add_episode(common, '2024-06-01', '2025-09-30')
        self.hearing(common, 'permanency', '2024-08-31')
        clocks = self.clocks(episode)
        self.assertClock(clocks, 'periodic_review', due_on='2025-02-28', status='overdue')
        self.assertClock(clocks, 'permanency_hearing', due_on='2025-08-31', status='overdue')

    def test_hearings_outside_the_episode_do_not_count(self):
        child = self.child()
        first = self.add_episode(child, day(-700), day(-500))
        self.hearing(child, 'permanency', day(-600))
        second = self.add_episode(child, day(-100))
        self.assertClock(self.clocks(second), 'permanency_hearing', due_on=add_months(day(-40), 12),
                         last_hearing_on=None, status='due')
        self.assertClock(self.clocks(first), 'permanency_hearing', last_hearing_on=day(-600))

    def test_discharged_before_the_due_date_is_not_applicable(self):
        child = self.child()
        episode = self.add_episode(child, day(-200), day(-100))
        clocks = self.clocks(episode)
        self.assertClock(clocks, 'periodic_review', due_on=add_months(day(-140), 6), status='not_applicable')
        self.assertClock(clocks, 'permanency_hearing', due_on=add_months(day(-140), 12), status='not_applicable')


class FifteenOfTwentyTwoTest(ClockTest):
    def in_care(self, first_days=100, **episode_fields):
        """Two episodes, the second with a 50-day trial home visit:
        first  removed T-640, entered care T-580, discharged T-(581-first_days): first_days days;
        second removed T-470, entered care T-410, open; placements T-470..T-300 foster home,
               T-300..T-250 trial home visit (its days T-300..T-251 do not count; T-250, the move
               day, is the next placement's), T-250.. foster home.
        Counted: first_days + 110 (T-410..T-301) + 251 (T-250..T)."""
        child = self.child()
        self.add_episode(child, day(-640), day(-581 + first_days))
        second = self.add_episode(child, day(-470), **episode_fields)
        self.add_placement(second, day(-470), day(-300))
        self.add_placement(second, day(-300), day(-250), setting='trial_home_visit')
        self.add_placement(second, day(-250))
        return child, second

    def test_reached_on_the_day_the_457th_day_falls(self):
        child, episode = self.in_care(100)
        # 100 + 110 = 210 days before T-250; the 247th day from T-250 is T-4.
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', reached_on=day(-4), days_in_last_22_months=461,
                         petition_on=None, status='no_action')

    def test_a_day_short_is_not_reached(self):
        child, episode = self.in_care(95)
        # 95 + 110 + 251 = 456: the 457th day would be tomorrow.
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', reached_on=None, days_in_last_22_months=456,
                         status='not_reached')

    def test_the_trial_home_visit_does_not_count(self):
        child, episode = self.in_care(100)
        # Were the trial home visit a foster home, its 50 days would count: reached 50 days earlier.
        r = self.request('GET', f'/v1/episodes/{episode["id"]}/placements', self.world.administrator)
        visit = next(p for p in r.json()['items'] if p['setting'] == 'trial_home_visit')
        r = self.request('PATCH', f'/v1/placements/{visit["id"]}', self.world.administrator,
                         body={'setting': 'relative_foster_home'})
        self.assertEqual(r.status, 200, r)
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', reached_on=day(-54), days_in_last_22_months=511)

    def test_a_petition_filed_on_or_after_the_day_counts(self):
        child, episode = self.in_care(100)
        self.hearing(child, 'tpr', day(-6))   # before the day: not the petition
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', petition_on=None, status='no_action')
        self.hearing(child, 'tpr', day(-2))
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', reached_on=day(-4), petition_on=day(-2),
                         status='petition_filed')

    def test_an_exception_recorded_on_the_episode(self):
        child, episode = self.in_care(100, tpr_exception='compelling_reason')
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', reached_on=day(-4), status='exception')

    def test_days_long_ago_fall_out_of_the_22_months(self):
        """First episode T-1200 (entered care T-1140) to T-700: 441 days; second removed T-300,
        entered care T-240, open: 241 days to T. The 457th day is T-225, but the 22 months
        ending then start near T-893 and hold only T-893..T-700 of the first (194 days). From
        then on each day adds one and the window drops one until the first episode's days are
        gone: the count stays below 457 until the second episode alone has 457 days, which is
        after today. Not reached."""
        child = self.child()
        self.add_episode(child, day(-1200), day(-700))
        episode = self.add_episode(child, day(-300))
        self.assertClock(self.clocks(episode), 'tpr_15_of_22', reached_on=None, status='not_reached')


class ReportTest(ClockTest):
    """The report over one unit's children of this test (every World has its own units)."""

    def setUp(self):
        super().setUp()
        w = self.world
        self.overdue = self.child()                           # case plan due T-10, overdue
        self.overdue_episode = self.add_episode(self.overdue, day(-70))
        self.due = self.child()                               # case plan due T+50
        self.due_episode = self.add_episode(self.due, day(-10))
        self.colleague = self.child(w.worker_a2)              # case plan due T-40, overdue
        self.colleague_episode = self.add_episode(self.colleague, day(-100))
        self.gone = self.child()                              # discharged 13 months ago: no row
        self.add_episode(self.gone, day(-800), add_months(day(0), -13))
        self.other_unit = self.child(w.worker_b1)
        self.other_episode = self.add_episode(self.other_unit, day(-70))

    def rows(self, who, **params):
        return [(row['child_id'], row['case_plan']['status']) for row in self.report(who, **params)['items']]

    def test_most_overdue_first_and_every_filter(self):
        s, a = self.world.supervisor_a, self.world.administrator
        unit = self.world.unit_a
        everyone = [(self.colleague['id'], 'overdue'), (self.overdue['id'], 'overdue'), (self.due['id'], 'due')]
        self.assertEqual(self.rows(s), everyone)
        self.assertEqual(self.rows(a, unit=unit), everyone)
        self.assertEqual(self.rows(s, status='overdue'), everyone[:2])
        self.assertEqual(self.rows(s, clock='case_plan', status='due'), everyone[2:])
        self.assertEqual(self.rows(s, clock='case_plan', due_before=day(0)), everyone[:2])
        self.assertEqual(self.rows(s, clock='case_plan', due_before=day(-10)), everyone[:1])
        self.assertEqual(self.rows(s, clock='tpr_15_of_22', status='not_reached'),
                         sorted(everyone, key=lambda r: (self.case_number_of(r[0]), r[0])))
        self.assertEqual(self.rows(s, status='met'), [])
        report = self.report(s, status='overdue')
        self.assertEqual((report['as_of'], report['status'], report['clock']), (day(0), 'overdue', None))
        row = report['items'][0]
        self.assertEqual({k: row[k] for k in ('child_id', 'case_id', 'case_number', 'assigned_worker', 'unit',
                                              'episode_id', 'removed_on', 'discharged_on', 'entered_care_on')},
                         {'child_id': self.colleague['id'], 'case_id': self.colleague['case_id'],
                          'case_number': self.colleague['case']['case_number'],
                          'assigned_worker': self.world.worker_a2.sub, 'unit': unit,
                          'episode_id': self.colleague_episode['id'], 'removed_on': day(-100),
                          'discharged_on': None, 'entered_care_on': day(-40)})
        self.assertEqual(row['case_plan'], {'due_on': day(-40), 'met_on': None, 'status': 'overdue'})

    def case_number_of(self, child_id):
        for child in (self.overdue, self.due, self.colleague):
            if child['id'] == child_id:
                return child['case']['case_number']

    def test_pages_by_cursor_without_skipping_or_repeating(self):
        s = self.world.supervisor_a
        seen, cursor = [], None
        while True:
            params = {'limit': 1}
            if cursor:
                params['cursor'] = cursor
            page = self.report(s, **params)
            seen += [row['child_id'] for row in page['items']]
            cursor = page['next_cursor']
            if cursor is None:
                break
        self.assertEqual(seen, [self.colleague['id'], self.overdue['id'], self.due['id']])

    def test_every_roles_view(self):
        w = self.world
        mine = {self.overdue['id'], self.due['id']}
        unit_a = mine | {self.colleague['id']}
        views = {w.worker_a1: mine, w.worker_a2: {self.colleague['id']}, w.supervisor_a: unit_a,
                 w.supervisor_b: {self.other_unit['id']}, w.worker_b1: {self.other_unit['id']}}
        for who, expected in views.items():
            with self.subTest(who=who.sub):
                self.assertEqual({row['child_id'] for row in self.report(who)['items']}, expected)
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(who=who.sub):
                self.assertEqual({row['child_id'] for row in self.report(who, unit=w.unit_a)['items']}, unit_a)
                self.assertEqual(self.clocks(self.other_episode, who)['child_id'], self.other_unit['id'])
        # An episode of a child the caller cannot see is a 404, as a missing one.
        for episode_id in (self.other_episode['id'], MISSING):
            self.assertProblem(self.request('GET', f'/v1/episodes/{episode_id}/clocks', w.worker_a1), 404)
        self.assertProblem(self.request('GET', f'/v1/episodes/{self.colleague_episode["id"]}/clocks',
                                        w.worker_a1), 404)
        self.assertProblem(self.request('GET', '/v1/episodes/not-a-uuid/clocks', w.worker_a1), 404)
        several = Persona(self.cluster, harness.unique('worker-auditor'), ['caseworker', 'auditor'], w.unit_a)
        self.assertEqual({row['child_id'] for row in self.report(several, unit=w.unit_a)['items']}, unit_a)

    def test_csv_parsed_back(self):
        s = self.world.supervisor_a
        json_rows = self.report(s)['items']
        for params in ({}, {'status': 'overdue'}, {'limit': 2}):
            with self.subTest(**params):
                r = self.request('GET', query('/v1/reports/federal-clocks', **params), s,
                                 headers={'Accept': 'text/csv'})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header('Content-Type'), 'text/csv; charset=utf-8')
                self.assertIn('federal-clocks-', r.header('Content-Disposition'))
                rows = list(csv.DictReader(io.StringIO(r.body.decode())))
                expected = [row for row in json_rows
                            if params.get('status') is None or 'overdue' in
                            (row['case_plan']['status'], row['periodic_review']['status'],
                             row['permanency_hearing']['status'])][:params.get('limit', 500)]
                self.assertEqual([row['child_id'] for row in rows], [row['child_id'] for row in expected])
                for got, want in zip(rows, expected):
                    self.assertEqual(got['case_number'], want['case_number'])
                    self.assertEqual(got['case_plan.due_on'], want['case_plan']['due_on'])
                    self.assertEqual(got['case_plan.status'], want['case_plan']['status'])
                    self.assertEqual(got['discharged_on'], '')
                    self.assertEqual(int(got['tpr_15_of_22.days_in_last_22_months']),
                                     want['tpr_15_of_22']['days_in_last_22_months'])
                if params.get('limit') == 2:
                    self.assertIsNotNone(r.header('Next-Cursor'))
                head = self.request('HEAD', query('/v1/reports/federal-clocks', **params), s,
                                    headers={'Accept': 'text/csv'})
                self.assertEqual((head.status, head.body, head.header('Content-Type')),
                                 (200, b'', 'text/csv; charset=utf-8'))

    def test_bad_parameters_are_422_naming_each(self):
        s = self.world.supervisor_a
        r = self.request('GET', '/v1/reports/federal-clocks?clock=court&status=late&due_before=2026-02-30'
                                '&limit=0&cursor=nope&colour=red', s)
        self.assertInvalid(r, ['clock', 'status', 'due_before', 'limit', 'cursor', 'colour'])
        r = self.request('GET', '/v1/reports/federal-clocks?status=due&status=overdue&unit=a&unit=b', s)
        self.assertInvalid(r, ['status', 'unit'])
        r = self.request('GET', '/v1/reports/federal-clocks?limit=501', s, headers={'Accept': 'text/csv'})
        self.assertInvalid(r, ['limit'])
        r = self.request('GET', f'/v1/episodes/{self.due_episode["id"]}/clocks?as_of=2026-01-01', s)
        self.assertInvalid(r, ['as_of'])
