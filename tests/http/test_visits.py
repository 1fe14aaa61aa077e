"""Caseworker visits at /v1/cases/{id}/visits, /v1/visits and /v1/visits/{id}.

A visit is a caseworker's contact with the child, parents or caregivers, or
family time. visited_at is an instant: RFC 3339 with any offset, stored as the
instant and answered in UTC with microseconds; it is not in the future (five
minutes are allowed for a device's clock). The people at the visit
(participant_ids) are 1 to 50 distinct live participants of the visit's own
case, answered sorted; a caseworker_child visit includes at least one child.
The database keeps visit_participants, one row per person, in step with
participant_ids. Visits stay recordable after the case closes.

Who sees a visit is decided by its case. Lists filter by visit_type, from/to
(instants on visited_at, from inclusive, to exclusive), updated_since and,
across cases, case_id; they are ordered by creation, or by visited_at earliest
or latest first, each with its own keyset cursor. Merge patch with If-Match,
soft delete for administrators, an audit row for every change.
"""
import base64
import datetime
import functools
import struct
import uuid

import harness
from base import MISSING, CaseRecordAccessMatrix, ChildCaseRecordTest, at_once, query, without_bookkeeping
from contract import ChildRecordContract
VISIT_KEYS = {'id', 'case_id', 'visited_at', 'visit_type', 'location', 'participant_ids', 'duration_minutes',
              'summary', 'safety_concern', 'version', 'created_at', 'updated_at'}
VISIT_TYPES = ('caseworker_child', 'caseworker_parent', 'caseworker_caregiver', 'family_time')
LOCATIONS = ('child_residence', 'parent_home', 'office', 'school', 'community', 'virtual', 'other')
UTC = datetime.timezone.utc
UTC_TEXT = r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$'
# Cursor kinds of the three visit orders (lib/cursor.h): creation, visited_at, -visited_at.
CURSOR_KINDS = {None: 8, 'visited_at': 9, '-visited_at': 10}

# Instants written with offsets that move them across a month (or year) boundary,
# and the UTC instant each one is.
ACROSS_MONTHS = (
    ('2026-01-31T23:30:00-05:00', '2026-02-01T04:30:00.000000Z'),
    ('2026-03-01T00:30:00+02:00', '2026-02-28T22:30:00.000000Z'),
    ('2025-12-31T23:30:00-10:00', '2026-01-01T09:30:00.000000Z'),
    ('2024-02-29T23:30:00-05:00', '2024-03-01T04:30:00.000000Z'),
    ('2024-03-01T00:30:00+02:00', '2024-02-29T22:30:00.000000Z'),
    ('2026-06-30T20:00:00-09:30', '2026-07-01T05:30:00.000000Z'),
    ('2026-05-01T05:44:00+05:45', '2026-04-30T23:59:00.000000Z'),
)


