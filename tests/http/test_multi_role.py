"""Tokens with several roles: an action is allowed on a record only when one
single role of the token both sees that record and may do that action. Reads
keep the union of what the roles see.

Every pair of the five roles, and all five together, against every write, on
three cases: the caller's own (assigned to its sub, in its unit), a
colleague's in the same unit, and one of another unit. The caller's unit is
unit_a. Substance use treatment referrals are not disclosed to auditors and
integrations (the default).

The expected answers are written out below, one row per token: OK is the
write's success (201 for a POST, 200 for a PATCH or PUT, 204 for a DELETE).
A refusal changes nothing: the record reads as before and no audit row names
the refused request.
"""
import harness
from base import ApiTest, Persona, World, query

OK = 'ok'
SUCCESS = {'POST': 201, 'PATCH': 200, 'PUT': 200, 'DELETE': 204}
SUD = 'substance_use_treatment'
TARGETS = ('own', 'same_unit', 'foreign')

TOKENS = {
    'caseworker+supervisor': ['caseworker', 'supervisor'],
    'caseworker+administrator': ['caseworker', 'administrator'],
    'caseworker+auditor': ['caseworker', 'auditor'],
    'caseworker+integration': ['caseworker', 'integration'],
    'supervisor+administrator': ['supervisor', 'administrator'],
    'supervisor+auditor': ['supervisor', 'auditor'],
    'supervisor+integration': ['supervisor', 'integration'],
    'administrator+auditor': ['administrator', 'auditor'],
    'administrator+integration': ['administrator', 'integration'],
    'auditor+integration': ['auditor', 'integration'],
    'all five': ['caseworker', 'supervisor', 'administrator', 'auditor', 'integration'],
}

# Writing a record under a case, or the case itself, without reassigning or
# moving it: creating participants, plans, visits, referrals, goals and
# progress notes; PATCH of the case, a participant, a draft plan, a visit; a
# referral's status move.
#                                  own  same unit  foreign
WRITE = {
    'caseworker+supervisor':     (OK,  OK,  404),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (OK,  403, 403),
    'caseworker+integration':    (OK,  OK,  OK),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (OK,  OK,  403),
    'supervisor+integration':    (OK,  OK,  OK),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (OK,  OK,  OK),
    'all five':                  (OK,  OK,  OK),
}

# POST /v1/cases assigned to the caller in its unit; to a colleague in the
# same unit; to a worker of another unit, in that unit.
CREATE_CASE = {
    'caseworker+supervisor':     (OK,  OK,  403),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (OK,  403, 403),
    'caseworker+integration':    (OK,  OK,  OK),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (OK,  OK,  403),
    'supervisor+integration':    (OK,  OK,  OK),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (OK,  OK,  OK),
    'all five':                  (OK,  OK,  OK),
}

# POST of a substance use treatment referral under the case.
CREATE_PROTECTED = {
    'caseworker+supervisor':     (OK,  OK,  404),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (OK,  403, 403),
    'caseworker+integration':    (OK,  403, 403),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (OK,  OK,  403),
    'supervisor+integration':    (OK,  OK,  403),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (403, 403, 403),
    'all five':                  (OK,  OK,  OK),
}

# PATCH of a substance use treatment referral of the case (the provider).
PATCH_PROTECTED = {
    'caseworker+supervisor':     (OK,  OK,  404),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (OK,  404, 404),
    'caseworker+integration':    (OK,  404, 404),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (OK,  OK,  404),
    'supervisor+integration':    (OK,  OK,  404),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (404, 404, 404),
    'all five':                  (OK,  OK,  OK),
}

# PATCH of a draft plan to active (approval), and PATCH of a case's
# assigned_worker to another worker of its unit (reassignment): the same rows.
APPROVE_OR_REASSIGN = {
    'caseworker+supervisor':     (OK,  OK,  404),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (403, 403, 403),
    'caseworker+integration':    (OK,  OK,  OK),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (OK,  OK,  403),
    'supervisor+integration':    (OK,  OK,  OK),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (OK,  OK,  OK),
    'all five':                  (OK,  OK,  OK),
}

