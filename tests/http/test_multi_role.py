"""Tokens with several roles: an action is allowed on a record only when one
single role of the token both sees that record and may do that action. Reads
keep the union of what the roles see.

Every pair of the five roles, and all five together, against every write, on
three cases: the caller's own (assigned to its sub, in its unit), a
colleague's in the same unit, and one of another unit. The caller's unit is
unit_a. Substance use treatment referrals are not disclosed to auditors and
integrations (the default).

The expected answers are written out below, one row per token and a column
per kind of request (ANSWERS). A refusal changes nothing: the record reads as before and no audit row names
the refused request.
"""
import harness
from base import ApiTest, Persona, World, query

OK = 'ok'
SUCCESS = {'POST': 201, 'PATCH': 200, 'PUT': 200, 'DELETE': 204, 'GET': 200}
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

# The columns of ANSWERS, one a kind of request:
#   write       writing a record under a case, or the case itself, without
#               reassigning or moving it: creating participants, plans, visits,
#               referrals, goals and progress notes; PATCH of the case, a
#               participant, a draft plan, a visit; a referral's status move
#   create      POST /v1/cases assigned to the caller in its unit; to a colleague
#               in the same unit; to a worker of another unit, in that unit
#   sud+        POST of a substance use treatment referral under the case
#   sud~        PATCH of a substance use treatment referral of the case (the provider)
#   approve     PATCH of a draft plan to active (approval), and of a case's
#               assigned_worker to another worker of its unit (reassignment)
#   move        PATCH of a case's unit to a third unit, and of its case_number
#               (the state system's identifier)
#   delete      DELETE of the case
#   put         PUT /v1/cases/by-number/{case_number} with the case's own values
#   read        GET of the case
#   sud         GET of its substance use treatment referral
COLUMNS = ('write', 'create', 'sud+', 'sud~', 'approve', 'move', 'delete', 'put', 'read', 'sud')

# One row per token, a cell per column: the answers on the three targets, the
# caller's own case, a colleague's and another unit's. '+' is the request's
# success (201 for a POST, 200 for a PATCH, PUT or GET, 204 for a DELETE); '3'
# is 403 and '4' is 404.
#                                 write   create  sud+    sud~    approve move    delete  put     read    sud
ANSWERS = {
    'caseworker+supervisor':     '++4     ++3     ++4     ++4     ++4     334     333     333     ++4     ++4',
    'caseworker+administrator':  '+++     +++     +++     +++     +++     +++     +++     +++     +++     +++',
    'caseworker+auditor':        '+33     +33     +33     +44     333     333     333     333     +++     +44',
    'caseworker+integration':    '+++     +++     +33     +44     +++     +++     333     +++     +++     +44',
    'supervisor+administrator':  '+++     +++     +++     +++     +++     +++     +++     +++     +++     +++',
    'supervisor+auditor':        '++3     ++3     ++3     ++4     ++3     333     333     333     +++     ++4',
    'supervisor+integration':    '+++     +++     ++3     ++4     +++     +++     333     +++     +++     ++4',
    'administrator+auditor':     '+++     +++     +++     +++     +++     +++     +++     +++     +++     +++',
    'administrator+integration': '+++     +++     +++     +++     +++     +++     +++     +++     +++     +++',
    'auditor+integration':       '+++     +++     333     444     +++     +++     333     +++     +++     444',
    'all five':                  '+++     +++     +++     +++     +++     +++     +++     +++     +++     +++',
}


def answers(token, column):
    """The answers of a column of ANSWERS for a token, one per target: OK or a status."""
    cell = ANSWERS[token].split()[COLUMNS.index(column)]
    return tuple(OK if c == '+' else 400 + int(c) for c in cell)


VISITED_AT = '2025-03-04T10:00:00Z'


def under(kind):
    """The path of the records of kind under a target's case."""
    return lambda rec: f'/v1/cases/{rec["case"]["id"]}/{kind}'


def at(kind, record, below=''):
    """The path of one of a target's records (and of what is below it)."""
    return lambda rec: f'/v1/{kind}/{rec[record]["id"]}{below}'