def instant(text):
    """An RFC 3339 timestamp as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00').replace('z', '+00:00'))


def utc_text(moment):
    """An aware datetime the way the service answers it: UTC with microseconds."""
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def now():
    return datetime.datetime.now(UTC)


def with_offset(moment, hours, minutes=0):
    """moment written in another offset, to the second: the same instant."""
    sign = -1 if hours < 0 else 1
    tz = datetime.timezone(datetime.timedelta(hours=hours, minutes=sign * minutes))
    return moment.astimezone(tz).replace(microsecond=0).isoformat()


def forged_cursor(kind, key, ident=MISSING):
    """A cursor as lib/cursor.c writes it: kind, a 64-bit big-endian key, a UUID."""
    raw = bytes([kind]) + struct.pack('>q', key) + uuid.UUID(ident).bytes
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


class VisitTest(ChildCaseRecordTest):
    """A case of worker_a1 with a child in care, a parent and a caregiver."""

    resource_type = 'visit'
    path = list_path = '/v1/visits'
    nested = table = 'visits'
    keys = VISIT_KEYS
    required = ('visited_at', 'visit_type', 'location', 'participant_ids')
    not_nullable = required + ('safety_concern',)
    nullable = ('duration_minutes', 'summary')
    text_field = 'summary'
    id_lists = ('participant_ids',)
    invalid_body = {'visited_at': '2026-01-15T10:00:00', 'visit_type': 'home_visit', 'location': 'car',
                    'participant_ids': 'everyone', 'duration_minutes': 0, 'summary': 7, 'safety_concern': 'no',
                    'id': MISSING, 'case_id': MISSING, 'version': 1, 'created_at': '2026-01-01T00:00:00Z',
                    'updated_at': '2026-01-01T00:00:00Z', 'weather': 'rain'}
    invalid_patch = {'visited_at': '2026-02-30T10:00:00Z', 'visit_type': 'x', 'location': 'y', 'participant_ids': [],
                     'duration_minutes': 1441, 'summary': '', 'safety_concern': 'yes'}

    @functools.cached_property
    def caregiver(self):
        return self.add_participant(self.case, role='caregiver')

    def new_body(self, parent=None, **fields):
        """A caseworker_child visit to the child of parent (default: this test's case)."""
        return self.body(**dict({'participant_ids': [self.child_of(parent)['id']]}, **fields))

    def full_body(self, parent=None):
        return self.body(visited_at='2026-02-03T09:15:00Z', visit_type='family_time', location='office',
                         participant_ids=[self.child['id'], self.parent['id']], duration_minutes=90,
                         summary='Family time at the office.\nMother brought lunch; the child was relaxed.',
                         safety_concern=True)

    def defaults(self, who):
        return {'duration_minutes': None, 'summary': None, 'safety_concern': False}

    def as_answered(self, body):
        """visited_at in UTC with microseconds."""
        out = super().as_answered(body)
        if 'visited_at' in out:
            out['visited_at'] = utc_text(instant(out['visited_at']))
        return out

    def as_audited(self, doc):
        """The audit trail writes visited_at in the database's form: compare instants."""
        out = without_bookkeeping(doc)
        if 'visited_at' in out:
            out['visited_at'] = instant(out['visited_at'])
        return out

    # -- the records visits hang on ------------------------------------------
    def set_case(self, case, body, who=None):
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', who or self.world.administrator, body=body)
        self.assertEqual(r.status, 200, r)
        return r.json()

    # -- visits ----------------------------------------------------------------
    def body(self, **fields):
        """A caseworker_child visit to the child of this test's case."""
        body = {'visited_at': '2026-01-15T10:00:00-05:00', 'visit_type': 'caseworker_child',
                'location': 'child_residence', 'participant_ids': [self.child['id']]}
        body.update(fields)
        return {k: v for k, v in body.items() if v is not ...}

    def stored_instant(self, visit):
        """visited_at as the database holds it, in UTC."""
        return self.cluster.psql(
            f"SELECT to_char(visited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
            f"FROM visits WHERE id = '{visit['id']}'").strip()

    def stored_people(self, visit):
        """The visit_participants rows of a visit: sorted participant ids."""
        out = self.cluster.psql(
            f"SELECT participant_id, case_id FROM visit_participants WHERE visit_id = '{visit['id']}' ORDER BY 1")
        rows = [line.split('|') for line in out.split()]
        for _, case_id in rows:
            self.assertEqual(case_id, visit['case_id'])
        return [pid for pid, _ in rows]

    def messages(self, problem, field):
        return [e['message'] for e in problem['errors'] if e['field'] == field]


class ContractTest(ChildRecordContract, VisitTest):
    def refused_creates(self, case):
        stranger = self.add_participant(self.create_case(self.world.worker_b1))
        parent = self.add_participant(case)
        return [(self.post(self.new_body(case, participant_ids=[stranger['id']]), case), 422),
                (self.post(self.new_body(case, participant_ids=[parent['id']]), case), 422),
                (self.post(self.new_body(case, visited_at=utc_text(now() + datetime.timedelta(hours=1))), case), 422)]

    def refused_patches(self, visit):
        stranger = self.add_participant(self.create_case(self.world.worker_a1))
        return [(self.patch(visit, {'participant_ids': [stranger['id']]}), 422),
                (self.patch(visit, {'participant_ids': [self.parent['id']]}), 422),
                (self.patch(visit, {'visited_at': utc_text(now() + datetime.timedelta(days=1))}), 422),
                (self.patch(visit, {'visited_at': '2026-01-15T16:00:00+01:00'}), 200)]


class CreateTest(VisitTest):
    def test_every_visit_type_and_location_is_accepted(self):
        for visit_type in VISIT_TYPES:
            with self.subTest(visit_type=visit_type):
                self.assertEqual(self.add(visit_type=visit_type)['visit_type'], visit_type)
        for location in LOCATIONS:
            with self.subTest(location=location):
                self.assertEqual(self.add(location=location)['location'], location)

    def test_visits_stay_recordable_after_the_case_closes(self):
        before = self.add()
        self.set_case(self.case, {'status': 'closed'})
        for who in (self.world.worker_a1, self.world.supervisor_a, self.world.integration,
                    self.world.administrator):
            with self.subTest(role=who.role):
                r = self.post(self.body(summary='Written up after closing.'), who=who)
                self.assertEqual(r.status, 201, r)
        r = self.patch(before, {'summary': 'Amended after closing.'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['version'], 2)
        self.assertEqual(len(self.list_ids(f'/v1/cases/{self.case["id"]}/visits', self.world.worker_a1)), 5)


class VisitedAtTest(VisitTest):
    def test_an_offset_across_a_month_boundary_is_stored_as_the_right_instant(self):
        for written, expected in ACROSS_MONTHS:
            with self.subTest(visited_at=written):
                v = self.add(visited_at=written)
                self.assertEqual(v['visited_at'], expected)
                self.assertEqual(self.current(v)['visited_at'], expected)
                self.assertEqual(self.stored_instant(v), expected)
                self.assertEqual(instant(v['visited_at']), instant(written))

    def test_new_years_eve_2026_in_hawaii_is_refused_until_past_then_stored_in_utc(self):
        written, expected = '2026-12-31T23:30:00-10:00', '2027-01-01T09:30:00.000000Z'
        r = self.post(self.body(visited_at=written))
        if instant(written) > now() + datetime.timedelta(minutes=5):
            self.assertInvalid(r, ['visited_at'])
            self.assertEqual(self.stored_count(), 0)
        else:
            self.assertEqual(r.status, 201, r)
            self.assertEqual(r.json()['visited_at'], expected)
            self.assertEqual(self.stored_instant(r.json()), expected)

    def test_from_and_to_place_offset_visits_in_the_month_of_their_instant(self):
        jan_end = self.add(visited_at='2026-01-31T23:30:00-05:00')     # 2026-02-01 UTC
        mar_start = self.add(visited_at='2026-03-01T00:30:00+02:00')   # 2026-02-28 UTC
        year_end = self.add(visited_at='2025-12-31T23:30:00-10:00')    # 2026-01-01 UTC
        path = f'/v1/cases/{self.case["id"]}/visits'
        w = self.world.worker_a1

        def month(start, end, sort=None):
            return self.list_ids(path, w, sort=sort, **{'from': start, 'to': end})
        self.assertEqual(month('2025-12-01T00:00:00Z', '2026-01-01T00:00:00Z'), [])
        self.assertEqual(month('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'), [year_end['id']])
        self.assertEqual(month('2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z', 'visited_at'),
                         [jan_end['id'], mar_start['id']])
        self.assertEqual(month('2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'), [])
        # The cross-case list places them the same way.
        self.assertEqual(self.list_ids('/v1/visits', w, case_id=self.case['id'], sort='-visited_at',
                                       **{'from': '2026-02-01T00:00:00Z', 'to': '2026-03-01T00:00:00Z'}),
                         [mar_start['id'], jan_end['id']])
        # The bounds may be written with an offset too: February in New York time.
        self.assertEqual(month('2026-02-01T00:00:00-05:00', '2026-03-01T00:00:00-05:00', 'visited_at'),
                         [mar_start['id']])
        self.assertEqual(month('2026-01-01T00:00:00-05:00', '2026-02-01T00:00:00-05:00'),
                         [jan_end['id'], year_end['id']])
        self.assertEqual(month('2026-01-01T00:00:00+10:00', '2026-01-01T09:30:00-00:00'), [])
        self.assertEqual(month('2026-01-01T00:00:00+10:00', '2026-01-01T09:30:00.000001-00:00'), [year_end['id']])

    def test_fractions_of_a_second_are_kept_to_the_microsecond(self):
        for written, expected in (('2026-01-15T10:00:00.5Z', '2026-01-15T10:00:00.500000Z'),
                                  ('2026-01-15T10:00:00.123456+01:00', '2026-01-15T09:00:00.123456Z'),
                                  ('2026-01-15T10:00:00.123456789Z', '2026-01-15T10:00:00.123456Z'),
                                  ('2026-01-15t10:00:00z', '2026-01-15T10:00:00.000000Z')):
            with self.subTest(visited_at=written):
                v = self.add(visited_at=written)
                self.assertEqual(v['visited_at'], expected)
                self.assertEqual(self.stored_instant(v), expected)

    def test_a_visit_in_the_future_is_422(self):
        for ahead in (datetime.timedelta(hours=1), datetime.timedelta(days=1), datetime.timedelta(minutes=10),
                      datetime.timedelta(days=400)):
            with self.subTest(ahead=str(ahead)):
                p = self.assertInvalid(self.post(self.body(visited_at=utc_text(now() + ahead))), ['visited_at'])
                self.assertIn('future', self.messages(p, 'visited_at')[0])
        # An hour ahead is in the future whatever offset writes it.
        for hours in (14, -12, 5, 0):
            with self.subTest(offset=hours):
                ahead = with_offset(now() + datetime.timedelta(hours=1), hours)
                self.assertInvalid(self.post(self.body(visited_at=ahead)), ['visited_at'])
        self.assertEqual(self.stored_count(), 0)

    def test_now_is_accepted_in_any_offset_and_a_device_clock_may_run_a_little_ahead(self):
        for written in (utc_text(now()), with_offset(now(), 14), with_offset(now(), -12),
                        with_offset(now(), 5, 45), utc_text(now() + datetime.timedelta(minutes=2))):
            with self.subTest(visited_at=written):
                v = self.add(visited_at=written)
                self.assertEqual(instant(v['visited_at']), instant(written))
                self.assertRegex(v['visited_at'], UTC_TEXT)

    def test_patching_visited_at_into_the_future_is_422(self):
        v = self.add()
        for ahead in (datetime.timedelta(hours=1), datetime.timedelta(days=1)):
            with self.subTest(ahead=str(ahead)):
                r = self.patch(v, {'visited_at': utc_text(now() + ahead)})
                self.assertInvalid(r, ['visited_at'])
        self.assertEqual(self.current(v), v)
        r = self.patch(v, {'visited_at': utc_text(now())})
        self.assertEqual(r.status, 200, r)

    def test_impossible_or_offsetless_timestamps_are_422(self):
        for bad in ('2026-02-29T10:00:00Z', '2026-04-31T10:00:00Z', '2026-13-01T10:00:00Z', '2026-00-10T10:00:00Z',
                    '2026-01-15T24:00:00Z', '2026-01-15T10:60:00Z', '2026-01-15T10:00:60Z',
                    '2026-01-15T10:00:00', '2026-01-15T10:00', '2026-01-15', '2026-01-15T10:00Z',
                    '2026-01-15 10:00:00Z', '2026-01-15T10:00:00+24:00', '2026-01-15T10:00:00+05',
                    '2026-01-15T10:00:00+0500', '2026-01-15T10:00:00.Z', '2026-01-15T10:00:00.1234567891Z',
                    '2026-01-15T10:00:00 Z', ' 2026-01-15T10:00:00Z', '2026-1-5T10:00:00Z', '1899-12-31T10:00:00Z',
                    'yesterday', '', 1768471200, True, ['2026-01-15T10:00:00Z'], {'at': 'now'}):
            with self.subTest(visited_at=bad):
                self.assertInvalid(self.post(self.body(visited_at=bad)), ['visited_at'])
        self.assertEqual(self.stored_count(), 0)

    def test_the_same_instant_with_another_offset_changes_nothing(self):
        v = self.add(visited_at='2026-01-31T23:30:00-05:00')
        for same in ('2026-02-01T04:30:00Z', '2026-02-01T10:00:00+05:30', '2026-02-01T04:30:00.000000+00:00',
                     '2026-01-31T18:30:00-10:00', '2026-02-01T04:30:00.000000000Z'):
            with self.subTest(visited_at=same):
                r = self.patch(v, {'visited_at': same})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), v)
                self.assertEqual(r.header('ETag'), '"1"')
        self.assertEqual(self.current(v), v)
        self.assertEqual([row['action'] for row in self.audit_rows(v)], ['create'])

    def test_another_instant_is_a_change(self):
        v = self.add(visited_at='2026-01-31T23:30:00-05:00')
        r = self.patch(v, {'visited_at': '2026-01-31T23:30:00+05:00'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['visited_at'], '2026-01-31T18:30:00.000000Z')
        self.assertEqual(r.json()['version'], 2)
        self.assertEqual(self.stored_instant(v), '2026-01-31T18:30:00.000000Z')
        r = self.patch(r.json(), {'visited_at': '2026-01-31T18:30:00.000001Z'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['version'], 3)


class ParticipantsTest(VisitTest):
    def test_participant_ids_are_answered_sorted_and_in_lower_case(self):
        ids = [self.parent['id'], self.child['id'], self.caregiver['id']]
        r = self.post(self.body(participant_ids=[i.upper() for i in ids]))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['participant_ids'], sorted(ids))
        self.assertEqual(self.current(r.json())['participant_ids'], sorted(ids))
        self.assertEqual(self.stored_people(r.json()), sorted(ids))

    def test_a_participant_of_another_visible_case_is_422_naming_it(self):
        other = self.create_case(self.world.worker_a1)
        stranger = self.add_participant(other, role='child')
        self.assertEqual(self.request('GET', f'/v1/participants/{stranger["id"]}', self.world.worker_a1).status, 200)
        r = self.post(self.body(participant_ids=[self.child['id'], stranger['id']]))
        p = self.assertInvalid(r, ['participant_ids'])
        self.assertTrue(any(stranger['id'] in m for m in self.messages(p, 'participant_ids')), p)
        self.assertFalse(any(self.child['id'] in m for m in self.messages(p, 'participant_ids')), p)
        self.assertEqual(self.stored_count(), 0)

    def test_a_participant_of_another_case_is_422_for_every_role(self):
        w = self.world
        hidden = self.add_participant(self.create_case(w.worker_b1), role='child')
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.integration):
            with self.subTest(role=who.role):
                r = self.post(self.body(participant_ids=[hidden['id']]), who=who)
                p = self.assertInvalid(r, ['participant_ids'])
                self.assertTrue(any(hidden['id'] in m for m in self.messages(p, 'participant_ids')), p)
        self.assertEqual(self.stored_count(), 0)

    def test_unknown_ids_are_422_naming_each(self):
        random_id = str(uuid.uuid4())
        r = self.post(self.body(participant_ids=[self.child['id'], random_id, MISSING, self.case['id']]))
        p = self.assertInvalid(r, ['participant_ids'])
        text = ' '.join(self.messages(p, 'participant_ids'))
        for bad in (random_id, MISSING, self.case['id']):
            self.assertIn(bad, text)
        self.assertEqual(self.stored_count(), 0)

    def test_a_deleted_participant_is_422(self):
        gone = self.add_participant(self.case, role='child')
        self.assertEqual(self.delete_participant(gone).status, 204)
        p = self.assertInvalid(self.post(self.body(participant_ids=[self.child['id'], gone['id']])),
                               ['participant_ids'])
        self.assertIn(gone['id'], ' '.join(self.messages(p, 'participant_ids')))
        v = self.add()
        self.assertInvalid(self.patch(v, {'participant_ids': [gone['id']]}), ['participant_ids'])
        self.assertEqual(self.current(v), v)

    def test_duplicates_are_422(self):
        for ids in ([self.child['id'], self.child['id']], [self.child['id'], self.child['id'].upper()],
                    [self.parent['id'], self.child['id'], self.parent['id']]):
            with self.subTest(ids=ids):
                self.assertInvalid(self.post(self.body(participant_ids=ids)), ['participant_ids'])
        self.assertEqual(self.stored_count(), 0)

    def test_participant_ids_is_a_list_of_1_to_50_uuids(self):
        many = [str(uuid.uuid4()) for _ in range(51)]
        for bad in ([], None, self.child['id'], {'id': self.child['id']}, [None], [self.child['id'], 7],
                    [self.child['id'], 'not-a-uuid'], [self.child['id'][:-1]], ['{%s}' % self.child['id']],
                    [self.child['id'].replace('-', '')], [[self.child['id']]], many, 5, True):
            with self.subTest(participant_ids=bad if not isinstance(bad, list) or len(bad) < 5 else 'x51'):
                self.assertInvalid(self.post(self.body(participant_ids=bad)), ['participant_ids'])
        self.assertEqual(self.stored_count(), 0)

    def test_fifty_participants_are_accepted(self):
        people = [self.child, self.parent, self.caregiver]
        people += [self.add_participant(self.case, role='relative') for _ in range(47)]
        ids = [p['id'] for p in people]
        v = self.add(visit_type='family_time', participant_ids=ids)
        self.assertEqual(v['participant_ids'], sorted(ids))
        self.assertEqual(self.stored_people(v), sorted(ids))
        extra = self.add_participant(self.case, role='relative')
        self.assertInvalid(self.patch(v, {'participant_ids': ids + [extra['id']]}), ['participant_ids'])

    def test_a_caseworker_child_visit_includes_a_child(self):
        for ids in ([self.parent['id']], [self.parent['id'], self.caregiver['id']]):
            with self.subTest(ids=len(ids)):
                p = self.assertInvalid(self.post(self.body(participant_ids=ids)), ['participant_ids'])
                self.assertIn('child', ' '.join(self.messages(p, 'participant_ids')))
        self.assertEqual(self.stored_count(), 0)
        for visit_type in ('caseworker_parent', 'caseworker_caregiver', 'family_time'):
            with self.subTest(visit_type=visit_type):
                self.add(visit_type=visit_type, participant_ids=[self.parent['id']])
        v = self.add(participant_ids=[self.child['id'], self.parent['id']])
        self.assertEqual(v['participant_ids'], sorted([self.child['id'], self.parent['id']]))

    def test_patches_keep_a_child_in_a_caseworker_child_visit(self):
        v = self.add(participant_ids=[self.child['id'], self.parent['id']])
        self.assertInvalid(self.patch(v, {'participant_ids': [self.parent['id']]}), ['participant_ids'])
        parent_visit = self.add(visit_type='caseworker_parent', participant_ids=[self.parent['id']])
        self.assertInvalid(self.patch(parent_visit, {'visit_type': 'caseworker_child'}), ['participant_ids'])
        self.assertEqual(self.current(v), v)
        self.assertEqual(self.current(parent_visit), parent_visit)
        r = self.patch(parent_visit, {'visit_type': 'caseworker_child', 'participant_ids': [self.child['id']]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['visit_type'], r.json()['participant_ids']),
                         ('caseworker_child', [self.child['id']]))

    def test_a_patch_of_participant_ids_replaces_the_visit_participants_rows(self):
        v = self.add(participant_ids=[self.child['id'], self.parent['id']])
        self.assertEqual(self.stored_people(v), sorted([self.child['id'], self.parent['id']]))
        r = self.patch(v, {'participant_ids': [self.caregiver['id'], self.child['id']]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['participant_ids'], sorted([self.caregiver['id'], self.child['id']]))
        self.assertEqual(self.stored_people(v), sorted([self.caregiver['id'], self.child['id']]))
        r = self.patch(r.json(), {'participant_ids': [self.child['id']]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.stored_people(v), [self.child['id']])
        # A patch of another field leaves the rows as they are.
        r = self.patch(r.json(), {'summary': 'Seen alone.'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.stored_people(v), [self.child['id']])

    def test_a_refused_patch_leaves_the_visit_participants_rows(self):
        v = self.add(participant_ids=[self.child['id'], self.parent['id']])
        stranger = self.add_participant(self.create_case(self.world.worker_a1))
        self.assertInvalid(self.patch(v, {'participant_ids': [self.child['id'], stranger['id']]}), ['participant_ids'])
        self.assertEqual(self.stored_people(v), sorted([self.child['id'], self.parent['id']]))

    def test_patching_to_a_participant_of_another_case_is_422(self):
        v = self.add()
        stranger = self.add_participant(self.create_case(self.world.worker_a1), role='child')
        for ids in ([stranger['id']], [self.child['id'], stranger['id']], [MISSING]):
            with self.subTest(ids=ids):
                self.assertInvalid(self.patch(v, {'participant_ids': ids}), ['participant_ids'])
        self.assertEqual(self.current(v), v)

    def test_the_same_people_in_another_order_or_case_change_nothing(self):
        ids = sorted([self.child['id'], self.parent['id'], self.caregiver['id']])
        v = self.add(participant_ids=ids)
        for same in (list(reversed(ids)), [i.upper() for i in ids], [ids[1], ids[2], ids[0]]):
            with self.subTest(ids=same):
                r = self.patch(v, {'participant_ids': same})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), v)
        self.assertEqual([row['action'] for row in self.audit_rows(v)], ['create'])

    def test_a_participant_named_by_a_live_visit_cannot_be_deleted(self):
        v = self.add(participant_ids=[self.child['id'], self.parent['id']])
        for person in (self.child, self.parent):
            with self.subTest(role=person['role']):
                self.assertProblem(self.delete_participant(person), 409)
                r = self.request('GET', f'/v1/participants/{person["id"]}', self.world.worker_a1)
                self.assertEqual(r.status, 200, r)
        # Once the visit no longer names the parent, the parent may go.
        r = self.patch(v, {'participant_ids': [self.child['id']]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.delete_participant(self.parent).status, 204)
        # Once the visit is deleted, the child may go too.
        self.assertProblem(self.delete_participant(self.child), 409)
        self.assertEqual(self.delete(v).status, 204)
        self.assertEqual(self.delete_participant(self.child).status, 204)

    def test_a_participant_deleted_while_a_visit_names_it_never_leaves_a_live_visit_naming_nobody(self):
        for round_ in range(4):
            with self.subTest(round=round_):
                person = self.add_participant(self.case, role='child')

                def work(i, person=person):
                    if i == 0:
                        return self.delete_participant(person)
                    return self.post(self.body(participant_ids=[person['id']]))
                deleted, created = at_once(2, work)
                self.assertIn((deleted.status, created.status), ((204, 422), (409, 201)), (deleted, created))
                gone = self.cluster.psql(
                    f"SELECT deleted_at IS NOT NULL FROM participants WHERE id = '{person['id']}'").strip()
                self.assertEqual(gone, 't' if deleted.status == 204 else 'f')


class ChildRoleTest(VisitTest):
    def patch_role(self, participant, role):
        return self.request('PATCH', f'/v1/participants/{participant["id"]}', self.world.worker_a1,
                            body={'role': role, 'in_care_since': None})

    def test_the_only_child_of_a_visit_stays_a_child(self):
        self.add()
        problem = self.assertProblem(self.patch_role(self.child, 'relative'), 409)
        self.assertIn('only child', problem['detail'])
        r = self.request('GET', f'/v1/participants/{self.child["id"]}', self.world.worker_a1)
        self.assertEqual(r.json()['role'], 'child')

    def test_a_child_may_change_role_when_another_child_was_at_the_visit(self):
        sibling = self.add_participant(self.case, role='child')
        self.add(participant_ids=[self.child['id'], sibling['id']])
        r = self.patch_role(self.child, 'relative')
        self.assertEqual(r.status, 200, r)

    def test_a_child_at_other_visits_only_may_change_role(self):
        self.add(visit_type='caseworker_parent', participant_ids=[self.child['id'], self.parent['id']])
        visit = self.add()
        self.assertEqual(self.delete(visit).status, 204)
        r = self.patch_role(self.child, 'relative')
        self.assertEqual(r.status, 200, r)


class ValidationTest(VisitTest):
    def test_wrong_types_are_422(self):
        for field, bad in (('visit_type', 1), ('visit_type', ['caseworker_child']), ('location', True),
                           ('duration_minutes', '30'), ('duration_minutes', 30.5), ('duration_minutes', 30.0),
                           ('duration_minutes', True), ('summary', ['text']), ('summary', {'a': 1}),
                           ('safety_concern', 'true'), ('safety_concern', 1), ('safety_concern', 0)):
            with self.subTest(field=field, value=bad):
                self.assertInvalid(self.post(self.body(**{field: bad})), [field])
        self.assertEqual(self.stored_count(), 0)

    def test_bad_enums_are_422_naming_the_allowed_values(self):
        for field, values in (('visit_type', VISIT_TYPES), ('location', LOCATIONS)):
            for bad in ('', 'Caseworker_Child', 'Office', 'home', ' office'):
                with self.subTest(field=field, value=bad):
                    p = self.assertInvalid(self.post(self.body(**{field: bad})), [field])
                    for allowed in values:
                        self.assertIn(allowed, self.messages(p, field)[0])
        self.assertEqual(self.stored_count(), 0)

    def test_duration_minutes_is_a_whole_number_from_1_to_1440(self):
        for bad in (0, -1, 1441, 100000, -2 ** 40):
            with self.subTest(duration_minutes=bad):
                self.assertInvalid(self.post(self.body(duration_minutes=bad)), ['duration_minutes'])
        for good in (1, 45, 1440):
            with self.subTest(duration_minutes=good):
                self.assertEqual(self.add(duration_minutes=good)['duration_minutes'], good)

    def test_summary_is_free_text_of_at_most_20000_characters(self):
        for bad in ('', '   \n\t', 'x' * 20001, 'bell \x07', 'esc \x1b[2J', 'csi \u009b'):
            with self.subTest(summary=bad[:20]):
                self.assertInvalid(self.post(self.body(summary=bad)), ['summary'])
        text = 'é' * 19990 + '\r\n\tend.'
        v = self.add(summary=text)
        self.assertEqual(v['summary'], text)
        self.assertEqual(self.current(v)['summary'], text)

    def test_rule_errors_are_listed_together(self):
        stranger = self.add_participant(self.create_case(self.world.worker_a1))
        r = self.post(self.body(visited_at=utc_text(now() + datetime.timedelta(days=1)),
                                participant_ids=[self.child['id'], stranger['id']]))
        self.assertInvalid(r, ['visited_at', 'participant_ids'])
        r = self.post(self.body(visited_at=utc_text(now() + datetime.timedelta(days=1)),
                                participant_ids=[self.parent['id']]))
        self.assertInvalid(r, ['visited_at', 'participant_ids'])
        self.assertEqual(self.stored_count(), 0)


class MergePatchTest(VisitTest):
    def test_every_writable_field_may_be_patched(self):
        v = self.add()
        body = {'visited_at': '2026-02-10T08:00:00+01:00', 'visit_type': 'caseworker_caregiver', 'location': 'other',
                'participant_ids': [self.caregiver['id']], 'duration_minutes': 20, 'summary': 'Phone follow-up.',
                'safety_concern': True}
        r = self.patch(v, body)
        self.assertEqual(r.status, 200, r)
        got = r.json()
        self.assertEqual(got['visited_at'], '2026-02-10T07:00:00.000000Z')
        for key in ('visit_type', 'location', 'participant_ids', 'duration_minutes', 'summary', 'safety_concern'):
            self.assertEqual(got[key], body[key], key)
        self.assertEqual(got['version'], 2)


class AccessTest(CaseRecordAccessMatrix, VisitTest):
    caseload_list_params = ({}, {'sort': 'visited_at'}, {'sort': '-visited_at'})

    def filters_of(self, visit):
        return ({'case_id': visit['case_id']}, {'case_id': visit['case_id'], 'visit_type': visit['visit_type']},
                {'visit_type': visit['visit_type']}, {'from': '2026-01-01T00:00:00Z', 'to': '2026-02-01T00:00:00Z'},
                {'case_id': visit['case_id'], 'sort': '-visited_at'})


class ListTest(VisitTest):
    def make(self, times, case=None, who=None, **fields):
        """One visit per visited_at in times, created in that order."""
        return [self.add(case, who, visited_at=t, **fields) for t in times]

    @staticmethod
    def ordered(visits, sort):
        if sort is None:
            key = lambda v: (v['created_at'], v['id'])  # noqa: E731
        else:
            key = lambda v: (v['visited_at'], v['id'])  # noqa: E731
        return [v['id'] for v in sorted(visits, key=key, reverse=sort == '-visited_at')]

    # Visits made out of time order, two of them at the same instant written two ways.
    TIMES = ('2026-01-20T10:00:00Z', '2026-01-05T08:00:00-05:00', '2026-02-02T00:00:00+02:00',
             '2026-01-05T13:00:00Z', '2025-12-31T23:59:59.999999Z', '2026-03-10T12:00:00Z',
             '2026-01-20T10:00:00.000001Z')

    def visit_elsewhere(self):
        other = self.create_case(self.world.worker_a1)
        child = self.add_participant(other, role='child')
        r = self.post(self.body(participant_ids=[child['id']]), other)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def test_sort_by_visited_at_earliest_or_latest_first(self):
        made = self.make(self.TIMES)
        w = self.world.worker_a1
        path = f'/v1/cases/{self.case["id"]}/visits'
        earliest = self.list_all(path, w, sort='visited_at')
        self.assertEqual([v['id'] for v in earliest], self.ordered(made, 'visited_at'))
        self.assertEqual([v['visited_at'] for v in earliest], sorted(v['visited_at'] for v in made))
        latest = self.list_all(path, w, sort='-visited_at')
        self.assertEqual([v['id'] for v in latest], list(reversed([v['id'] for v in earliest])))
        self.assertEqual([v['id'] for v in self.list_all(path, w)], [v['id'] for v in made])

    def test_walking_all_pages_gives_every_visit_once_in_every_order(self):
        made = self.make(self.TIMES)
        # The tie: two visits at the same instant.
        made += self.make(('2026-01-20T11:00:00+01:00',))
        w = self.world.worker_a1
        for sort in (None, 'visited_at', '-visited_at'):
            expected = self.ordered(made, sort)
            for path, params in ((f'/v1/cases/{self.case["id"]}/visits', {}),
                                 ('/v1/visits', {'case_id': self.case['id']})):
                for limit in (1, 2, 3, 7, 8, 9, 500):
                    with self.subTest(sort=sort, path=path, limit=limit):
                        pages = self.pages(path, w, limit, sort=sort, **params)
                        self.assertEqual([i for page in pages for i in page], expected)
                        self.assertTrue(all(len(page) == limit for page in pages[:-1]))
                        self.assertEqual(len(pages), max(1, -(-len(made) // limit)))

    def test_walking_the_cross_case_list_in_every_order(self):
        made = self.make(self.TIMES[:4])
        made.append(self.visit_elsewhere())
        w = self.world.worker_a1
        for sort in (None, 'visited_at', '-visited_at'):
            with self.subTest(sort=sort):
                self.assertEqual(self.list_ids('/v1/visits', w, sort=sort, limit=2), self.ordered(made, sort))

    def test_paging_while_visits_are_added_skips_and_repeats_nothing(self):
        w = self.world.worker_a1
        for sort in (None, 'visited_at', '-visited_at'):
            with self.subTest(sort=sort):
                case = self.create_case(w)
                child = self.add_participant(case, role='child')
                path = f'/v1/cases/{case["id"]}/visits'

                def add(at):
                    r = self.post(self.body(visited_at=at, participant_ids=[child['id']]), case)
                    self.assertEqual(r.status, 201, r)
                    return r.json()
                before = [add(t) for t in self.TIMES]
                seen, cursor, added = [], None, []
                for step in range(100):
                    r = self.request('GET', query(path, limit=2, cursor=cursor, sort=sort), w)
                    self.assertEqual(r.status, 200, r)
                    seen.extend(item['id'] for item in r.json()['items'])
                    cursor = r.json()['next_cursor']
                    if cursor is None:
                        break
                    # Between pages, visits land before, after and among those already seen.
                    added.append(add(('2025-06-01T00:00:00Z', '2026-04-01T00:00:00Z',
                                      '2026-01-20T10:00:00Z')[step % 3]))
                self.assertEqual(len(seen), len(set(seen)), seen)
                self.assertLessEqual({v['id'] for v in before}, set(seen))
                self.assertLessEqual(set(seen), {v['id'] for v in before + added})
                # What was seen is in the list's order.
                everything = {v['id']: v for v in before + added}
                self.assertEqual(seen, self.ordered([everything[i] for i in seen], sort))

    def test_visit_type_filter(self):
        child_visit = self.add()
        parent_visit = self.add(visit_type='caseworker_parent', participant_ids=[self.parent['id']])
        family = self.add(visit_type='family_time', participant_ids=[self.parent['id'], self.child['id']])
        w = self.world.worker_a1
        path = f'/v1/cases/{self.case["id"]}/visits'
        self.assertEqual(self.list_ids(path, w, visit_type='caseworker_child'), [child_visit['id']])
        self.assertEqual(self.list_ids(path, w, visit_type='caseworker_parent'), [parent_visit['id']])
        self.assertEqual(self.list_ids('/v1/visits', w, case_id=self.case['id'], visit_type='family_time'),
                         [family['id']])
        self.assertEqual(self.list_ids(path, w, visit_type='caseworker_caregiver'), [])

    def test_from_is_inclusive_and_to_exclusive(self):
        early, edge, late = self.make(('2026-01-31T23:59:59.999999Z', '2026-02-01T00:00:00Z',
                                       '2026-02-28T23:59:59.999999Z'))
        w = self.world.worker_a1
        path = f'/v1/cases/{self.case["id"]}/visits'

        def between(**bounds):
            return self.list_ids(path, w, **{k.rstrip('_'): v for k, v in bounds.items()})
        self.assertEqual(between(from_='2026-02-01T00:00:00Z'), [edge['id'], late['id']])
        self.assertEqual(between(to='2026-02-01T00:00:00Z'), [early['id']])
        self.assertEqual(between(from_='2026-02-01T00:00:00Z', to='2026-03-01T00:00:00Z'), [edge['id'], late['id']])
        self.assertEqual(between(from_='2026-02-01T00:00:00Z', to='2026-02-01T00:00:00Z'), [])
        self.assertEqual(between(from_='2026-02-01T00:00:00Z', to='2026-02-01T00:00:00.000001Z'), [edge['id']])
        self.assertEqual(between(from_='2026-01-31T23:59:59.999999Z', to='2026-02-01T00:00:00Z'), [early['id']])
        self.assertEqual(between(from_='2026-03-01T00:00:00Z', to='2026-02-01T00:00:00Z'), [])
        # The same bounds written with offsets.
        self.assertEqual(between(from_='2026-02-01T05:30:00+05:30', to='2026-02-28T18:59:59.999999-05:00'),
                         [edge['id']])
        self.assertEqual(between(from_='2026-02-01T05:30:00+05:30', to='2026-02-28T19:00:00-05:00'),
                         [edge['id'], late['id']])

    def test_filters_combine(self):
        a, b = self.make(('2026-01-10T10:00:00Z', '2026-02-10T10:00:00Z'))
        c = self.add(visited_at='2026-01-11T10:00:00Z', visit_type='caseworker_parent',
                     participant_ids=[self.parent['id']])
        elsewhere = self.visit_elsewhere()
        w = self.world.worker_a1
        jan = {'from': '2026-01-01T00:00:00Z', 'to': '2026-02-01T00:00:00Z'}
        self.assertEqual(self.list_ids('/v1/visits', w, case_id=self.case['id'], sort='-visited_at', **jan),
                         [c['id'], a['id']])
        self.assertEqual(self.list_ids('/v1/visits', w, case_id=self.case['id'], visit_type='caseworker_child',
                                       **jan), [a['id']])
        self.assertEqual(self.list_ids('/v1/visits', w, case_id=elsewhere['case_id'], **jan), [elsewhere['id']])
        self.assertEqual(set(self.list_ids('/v1/visits', w, visit_type='caseworker_child', **jan)),
                         {a['id'], elsewhere['id']})
        self.assertNotIn(b['id'], self.list_ids('/v1/visits', w, **jan))

    def test_lists_hold_the_same_records_as_single_reads(self):
        self.make(self.TIMES[:3])
        for sort in (None, 'visited_at', '-visited_at'):
            for item in self.list_all('/v1/visits', self.world.worker_a1, limit=1, sort=sort):
                self.assertEqual(self.request('GET', f'/v1/visits/{item["id"]}', self.world.worker_a1).json(), item)

    def first_cursor(self, sort, path=None):
        path = path or f'/v1/cases/{self.case["id"]}/visits'
        r = self.request('GET', query(path, limit=1, sort=sort), self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertIsNotNone(r.json()['next_cursor'])
        return r.json()['next_cursor']

    def test_a_cursor_of_one_order_is_422_in_another(self):
        self.make(self.TIMES[:3])
        path = f'/v1/cases/{self.case["id"]}/visits'
        w = self.world.worker_a1
        for made_with in (None, 'visited_at', '-visited_at'):
            cursor = self.first_cursor(made_with)
            for used_with in (None, 'visited_at', '-visited_at'):
                with self.subTest(made_with=made_with, used_with=used_with):
                    for p, params in ((path, {}), ('/v1/visits', {'case_id': self.case['id']})):
                        r = self.request('GET', query(p, cursor=cursor, sort=used_with, **params), w)
                        if made_with == used_with:
                            self.assertEqual(r.status, 200, r)
                        else:
                            self.assertProblem(r, 422, ['cursor'])

    def test_a_cursor_of_another_list_is_422(self):
        self.make(self.TIMES[:2])
        self.add_participant(self.case)
        cursor = self.request('GET', f'/v1/cases/{self.case["id"]}/participants?limit=1',
                              self.world.worker_a1).json()['next_cursor']
        self.assertIsNotNone(cursor)
        for sort in (None, 'visited_at', '-visited_at'):
            with self.subTest(sort=sort):
                r = self.request('GET', query(f'/v1/cases/{self.case["id"]}/visits', cursor=cursor, sort=sort),
                                 self.world.worker_a1)
                self.assertProblem(r, 422, ['cursor'])

    def test_bad_filters_and_orders_are_422(self):
        self.make(self.TIMES[:2])
        w = self.world.worker_a1
        nested = f'/v1/cases/{self.case["id"]}/visits'
        for path in (nested, '/v1/visits'):
            for params, fields in (('visit_type=home', ['visit_type']), ('from=2026-01-01', ['from']),
                                   ('to=yesterday', ['to']), ('from=2026-01-01T00:00:00', ['from']),
                                   ('to=2026-02-30T00:00:00Z', ['to']),
                                   ('from=2026-01-01T00:00:00+01:00', ['from']),  # '+' unescaped is a space
                                   ('sort=created_at', ['sort']), ('sort=visited_at,id', ['sort']),
                                   ('sort=VISITED_AT', ['sort']), ('sort=', ['sort']), ('sort=+visited_at', ['sort']),
                                   ('location=office', ['location']),
                                   ('participant_id=' + self.child['id'], ['participant_id']),
                                   ('visit_type=x&from=x&to=x&sort=x&limit=0&nope=1',
                                    ['visit_type', 'from', 'to', 'sort', 'limit', 'nope'])):
                with self.subTest(path=path, params=params):
                    self.assertProblem(self.request('GET', f'{path}?{params}', w), 422, fields)
        self.assertProblem(self.request('GET', f'{self.item_path(self.make(self.TIMES[:1])[0])}?sort=visited_at', w),
                           422, ['sort'])
        r = self.request('GET', f'{nested}?from=2026-01-01T00:00:00%2B01:00', w)
        self.assertEqual(r.status, 200, r)

    def test_forged_cursors_are_never_a_server_error(self):
        # Cursors are opaque, but a client can send any bytes: one whose key is out
        # of every range answers 200 or 422, and the service lives on. Run on a
        # service of its own, so that a crash is this test's failure alone.
        self.make(self.TIMES[:3])
        token = self.world.worker_a1.token
        path = f'/v1/cases/{self.case["id"]}/visits'
        keys = (-2 ** 63, -2 ** 63 + 1, -2 ** 63 + 999_999, -2 ** 62, -1, 0, 1, 2 ** 62, 2 ** 63 - 1)
        svc = self.cluster.start_service(harness.unique('forged-cursors'))
        died = None
        try:
            for sort, kind in CURSOR_KINDS.items():
                for key in keys:
                    try:
                        r = svc.request('GET', query(path, sort=sort, cursor=forged_cursor(kind, key)), token)
                    except OSError:
                        died = (sort, key)
                        break
                    with self.subTest(sort=sort, key=key):
                        self.assertIn(r.status, (200, 422), r)
                if died:
                    break
        finally:
            problems = svc.stop()
        self.assertIsNone(died, f'the service died on a forged cursor (sort, key) {died}:\n'
                          + '\n'.join(problems)[:3000])
        self.assertEqual(problems, [], '\n'.join(problems)[:3000])


class AuditTest(VisitTest):
    def test_updates_are_audited_with_instants_and_the_people_at_the_visit(self):
        w = self.world
        v = self.add(visited_at='2026-01-31T23:30:00-05:00', duration_minutes=30)
        people = [self.child['id'], self.parent['id']]
        changed = self.patched(v, {'summary': 'Seen at home.', 'participant_ids': people}, w.supervisor_a)
        self.patched(changed, {'visited_at': '2026-02-01T09:00:00+01:00'})
        rows = self.audit_rows(v)
        self.assertEqual([row['action'] for row in rows], ['create', 'update', 'update'])
        self.assertEqual([row['actor'] for row in rows], [w.worker_a1.sub, w.supervisor_a.sub, w.worker_a1.sub])
        self.assertEqual(self.as_audited(rows[0]['after']), self.as_audited(v))
        self.assertEqual(self.as_audited(rows[1]['before']),
                         {'summary': None, 'participant_ids': [self.child['id']]})
        self.assertEqual(self.as_audited(rows[1]['after']),
                         {'summary': 'Seen at home.', 'participant_ids': changed['participant_ids']})
        self.assertEqual(self.as_audited(rows[2]['before']), {'visited_at': instant('2026-02-01T04:30:00Z')})
        self.assertEqual(self.as_audited(rows[2]['after']), {'visited_at': instant('2026-02-01T08:00:00Z')})
