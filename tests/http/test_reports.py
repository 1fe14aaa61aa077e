"""Reports for reporting scripts: /v1/reports/visit-compliance, /plan-reviews and
/referral-outcomes, as JSON and, with Accept: text/csv, as RFC 4180 CSV.

The visit measure (shared/DOMAIN.md, "The visit measure, exactly as this
service computes it"): a child counts for a month when the whole month lies in
their time in care; a qualifying visit is a caseworker_child visit, not
virtual, naming the child, inside the month in UTC. Every expected number in
this file was worked out by hand from the data set next to it and is written
as a literal: the tests never compute what they check.

Each data set lives in a unit of its own World and is read with unit= (or by
that unit's personas), so records of other tests never reach the numbers. The
reports that no unit filter can isolate use date windows that only this file
writes: visits and time in care in 1995 (the agency-wide visit measure) and
referrals made in 1993 (referral outcomes).
"""
import csv
import datetime
import io
import uuid
import zoneinfo

import harness
from base import ApiTest, Persona, query, today

VISITS = '/v1/reports/visit-compliance'
REVIEWS = '/v1/reports/plan-reviews'
OUTCOMES = '/v1/reports/referral-outcomes'
CSV_TYPE = 'text/csv; charset=utf-8'
SUD = 'substance_use_treatment'
SERVICE_TYPES = (SUD, 'mental_health', 'parenting', 'domestic_violence', 'housing', 'employment', 'education',
                 'health', 'family_preservation', 'other')
STATUSES = ('referred', 'accepted', 'declined', 'in_progress', 'completed', 'cancelled')
PATH_TO = {'referred': [], 'accepted': ['accepted'], 'declined': ['declined'], 'cancelled': ['cancelled'],
           'in_progress': ['accepted', 'in_progress'], 'completed': ['accepted', 'in_progress', 'completed']}

COUNTS = ('children', 'full_months_in_care', 'months_with_visit', 'children_visited_every_month', 'visits',
          'visits_in_residence')
MEASURE = COUNTS + ('visit_rate', 'residence_rate', 'meets_visit_target', 'meets_residence_target')
REPORT_KEYS = {'from', 'to', 'unit', 'targets', 'months'} | set(MEASURE)
MONTH_KEYS = {'month'} | set(MEASURE)
VISIT_CSV_HEADER = ['month', 'children', 'full_months_in_care', 'months_with_visit', 'visit_rate',
                    'children_visited_every_month', 'visits', 'visits_in_residence', 'residence_rate',
                    'meets_visit_target', 'meets_residence_target']
REVIEW_KEYS = {'plan_id', 'case_id', 'case_number', 'assigned_worker', 'unit', 'review_due_on', 'days_left'}
REVIEW_CSV_HEADER = ['plan_id', 'case_id', 'case_number', 'assigned_worker', 'unit', 'review_due_on', 'days_left']
OUTCOME_CSV_HEADER = ['service_type', 'total', 'by_status.referred', 'by_status.accepted', 'by_status.declined',
                      'by_status.in_progress', 'by_status.completed', 'by_status.cancelled', 'completion_rate']


def m(month, children, full, visited, every, visits, in_residence, visit_rate, residence_rate, meets_visit,
      meets_residence):
    """One month of the visit measure as the report answers it, from a row of a
    hand-worked table (the columns in the order of the tables below)."""
    return {'month': month, 'children': children, 'full_months_in_care': full, 'months_with_visit': visited,
            'children_visited_every_month': every, 'visits': visits, 'visits_in_residence': in_residence,
            'visit_rate': visit_rate, 'residence_rate': residence_rate, 'meets_visit_target': meets_visit,
            'meets_residence_target': meets_residence}


def total(*row):
    """The whole range's figures: a row of a table without its month."""
    figures = m('total', *row)
    del figures['month']
    return figures


def empty_month(month):
    return m(month, 0, 0, 0, 0, 0, 0, None, None, None, None)


def days_from_today(n):
    return (datetime.date.fromisoformat(today()) + datetime.timedelta(days=n)).isoformat()


def parse_csv(body):
    """CSV bytes -> list of rows (lists of cells), through Python's csv module."""
    return list(csv.reader(io.StringIO(body.decode('utf-8'), newline=''), strict=True))


def csv_cell(value):
    """What a CSV cell reads back as: null -> '', booleans -> true/false, numbers as numbers."""
    if value is None:
        return ''
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    return value


def number_or_text(cell):
    """A cell read back for comparison with JSON: integers and decimals as numbers."""
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


