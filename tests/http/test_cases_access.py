"""Record-level access to cases: each role against its own, a colleague's, its
unit's and another unit's records, on every case endpoint.

A record the caller may not see answers 404 exactly like one that does not
exist, and never appears in a list; a role that may see a record but not do
the action gets 403.
"""
import harness
from base import MISSING, Persona, query
from test_cases_rules import CaseTest


class CaseAccessTest(CaseTest):
    def setUp(self):
        super().setUp()
        w = self.world
        self.case_a1 = self.create_case(w.worker_a1)
        self.case_a2 = self.create_case(w.worker_a2)
        self.case_b1 = self.create_case(w.worker_b1)

    # -- helpers ------------------------------------------------------------
    def world_ids(self, who):
        """The ids of this world's cases in who's list (both units, and the caller's own caseload)."""
        w = self.world
        ids = []
        for params in ({'unit': w.unit_a}, {'unit': w.unit_b}, {}):
            ids += self.list_ids('/v1/cases', who, **params)
        return set(ids)

    def assertSees(self, who, case):
        r = self.request('GET', self.item_path(case), who)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['id'], case['id'])
        self.assertEqual(r.header('ETag'), f'"{r.json()["version"]}"')
        r = self.request('GET', self.item_path(case) + '/permanency-goals', who)
        self.assertEqual(r.status, 200, r)
        self.assertIn(case['id'], self.world_ids(who))

    def assertCannotSee(self, who, case):
        """GET, permanency goals and PATCH answer 404, and no list holds the case."""
        before = self.current(case)
        self.assertProblem(self.request('GET', self.item_path(case), who), 404)
        self.assertProblem(self.request('GET', self.item_path(case) + '/permanency-goals', who), 404)
        r = self.request('PATCH', self.item_path(case), who, body={'family_name': 'Changed'})
        self.assertProblem(r, 404)
        self.assertNotIn(case['id'], self.world_ids(who))
        for params in ({'assigned_worker': case['assigned_worker']}, {'unit': case['unit']},
                       {'status': case['status']}):
            self.assertNotIn(case['id'], self.list_ids('/v1/cases', who, **params), params)
        self.assertEqual(self.current(case), before)

    def assertUpdates(self, who, case):
        r = self.request('PATCH', self.item_path(case), who, body={'family_name': harness.unique('Renamed')})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['version'], case['version'] + 1)

    # -- caseworker -----------------------------------------------------------
    def test_caseworker_sees_and_updates_own_case(self):
        w = self.world.worker_a1
        self.assertSees(w, self.case_a1)
        self.assertUpdates(w, self.case_a1)

    def test_caseworker_list_holds_only_own_caseload(self):
        self.assertEqual(self.world_ids(self.world.worker_a1), {self.case_a1['id']})
        self.assertEqual(self.list_ids('/v1/cases', self.world.worker_a1), [self.case_a1['id']])

    def test_caseworker_cannot_see_other_caseload_in_same_unit(self):
        self.assertCannotSee(self.world.worker_a1, self.case_a2)

    def test_caseworker_cannot_see_other_unit(self):
        self.assertCannotSee(self.world.worker_a1, self.case_b1)

    def test_invisible_case_answers_exactly_like_a_missing_one(self):
        w = self.world.worker_a1
        for suffix in ('',) + self.reads_under:
            self.assertSameProblem(self.request('GET', self.item_path(self.case_b1) + suffix, w),
                                   self.request('GET', self.item_path({'id': MISSING}) + suffix, w))
        self.assertSameProblem(self.patch(self.case_b1, {'family_name': 'X'}, w),
                               self.patch({'id': MISSING}, {'family_name': 'X'}, w))

    def test_caseworker_cannot_delete(self):
        w = self.world.worker_a1
        for case in (self.case_a1, self.case_a2, self.case_b1):
            with self.subTest(case=case['id']):
                self.assertProblem(self.request('DELETE', self.item_path(case), w), 403)
        self.assertProblem(self.request('DELETE', f'/v1/cases/{MISSING}', w), 403)
        self.assertEqual(self.request('GET', self.item_path(self.case_a1), w).status, 200)

    def test_caseworker_creates_case_assigned_to_self_in_own_unit(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        self.assertEqual(case['assigned_worker'], w.sub)
        self.assertEqual(case['unit'], self.world.unit_a)
        case = self.create_case(w, assigned_worker=w.sub, unit=self.world.unit_a)
        self.assertEqual(case['assigned_worker'], w.sub)

    def test_caseworker_cannot_create_case_assigned_to_someone_else(self):
        w = self.world
        for other in (w.worker_a2.sub, w.supervisor_a.sub, w.worker_b1.sub):
            with self.subTest(assigned_worker=other):
                r = self.request('POST', '/v1/cases', w.worker_a1,
                                 body={'case_number': harness.unique('CN'), 'family_name': 'F',
                                       'case_type': 'in_home', 'assigned_worker': other})
                self.assertProblem(r, 403)
        self.assertEqual(self.list_ids('/v1/cases', w.supervisor_a, assigned_worker=w.worker_a2.sub),
                         [self.case_a2['id']])

    def test_caseworker_cannot_create_case_in_other_unit(self):
        w = self.world
        for unit in (w.unit_b, None):
            with self.subTest(unit=unit):
                r = self.request('POST', '/v1/cases', w.worker_a1,
                                 body={'case_number': harness.unique('CN'), 'family_name': 'F',
                                       'case_type': 'in_home', 'unit': unit})
                self.assertProblem(r, 403)
        self.assertEqual(self.list_ids('/v1/cases', w.worker_a1), [self.case_a1['id']])

    def test_caseworker_cannot_reassign_own_case(self):
        w = self.world
        r = self.request('PATCH', self.item_path(self.case_a1), w.worker_a1,
                         body={'assigned_worker': w.worker_a2.sub})
        self.assertProblem(r, 403)
        self.assertEqual(self.current(self.case_a1), self.case_a1)

    def test_caseworker_may_patch_assigned_worker_to_its_current_value(self):
        w = self.world
        r = self.request('PATCH', self.item_path(self.case_a1), w.worker_a1,
                         body={'assigned_worker': w.worker_a1.sub, 'family_name': 'Renamed'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['assigned_worker'], w.worker_a1.sub)
        self.assertEqual(r.json()['family_name'], 'Renamed')

    def test_caseworker_cannot_move_case_to_other_unit(self):
        w = self.world
        for unit in (w.unit_b, None):
            with self.subTest(unit=unit):
                r = self.request('PATCH', self.item_path(self.case_a1), w.worker_a1, body={'unit': unit})
                self.assertProblem(r, 403)
        r = self.request('PATCH', self.item_path(self.case_a1), w.worker_a1, body={'unit': w.unit_a})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.current(self.case_a1), self.case_a1)

    # -- supervisor -------------------------------------------------------------
    def test_supervisor_sees_and_updates_every_case_of_their_unit(self):
        s = self.world.supervisor_a
        for case in (self.case_a1, self.case_a2):
            with self.subTest(case=case['assigned_worker']):
                self.assertSees(s, case)
                self.assertUpdates(s, case)

    def test_supervisor_list_holds_exactly_their_unit(self):
        s = self.world.supervisor_a
        self.assertEqual(self.world_ids(s), {self.case_a1['id'], self.case_a2['id']})
        self.assertEqual(sorted(self.list_ids('/v1/cases', s)), sorted([self.case_a1['id'], self.case_a2['id']]))

    def test_supervisor_cannot_see_other_unit(self):
        self.assertCannotSee(self.world.supervisor_a, self.case_b1)
        self.assertCannotSee(self.world.supervisor_b, self.case_a1)

    def test_supervisor_cannot_delete(self):
        s = self.world.supervisor_a
        for case in (self.case_a1, self.case_b1):
            with self.subTest(case=case['id']):
                self.assertProblem(self.request('DELETE', self.item_path(case), s), 403)
        self.assertEqual(self.request('GET', self.item_path(self.case_a1), s).status, 200)

    def test_supervisor_reassigns_within_unit(self):
        w = self.world
        r = self.request('PATCH', self.item_path(self.case_a1), w.supervisor_a,
                         body={'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['assigned_worker'], w.worker_a2.sub)
        self.assertEqual(r.json()['unit'], w.unit_a)
        self.assertProblem(self.request('GET', self.item_path(self.case_a1), w.worker_a1), 404)
        self.assertEqual(self.request('GET', self.item_path(self.case_a1), w.worker_a2).status, 200)
        self.assertEqual(sorted(self.list_ids('/v1/cases', w.worker_a2)),
                         sorted([self.case_a1['id'], self.case_a2['id']]))
        self.assertEqual(self.list_ids('/v1/cases', w.worker_a1), [])

    def test_supervisor_creates_case_for_a_worker_of_the_unit(self):
        w = self.world
        case = self.create_case(w.supervisor_a, assigned_worker=w.worker_a1.sub)
        self.assertEqual(case['assigned_worker'], w.worker_a1.sub)
        self.assertEqual(case['unit'], w.unit_a)
        self.assertEqual(self.request('GET', self.item_path(case), w.worker_a1).status, 200)
        own = self.create_case(w.supervisor_a)
        self.assertEqual((own['assigned_worker'], own['unit']), (w.supervisor_a.sub, w.unit_a))

    def test_supervisor_cannot_move_case_to_other_unit(self):
        w = self.world
        r = self.request('PATCH', self.item_path(self.case_a1), w.supervisor_a, body={'unit': w.unit_b})
        self.assertProblem(r, 403)
        r = self.request('POST', '/v1/cases', w.supervisor_a,
                         body={'case_number': harness.unique('CN'), 'family_name': 'F',
                               'case_type': 'in_home', 'unit': w.unit_b})
        self.assertProblem(r, 403)
        self.assertEqual(self.current(self.case_a1), self.case_a1)
        self.assertEqual(self.list_ids('/v1/cases', w.supervisor_b), [self.case_b1['id']])

    # -- administrator, auditor, integration ----------------------------------
    def test_agency_wide_roles_see_every_case(self):
        w = self.world
        everything = {self.case_a1['id'], self.case_a2['id'], self.case_b1['id']}
        for who in (w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                for case in (self.case_a1, self.case_a2, self.case_b1):
                    self.assertSees(who, case)
                self.assertTrue(everything <= self.world_ids(who))

    def test_administrator_and_integration_update_any_case(self):
        w = self.world
        for who in (w.administrator, w.integration):
            for case in (self.case_a1, self.case_b1):
                with self.subTest(role=who.role, case=case['assigned_worker']):
                    self.assertUpdates(who, self.current(case))

    def test_administrator_and_integration_create_cases_for_anyone(self):
        w = self.world
        for who in (w.administrator, w.integration):
            with self.subTest(role=who.role):
                case = self.create_case(who, assigned_worker=w.worker_b1.sub, unit=w.unit_b)
                self.assertEqual((case['assigned_worker'], case['unit']), (w.worker_b1.sub, w.unit_b))
                self.assertEqual(self.request('GET', self.item_path(case), w.worker_b1).status, 200)
                self.assertIn(case['id'], self.list_ids('/v1/cases', w.supervisor_b))
                own = self.create_case(who)
                self.assertEqual((own['assigned_worker'], own['unit']), (who.sub, None))

    def test_administrator_and_integration_move_case_to_other_unit(self):
        w = self.world
        r = self.request('PATCH', self.item_path(self.case_a1), w.administrator, body={'unit': w.unit_b})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['unit'], w.unit_b)
        self.assertProblem(self.request('GET', self.item_path(self.case_a1), w.supervisor_a), 404)
        self.assertEqual(self.request('GET', self.item_path(self.case_a1), w.supervisor_b).status, 200)
        r = self.request('PATCH', self.item_path(self.case_a1), w.integration,
                         body={'unit': w.unit_a, 'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()['unit'], r.json()['assigned_worker']), (w.unit_a, w.worker_a2.sub))

    def test_auditor_gets_403_on_every_write(self):
        w = self.world
        a = w.auditor
        body = {'case_number': harness.unique('CN'), 'family_name': 'F', 'case_type': 'in_home'}
        self.assertProblem(self.request('POST', '/v1/cases', a, body=body), 403)
        self.assertProblem(self.request('POST', '/v1/cases', a,
                                        body=dict(body, assigned_worker=w.worker_a1.sub, unit=w.unit_a)), 403)
        for case in (self.case_a1, self.case_b1):
            with self.subTest(case=case['id']):
                self.assertProblem(self.request('PATCH', self.item_path(case), a, body={'family_name': 'X'}), 403)
                self.assertProblem(self.request('PATCH', self.item_path(case), a, body={}), 403)
                self.assertProblem(self.request('DELETE', self.item_path(case), a), 403)
                self.assertEqual(self.current(case), case)
        self.assertProblem(self.request('PATCH', f'/v1/cases/{MISSING}', a, body={'family_name': 'X'}), 403)
        self.assertProblem(self.request('DELETE', f'/v1/cases/{MISSING}', a), 403)
        stored = self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{body['case_number']}'")
        self.assertEqual(stored.strip(), '0')

    def test_caseworker_and_supervisor_cannot_change_the_case_number(self):
        w = self.world
        for who in (w.worker_a1, w.supervisor_a):
            with self.subTest(role=who.role):
                r = self.request('PATCH', self.item_path(self.case_a1), who,
                                 body={'case_number': harness.unique('CN')})
                self.assertProblem(r, 403)
                r = self.request('PATCH', self.item_path(self.case_a1), who,
                                 body={'case_number': self.case_a1['case_number'],
                                       'family_name': f'Same number, {who.role}'})
                self.assertEqual(r.status, 200, r)
        self.assertEqual(self.current(self.case_a1)['case_number'], self.case_a1['case_number'])
        rows = self.list_all('/v1/audit', w.administrator, resource_id=self.case_a1['id'])
        self.assertEqual([row['action'] for row in rows], ['create', 'update', 'update'])

    def test_administrator_and_integration_change_the_case_number(self):
        w = self.world
        for who, case in ((w.administrator, self.case_a1), (w.integration, self.case_b1)):
            with self.subTest(role=who.role):
                number = harness.unique('CN')
                r = self.request('PATCH', self.item_path(case), who, body={'case_number': number})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json()['case_number'], number)
                r = self.request('GET', f'/v1/cases/by-number/{number}', w.administrator)
                self.assertEqual(r.json()['id'], case['id'])

    # -- delete -----------------------------------------------------------------
    def test_deleted_case_keeps_its_permanency_goal_history_in_the_database(self):
        r = self.request('DELETE', self.item_path(self.case_a1), self.world.administrator)
        self.assertEqual(r.status, 204, r)
        row = self.cluster.psql(
            "SELECT case_number, family_name, deleted_at IS NOT NULL FROM cases "
            f"WHERE id = '{self.case_a1['id']}'").strip()
        self.assertEqual(row, f"{self.case_a1['case_number']}|{self.case_a1['family_name']}|t")
        goals = self.cluster.psql(
            f"SELECT count(*) FROM case_permanency_goals WHERE case_id = '{self.case_a1['id']}'").strip()
        self.assertEqual(goals, '1')

    def test_caseworker_supervisor_token_sees_own_caseload_and_unit(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('worker-supervisor'), ['caseworker', 'supervisor'], w.unit_a)
        own_elsewhere = self.create_case(w.administrator, assigned_worker=both.sub, unit=w.unit_b)
        created = self.create_case(both)
        self.assertEqual((created['assigned_worker'], created['unit']), (both.sub, w.unit_a))
        for case in (self.case_a1, self.case_a2, own_elsewhere, created):
            with self.subTest(case=case['id']):
                self.assertSees(both, case)
                self.assertUpdates(both, self.current(case))
        self.assertCannotSee(both, self.case_b1)
        self.assertEqual(sorted(self.list_ids('/v1/cases', both)),
                         sorted([self.case_a1['id'], self.case_a2['id'], own_elsewhere['id'], created['id']]))
        r = self.request('PATCH', self.item_path(self.case_a1), both, body={'assigned_worker': w.worker_a2.sub})
        self.assertEqual(r.status, 200, r)
        self.assertProblem(self.request('DELETE', self.item_path(self.case_a1), both), 403)

    # -- filters never widen what a list shows ---------------------------------
    def test_caseworker_filtering_by_another_worker_gets_an_empty_list(self):
        w = self.world
        for worker in (w.worker_a2.sub, w.worker_b1.sub):
            with self.subTest(assigned_worker=worker):
                r = self.request('GET', query('/v1/cases', assigned_worker=worker), w.worker_a1)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), {'items': [], 'next_cursor': None})

    def test_caseworker_filtering_by_unit_sees_only_own_caseload(self):
        w = self.world
        self.assertEqual(self.list_ids('/v1/cases', w.worker_a1, unit=w.unit_a), [self.case_a1['id']])
        self.assertEqual(self.list_ids('/v1/cases', w.worker_a1, unit=w.unit_b), [])
        self.assertEqual(self.list_ids('/v1/cases', w.worker_a1, status='open'), [self.case_a1['id']])

    def test_supervisor_filtering_by_other_unit_gets_an_empty_list(self):
        w = self.world
        self.assertEqual(self.list_ids('/v1/cases', w.supervisor_a, unit=w.unit_b), [])
        self.assertEqual(self.list_ids('/v1/cases', w.supervisor_a, assigned_worker=w.worker_b1.sub), [])
        self.assertEqual(self.list_ids('/v1/cases', w.supervisor_a, assigned_worker=w.worker_a2.sub),
                         [self.case_a2['id']])

    def test_updated_since_filter_never_widens_visibility(self):
        w = self.world
        since = '2000-01-01T00:00:00Z'
        self.assertEqual(self.list_ids('/v1/cases', w.worker_a1, updated_since=since), [self.case_a1['id']])
        self.assertEqual(sorted(self.list_ids('/v1/cases', w.supervisor_b, updated_since=since, status='open')),
                         [self.case_b1['id']])