# PATCH of a case's unit to a third unit, and of its case_number (the state
# system's identifier): the same rows.
MOVE_UNIT_OR_RENUMBER = {
    'caseworker+supervisor':     (403, 403, 404),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (403, 403, 403),
    'caseworker+integration':    (OK,  OK,  OK),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (403, 403, 403),
    'supervisor+integration':    (OK,  OK,  OK),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (OK,  OK,  OK),
    'all five':                  (OK,  OK,  OK),
}

# DELETE of the case.
DELETE = {
    'caseworker+supervisor':     (403, 403, 403),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (403, 403, 403),
    'caseworker+integration':    (403, 403, 403),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (403, 403, 403),
    'supervisor+integration':    (403, 403, 403),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (403, 403, 403),
    'all five':                  (OK,  OK,  OK),
}

# PUT /v1/cases/by-number/{case_number} replacing the case with its own values.
PUT_BY_NUMBER = {
    'caseworker+supervisor':     (403, 403, 403),
    'caseworker+administrator':  (OK,  OK,  OK),
    'caseworker+auditor':        (403, 403, 403),
    'caseworker+integration':    (OK,  OK,  OK),
    'supervisor+administrator':  (OK,  OK,  OK),
    'supervisor+auditor':        (403, 403, 403),
    'supervisor+integration':    (OK,  OK,  OK),
    'administrator+auditor':     (OK,  OK,  OK),
    'administrator+integration': (OK,  OK,  OK),
    'auditor+integration':       (OK,  OK,  OK),
    'all five':                  (OK,  OK,  OK),
}

# GET of the case, and of its substance use treatment referral.
READ_CASE = {
    'caseworker+supervisor':     (200, 200, 404),
    'caseworker+administrator':  (200, 200, 200),
    'caseworker+auditor':        (200, 200, 200),
    'caseworker+integration':    (200, 200, 200),
    'supervisor+administrator':  (200, 200, 200),
    'supervisor+auditor':        (200, 200, 200),
    'supervisor+integration':    (200, 200, 200),
    'administrator+auditor':     (200, 200, 200),
    'administrator+integration': (200, 200, 200),
    'auditor+integration':       (200, 200, 200),
    'all five':                  (200, 200, 200),
}
READ_PROTECTED = {
    'caseworker+supervisor':     (200, 200, 404),
    'caseworker+administrator':  (200, 200, 200),
    'caseworker+auditor':        (200, 404, 404),
    'caseworker+integration':    (200, 404, 404),
    'supervisor+administrator':  (200, 200, 200),
    'supervisor+auditor':        (200, 200, 404),
    'supervisor+integration':    (200, 200, 404),
    'administrator+auditor':     (200, 200, 200),
    'administrator+integration': (200, 200, 200),
    'auditor+integration':       (404, 404, 404),
    'all five':                  (200, 200, 200),
}

VISITED_AT = '2025-03-04T10:00:00Z'