class ReportTest(ApiTest):
    # -- records the reports count ------------------------------------------------
    def case_in(self, who, **fields):
        return self.create_case(who, **fields)

    def participant(self, case, role='child', **fields):
        body = {'first_name': 'Ava', 'last_name': harness.unique('R'), 'role': role}
        body.update(fields)
        r = self.request('POST', f'/v1/cases/{case["id"]}/participants', self.world.administrator, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def visit(self, case, who, visited_at, people, visit_type='caseworker_child', location='child_residence'):
        body = {'visited_at': visited_at, 'visit_type': visit_type, 'location': location,
                'participant_ids': [p['id'] for p in people]}
        r = self.request('POST', f'/v1/cases/{case["id"]}/visits', who, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def moved(self, under, path, creator, mover, body, statuses):
        """A record created under `under` by creator, then moved by mover
        through statuses in turn (PATCHes at path/{id}): as it is after the last."""
        r = self.request('POST', under, creator, body=body)
        self.assertEqual(r.status, 201, r)
        record = r.json()
        for status in statuses:
            r = self.request('PATCH', f'{path}/{record["id"]}', mover, body={'status': status})
            self.assertEqual(r.status, 200, r)
            record = r.json()
        return record

    def remove(self, path):
        r = self.request('DELETE', path, self.world.administrator)
        self.assertEqual(r.status, 204, r)

    # -- reading reports ----------------------------------------------------------
    def report(self, path, who, **params):
        r = self.request('GET', query(path, **params), who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/json', r)
        return r.json()

    def report_in_zone(self, zone, path, who, **params):
        """The report as a service of its own whose agency is in time zone zone answers it."""
        name = f'{path.rsplit("/", 1)[1]}-{zone.split("/")[1].lower()}'
        service = self.own_service(name, CASEWORK_TIMEZONE=zone)
        r = service.request('GET', query(path, **params), token=who.token)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def csv_report(self, path, who, accept='text/csv', **params):
        """The report as CSV: (raw body, parsed rows, the response)."""
        r = self.request('GET', query(path, **params), who, headers={'Accept': accept})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), CSV_TYPE, r)
        # Records about children: a download is never kept by a cache.
        self.assertEqual(r.header('Cache-Control'), 'no-store')
        self.assertEqual(r.header('X-Content-Type-Options'), 'nosniff')
        body = r.body
        self.assertTrue(body.endswith(b'\r\n'), body[-40:])
        # Every line ends with CRLF: no bare LF anywhere.
        self.assertNotIn(b'\n', body.replace(b'\r\n', b''), body)
        return body, parse_csv(body), r


# -- the visit measure ------------------------------------------------------------------
#
# The data set of VisitMeasureTest, in unit_a (worker_a1's case A1, worker_a2's
# case A2), unit_b (worker_b1's case B1) and a deleted case of worker_a1; the
# range is 2025-01 .. 2025-06 unless a test says otherwise.
#
#   Ava (A1)  in care since 2024-11-20, never discharged: full months Jan..Jul.
#             Jan: 2025-01-10 residence + 2025-01-25 office (two visits, one month)
#             Feb: one visit to Ava and Ben together, residence (counts for both)
#             Mar: "2025-04-01T01:30:00+02:00" = 2025-03-31T23:30Z, school
#             Apr: only a virtual visit, a caseworker_parent and a family_time visit
#                  naming her, and a deleted visit: no qualifying visit
#             May: 2025-05-20 residence;  Jun: 2025-06-30T23:59:59Z residence
#             outside the range: 2024-12-31T23:59:59Z and 2025-07-01T00:00:00Z, residence
#   Ben (A1)  in care 2025-01-15 .. 2025-05-10: full months Feb, Mar, Apr only.
#             Jan 20 (partial month), Feb (with Ava), Mar 5 parent_home,
#             Apr 8 + Apr 22 residence, May 5 residence (May is partial)
#   Fay (A1)  in care since 2024-06-01, no visits, then deleted: never counts.
#   Pat (A1)  a parent, at the caseworker_parent and family_time visits.
#   Cal (A2)  in care 2025-03-01 .. 2025-06-30 (removed on the 1st, discharged on the
#             last day): full months Mar..Jun.
#             Mar: 2025-03-01T00:00:00Z residence; Apr: "2025-05-01T01:30:00+02:00"
#             = 2025-04-30T23:30Z residence; May 15 residence; Jun 30 community
#   Dee (A2)  in care 2025-02-02 .. 2025-03-30: no full month; a visit on Mar 10.
#   Gus       in care since 2024-01-01, a visit every month: his case (worker_a1,
#             unit_a) is deleted.
#   Eli (B1)  in care since 2024-01-01, one residence visit on the 15th of every month.

# The whole of unit_a: Ava, Ben and Cal.
#                month     children full visited every visits in_res visit_rate res_rate meets_v meets_r
UNIT_A_MONTHS = [m('2025-01', 1, 1, 1, 1, 2, 1, 1.0, 0.5, True, True),
                 m('2025-02', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
                 m('2025-03', 3, 3, 3, 3, 3, 1, 1.0, 0.3333, True, False),
                 m('2025-04', 3, 3, 2, 2, 3, 3, 0.6667, 1.0, False, True),
                 m('2025-05', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
                 m('2025-06', 2, 2, 2, 2, 2, 1, 1.0, 0.5, True, True)]
UNIT_A_TOTAL = total(3, 13, 12, 2, 14, 10, 0.9231, 0.7143, False, True)

# worker_a1's caseload: Ava and Ben.
WORKER_A1_MONTHS = [m('2025-01', 1, 1, 1, 1, 2, 1, 1.0, 0.5, True, True),
                    m('2025-02', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
                    m('2025-03', 2, 2, 2, 2, 2, 0, 1.0, 0.0, True, False),
                    m('2025-04', 2, 2, 1, 1, 2, 2, 0.5, 1.0, False, True),
                    m('2025-05', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-06', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)]
WORKER_A1_TOTAL = total(2, 9, 8, 1, 10, 7, 0.8889, 0.7, False, True)

# worker_a2's caseload: Cal (Dee has no full month).
WORKER_A2_MONTHS = [empty_month('2025-01'),
                    empty_month('2025-02'),
                    m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-04', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-05', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                    m('2025-06', 1, 1, 1, 1, 1, 0, 1.0, 0.0, True, False)]
WORKER_A2_TOTAL = total(1, 4, 4, 1, 4, 3, 1.0, 0.75, True, True)
# Every text cell is quoted; numbers are not; an empty cell (null) is empty.
WORKER_A2_CSV = (b'"month","children","full_months_in_care","months_with_visit","visit_rate",'
                 b'"children_visited_every_month","visits","visits_in_residence","residence_rate",'
                 b'"meets_visit_target","meets_residence_target"\r\n'
                 b'"2025-01",0,0,0,,0,0,0,,,\r\n'
                 b'"2025-02",0,0,0,,0,0,0,,,\r\n'
                 b'"2025-03",1,1,1,1,1,1,1,1,"true","true"\r\n'
                 b'"2025-04",1,1,1,1,1,1,1,1,"true","true"\r\n'
                 b'"2025-05",1,1,1,1,1,1,1,1,"true","true"\r\n'
                 b'"2025-06",1,1,1,1,1,1,0,0,"true","false"\r\n'
                 b'"total",1,4,4,1,1,4,3,0.75,"true","true"\r\n')

# The whole of unit_b: Eli.
UNIT_B_MONTHS = [m(f'2025-0{i}', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True) for i in range(1, 7)]
UNIT_B_TOTAL = total(1, 6, 6, 1, 6, 6, 1.0, 1.0, True, True)

NOTHING_MONTHS = [empty_month(f'2025-0{i}') for i in range(1, 7)]
NOTHING_TOTAL = total(0, 0, 0, 0, 0, 0, None, None, None, None)

# unit_a over 2025-03 .. 2025-04 only: Ava's visit at 23:30 UTC on March 31 is March's.
UNIT_A_SPRING_MONTHS = UNIT_A_MONTHS[2:4]
UNIT_A_SPRING_TOTAL = total(3, 6, 5, 2, 6, 4, 0.8333, 0.6667, False, True)

# unit_a in 2025-07: Ava alone (Cal was discharged on June 30), seen at 00:00:00Z on July 1.
UNIT_A_JULY_MONTHS = [m('2025-07', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)]
UNIT_A_JULY_TOTAL = total(1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)


class DataSetTest(ReportTest):
    """Reports over a hand-worked data set: build() makes it once for the class and
    answers a dict with its 'world' and what the tests name (self.data), which every
    test reads."""

    data = None

    def setUp(self):
        cls = type(self)
        if cls.data is None:
            super().setUp()
            cls.data = self.build()
        self.world = cls.data['world']

    def build(self):
        raise NotImplementedError


class ReportParameters:
    """What a report's query answers to, mixed into a ReportTest: the report at
    path, a query it answers with 200 (valid), and query parameters it does not
    know, with a value each (unknown)."""

    path = None
    valid = {}
    unknown = {}

    def get(self, who=None, headers=None, **params):
        return self.request('GET', query(self.path, **params), who or self.world.supervisor_a, headers=headers)

    def test_unknown_query_parameters_are_named(self):
        for name, value in self.unknown.items():
            with self.subTest(name=name):
                self.assertInvalid(self.get(**self.valid, **{name: value}), [name])

    def test_a_request_without_a_token_is_401(self):
        self.assertProblem(self.request('GET', query(self.path, **self.valid)), 401)


class PeriodParameters(ReportParameters):
    """A report over a period, from and to, both required."""

    def test_from_and_to_are_required(self):
        self.assertInvalid(self.get(), ['from', 'to'])
        self.assertInvalid(self.get(**{'from': self.valid['from']}), ['to'])
        self.assertInvalid(self.get(to=self.valid['from']), ['from'])


class VisitMeasureDataSetTest(DataSetTest):
    """The visit measure over a data set, 2025-01 .. 2025-06 unless a test says otherwise."""

    def measure(self, who, **params):
        params.setdefault('from', '2025-01')
        params.setdefault('to', '2025-06')
        return self.report(VISITS, who, **params)

    def assertMeasure(self, report, months, overall):
        self.assertEqual(report['months'], months)
        self.assertEqual({k: report[k] for k in MEASURE}, overall)


class VisitMeasureTest(VisitMeasureDataSetTest):
    """The hand-worked data set above, built once and read by every test."""

    def build(self):
        w = self.world
        a1 = self.case_in(w.worker_a1)
        a2 = self.case_in(w.worker_a2)
        b1 = self.case_in(w.worker_b1)
        gone = self.case_in(w.worker_a1)
        ava = self.participant(a1, first_name='Ava', in_care_since='2024-11-20')
        ben = self.participant(a1, first_name='Ben', in_care_since='2025-01-15', in_care_until='2025-05-10')
        fay = self.participant(a1, first_name='Fay', in_care_since='2024-06-01')
        pat = self.participant(a1, role='parent', first_name='Pat')
        cal = self.participant(a2, first_name='Cal', in_care_since='2025-03-01', in_care_until='2025-06-30')
        dee = self.participant(a2, first_name='Dee', in_care_since='2025-02-02', in_care_until='2025-03-30')
        eli = self.participant(b1, first_name='Eli', in_care_since='2024-01-01')
        gus = self.participant(gone, first_name='Gus', in_care_since='2024-01-01')

        v = self.visit
        # Ava
        v(a1, w.worker_a1, '2024-12-31T23:59:59Z', [ava])
        v(a1, w.worker_a1, '2025-01-10T15:00:00Z', [ava])
        v(a1, w.worker_a1, '2025-01-25T09:00:00-05:00', [ava], location='office')
        v(a1, w.worker_a1, '2025-02-12T16:00:00Z', [ava, ben])
        v(a1, w.worker_a1, '2025-04-01T01:30:00+02:00', [ava], location='school')
        v(a1, w.worker_a1, '2025-04-10T10:00:00Z', [ava], location='virtual')
        v(a1, w.worker_a1, '2025-04-15T10:00:00Z', [ava, pat], visit_type='caseworker_parent')
        v(a1, w.worker_a1, '2025-04-18T10:00:00Z', [ava, pat], visit_type='family_time')
        deleted = v(a1, w.worker_a1, '2025-04-20T10:00:00Z', [ava])
        v(a1, w.worker_a1, '2025-05-20T14:00:00Z', [ava])
        v(a1, w.worker_a1, '2025-06-30T23:59:59Z', [ava])
        v(a1, w.worker_a1, '2025-07-01T00:00:00Z', [ava])
        # Ben
        v(a1, w.worker_a1, '2025-01-20T10:00:00Z', [ben])
        v(a1, w.worker_a1, '2025-03-05T10:00:00Z', [ben], location='parent_home')
        v(a1, w.worker_a1, '2025-04-08T10:00:00Z', [ben])
        v(a1, w.worker_a1, '2025-04-22T10:00:00Z', [ben])
        v(a1, w.worker_a1, '2025-05-05T10:00:00Z', [ben])
        # Cal and Dee
        v(a2, w.worker_a2, '2025-03-01T00:00:00Z', [cal])
        v(a2, w.worker_a2, '2025-05-01T01:30:00+02:00', [cal])
        v(a2, w.worker_a2, '2025-05-15T10:00:00Z', [cal])
        v(a2, w.worker_a2, '2025-06-30T10:00:00Z', [cal], location='community')
        v(a2, w.worker_a2, '2025-03-10T10:00:00Z', [dee])
        # Eli and Gus
        for month in range(1, 7):
            v(b1, w.worker_b1, f'2025-0{month}-15T12:00:00Z', [eli])
            v(gone, w.worker_a1, f'2025-0{month}-15T12:00:00Z', [gus])
        self.remove(f'/v1/visits/{deleted["id"]}')
        self.remove(f'/v1/participants/{fay["id"]}')
        self.remove(f'/v1/cases/{gone["id"]}')
        return {'world': w, 'deleted': {'visits': deleted['id'], 'participants': fay['id'], 'cases': gone['id']}}

    # -- shape --------------------------------------------------------------------
    def test_the_report_names_its_range_unit_and_the_federal_targets(self):
        w = self.world
        report = self.measure(w.administrator, unit=w.unit_a)
        self.assertEqual(set(report), REPORT_KEYS)
        self.assertEqual((report['from'], report['to'], report['unit']), ('2025-01', '2025-06', w.unit_a))
        self.assertEqual(report['targets'], {'visit_rate': 0.95, 'residence_rate': 0.5})
        for month in report['months']:
            self.assertEqual(set(month), MONTH_KEYS)
        self.assertIsNone(self.measure(w.supervisor_a)['unit'])

    # -- the measure, role by role ------------------------------------------------
    def test_unit_view_counts_full_months_visits_and_residence_exactly(self):
        w = self.world
        self.assertMeasure(self.measure(w.supervisor_a), UNIT_A_MONTHS, UNIT_A_TOTAL)

    def test_supervisor_with_their_own_unit_filter_sees_the_same(self):
        w = self.world
        self.assertMeasure(self.measure(w.supervisor_a, unit=w.unit_a), UNIT_A_MONTHS, UNIT_A_TOTAL)

    def test_administrator_auditor_and_integration_see_every_unit_filtered_by_unit(self):
        w = self.world
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role, unit='a'):
                self.assertMeasure(self.measure(who, unit=w.unit_a), UNIT_A_MONTHS, UNIT_A_TOTAL)
            with self.subTest(role=who.role, unit='b'):
                self.assertMeasure(self.measure(who, unit=w.unit_b), UNIT_B_MONTHS, UNIT_B_TOTAL)

    def test_caseworker_sees_only_the_children_of_their_own_caseload(self):
        w = self.world
        self.assertMeasure(self.measure(w.worker_a1), WORKER_A1_MONTHS, WORKER_A1_TOTAL)
        self.assertMeasure(self.measure(w.worker_a1, unit=w.unit_a), WORKER_A1_MONTHS, WORKER_A1_TOTAL)
        self.assertMeasure(self.measure(w.worker_a2), WORKER_A2_MONTHS, WORKER_A2_TOTAL)
        self.assertMeasure(self.measure(w.worker_b1), UNIT_B_MONTHS, UNIT_B_TOTAL)

    def test_a_token_with_several_roles_sees_what_each_role_sees(self):
        # worker_a1's caseload (Ava, Ben) and, as supervisor of unit_b, Eli.
        w = self.world
        both = Persona(self.cluster, w.worker_a1.sub, ['caseworker', 'supervisor'], w.unit_b)
        self.assertMeasure(self.measure(both), [
            m('2025-01', 2, 2, 2, 2, 3, 2, 1.0, 0.6667, True, True),
            m('2025-02', 3, 3, 3, 3, 3, 3, 1.0, 1.0, True, True),
            m('2025-03', 3, 3, 3, 3, 3, 1, 1.0, 0.3333, True, False),
            m('2025-04', 3, 3, 2, 2, 3, 3, 0.6667, 1.0, False, True),
            m('2025-05', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True),
            m('2025-06', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True)],
            total(3, 15, 14, 2, 16, 13, 0.9333, 0.8125, False, True))

    def test_another_units_data_never_appears(self):
        w = self.world
        self.assertMeasure(self.measure(w.supervisor_b), UNIT_B_MONTHS, UNIT_B_TOTAL)
        for who, unit in ((w.supervisor_b, w.unit_a), (w.worker_b1, w.unit_a), (w.worker_a1, w.unit_b),
                          (w.supervisor_a, w.unit_b), (w.administrator, harness.unique('no-such-unit'))):
            with self.subTest(role=who.role, sub=who.sub, unit=unit):
                self.assertMeasure(self.measure(who, unit=unit), NOTHING_MONTHS, NOTHING_TOTAL)

    def test_months_are_utc_months_whatever_the_agencys_time_zone(self):
        # The agency's time zone decides "today", never which month a visit is in.
        w = self.world
        report = self.report_in_zone('Pacific/Kiritimati', VISITS, w.administrator,
                                     **{'from': '2025-01', 'to': '2025-06', 'unit': w.unit_a})
        self.assertMeasure(report, UNIT_A_MONTHS, UNIT_A_TOTAL)

    # -- the rules, one at a time (read off the tables above) -----------------------
    def test_partial_months_at_both_ends_and_a_mid_month_discharge_do_not_count(self):
        # Ben: removed Jan 15, discharged May 10 -> only Feb, Mar, Apr; his Jan 20 and
        # May 5 visits count nowhere. Dee has no full month at all.
        w = self.world
        months = {row['month']: row for row in self.measure(w.worker_a1)['months']}
        self.assertEqual([months[k]['children'] for k in sorted(months)], [1, 2, 2, 2, 1, 1])
        self.assertEqual(self.measure(w.worker_a2)['months'][:2], [empty_month('2025-01'), empty_month('2025-02')])

    def test_removal_on_the_first_and_discharge_on_the_last_day_count_those_months(self):
        w = self.world
        report = self.measure(w.worker_a2, **{'from': '2025-03', 'to': '2025-06'})
        self.assertEqual([row['full_months_in_care'] for row in report['months']], [1, 1, 1, 1])
        self.assertEqual(report['children_visited_every_month'], 1)

    def test_a_visit_at_23_30_utc_on_the_last_day_sent_as_plus_two_hours_is_the_earlier_month(self):
        w = self.world
        self.assertMeasure(self.measure(w.supervisor_a, **{'from': '2025-03', 'to': '2025-04'}),
                           UNIT_A_SPRING_MONTHS, UNIT_A_SPRING_TOTAL)
        april = self.measure(w.worker_a1, **{'from': '2025-04', 'to': '2025-04'})
        self.assertEqual(april['months'], [m('2025-04', 2, 2, 1, 1, 2, 2, 0.5, 1.0, False, True)])

    def test_the_range_ends_are_utc_month_boundaries(self):
        # 2025-07-01T00:00:00Z is July's (and not June's); 2024-12-31T23:59:59Z is nobody's.
        w = self.world
        self.assertMeasure(self.measure(w.supervisor_a, **{'from': '2025-07', 'to': '2025-07'}),
                           UNIT_A_JULY_MONTHS, UNIT_A_JULY_TOTAL)
        january = self.measure(w.worker_a1, **{'from': '2025-01', 'to': '2025-01'})
        self.assertEqual(january['months'], [m('2025-01', 1, 1, 1, 1, 2, 1, 1.0, 0.5, True, True)])

    def test_a_child_in_care_through_the_whole_range_missing_one_month_drops_out_of_every_month(self):
        w = self.world
        only_ava = self.measure(w.worker_a1, **{'from': '2025-05', 'to': '2025-07'})
        self.assertEqual((only_ava['children'], only_ava['full_months_in_care'], only_ava['months_with_visit'],
                          only_ava['children_visited_every_month']), (1, 3, 3, 1))
        with_april = self.measure(w.worker_a1, **{'from': '2025-04', 'to': '2025-07'})
        # Ava (Apr..Jul, April missed) and Ben (Apr only, visited twice).
        self.assertEqual((with_april['children'], with_april['full_months_in_care'],
                          with_april['months_with_visit'], with_april['children_visited_every_month'],
                          with_april['visits'], with_april['visits_in_residence']), (2, 5, 4, 1, 5, 5))

    def test_a_deleted_visit_participant_or_case_does_not_count(self):
        # Still stored, with deleted_at: Ava's April 20 visit (she would have April),
        # Fay (six unvisited months) and Gus's case (a visit every month).
        for table, ident in type(self).data['deleted'].items():
            with self.subTest(table=table):
                stored = self.cluster.psql(f"SELECT deleted_at IS NOT NULL FROM {table} WHERE id = '{ident}'")
                self.assertEqual(stored.strip(), 't')
        w = self.world
        self.assertMeasure(self.measure(w.worker_a1), WORKER_A1_MONTHS, WORKER_A1_TOTAL)
        self.assertMeasure(self.measure(w.administrator, unit=w.unit_a), UNIT_A_MONTHS, UNIT_A_TOTAL)

    # -- CSV ----------------------------------------------------------------------
    def test_csv_is_rfc_4180_with_a_row_per_month_and_a_total_row(self):
        w = self.world
        body, rows, r = self.csv_report(VISITS, w.worker_a2, **{'from': '2025-01', 'to': '2025-06'})
        self.assertEqual(body, WORKER_A2_CSV)
        self.assertEqual(r.header('Content-Disposition'), 'attachment; filename="visit-compliance-2025-01-2025-06.csv"')
        self.assertEqual(rows[0], VISIT_CSV_HEADER)
        self.assertEqual(len(rows), 8)

    def test_csv_reads_back_as_the_json(self):
        w = self.world
        for who, unit in ((w.supervisor_a, None), (w.worker_a1, None), (w.administrator, w.unit_b),
                          (w.auditor, w.unit_a)):
            with self.subTest(role=who.role, unit=unit):
                report = self.measure(who, unit=unit)
                _, rows, _ = self.csv_report(VISITS, who, **{'from': '2025-01', 'to': '2025-06', 'unit': unit})
                self.assertEqual(rows[0], VISIT_CSV_HEADER)
                expected = [dict(row) for row in report['months']]
                expected.append(dict({k: report[k] for k in MEASURE}, month='total'))
                self.assertEqual(len(rows), 1 + len(expected))
                for line, want in zip(rows[1:], expected):
                    got = dict(zip(VISIT_CSV_HEADER, line))
                    self.assertEqual(got['month'], want['month'])
                    for key in VISIT_CSV_HEADER[1:]:
                        self.assertEqual(number_or_text(got[key]), csv_cell(want[key]), (want['month'], key))

    def test_csv_is_chosen_by_the_accept_header_only(self):
        w = self.world
        params = {'from': '2025-01', 'to': '2025-06'}
        for accept in ('text/csv', 'text/csv; charset=utf-8', 'TEXT/CSV', 'text/csv, application/json;q=0.5'):
            with self.subTest(accept=accept):
                body, _, _ = self.csv_report(VISITS, w.worker_a2, accept=accept, **params)
                self.assertEqual(body, WORKER_A2_CSV)
        for accept in (None, 'application/json', '*/*', 'application/json, text/csv'):
            with self.subTest(accept=accept):
                headers = {'Accept': accept} if accept else {}
                r = self.request('GET', query(VISITS, **params), w.worker_a2, headers=headers)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header('Content-Type'), 'application/json')
                self.assertIsNone(r.header('Content-Disposition'))
                self.assertMeasure(r.json(), WORKER_A2_MONTHS, WORKER_A2_TOTAL)


class VisitMeasureEdgesTest(ReportTest):
    """Small data sets of their own, one per test."""

    def test_february_of_a_leap_year_ends_on_the_29th(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        full = self.participant(case, in_care_since='2024-01-31', in_care_until='2024-02-29')
        short = self.participant(case, in_care_since='2024-02-01', in_care_until='2024-02-28')
        self.visit(case, w.worker_a1, '2024-03-01T01:30:00+02:00', [full])   # 2024-02-29T23:30Z
        self.visit(case, w.worker_a1, '2024-02-29T23:30:00-01:00', [full])   # 2024-03-01T00:30Z
        self.visit(case, w.worker_a1, '2024-02-10T10:00:00Z', [short])
        report = self.report(VISITS, w.supervisor_a, **{'from': '2024-02', 'to': '2024-03'})
        self.assertEqual(report['months'], [m('2024-02', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                                            empty_month('2024-03')])
        self.assertEqual({k: report[k] for k in MEASURE}, total(1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True))

    def test_the_last_nanosecond_of_a_month_is_still_that_month(self):
        # Instants are kept to the microsecond by truncation, never rounded into the next month.
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case, in_care_since='2025-01-01')
        self.visit(case, w.worker_a1, '2025-06-30T23:59:59.999999999Z', [child])
        self.visit(case, w.worker_a1, '2025-07-01T01:59:59.9999999+02:00', [child], location='office')
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-06', 'to': '2025-07'})
        self.assertEqual(report['months'], [m('2025-06', 1, 1, 1, 1, 2, 1, 1.0, 0.5, True, True),
                                            m('2025-07', 1, 1, 0, 0, 0, 0, 0.0, None, False, None)])
        self.assertEqual({k: report[k] for k in MEASURE}, total(1, 2, 1, 0, 2, 1, 0.5, 0.5, False, True))

    def test_targets_are_met_on_the_counts_at_exactly_95_and_50_percent(self):
        # 20 children in care all of 2025-03; 19 seen, at 19 visits of which 10 at home:
        # 19/20 = 95 % meets the visit target, 10/19 meets the residence target;
        # with a 21st child, unseen (19 of 21), it is 90.48 % and does not.
        w = self.world
        case = self.case_in(w.worker_a1)
        children = [self.participant(case, in_care_since='2025-02-01') for _ in range(20)]
        for i, child in enumerate(children[:19]):
            self.visit(case, w.worker_a1, f'2025-03-{i + 1:02d}T10:00:00Z', [child],
                       location='child_residence' if i < 10 else 'school')
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertEqual(report['months'], [m('2025-03', 20, 20, 19, 19, 19, 10, 0.95, 0.5263, True, True)])
        self.participant(case, in_care_since='2025-02-01')
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertEqual(report['months'], [m('2025-03', 21, 21, 19, 19, 19, 10, 0.9048, 0.5263, False, True)])

    def test_residence_target_of_one_visit_in_two_is_met_and_one_in_three_is_not(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case, in_care_since='2025-01-01')
        self.visit(case, w.worker_a1, '2025-03-03T10:00:00Z', [child])
        self.visit(case, w.worker_a1, '2025-03-04T10:00:00Z', [child], location='office')
        self.visit(case, w.worker_a1, '2025-04-03T10:00:00Z', [child])
        self.visit(case, w.worker_a1, '2025-04-04T10:00:00Z', [child], location='office')
        self.visit(case, w.worker_a1, '2025-04-05T10:00:00Z', [child], location='other')
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-03', 'to': '2025-04'})
        self.assertEqual(report['months'], [m('2025-03', 1, 1, 1, 1, 2, 1, 1.0, 0.5, True, True),
                                            m('2025-04', 1, 1, 1, 1, 3, 1, 1.0, 0.3333, True, False)])
        self.assertEqual({k: report[k] for k in MEASURE}, total(1, 2, 2, 1, 5, 2, 1.0, 0.4, True, False))

    def test_a_visit_that_stops_naming_the_child_stops_counting(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        first = self.participant(case, in_care_since='2025-01-01')
        second = self.participant(case, in_care_since='2025-01-01')
        visit = self.visit(case, w.worker_a1, '2025-03-10T10:00:00Z', [first, second])
        before = self.report(VISITS, w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertEqual(before['months'], [m('2025-03', 2, 2, 2, 2, 2, 2, 1.0, 1.0, True, True)])
        r = self.request('PATCH', f'/v1/visits/{visit["id"]}', w.worker_a1, body={'participant_ids': [first['id']]})
        self.assertEqual(r.status, 200, r)
        after = self.report(VISITS, w.worker_a1, **{'from': '2025-03', 'to': '2025-03'})
        self.assertEqual(after['months'], [m('2025-03', 2, 2, 1, 1, 1, 1, 0.5, 1.0, False, True)])

    def test_a_visit_changed_to_virtual_or_another_type_stops_counting(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case, in_care_since='2025-01-01')
        visit = self.visit(case, w.worker_a1, '2025-03-10T10:00:00Z', [child])
        seen = m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)
        unseen = m('2025-03', 1, 1, 0, 0, 0, 0, 0.0, None, False, None)
        params = {'from': '2025-03', 'to': '2025-03'}
        self.assertEqual(self.report(VISITS, w.worker_a1, **params)['months'], [seen])
        for change, months in (({'location': 'virtual'}, [unseen]), ({'location': 'office'},
                                                                       [m('2025-03', 1, 1, 1, 1, 1, 0, 1.0, 0.0,
                                                                          True, False)]),
                               ({'visit_type': 'caseworker_caregiver'}, [unseen]),
                               ({'visit_type': 'caseworker_child', 'location': 'child_residence'}, [seen])):
            with self.subTest(change=change):
                r = self.request('PATCH', f'/v1/visits/{visit["id"]}', w.worker_a1, body=change)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(self.report(VISITS, w.worker_a1, **params)['months'], months)

    def test_a_closed_case_still_counts_for_the_months_its_child_was_in_care(self):
        w = self.world
        case = self.case_in(w.worker_a1, opened_on='2024-12-01')
        child = self.participant(case, in_care_since='2024-12-20', in_care_until='2025-03-31')
        for day in ('2025-01-05', '2025-02-05', '2025-03-05'):
            self.visit(case, w.worker_a1, f'{day}T10:00:00Z', [child])
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', w.worker_a1,
                         body={'status': 'closed', 'closure_reason': 'Reunified'})
        self.assertEqual(r.status, 200, r)
        report = self.report(VISITS, w.worker_a1, **{'from': '2025-01', 'to': '2025-04'})
        self.assertEqual(report['months'], [m('2025-01', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                                            m('2025-02', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                                            m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                                            empty_month('2025-04')])
        self.assertEqual({k: report[k] for k in MEASURE}, total(1, 3, 3, 1, 3, 3, 1.0, 1.0, True, True))

    def test_a_reassigned_case_moves_to_the_new_workers_view(self):
        w = self.world
        case = self.case_in(w.worker_a1)
        child = self.participant(case, in_care_since='2025-01-01')
        self.visit(case, w.worker_a1, '2025-03-10T10:00:00Z', [child])
        params = {'from': '2025-03', 'to': '2025-03'}
        seen = [m('2025-03', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True)]
        self.assertEqual(self.report(VISITS, w.worker_a1, **params)['months'], seen)
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', w.supervisor_a, body={'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.report(VISITS, w.worker_a1, **params)['months'], [empty_month('2025-03')])
        self.assertEqual(self.report(VISITS, w.worker_a2, **params)['months'], seen)

    def test_agency_wide_roles_see_every_unit_without_a_filter(self):
        # 1995 belongs to this test alone. Xia (unit_a) in care 1994-12-15 .. 1995-03-31:
        # Jan, Feb, Mar; seen Jan (residence) and Mar (office). Yan (unit_b) in care
        # 1995-02-01 .. 1995-02-28: Feb; seen Feb (residence).
        w = self.world
        a = self.case_in(w.worker_a1)
        b = self.case_in(w.worker_b1)
        xia = self.participant(a, first_name='Xia', in_care_since='1994-12-15', in_care_until='1995-03-31')
        yan = self.participant(b, first_name='Yan', in_care_since='1995-02-01', in_care_until='1995-02-28')
        self.visit(a, w.worker_a1, '1995-01-12T10:00:00Z', [xia])
        self.visit(a, w.worker_a1, '1995-03-12T10:00:00Z', [xia], location='office')
        self.visit(b, w.worker_b1, '1995-02-12T10:00:00Z', [yan])
        params = {'from': '1995-01', 'to': '1995-03'}
        everyone = ([m('1995-01', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                     m('1995-02', 2, 2, 1, 1, 1, 1, 0.5, 1.0, False, True),
                     m('1995-03', 1, 1, 1, 1, 1, 0, 1.0, 0.0, True, False)],
                    total(2, 4, 3, 1, 3, 2, 0.75, 0.6667, False, True))
        unit_a = ([m('1995-01', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                   m('1995-02', 1, 1, 0, 0, 0, 0, 0.0, None, False, None),
                   m('1995-03', 1, 1, 1, 1, 1, 0, 1.0, 0.0, True, False)],
                  total(1, 3, 2, 0, 2, 1, 0.6667, 0.5, False, True))
        unit_b = ([empty_month('1995-01'), m('1995-02', 1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True),
                   empty_month('1995-03')],
                  total(1, 1, 1, 1, 1, 1, 1.0, 1.0, True, True))
        for who, unit, (months, overall) in ((w.administrator, None, everyone), (w.auditor, None, everyone),
                                             (w.integration, None, everyone),
                                             (w.administrator, w.unit_a, unit_a), (w.supervisor_a, None, unit_a),
                                             (w.worker_a1, None, unit_a), (w.integration, w.unit_b, unit_b),
                                             (w.supervisor_b, None, unit_b), (w.worker_b1, None, unit_b),
                                             (w.worker_a2, None, ([empty_month(f'1995-0{i}') for i in (1, 2, 3)],
                                                                  NOTHING_TOTAL))):
            with self.subTest(role=who.role, sub=who.sub, unit=unit):
                report = self.report(VISITS, who, unit=unit, **params)
                self.assertEqual(report['months'], months)
                self.assertEqual({k: report[k] for k in MEASURE}, overall)

    def test_a_range_of_exactly_ten_years_lists_every_month(self):
        w = self.world
        report = self.report(VISITS, w.supervisor_a, **{'from': '2016-02', 'to': '2026-01'})
        self.assertEqual(len(report['months']), 120)
        self.assertEqual((report['months'][0]['month'], report['months'][-1]['month']), ('2016-02', '2026-01'))
        self.assertEqual(report['months'][0], empty_month('2016-02'))
        self.assertEqual({k: report[k] for k in MEASURE}, NOTHING_TOTAL)

    def test_the_earliest_and_latest_months_are_accepted(self):
        w = self.world
        for first, last in (('1900-01', '1900-01'), ('2100-12', '2100-12'), ('2091-01', '2100-12')):
            with self.subTest(first=first, last=last):
                report = self.report(VISITS, w.supervisor_a, **{'from': first, 'to': last})
                self.assertEqual((report['months'][0]['month'], report['months'][-1]['month']), (first, last))


class VisitMeasureParametersTest(PeriodParameters, ReportTest):
    path = VISITS
    valid = {'from': '2025-01', 'to': '2025-02'}
    unknown = {'month': '2025-01', 'due_within_days': '5'}

    def test_months_must_be_written_yyyy_mm(self):
        for bad in ('2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', '202601', '2026/01', 'x', '',
                    '1899-12', '2101-01', ' 2026-01', '2026-01 ', '+026-01', '2026-+1'):
            with self.subTest(value=bad):
                self.assertInvalid(self.get(**{'from': bad, 'to': '2026-01'}), ['from'])
                self.assertInvalid(self.get(**{'from': '2025-01', 'to': bad}), ['to'])

    def test_from_after_to_is_refused(self):
        self.assertInvalid(self.get(**{'from': '2025-02', 'to': '2025-01'}), ['to'])
        self.assertInvalid(self.get(**{'from': '2026-01', 'to': '2025-12'}), ['to'])

    def test_a_range_over_ten_years_is_refused(self):
        self.assertInvalid(self.get(**{'from': '2016-01', 'to': '2026-01'}), ['to'])
        self.assertInvalid(self.get(**{'from': '1900-01', 'to': '2100-12'}), ['to'])
        self.assertEqual(self.get(**{'from': '2016-02', 'to': '2026-01'}).status, 200)

    def test_unit_must_be_a_name(self):
        self.assertInvalid(self.get(**{'from': '2025-01', 'to': '2025-02', 'unit': ''}), ['unit'])
        self.assertInvalid(self.get(**{'from': '2025-01', 'to': '2025-02', 'unit': 'u' * 101}), ['unit'])
        self.assertEqual(self.get(**{'from': '2025-01', 'to': '2025-02', 'unit': 'u' * 100}).status, 200)

    def test_every_bad_parameter_is_listed_in_one_answer(self):
        self.assertInvalid(self.get(**{'from': '2026-13', 'to': '26-01', 'unit': '', 'limit': '5'}),
                           ['from', 'to', 'unit', 'limit'])

    def test_a_refusal_is_problem_json_even_when_csv_is_asked_for(self):
        r = self.get(headers={'Accept': 'text/csv'}, **{'from': '2026-13', 'to': '2026-01'})
        self.assertInvalid(r, ['from'])


class ReportMethodsTest(ReportTest):
    PATHS = (query(VISITS, **{'from': '2025-01', 'to': '2025-02'}), REVIEWS,
             query(OUTCOMES, **{'from': '2025-01-01', 'to': '2025-01-31'}))

    def test_reports_are_read_only(self):
        for path in self.PATHS:
            for method in ('POST', 'PUT', 'PATCH', 'DELETE'):
                with self.subTest(path=path, method=method):
                    r = self.request(method, path, self.world.administrator)
                    self.assertProblem(r, 405)
                    allow = {x.strip() for x in (r.header('Allow') or '').split(',')}
                    self.assertEqual(allow, {'GET', 'HEAD', 'OPTIONS'}, r.header('Allow'))

    def test_head_answers_the_headers_of_get_without_a_body(self):
        for path in self.PATHS:
            for accept, content_type in (('application/json', 'application/json'), ('text/csv', CSV_TYPE)):
                with self.subTest(path=path, accept=accept):
                    got = self.request('GET', path, self.world.supervisor_a, headers={'Accept': accept})
                    head = self.request('HEAD', path, self.world.supervisor_a, headers={'Accept': accept})
                    self.assertEqual((got.status, head.status), (200, 200), (got, head))
                    self.assertEqual(head.body, b'')
                    self.assertEqual(head.header('Content-Type'), content_type)
                    self.assertEqual(head.header('Content-Disposition'), got.header('Content-Disposition'))

    def test_every_answer_of_a_report_varies_by_accept(self):
        """A cache must not give a CSV answer to a client that asked for JSON."""
        for path in self.PATHS:
            for headers in ({}, {'Accept': 'text/csv'}):
                with self.subTest(path=path, headers=headers):
                    r = self.request('GET', path, self.world.supervisor_a, headers=headers)
                    self.assertEqual(r.status, 200, r)
                    self.assertEqual(r.header('Vary'), 'Accept')
        r = self.request('GET', query(VISITS, **{'from': '2025-13'}), self.world.supervisor_a)
        self.assertProblem(r, 422)
        self.assertEqual(r.header('Vary'), 'Accept')
        self.assertIsNone(self.request('GET', '/v1/cases', self.world.supervisor_a).header('Vary'))

    def test_every_role_may_read_every_report(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.auditor, w.integration):
            for path in self.PATHS:
                with self.subTest(role=who.role, path=path):
                    self.assertEqual(self.request('GET', path, who).status, 200)

    def test_a_token_without_a_known_role_is_403(self):
        nobody = Persona(self.cluster, harness.unique('nobody'), 'volunteer')
        for path in self.PATHS:
            with self.subTest(path=path):
                self.assertProblem(self.request('GET', path, nobody), 403)


# -- plan reviews ---------------------------------------------------------------------
#
# unit_a, each plan on a case of its own (case numbers end in the letter shown):
#   B  worker_a1  active, due today-10        C  worker_a1  active, due today-10
#   D  worker_a2  active, due today           E  worker_a1  active, due today+5
#   F  worker_a1  active, due today+30        G  worker_a2  active, due today+31
#   A  worker_a1  draft, due today-40         H  worker_a1  completed, due today-3
#   I  worker_a1  superseded (due today-20), then active, due today+400
#   J  worker_a1  active, due today-2; the case is deleted
#   K  worker_a1  active, due today-1; the plan is deleted
# unit_b:
#   L  worker_b1  active, due today-15
# C, B are created in that order, so the tie at today-10 is settled by case_number.

class PlanReviewTest(DataSetTest):
    def setUp(self):
        super().setUp()
        self.plans = self.data['plans']
        self.cases = self.data['cases']

    def plan(self, case, due, status='active', who=None):
        w = self.world
        return self.moved(f'/v1/cases/{case["id"]}/plans', '/v1/plans', w.administrator, who or w.administrator,
                          {'effective_on': days_from_today(-500), 'review_due_on': days_from_today(due)},
                          {'draft': [], 'active': ['active'], 'completed': ['active', 'completed']}[status])

    def build(self):
        w = self.world
        prefix = harness.unique('PR')
        workers = {'A': w.worker_a1, 'B': w.worker_a1, 'C': w.worker_a1, 'D': w.worker_a2, 'E': w.worker_a1,
                   'F': w.worker_a1, 'G': w.worker_a2, 'H': w.worker_a1, 'I': w.worker_a1, 'J': w.worker_a1,
                   'K': w.worker_a1, 'L': w.worker_b1}
        cases = {}
        for letter in 'CBADEFGHIJKL':
            cases[letter] = self.case_in(workers[letter], case_number=f'{prefix}-{letter}')
        plans = {
            'C': self.plan(cases['C'], -10, who=w.supervisor_a),
            'B': self.plan(cases['B'], -10, who=w.supervisor_a),
            'D': self.plan(cases['D'], 0, who=w.supervisor_a),
            'E': self.plan(cases['E'], 5),
            'F': self.plan(cases['F'], 30),
            'G': self.plan(cases['G'], 31),
            'A': self.plan(cases['A'], -40, status='draft'),
            'H': self.plan(cases['H'], -3, status='completed'),
            'I-old': self.plan(cases['I'], -20),
            'J': self.plan(cases['J'], -2),
            'K': self.plan(cases['K'], -1),
            'L': self.plan(cases['L'], -15, who=w.supervisor_b),
        }
        plans['I'] = self.plan(cases['I'], 400)
        self.remove(f'/v1/cases/{cases["J"]["id"]}')
        self.remove(f'/v1/plans/{plans["K"]["id"]}')
        return {'world': w, 'plans': plans, 'cases': cases}

    def listed(self, who, **params):
        """(letter, days_left) of every item, in the report's order."""
        report = self.report(REVIEWS, who, **params)
        letters = {p['id']: k for k, p in self.plans.items()}
        return [(letters.get(item['plan_id'], item['plan_id']), item['days_left']) for item in report['items']]

    def test_active_plans_due_within_30_days_or_overdue_most_overdue_first(self):
        w = self.world
        self.assertEqual(self.listed(w.supervisor_a), [('B', -10), ('C', -10), ('D', 0), ('E', 5), ('F', 30)])

    def test_each_item_names_the_plan_its_case_worker_unit_and_review_date(self):
        w = self.world
        report = self.report(REVIEWS, w.supervisor_a, due_within_days=0)
        self.assertEqual(set(report), {'as_of', 'due_within_days', 'unit', 'items', 'next_cursor'})
        self.assertEqual((report['as_of'], report['due_within_days'], report['unit'], report['next_cursor']),
                         (today(), 0, None, None))
        b, c = self.cases['B'], self.cases['C']
        self.assertEqual(report['items'][:2], [
            {'plan_id': self.plans['B']['id'], 'case_id': b['id'], 'case_number': b['case_number'],
             'assigned_worker': w.worker_a1.sub, 'unit': w.unit_a, 'review_due_on': days_from_today(-10),
             'days_left': -10},
            {'plan_id': self.plans['C']['id'], 'case_id': c['id'], 'case_number': c['case_number'],
             'assigned_worker': w.worker_a1.sub, 'unit': w.unit_a, 'review_due_on': days_from_today(-10),
             'days_left': -10}])
        self.assertEqual(set(report['items'][2]), REVIEW_KEYS)
        self.assertEqual(self.report(REVIEWS, w.administrator, unit=w.unit_b)['unit'], w.unit_b)

    def test_pages_in_the_report_order_with_limit_and_cursor(self):
        w = self.world
        letters = {p['id']: k for k, p in self.plans.items()}
        # Seven plans due within ten years, two a page: B and C, due the same day,
        # are parted by the cursor in case-number order.
        pages, cursor = [], None
        for _ in range(10):
            r = self.request('GET', query(REVIEWS, due_within_days=3650, limit=2, cursor=cursor), w.supervisor_a)
            self.assertEqual(r.status, 200, r)
            page = r.json()
            self.assertEqual(r.header('Next-Cursor'), page['next_cursor'])
            pages.append([letters[item['plan_id']] for item in page['items']])
            cursor = page['next_cursor']
            if cursor is None:
                break
        self.assertEqual(pages, [['B', 'C'], ['D', 'E'], ['F', 'G'], ['I']])
        first = self.report(REVIEWS, w.supervisor_a, due_within_days=3650, limit=1)
        self.assertEqual(self.listed(w.supervisor_a, due_within_days=3650, limit=1, cursor=first['next_cursor']),
                         [('C', -10)])

    def test_a_page_as_csv_hands_its_cursor_in_a_header(self):
        w = self.world
        body, rows, r = self.csv_report(REVIEWS, w.supervisor_a, due_within_days=3650, limit=5)
        self.assertEqual(len(rows), 1 + 5)
        cursor = r.header('Next-Cursor')
        self.assertIsNotNone(cursor)
        body, rows, r = self.csv_report(REVIEWS, w.supervisor_a, due_within_days=3650, limit=5, cursor=cursor)
        self.assertEqual([row[0] for row in rows[1:]], [self.plans['G']['id'], self.plans['I']['id']])
        self.assertIsNone(r.header('Next-Cursor'))

    def test_the_default_page_is_the_largest(self):
        w = self.world
        self.assertIsNone(self.report(REVIEWS, w.administrator, due_within_days=3650)['next_cursor'])

    def test_bad_limits_and_cursors_are_422(self):
        w = self.world
        cases_cursor = self.request('GET', query('/v1/cases', limit=1), w.administrator).json()['next_cursor']
        for params, fields in (({'limit': 0}, ['limit']), ({'limit': 501}, ['limit']), ({'cursor': 'abc'}, ['cursor']),
                               ({'cursor': cases_cursor}, ['cursor'])):
            with self.subTest(**params):
                self.assertProblem(self.request('GET', query(REVIEWS, **params), w.supervisor_a), 422, fields)

    def test_due_within_days_sets_the_horizon(self):
        w = self.world
        for days, expected in ((0, [('B', -10), ('C', -10), ('D', 0)]),
                               (4, [('B', -10), ('C', -10), ('D', 0)]),
                               (5, [('B', -10), ('C', -10), ('D', 0), ('E', 5)]),
                               (30, [('B', -10), ('C', -10), ('D', 0), ('E', 5), ('F', 30)]),
                               (31, [('B', -10), ('C', -10), ('D', 0), ('E', 5), ('F', 30), ('G', 31)]),
                               (399, [('B', -10), ('C', -10), ('D', 0), ('E', 5), ('F', 30), ('G', 31)]),
                               (3650, [('B', -10), ('C', -10), ('D', 0), ('E', 5), ('F', 30), ('G', 31),
                                       ('I', 400)])):
            with self.subTest(due_within_days=days):
                self.assertEqual(self.listed(w.supervisor_a, due_within_days=days), expected)
                self.assertEqual(self.report(REVIEWS, w.supervisor_a, due_within_days=days)['due_within_days'],
                                 days)

    def test_drafts_completed_superseded_and_deleted_plans_are_never_listed(self):
        w = self.world
        listed = {k for k, _ in self.listed(w.administrator, unit=w.unit_a, due_within_days=3650)}
        self.assertEqual(listed, {'B', 'C', 'D', 'E', 'F', 'G', 'I'})

    def test_every_role_sees_only_the_plans_of_cases_it_sees(self):
        w = self.world
        unit_a = [('B', -10), ('C', -10), ('D', 0), ('E', 5), ('F', 30)]
        for who, params, expected in (
                (w.worker_a1, {}, [('B', -10), ('C', -10), ('E', 5), ('F', 30)]),
                (w.worker_a1, {'unit': w.unit_a}, [('B', -10), ('C', -10), ('E', 5), ('F', 30)]),
                (w.worker_a2, {}, [('D', 0)]),
                (w.worker_a2, {'due_within_days': 31}, [('D', 0), ('G', 31)]),
                (w.supervisor_a, {'unit': w.unit_a}, unit_a),
                (w.administrator, {'unit': w.unit_a}, unit_a),
                (w.auditor, {'unit': w.unit_a}, unit_a),
                (w.integration, {'unit': w.unit_a}, unit_a),
                (w.worker_b1, {}, [('L', -15)]),
                (w.supervisor_b, {}, [('L', -15)]),
                (w.auditor, {'unit': w.unit_b}, [('L', -15)]),
                (w.supervisor_b, {'unit': w.unit_a}, []),
                (w.worker_b1, {'unit': w.unit_a}, []),
                (w.worker_a1, {'unit': w.unit_b}, []),
                (w.integration, {'unit': harness.unique('no-such-unit')}, [])):
            with self.subTest(role=who.role, sub=who.sub, **params):
                self.assertEqual(self.listed(who, **params), expected)

    def test_csv_has_one_row_per_plan_and_reads_back_as_the_json(self):
        w = self.world
        report = self.report(REVIEWS, w.supervisor_a)
        body, rows, r = self.csv_report(REVIEWS, w.supervisor_a)
        self.assertEqual(r.header('Content-Disposition'), 'attachment; filename="plan-reviews.csv"')
        self.assertEqual(rows[0], REVIEW_CSV_HEADER)
        self.assertEqual(len(rows), 6)
        for line, item in zip(rows[1:], report['items']):
            got = dict(zip(REVIEW_CSV_HEADER, line))
            for key in REVIEW_CSV_HEADER:
                want = str(item[key]) if key == 'days_left' else item[key]
                self.assertEqual(got[key], want, key)
        # A negative days_left is a number, not a formula to neutralise.
        self.assertEqual([line[6] for line in rows[1:]], ['-10', '-10', '0', '5', '30'])
        b = self.cases['B']
        self.assertIn(f'"{self.plans["B"]["id"]}","{b["id"]}","{b["case_number"]}","{w.worker_a1.sub}",'
                      f'"{w.unit_a}","{days_from_today(-10)}",-10\r\n'.encode(), body)

    def test_csv_of_no_plans_is_the_header_alone(self):
        w = self.world
        body, rows, _ = self.csv_report(REVIEWS, w.supervisor_b, unit=w.unit_a)
        self.assertEqual(body, b'"plan_id","case_id","case_number","assigned_worker","unit","review_due_on",'
                               b'"days_left"\r\n')

    def test_today_is_the_utc_date_by_default(self):
        self.assertEqual(self.report(REVIEWS, self.world.supervisor_a)['as_of'], today())


class PlanReviewEdgesTest(ReportTest):
    def active_plan(self, case, review_due_on):
        w = self.world
        r = self.request('POST', f'/v1/cases/{case["id"]}/plans', w.administrator,
                         body={'effective_on': '2025-01-01', 'review_due_on': review_due_on})
        self.assertEqual(r.status, 201, r)
        r = self.request('PATCH', f'/v1/plans/{r.json()["id"]}', w.administrator, body={'status': 'active'})
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_plans_due_on_the_same_day_are_ordered_by_case_number(self):
        w = self.world
        prefix = harness.unique('TIE')
        plans = {}
        for n in (3, 1, 5, 2, 4):
            case = self.case_in(w.worker_a1, case_number=f'{prefix}-{n}')
            plans[self.active_plan(case, days_from_today(-3))['id']] = n
        case = self.case_in(w.worker_a1, case_number=f'{prefix}-0')
        plans[self.active_plan(case, days_from_today(-2))['id']] = 0
        items = self.report(REVIEWS, w.worker_a1)['items']
        self.assertEqual([(plans[item['plan_id']], item['days_left']) for item in items],
                         [(1, -3), (2, -3), (3, -3), (4, -3), (5, -3), (0, -2)])

    def test_a_case_without_a_unit_is_listed_with_a_null_unit_and_an_empty_csv_cell(self):
        w = self.world
        case = self.case_in(w.administrator, assigned_worker=w.worker_a1.sub)
        self.assertIsNone(case['unit'])
        plan = self.active_plan(case, days_from_today(-7))
        item = {'plan_id': plan['id'], 'case_id': case['id'], 'case_number': case['case_number'],
                'assigned_worker': w.worker_a1.sub, 'unit': None, 'review_due_on': days_from_today(-7),
                'days_left': -7}
        self.assertEqual(self.report(REVIEWS, w.worker_a1)['items'], [item])
        self.assertIn(item, self.report(REVIEWS, w.administrator)['items'])
        body, rows, _ = self.csv_report(REVIEWS, w.worker_a1)
        self.assertEqual(rows[1], [plan['id'], case['id'], case['case_number'], w.worker_a1.sub, '',
                                   days_from_today(-7), '-7'])

    def test_today_is_the_agencys_date_in_its_time_zone(self):
        # Kiritimati is UTC+14 and Pago Pago UTC-11: for most of the day their dates
        # differ from UTC's. A plan due on the agency's today has 0 days left there.
        w = self.world
        for zone in ('Pacific/Kiritimati', 'Pacific/Pago_Pago'):
            with self.subTest(zone=zone):
                local = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
                case = self.case_in(w.worker_a1)
                due_today = self.active_plan(case, local.isoformat())
                case = self.case_in(w.worker_a1)
                overdue = self.active_plan(case, (local - datetime.timedelta(days=1)).isoformat())
                report = self.report_in_zone(zone, REVIEWS, w.worker_a1, due_within_days=0)
                self.assertEqual(report['as_of'], local.isoformat())
                days = {item['plan_id']: item['days_left'] for item in report['items']}
                self.assertEqual((days[overdue['id']], days[due_today['id']]), (-1, 0))


class PlanReviewCsvInjectionTest(ReportTest):
    def test_csv_cells_that_would_run_as_formulas_are_neutralised_and_numbers_are_not(self):
        # A unit, a worker and case numbers chosen by whoever entered them: every text
        # cell is quoted, and each part of a cell that begins with =, +, - or @ (the
        # cell's start, and what follows a ',' or ';' in it) gets an apostrophe before
        # it unless it is a plain number: a spreadsheet that splits on ';' runs nothing.
        w = self.world
        tag = uuid.uuid4().hex[:10]
        digits = str(uuid.uuid4().int)[:12]
        unit = f'=cmd|{tag}'
        worker = f'@{tag}'
        link = f'=HYPERLINK("http://example.com/{tag}","x")'
        numbers = [link, f'+{tag}', f'-{digits}', f'-{digits}.5', f'-{tag}', f'@SUM({tag})', f'{tag}, "quoted"',
                   f'-{digits}.', f'Muñoz-{tag}-\U0001F600', f'A{tag};=SUM(1)', f'B{tag}, +cmd', f'C{tag};-{digits}']
        ids = []
        for i, number in enumerate(numbers):
            case = self.case_in(w.administrator, case_number=number, unit=unit, assigned_worker=worker)
            r = self.request('POST', f'/v1/cases/{case["id"]}/plans', w.administrator,
                             body={'effective_on': days_from_today(-100), 'review_due_on': days_from_today(i - 20)})
            self.assertEqual(r.status, 201, r)
            plan = r.json()
            r = self.request('PATCH', f'/v1/plans/{plan["id"]}', w.administrator, body={'status': 'active'})
            self.assertEqual(r.status, 200, r)
            ids.append((plan['id'], case['id']))
        body, rows, _ = self.csv_report(REVIEWS, w.administrator, unit=unit)
        q = "'"
        read_back_numbers = [q + link, f"'+{tag}", f'-{digits}', f'-{digits}.5', f"'-{tag}", f"'@SUM({tag})",
                             f'{tag}, "quoted"', f"'-{digits}.", f'Muñoz-{tag}-\U0001F600',
                             f"A{tag};'=SUM(1)", f"B{tag}, '+cmd", f'C{tag};-{digits}']
        written_numbers = [f'"\'=HYPERLINK(""http://example.com/{tag}"",""x"")"', f'"\'+{tag}"', f'-{digits}',
                           f'-{digits}.5', f'"\'-{tag}"', f'"\'@SUM({tag})"', f'"{tag}, ""quoted"""',
                           f'"\'-{digits}."', f'"Muñoz-{tag}-\U0001F600"', f'"A{tag};\'=SUM(1)"',
                           f'"B{tag}, \'+cmd"', f'"C{tag};-{digits}"']
        lines = body.decode().split('\r\n')
        self.assertEqual(lines[0], ','.join(f'"{name}"' for name in REVIEW_CSV_HEADER))
        self.assertEqual(lines[-1], '')
        self.assertEqual(len(lines), 2 + len(numbers))
        for i, (line, written) in enumerate(zip(lines[1:], written_numbers)):
            plan_id, case_id = ids[i]
            self.assertEqual(line, f'"{plan_id}","{case_id}",{written},"{q}@{tag}","{q}=cmd|{tag}",'
                                   f'"{days_from_today(i - 20)}",{i - 20}')
        self.assertEqual([(row[2], row[3], row[4], row[6]) for row in rows[1:]],
                         [(cell, f"'@{tag}", f"'=cmd|{tag}", str(i - 20)) for i, cell in enumerate(read_back_numbers)])
        # The JSON keeps every value as it was entered.
        report = self.report(REVIEWS, w.administrator, unit=unit)
        self.assertEqual([item['case_number'] for item in report['items']], numbers)
        self.assertEqual({(item['assigned_worker'], item['unit']) for item in report['items']}, {(worker, unit)})

class PlanReviewParametersTest(ReportParameters, ReportTest):
    path = REVIEWS
    unknown = {'days': '5'}

    def test_due_within_days_is_a_whole_number_from_0_to_3650(self):
        for bad in ('-1', '3651', 'x', '', '1.5', ' 5', '5 ', '+5', '0x10', '1e3', '99999999999999999999999'):
            with self.subTest(value=bad):
                self.assertInvalid(self.get(due_within_days=bad), ['due_within_days'])
        for good, answered in (('0', 0), ('3650', 3650), ('007', 7)):
            with self.subTest(value=good):
                r = self.get(due_within_days=good)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()['due_within_days'], answered)

    def test_due_within_days_defaults_to_30(self):
        r = self.get()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['due_within_days'], 30)

    def test_an_unknown_parameter_is_named_beside_a_bad_one(self):
        self.assertInvalid(self.get(due_within_days='-1', **{'from': '2025-01'}), ['due_within_days', 'from'])

    def test_unit_must_be_a_name(self):
        self.assertInvalid(self.get(unit=''), ['unit'])
        self.assertInvalid(self.get(unit='u' * 101), ['unit'])


# -- referral outcomes ------------------------------------------------------------------
#
# Referrals made in 1993 belong to this file alone (no unit filter can isolate them).
# Case C1 (worker_a1, unit_a), C2 (worker_a2, unit_a), C3 (worker_b1, unit_b):
#   C1  parenting 03-01 completed   parenting 03-15 completed   parenting 03-31 in_progress
#       parenting 02-28 completed (before the range)    housing 04-01 referred (after it)
#       mental_health 03-10 declined    mental_health 03-11 referred
#       SUD 03-05 completed    SUD 03-06 accepted    housing 03-20 cancelled
#       parenting 03-12 completed, deleted
#   C4  (worker_a1, deleted)  parenting 03-13 completed    SUD 03-13 referred
#   C2  SUD 03-07 referred    employment 03-08 accepted
#   C3  parenting 03-09 completed    SUD 03-10 in_progress    other 03-25 referred

def outcome(service_type, referred=0, accepted=0, declined=0, in_progress=0, completed=0, cancelled=0, rate=None):
    by_status = {'referred': referred, 'accepted': accepted, 'declined': declined, 'in_progress': in_progress,
                 'completed': completed, 'cancelled': cancelled}
    return {'service_type': service_type, 'total': sum(by_status.values()), 'by_status': by_status,
            'completion_rate': rate}


def outcomes(*given):
    """Every service type in the report's order; those not given are all zeros."""
    rows = {row['service_type']: row for row in given}
    return [rows.get(t, outcome(t)) for t in SERVICE_TYPES]


def overall(referred=0, accepted=0, declined=0, in_progress=0, completed=0, cancelled=0, rate=None):
    row = outcome(None, referred, accepted, declined, in_progress, completed, cancelled, rate)
    del row['service_type']
    return row


# Administrators, and auditors and integrations where substance use treatment is disclosed.
EVERYTHING = (outcomes(outcome(SUD, referred=1, accepted=1, in_progress=1, completed=1, rate=0.25),
                       outcome('mental_health', referred=1, declined=1, rate=0.0),
                       outcome('parenting', in_progress=1, completed=3, rate=0.75),
                       outcome('housing', cancelled=1, rate=0.0),
                       outcome('employment', accepted=1, rate=0.0),
                       outcome('other', referred=1, rate=0.0)),
              overall(referred=3, accepted=2, declined=1, in_progress=2, completed=4, cancelled=1, rate=0.3077))
# Auditors and integrations: the same without substance use treatment.
WITHOUT_SUD = (outcomes(outcome('mental_health', referred=1, declined=1, rate=0.0),
                        outcome('parenting', in_progress=1, completed=3, rate=0.75),
                        outcome('housing', cancelled=1, rate=0.0),
                        outcome('employment', accepted=1, rate=0.0),
                        outcome('other', referred=1, rate=0.0)),
               overall(referred=2, accepted=1, declined=1, in_progress=1, completed=3, cancelled=1, rate=0.3333))
WORKER_A1 = (outcomes(outcome(SUD, accepted=1, completed=1, rate=0.5),
                      outcome('mental_health', referred=1, declined=1, rate=0.0),
                      outcome('parenting', in_progress=1, completed=2, rate=0.6667),
                      outcome('housing', cancelled=1, rate=0.0)),
             overall(referred=1, accepted=1, declined=1, in_progress=1, completed=3, cancelled=1, rate=0.375))
WORKER_A2 = (outcomes(outcome(SUD, referred=1, rate=0.0), outcome('employment', accepted=1, rate=0.0)),
             overall(referred=1, accepted=1, rate=0.0))
SUPERVISOR_A = (outcomes(outcome(SUD, referred=1, accepted=1, completed=1, rate=0.3333),
                         outcome('mental_health', referred=1, declined=1, rate=0.0),
                         outcome('parenting', in_progress=1, completed=2, rate=0.6667),
                         outcome('housing', cancelled=1, rate=0.0),
                         outcome('employment', accepted=1, rate=0.0)),
                overall(referred=2, accepted=2, declined=1, in_progress=1, completed=3, cancelled=1, rate=0.3))
UNIT_B = (outcomes(outcome(SUD, in_progress=1, rate=0.0), outcome('parenting', completed=1, rate=1.0),
                   outcome('other', referred=1, rate=0.0)),
          overall(referred=1, in_progress=1, completed=1, rate=0.3333))
# An auditor who is also unit_b's supervisor: everything but unit_a's substance use treatment.
AUDITOR_AND_SUPERVISOR_B = (outcomes(outcome(SUD, in_progress=1, rate=0.0),
                                     outcome('mental_health', referred=1, declined=1, rate=0.0),
                                     outcome('parenting', in_progress=1, completed=3, rate=0.75),
                                     outcome('housing', cancelled=1, rate=0.0),
                                     outcome('employment', accepted=1, rate=0.0),
                                     outcome('other', referred=1, rate=0.0)),
                            overall(referred=2, accepted=1, declined=1, in_progress=2, completed=3, cancelled=1,
                                    rate=0.3))
MARCH = {'from': '1993-03-01', 'to': '1993-03-31'}


class ReferralOutcomeTest(DataSetTest):

    def referral(self, case, who, service_type, referred_on, status):
        ref = self.moved(f'/v1/cases/{case["id"]}/service-referrals', '/v1/service-referrals', who, who,
                         {'service_type': service_type, 'provider': 'Eastside Family Resource Center',
                          'referred_on': referred_on}, PATH_TO[status])
        self.assertEqual(ref['status'], status)
        return ref

    def build(self):
        w = self.world
        c1, c2, c3 = self.case_in(w.worker_a1), self.case_in(w.worker_a2), self.case_in(w.worker_b1)
        for case, who, service_type, referred_on, status in (
                (c1, w.worker_a1, 'parenting', '1993-03-01', 'completed'),
                (c1, w.worker_a1, 'parenting', '1993-03-15', 'completed'),
                (c1, w.worker_a1, 'parenting', '1993-03-31', 'in_progress'),
                (c1, w.worker_a1, 'parenting', '1993-02-28', 'completed'),
                (c1, w.worker_a1, 'housing', '1993-04-01', 'referred'),
                (c1, w.worker_a1, 'mental_health', '1993-03-10', 'declined'),
                (c1, w.worker_a1, 'mental_health', '1993-03-11', 'referred'),
                (c1, w.worker_a1, SUD, '1993-03-05', 'completed'),
                (c1, w.worker_a1, SUD, '1993-03-06', 'accepted'),
                (c1, w.worker_a1, 'housing', '1993-03-20', 'cancelled'),
                (c2, w.worker_a2, SUD, '1993-03-07', 'referred'),
                (c2, w.worker_a2, 'employment', '1993-03-08', 'accepted'),
                (c3, w.worker_b1, 'parenting', '1993-03-09', 'completed'),
                (c3, w.worker_b1, SUD, '1993-03-10', 'in_progress'),
                (c3, w.worker_b1, 'other', '1993-03-25', 'referred')):
            self.referral(case, who, service_type, referred_on, status)
        deleted = self.referral(c1, w.worker_a1, 'parenting', '1993-03-12', 'completed')
        self.remove(f'/v1/service-referrals/{deleted["id"]}')
        gone = self.case_in(w.worker_a1)
        self.referral(gone, w.worker_a1, 'parenting', '1993-03-13', 'completed')
        self.referral(gone, w.worker_a1, SUD, '1993-03-13', 'referred')
        self.remove(f'/v1/cases/{gone["id"]}')
        return {'world': w}

    def assertOutcomes(self, report, expected):
        types, figures = expected
        self.assertEqual(report['types'], types)
        self.assertEqual({k: report[k] for k in ('total', 'by_status', 'completion_rate')}, figures)

    def test_the_report_names_its_range(self):
        report = self.report(OUTCOMES, self.world.administrator, **MARCH)
        self.assertEqual(set(report), {'from', 'to', 'total', 'by_status', 'completion_rate', 'types'})
        self.assertEqual((report['from'], report['to']), ('1993-03-01', '1993-03-31'))

    def test_administrators_count_every_referral_by_type_and_current_status(self):
        self.assertOutcomes(self.report(OUTCOMES, self.world.administrator, **MARCH), EVERYTHING)

    def test_every_service_type_is_listed_in_order_even_with_no_referrals(self):
        report = self.report(OUTCOMES, self.world.administrator, **MARCH)
        self.assertEqual([row['service_type'] for row in report['types']], list(SERVICE_TYPES))
        self.assertEqual(report['types'][3], outcome('domestic_violence'))

    def test_auditors_and_integrations_never_count_substance_use_treatment(self):
        for who in (self.world.auditor, self.world.integration):
            with self.subTest(role=who.role):
                self.assertOutcomes(self.report(OUTCOMES, who, **MARCH), WITHOUT_SUD)

    def test_workers_and_supervisors_count_their_own_cases_with_their_substance_use_treatment(self):
        w = self.world
        for who, expected in ((w.worker_a1, WORKER_A1), (w.worker_a2, WORKER_A2), (w.supervisor_a, SUPERVISOR_A),
                              (w.worker_b1, UNIT_B), (w.supervisor_b, UNIT_B)):
            with self.subTest(role=who.role, sub=who.sub):
                self.assertOutcomes(self.report(OUTCOMES, who, **MARCH), expected)

    def test_an_auditor_who_supervises_a_unit_counts_that_units_substance_use_treatment_only(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('auditor-supervisor'), ['auditor', 'supervisor'], w.unit_b)
        self.assertOutcomes(self.report(OUTCOMES, both, **MARCH), AUDITOR_AND_SUPERVISOR_B)

    def test_disclosed_substance_use_treatment_is_counted_for_auditors_and_integrations(self):
        w = self.world
        disclosed = self.own_service('reports-disclose-sud', CASEWORK_DISCLOSE_SUD='1')
        for who, expected in ((w.auditor, EVERYTHING), (w.integration, EVERYTHING),
                              (w.administrator, EVERYTHING), (w.worker_a1, WORKER_A1),
                              (w.supervisor_b, UNIT_B)):
            with self.subTest(role=who.role, sub=who.sub):
                r = disclosed.request('GET', query(OUTCOMES, **MARCH), token=who.token)
                self.assertEqual(r.status, 200, r)
                self.assertOutcomes(r.json(), expected)

    def test_both_ends_of_the_range_are_inclusive(self):
        w = self.world
        inner = self.report(OUTCOMES, w.worker_a1, **{'from': '1993-03-02', 'to': '1993-03-30'})
        # Without 03-01 (completed) and 03-31 (in_progress) parenting.
        self.assertOutcomes(inner, (outcomes(outcome(SUD, accepted=1, completed=1, rate=0.5),
                                             outcome('mental_health', referred=1, declined=1, rate=0.0),
                                             outcome('parenting', completed=1, rate=1.0),
                                             outcome('housing', cancelled=1, rate=0.0)),
                                    overall(referred=1, accepted=1, declined=1, completed=2, cancelled=1,
                                            rate=0.3333)))
        for day, expected in (('1993-03-01', (outcomes(outcome('parenting', completed=1, rate=1.0)),
                                              overall(completed=1, rate=1.0))),
                              ('1993-03-31', (outcomes(outcome('parenting', in_progress=1, rate=0.0)),
                                              overall(in_progress=1, rate=0.0))),
                              ('1993-02-28', (outcomes(outcome('parenting', completed=1, rate=1.0)),
                                              overall(completed=1, rate=1.0))),
                              ('1993-04-01', (outcomes(outcome('housing', referred=1, rate=0.0)),
                                              overall(referred=1, rate=0.0)))):
            with self.subTest(day=day):
                self.assertOutcomes(self.report(OUTCOMES, w.worker_a1, **{'from': day, 'to': day}), expected)

    def test_a_range_without_referrals_has_every_type_at_zero_and_no_rates(self):
        report = self.report(OUTCOMES, self.world.administrator, **{'from': '1993-01-01', 'to': '1993-01-31'})
        self.assertOutcomes(report, (outcomes(), overall()))

    def test_csv_has_a_row_per_type_and_a_total_row(self):
        w = self.world
        body, rows, r = self.csv_report(OUTCOMES, w.worker_a1, **MARCH)
        self.assertEqual(r.header('Content-Disposition'),
                         'attachment; filename="referral-outcomes-1993-03-01-1993-03-31.csv"')
        self.assertEqual(body, b'"service_type","total","by_status.referred","by_status.accepted",'
                               b'"by_status.declined","by_status.in_progress","by_status.completed",'
                               b'"by_status.cancelled","completion_rate"\r\n'
                               b'"substance_use_treatment",2,0,1,0,0,1,0,0.5\r\n'
                               b'"mental_health",2,1,0,1,0,0,0,0\r\n'
                               b'"parenting",3,0,0,0,1,2,0,0.6667\r\n'
                               b'"domestic_violence",0,0,0,0,0,0,0,\r\n'
                               b'"housing",1,0,0,0,0,0,1,0\r\n'
                               b'"employment",0,0,0,0,0,0,0,\r\n'
                               b'"education",0,0,0,0,0,0,0,\r\n'
                               b'"health",0,0,0,0,0,0,0,\r\n'
                               b'"family_preservation",0,0,0,0,0,0,0,\r\n'
                               b'"other",0,0,0,0,0,0,0,\r\n'
                               b'"total",8,1,1,1,1,3,1,0.375\r\n')
        self.assertEqual(rows[0], OUTCOME_CSV_HEADER)

    def test_csv_reads_back_as_the_json(self):
        w = self.world
        for who in (w.administrator, w.auditor, w.supervisor_a):
            with self.subTest(role=who.role):
                report = self.report(OUTCOMES, who, **MARCH)
                _, rows, _ = self.csv_report(OUTCOMES, who, **MARCH)
                self.assertEqual(rows[0], OUTCOME_CSV_HEADER)
                expected = report['types'] + [dict({k: report[k] for k in ('total', 'by_status', 'completion_rate')},
                                                   service_type='total')]
                self.assertEqual(len(rows), 1 + len(expected))
                for line, want in zip(rows[1:], expected):
                    got = [number_or_text(cell) for cell in line]
                    self.assertEqual(got, [want['service_type'], want['total']] +
                                     [want['by_status'][s] for s in STATUSES] + [csv_cell(want['completion_rate'])])


class ReferralOutcomeParametersTest(PeriodParameters, ReportTest):
    path = OUTCOMES
    valid = {'from': '2025-01-01', 'to': '2025-01-31'}
    unknown = {'unit': 'x', 'service_type': 'parenting'}

    def test_dates_must_be_real_calendar_days_written_yyyy_mm_dd(self):
        for bad in ('2026-02-30', '2025-02-29', '2026-13-01', '2026-1-01', '2026-01-1', '26-01-01', '20260101',
                    '2026-01', '2026-01-01T00:00:00Z', 'today', '', '1899-12-31', '2101-01-01'):
            with self.subTest(value=bad):
                self.assertInvalid(self.get(**{'from': bad, 'to': '2026-01-31'}), ['from'])
                self.assertInvalid(self.get(**{'from': '2025-01-01', 'to': bad}), ['to'])
        self.assertEqual(self.get(**{'from': '2024-02-29', 'to': '2024-02-29'}).status, 200)

    def test_from_after_to_is_refused(self):
        self.assertInvalid(self.get(**{'from': '2025-01-02', 'to': '2025-01-01'}), ['to'])

    def test_a_range_over_ten_years_is_refused(self):
        self.assertInvalid(self.get(**{'from': '2016-01-15', 'to': '2026-01-15'}), ['to'])
        self.assertEqual(self.get(**{'from': '2016-01-15', 'to': '2026-01-14'}).status, 200)

    def test_every_bad_parameter_is_listed_in_one_answer(self):
        self.assertInvalid(self.get(**{'from': '2026-02-30', 'to': 'x', 'status': 'completed'}),
                           ['from', 'to', 'status'])