# The requests of the matrix: the test's name, the column that has the answers,
# the method, the path on a target's records, and the body (a callable of the
# test and the target's records, when it depends on them). After a refusal of
# a PATCH or a DELETE, the record reads as before.
REQUESTS = (
    ('create_participant', 'write', 'POST', under('participants'),
     {'first_name': 'Kim', 'last_name': 'Family', 'role': 'relative'}),
    ('create_plan', 'write', 'POST', under('plans'), {}),
    ('create_visit', 'write', 'POST', under('visits'),
     lambda t, rec: {'visited_at': VISITED_AT, 'visit_type': 'caseworker_parent', 'location': 'parent_home',
                     'participant_ids': [rec['parent']['id']]}),
    ('create_referral', 'write', 'POST', under('service-referrals'), {'service_type': 'parenting', 'provider': 'Q'}),
    ('create_goal', 'write', 'POST', at('plans', 'plan', '/goals'), {'description': 'Attends every school day'}),
    ('create_progress_note', 'write', 'POST', at('goals', 'goal', '/progress'),
     {'note': 'Two weeks without a missed day'}),
    ('create_protected_referral', 'sud+', 'POST', under('service-referrals'), {'service_type': SUD, 'provider': 'Q'}),
    ('patch_case', 'write', 'PATCH', at('cases', 'case'), {'family_name': 'Renamed'}),
    ('patch_participant', 'write', 'PATCH', at('participants', 'parent'), {'first_name': 'Sam'}),
    ('patch_plan', 'write', 'PATCH', at('plans', 'plan'), {'needs': 'Stable housing'}),
    ('patch_visit', 'write', 'PATCH', at('visits', 'visit'), {'summary': 'Talked about school'}),
    ('move_referral_status', 'write', 'PATCH', at('service-referrals', 'referral'), {'status': 'accepted'}),
    ('patch_protected_referral', 'sud~', 'PATCH', at('service-referrals', 'protected'), {'provider': 'Another clinic'}),
    ('approve_plan', 'approve', 'PATCH', at('plans', 'plan_to_approve'), {'status': 'active'}),
    ('reassign_case', 'approve', 'PATCH', at('cases', 'to_reassign'),
     lambda t, rec: {'assigned_worker': f'{t.world.unit_a}-new-worker'}),
    ('move_case_to_another_unit', 'move', 'PATCH', at('cases', 'to_move'),
     lambda t, rec: {'unit': f'{t.world.unit_a}-c'}),
    ('renumber_case', 'move', 'PATCH', at('cases', 'to_renumber'),
     lambda t, rec: {'case_number': harness.unique('CN')}),
    ('delete_case', 'delete', 'DELETE', at('cases', 'to_delete'), None),
)


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
    def assertAnswers(self, column, method, path, body=None, unchanged=None):
        """Sends method to path(records of a target) with body (or body(self,
        records)) for each target, expecting the token's answers in column.
        After a refusal, unchanged(records), when given, reads as before, and
        no audit row names the request."""
        refused = []
        for target, expected in zip(TARGETS, answers(self.token, column)):
            with self.subTest(target=target):
                records = self.records[target]
                before = self.read(unchanged(records)) if unchanged and expected != OK else None
                sent = body(self, records) if callable(body) else body
                r = self.request(method, path(records), self.caller, body=sent)
                if expected == OK:
                    self.assertEqual(r.status, SUCCESS[method], r)
                    continue
                self.assertProblem(r, expected)
                refused.append(r.header('X-Request-Id'))
                if unchanged:
                    self.assertEqual(self.read(unchanged(records)), before)
        self.assertNoAuditRows(refused)

    def assertNoAuditRows(self, request_ids):
        if not request_ids:
            return
        rows = self.list_all('/v1/audit', self.world.administrator, actor=self.caller.sub)
        self.assertEqual([row for row in rows if row['request_id'] in request_ids], [])

    # -- the requests of REQUESTS are tests of their own (below the class); then
    # -- those whose checks go further ------------------------------------------------
    def test_create_case(self):
        w = self.world
        bodies = {'own': {}, 'same_unit': {'assigned_worker': w.worker_a2.sub, 'unit': w.unit_a},
                  'foreign': {'assigned_worker': w.worker_b1.sub, 'unit': w.unit_b}}
        numbers = {t: harness.unique('CN') for t in TARGETS}

        def body(_, rec):
            return dict(bodies[rec['target']], case_number=numbers[rec['target']], family_name='New',
                        case_type='in_home')

        self.assertAnswers('create', 'POST', lambda _: '/v1/cases', body)
        for target, expected in zip(TARGETS, answers(self.token, 'create')):
            r = self.request('GET', f'/v1/cases/by-number/{numbers[target]}', self.world.administrator)
            self.assertEqual(r.status, 200 if expected == OK else 404, (target, r))

    def test_put_case_by_number(self):
        def body(_, rec):
            case = rec['case']
            return {'family_name': case['family_name'], 'case_type': case['case_type'],
                    'assigned_worker': case['assigned_worker'], 'unit': case['unit']}

        self.assertAnswers('put', 'PUT', lambda rec: f'/v1/cases/by-number/{rec["case"]["case_number"]}',
                           body, at('cases', 'case'))

    def test_reads_keep_the_union(self):
        for target, case_answer, protected_answer in zip(TARGETS, answers(self.token, 'read'),
                                                         answers(self.token, 'sud')):
            with self.subTest(target=target):
                records = self.records[target]
                case_id = records['case']['id']
                r = self.request('GET', f'/v1/cases/{case_id}', self.caller)
                self.assertEqual(r.status, SUCCESS['GET'] if case_answer == OK else case_answer, r)
                r = self.request('GET', f'/v1/service-referrals/{records["protected"]["id"]}', self.caller)
                self.assertEqual(r.status, SUCCESS['GET'] if protected_answer == OK else protected_answer, r)
                if case_answer == OK:
                    listed = self.list_ids(query('/v1/service-referrals', case_id=case_id), self.caller)
                    self.assertIn(records['referral']['id'], listed)
                    self.assertEqual(records['protected']['id'] in listed, protected_answer == OK)


def request_test(column, method, path, body):
    def test(self):
        self.assertAnswers(column, method, path, body, None if method == 'POST' else path)
    return test


for _name, *_request in REQUESTS:
    setattr(MultiRoleMatrix, f'test_{_name}', request_test(*_request))
del _name, _request


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
        return self.posted(path, body, self.world.worker_a1)

    def persona(self, roles, unit):
        return Persona(self.cluster, harness.unique('multi'), roles, unit)

    def assertRefusedAndUnchanged(self, who, method, path, body, record_path):
        before = self.read(record_path)
        r = self.request(method, path, who, body=body)
        self.assertProblem(r, 403)
        self.assertEqual(self.read(record_path), before)
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