class MultiRoleMatrix:
    """Mixed into one ApiTest per token (token names its row). The records are
    made once per class by an administrator: for each target a case with a
    parent, two draft plans (one to approve), a goal, a referral, a substance
    use treatment referral and a visit, and four bare cases to reassign, to
    move, to renumber and to delete. Each test writes records no other test writes."""

    token = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        w = cls.shared_world = World(cls.cluster)
        cls.caller = Persona(cls.cluster, harness.unique('multi'), TOKENS[cls.token], w.unit_a)
        cls.admin_token = w.administrator.token
        owners = {'own': (cls.caller.sub, w.unit_a), 'same_unit': (w.worker_a2.sub, w.unit_a),
                  'foreign': (w.worker_b1.sub, w.unit_b)}
        cls.records = {t: dict(cls.make_records(*owners[t]), target=t) for t in TARGETS}

    @classmethod
    def created(cls, path, body):
        r = cls.api.request('POST', path, token=cls.admin_token, body=body)
        if r.status != 201:
            raise AssertionError(f'setting up: POST {path}: {r}')
        return r.json()

    @classmethod
    def new_case(cls, worker, unit):
        return cls.created('/v1/cases', {'case_number': harness.unique('CN'), 'family_name': 'Family',
                                         'case_type': 'out_of_home', 'assigned_worker': worker, 'unit': unit})

    @classmethod
    def make_records(cls, worker, unit):
        case = cls.new_case(worker, unit)
        under = f'/v1/cases/{case["id"]}'
        parent = cls.created(f'{under}/participants', {'first_name': 'Pat', 'last_name': 'Family', 'role': 'parent'})
        plan = cls.created(f'{under}/plans', {})
        return {
            'case': case,
            'parent': parent,
            'plan': plan,
            'plan_to_approve': cls.created(f'{under}/plans', {}),
            'goal': cls.created(f'/v1/plans/{plan["id"]}/goals', {'description': 'Keeps a safe home'}),
            'referral': cls.created(f'{under}/service-referrals', {'service_type': 'housing', 'provider': 'P'}),
            'protected': cls.created(f'{under}/service-referrals', {'service_type': SUD, 'provider': 'P'}),
            'visit': cls.created(f'{under}/visits', {'visited_at': VISITED_AT, 'visit_type': 'caseworker_parent',
                                                     'location': 'office', 'participant_ids': [parent['id']]}),
            'to_reassign': cls.new_case(worker, unit),
            'to_move': cls.new_case(worker, unit),
            'to_renumber': cls.new_case(worker, unit),
            'to_delete': cls.new_case(worker, unit),
        }

    def setUp(self):
        self.world = self.shared_world

    # -- the matrix ---------------------------------------------------------------
    def as_admin(self, path):
        r = self.api.request('GET', path, token=self.admin_token)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assertAnswers(self, table, method, path, body=None, unchanged=None):
        """Sends method to path(records of a target) with body(records) for each
        target, expecting the table's row. After a refusal, unchanged(records),
        when given, reads as before, and no audit row names the request."""
        refused = []
        for target, expected in zip(TARGETS, table[self.token]):
            with self.subTest(target=target):
                records = self.records[target]
                before = self.as_admin(unchanged(records)) if unchanged and expected != OK else None
                r = self.request(method, path(records), self.caller, body=body(records) if body else None)
                if expected == OK:
                    self.assertEqual(r.status, SUCCESS[method], r)
                    continue
                self.assertProblem(r, expected)
                refused.append(r.header('X-Request-Id'))
                if unchanged:
                    self.assertEqual(self.as_admin(unchanged(records)), before)
        self.assertNoAuditRows(refused)

    def assertNoAuditRows(self, request_ids):
        if not request_ids:
            return
        rows = self.list_all('/v1/audit', self.world.administrator, actor=self.caller.sub)
        self.assertEqual([row for row in rows if row['request_id'] in request_ids], [])

    # -- creating -------------------------------------------------------------------
    def test_create_case(self):
        w = self.world
        bodies = {'own': {}, 'same_unit': {'assigned_worker': w.worker_a2.sub, 'unit': w.unit_a},
                  'foreign': {'assigned_worker': w.worker_b1.sub, 'unit': w.unit_b}}
        numbers = {t: harness.unique('CN') for t in TARGETS}

        def body(rec):
            return dict(bodies[rec['target']], case_number=numbers[rec['target']], family_name='New',
                        case_type='in_home')

        self.assertAnswers(CREATE_CASE, 'POST', lambda _: '/v1/cases', body)
        for target, expected in zip(TARGETS, CREATE_CASE[self.token]):
            r = self.request('GET', f'/v1/cases/by-number/{numbers[target]}', self.world.administrator)
            self.assertEqual(r.status, 200 if expected == OK else 404, (target, r))

    def test_create_participant(self):
        self.assertAnswers(WRITE, 'POST', lambda rec: f'/v1/cases/{rec["case"]["id"]}/participants',
                           lambda _: {'first_name': 'Kim', 'last_name': 'Family', 'role': 'relative'})

    def test_create_plan(self):
        self.assertAnswers(WRITE, 'POST', lambda rec: f'/v1/cases/{rec["case"]["id"]}/plans', lambda _: {})

    def test_create_visit(self):
        self.assertAnswers(WRITE, 'POST', lambda rec: f'/v1/cases/{rec["case"]["id"]}/visits',
                           lambda rec: {'visited_at': VISITED_AT, 'visit_type': 'caseworker_parent',
                                        'location': 'parent_home', 'participant_ids': [rec['parent']['id']]})

    def test_create_referral(self):
        self.assertAnswers(WRITE, 'POST', lambda rec: f'/v1/cases/{rec["case"]["id"]}/service-referrals',
                           lambda _: {'service_type': 'parenting', 'provider': 'Q'})

    def test_create_goal(self):
        self.assertAnswers(WRITE, 'POST', lambda rec: f'/v1/plans/{rec["plan"]["id"]}/goals',
                           lambda _: {'description': 'Attends every school day'})

    def test_create_progress_note(self):
        self.assertAnswers(WRITE, 'POST', lambda rec: f'/v1/goals/{rec["goal"]["id"]}/progress',
                           lambda _: {'note': 'Two weeks without a missed day'})

    def test_create_protected_referral(self):
        self.assertAnswers(CREATE_PROTECTED, 'POST', lambda rec: f'/v1/cases/{rec["case"]["id"]}/service-referrals',
                           lambda _: {'service_type': SUD, 'provider': 'Q'})

    # -- changing ---------------------------------------------------------------------
    def test_patch_case(self):
        path = lambda rec: f'/v1/cases/{rec["case"]["id"]}'  # noqa: E731
        self.assertAnswers(WRITE, 'PATCH', path, lambda _: {'family_name': 'Renamed'}, path)

    def test_patch_participant(self):
        path = lambda rec: f'/v1/participants/{rec["parent"]["id"]}'  # noqa: E731
        self.assertAnswers(WRITE, 'PATCH', path, lambda _: {'first_name': 'Sam'}, path)

    def test_patch_plan(self):
        path = lambda rec: f'/v1/plans/{rec["plan"]["id"]}'  # noqa: E731
        self.assertAnswers(WRITE, 'PATCH', path, lambda _: {'needs': 'Stable housing'}, path)

    def test_patch_visit(self):
        path = lambda rec: f'/v1/visits/{rec["visit"]["id"]}'  # noqa: E731
        self.assertAnswers(WRITE, 'PATCH', path, lambda _: {'summary': 'Talked about school'}, path)

    def test_move_referral_status(self):
        path = lambda rec: f'/v1/service-referrals/{rec["referral"]["id"]}'  # noqa: E731
        self.assertAnswers(WRITE, 'PATCH', path, lambda _: {'status': 'accepted'}, path)

    def test_patch_protected_referral(self):
        path = lambda rec: f'/v1/service-referrals/{rec["protected"]["id"]}'  # noqa: E731
        self.assertAnswers(PATCH_PROTECTED, 'PATCH', path, lambda _: {'provider': 'Another clinic'}, path)

    def test_approve_plan(self):
        path = lambda rec: f'/v1/plans/{rec["plan_to_approve"]["id"]}'  # noqa: E731
        self.assertAnswers(APPROVE_OR_REASSIGN, 'PATCH', path, lambda _: {'status': 'active'}, path)

    def test_reassign_case(self):
        path = lambda rec: f'/v1/cases/{rec["to_reassign"]["id"]}'  # noqa: E731
        self.assertAnswers(APPROVE_OR_REASSIGN, 'PATCH', path,
                           lambda _: {'assigned_worker': f'{self.world.unit_a}-new-worker'}, path)

    def test_move_case_to_another_unit(self):
        path = lambda rec: f'/v1/cases/{rec["to_move"]["id"]}'  # noqa: E731
        self.assertAnswers(MOVE_UNIT_OR_RENUMBER, 'PATCH', path, lambda _: {'unit': f'{self.world.unit_a}-c'}, path)

    def test_renumber_case(self):
        path = lambda rec: f'/v1/cases/{rec["to_renumber"]["id"]}'  # noqa: E731
        self.assertAnswers(MOVE_UNIT_OR_RENUMBER, 'PATCH', path, lambda _: {'case_number': harness.unique('CN')}, path)

    def test_delete_case(self):
        path = lambda rec: f'/v1/cases/{rec["to_delete"]["id"]}'  # noqa: E731
        self.assertAnswers(DELETE, 'DELETE', path, None, path)

    def test_put_case_by_number(self):
        def body(rec):
            case = rec['case']
            return {'family_name': case['family_name'], 'case_type': case['case_type'],
                    'assigned_worker': case['assigned_worker'], 'unit': case['unit']}

        self.assertAnswers(PUT_BY_NUMBER, 'PUT', lambda rec: f'/v1/cases/by-number/{rec["case"]["case_number"]}',
                           body, lambda rec: f'/v1/cases/{rec["case"]["id"]}')

    # -- reading ------------------------------------------------------------------------
    def test_reads_keep_the_union(self):
        for target, case_status, protected_status in zip(TARGETS, READ_CASE[self.token], READ_PROTECTED[self.token]):
            with self.subTest(target=target):
                records = self.records[target]
                case_id = records['case']['id']
                self.assertEqual(self.request('GET', f'/v1/cases/{case_id}', self.caller).status, case_status)
                r = self.request('GET', f'/v1/service-referrals/{records["protected"]["id"]}', self.caller)
                self.assertEqual(r.status, protected_status, r)
                if case_status == 200:
                    listed = self.list_ids(query('/v1/service-referrals', case_id=case_id), self.caller)
                    self.assertIn(records['referral']['id'], listed)
                    self.assertEqual(records['protected']['id'] in listed, protected_status == 200)


def class_name(token):
    roles = TOKENS[token]
    return ('AllFiveRoles' if len(roles) == 5 else ''.join(r.title() for r in roles)) + 'TokenTest'


for _token in TOKENS:
    globals()[class_name(_token)] = type(class_name(_token), (MultiRoleMatrix, ApiTest), {'token': _token})
del _token


class IssueReproductionTest(ApiTest):
    """The holes as they were found: each now answers 403 and changes nothing."""

    def setUp(self):
        super().setUp()
        w = self.world
        self.case = self.create_case(w.worker_a1)
        self.parent = self.post(f'/v1/cases/{self.case["id"]}/participants',
                                {'first_name': 'Pat', 'last_name': 'Family', 'role': 'parent'})
        self.visit = self.post(f'/v1/cases/{self.case["id"]}/visits',
                               {'visited_at': VISITED_AT, 'visit_type': 'caseworker_parent', 'location': 'office',
                                'participant_ids': [self.parent['id']]})
        self.protected = self.post(f'/v1/cases/{self.case["id"]}/service-referrals',
                                   {'service_type': SUD, 'provider': 'Clinic'})

    def post(self, path, body):
        r = self.request('POST', path, self.world.worker_a1, body=body)
        self.assertEqual(r.status, 201, r)
        return r.json()

    def persona(self, roles, unit):
        return Persona(self.cluster, harness.unique('multi'), roles, unit)

    def current(self, path):
        r = self.request('GET', path, self.world.administrator)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def assertRefusedAndUnchanged(self, who, method, path, body, record_path):
        before = self.current(record_path)
        r = self.request(method, path, who, body=body)
        self.assertProblem(r, 403)
        self.assertEqual(self.current(record_path), before)
        rows = self.list_all('/v1/audit', self.world.administrator, actor=who.sub)
        self.assertEqual(rows, [])

    def test_caseworker_auditor_cannot_patch_a_case_it_only_audits(self):
        who = self.persona(['caseworker', 'auditor'], self.world.unit_b)
        path = f'/v1/cases/{self.case["id"]}'
        self.assertRefusedAndUnchanged(who, 'PATCH', path, {'family_name': 'Changed'}, path)

    def test_caseworker_auditor_cannot_add_participants_to_a_case_it_only_audits(self):
        who = self.persona(['caseworker', 'auditor'], self.world.unit_a)
        under = f'/v1/cases/{self.case["id"]}/participants'
        before = self.list_ids(under, self.world.administrator)
        self.assertRefusedAndUnchanged(who, 'POST', under, {'first_name': 'X', 'last_name': 'Y', 'role': 'other'},
                                       f'/v1/cases/{self.case["id"]}')
        self.assertEqual(self.list_ids(under, self.world.administrator), before)

    def test_caseworker_auditor_cannot_change_visits_of_a_case_it_only_audits(self):
        who = self.persona(['caseworker', 'auditor'], None)
        path = f'/v1/visits/{self.visit["id"]}'
        self.assertRefusedAndUnchanged(who, 'PATCH', path, {'summary': 'Rewritten'}, path)

    def test_supervisor_auditor_cannot_reassign_another_units_case_to_reach_its_protected_referrals(self):
        w = self.world
        who = self.persona(['supervisor', 'auditor'], w.unit_b)
        path = f'/v1/cases/{self.case["id"]}'
        self.assertRefusedAndUnchanged(who, 'PATCH', path, {'assigned_worker': w.worker_b1.sub}, path)
        r = self.request('GET', f'/v1/service-referrals/{self.protected["id"]}', w.worker_b1)
        self.assertProblem(r, 404)
        r = self.request('GET', f'/v1/service-referrals/{self.protected["id"]}', who)
        self.assertProblem(r, 404)
