"""The audit trail: every change to a case writes one row in the same
transaction (who, roles, when, which record, fields before and after), and
GET /v1/audit lets administrators and auditors read it."""
import json
import subprocess

import harness
from base import UUID_RE, ApiTest, Persona, query

BOOKKEEPING = {'version', 'created_at', 'updated_at'}


class AuditTest(ApiTest):
    def rows(self, resource_id, who=None):
        return self.list_all('/v1/audit', who or self.world.auditor, resource_id=resource_id)

    def stored(self, case):
        """The case as the audit trail records it: without bookkeeping fields."""
        return {k: v for k, v in case.items() if k not in BOOKKEEPING}

    def patch(self, case, body, who=None, **kw):
        return self.request('PATCH', f'/v1/cases/{case["id"]}', who or self.world.worker_a1, body=body, **kw)


class AuditRowsTest(AuditTest):
    def test_create_writes_a_row_with_the_record_after(self):
        w = self.world.worker_a1
        rid = harness.unique('req')
        r = self.request('POST', '/v1/cases', w, headers={'X-Request-Id': rid},
                         body={'case_number': harness.unique('CN'), 'family_name': 'Audited', 'case_type': 'in_home'})
        self.assertEqual(r.status, 201, r)
        case = r.json()
        rows = self.rows(case['id'])
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        self.assertEqual(row['action'], 'create')
        self.assertEqual(row['actor'], w.sub)
        self.assertEqual(row['actor_roles'], ['caseworker'])
        self.assertEqual(row['resource_type'], 'case')
        self.assertEqual(row['resource_id'], case['id'])
        self.assertEqual(row['case_id'], case['id'])
        self.assertEqual(row['request_id'], r.header('X-Request-Id'))
        self.assertRegex(row['request_id'], UUID_RE)
        self.assertEqual(row['client_request_id'], rid)
        self.assertIsNone(row['before'])
        self.assertEqual(row['after'], self.stored(case))
        self.assertRegex(row['at'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$')
        self.assertIsInstance(row['id'], int)

    def test_entries_say_what_happened_in_the_words_of_the_change_feed(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        self.assertEqual(self.patch(case, {'family_name': 'Renamed'}).status, 200)
        self.assertEqual(self.request('DELETE', f'/v1/cases/{case["id"]}', w.administrator).status, 204)
        rows = self.rows(case['id'])
        self.assertEqual([(row['event'], row['action']) for row in rows],
                         [('created', 'create'), ('updated', 'update'), ('deleted', 'delete')])
        feed = self.request('GET', f'/v1/changes?case_id={case["id"]}&limit=500', w.integration)
        self.assertEqual(feed.status, 200, feed)
        self.assertEqual([c['action'] for c in feed.json()['items']], [row['event'] for row in rows])

    def test_request_id_of_the_row_matches_a_generated_one(self):
        r = self.request('POST', '/v1/cases', self.world.worker_a1, headers={'X-Request-Id': 'bad id with spaces'},
                         body={'case_number': harness.unique('CN'), 'family_name': 'F', 'case_type': 'in_home'})
        self.assertEqual(r.status, 201, r)
        row = self.rows(r.json()['id'])[0]
        self.assertEqual((row['request_id'], row['client_request_id']), (r.header('X-Request-Id'), None))

    def test_a_client_cannot_give_its_change_another_requests_id(self):
        # The client names its request after one already in the trail: the row still
        # carries the service's own id, and the client's stands beside it as its own.
        w = self.world
        case = self.create_case(w.worker_a1)
        first = self.rows(case['id'])[0]['request_id']
        r = self.patch(case, {'family_name': 'Borrowed id'}, headers={'X-Request-Id': first})
        self.assertEqual(r.status, 200, r)
        self.assertNotEqual(r.header('X-Request-Id'), first)
        row = self.rows(case['id'])[1]
        self.assertEqual((row['request_id'], row['client_request_id']), (r.header('X-Request-Id'), first))
        self.assertEqual([row['request_id'] for row in self.rows(case['id'])].count(first), 1)
        history = self.request('GET', f'/v1/cases/{case["id"]}/history', w.worker_a1).json()
        self.assertEqual([e['request_id'] for e in history['fields']['family_name']], [first, r.header('X-Request-Id')])

    def test_update_records_only_the_changed_fields(self):
        w = self.world
        case = self.create_case(w.worker_a1, family_name='Before')
        r = self.patch(case, {'family_name': 'After', 'case_type': case['case_type'],
                              'permanency_goal': 'reunification', 'permanency_goal_since': '2026-02-01'},
                       who=w.supervisor_a)
        self.assertEqual(r.status, 200, r)
        rows = self.rows(case['id'])
        self.assertEqual([row['action'] for row in rows], ['create', 'update'])
        row = rows[1]
        self.assertEqual(row['actor'], w.supervisor_a.sub)
        self.assertEqual(row['actor_roles'], ['supervisor'])
        self.assertEqual(row['request_id'], r.header('X-Request-Id'))
        self.assertEqual((row['resource_type'], row['resource_id'], row['case_id']), ('case', case['id'], case['id']))
        self.assertEqual(row['before'], {'family_name': 'Before', 'permanency_goal': 'not_established',
                                         'permanency_goal_since': case['permanency_goal_since']})
        self.assertEqual(row['after'], {'family_name': 'After', 'permanency_goal': 'reunification',
                                        'permanency_goal_since': '2026-02-01'})

    def test_update_records_consequences_the_patch_did_not_spell_out(self):
        case = self.create_case(self.world.worker_a1, opened_on='2026-01-01', status='closed',
                                closed_on='2026-02-01', closure_reason='Done')
        r = self.patch(case, {'status': 'open'})
        self.assertEqual(r.status, 200, r)
        row = self.rows(case['id'])[-1]
        self.assertEqual(row['before'], {'status': 'closed', 'closed_on': '2026-02-01', 'closure_reason': 'Done'})
        self.assertEqual(row['after'], {'status': 'open', 'closed_on': None, 'closure_reason': None})

    def test_reassignment_is_audited(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        r = self.patch(case, {'assigned_worker': w.worker_a2.sub}, who=w.supervisor_a)
        self.assertEqual(r.status, 200, r)
        row = self.rows(case['id'])[-1]
        self.assertEqual((row['before'], row['after']),
                         ({'assigned_worker': w.worker_a1.sub}, {'assigned_worker': w.worker_a2.sub}))

    def test_delete_writes_a_row_with_the_record_before(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        r = self.request('DELETE', f'/v1/cases/{case["id"]}', w.administrator, headers={'X-Request-Id': 'del-1'})
        self.assertRegex(r.header('X-Request-Id'), UUID_RE)
        self.assertEqual(r.status, 204, r)
        rows = self.rows(case['id'])
        self.assertEqual([row['action'] for row in rows], ['create', 'delete'])
        row = rows[1]
        self.assertEqual(row['actor'], w.administrator.sub)
        self.assertEqual(row['actor_roles'], ['administrator'])
        self.assertEqual((row['request_id'], row['client_request_id']), (r.header('X-Request-Id'), 'del-1'))
        self.assertEqual(row['before'], self.stored(case))
        self.assertIsNone(row['after'])
        self.assertEqual(row['case_id'], case['id'])

    def test_every_role_that_writes_is_named(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('both'), ['caseworker', 'supervisor'], w.unit_a)
        case = self.create_case(w.integration, assigned_worker=w.worker_a1.sub, unit=w.unit_a)
        self.assertEqual(self.patch(case, {'family_name': 'By both'}, who=both).status, 200)
        self.assertEqual(self.patch(case, {'family_name': 'By admin'}, who=w.administrator).status, 200)
        rows = self.rows(case['id'])
        self.assertEqual([(row['actor'], sorted(row['actor_roles'])) for row in rows], [
            (w.integration.sub, ['integration']),
            (both.sub, ['caseworker', 'supervisor']),
            (w.administrator.sub, ['administrator']),
        ])

    def test_no_op_patch_writes_no_row(self):
        case = self.create_case(self.world.worker_a1)
        for body in ({}, {'family_name': case['family_name']}, {'status': 'open', 'closed_on': None}):
            with self.subTest(body=body):
                self.assertEqual(self.patch(case, body).status, 200)
        self.assertEqual(len(self.rows(case['id'])), 1)

    def test_failed_writes_write_no_row(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        other = self.create_case(w.worker_a1)
        self.assertEqual(self.patch(case, {'family_name': 'Changed'}).status, 200)
        failures = [
            (self.patch(case, {'family_name': ''}), 422),
            (self.patch(case, {'closed_on': '2026-01-01'}), 422),
            (self.patch(case, {'case_number': other['case_number']}, who=w.administrator), 409),
            (self.patch(case, {'case_number': harness.unique('CN')}), 403),
            (self.patch(case, {'family_name': 'Stale'}, headers={'If-Match': '"1"'}), 412),
            (self.patch(case, {'assigned_worker': w.worker_a2.sub}), 403),
            (self.patch(case, {'family_name': 'Hidden'}, who=w.worker_b1), 404),
            (self.patch(case, {'family_name': 'Auditor'}, who=w.auditor), 403),
            (self.request('DELETE', f'/v1/cases/{case["id"]}', w.worker_a1), 403),
            (self.request('DELETE', f'/v1/cases/{case["id"]}', w.administrator, headers={'If-Match': '"1"'}), 412),
        ]
        for r, status in failures:
            self.assertEqual(r.status, status, r)
        self.assertEqual([row['action'] for row in self.rows(case['id'])], ['create', 'update'])

    def test_refused_creates_write_no_row(self):
        w = self.world
        existing = self.create_case(w.worker_a1)
        before = self.request('GET', query('/v1/audit', actor=w.worker_a1.sub), w.auditor).json()['items']
        base = {'family_name': 'F', 'case_type': 'in_home'}
        for body, status in ((dict(base, case_number=existing['case_number']), 409),
                             (dict(base, case_number=harness.unique('CN'), case_type='x'), 422),
                             (dict(base, case_number=harness.unique('CN'), assigned_worker=w.worker_a2.sub), 403)):
            self.assertEqual(self.request('POST', '/v1/cases', w.worker_a1, body=body).status, status)
        after = self.request('GET', query('/v1/audit', actor=w.worker_a1.sub), w.auditor).json()['items']
        self.assertEqual(after, before)
        self.assertEqual(len(after), 1)

    def test_every_change_has_its_row_in_the_database(self):
        case = self.create_case(self.world.worker_a1)
        self.assertEqual(self.patch(case, {'family_name': 'One'}).status, 200)
        self.assertEqual(self.patch(case, {'family_name': 'Two'}).status, 200)
        self.assertEqual(self.request('DELETE', f'/v1/cases/{case["id"]}', self.world.administrator).status, 204)
        stored = self.cluster.psql(
            f"SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE resource_id = '{case['id']}'")
        self.assertEqual(stored.strip(), 'create,update,update,delete')


class AuditReadTest(AuditTest):
    def test_administrator_and_auditor_read_the_trail(self):
        case = self.create_case(self.world.worker_a1)
        for who in (self.world.administrator, self.world.auditor):
            with self.subTest(role=who.role):
                r = self.request('GET', query('/v1/audit', resource_id=case['id']), who)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(len(r.json()['items']), 1)
                self.assertIsNone(r.json()['next_cursor'])

    def test_other_roles_get_403(self):
        w = self.world
        both = Persona(self.cluster, harness.unique('both'), ['caseworker', 'supervisor'], w.unit_a)
        for who in (w.worker_a1, w.supervisor_a, w.integration, both):
            with self.subTest(role=who.role):
                self.assertProblem(self.request('GET', '/v1/audit', who), 403)
                self.assertProblem(self.request('GET', '/v1/audit?limit=0', who), 403)
        self.assertProblem(self.request('GET', '/v1/audit'), 401)

    def test_filter_by_resource_type_and_id(self):
        first = self.create_case(self.world.worker_a1)
        second = self.create_case(self.world.worker_a1)
        self.assertEqual(self.patch(second, {'family_name': 'X'}).status, 200)
        rows = self.list_all('/v1/audit', self.world.auditor, resource_type='case', resource_id=second['id'])
        self.assertEqual([(row['resource_id'], row['action']) for row in rows],
                         [(second['id'], 'create'), (second['id'], 'update')])
        self.assertEqual(self.list_all('/v1/audit', self.world.auditor, resource_type='plan',
                                       resource_id=first['id']), [])

    def test_filter_by_actor(self):
        w = self.world
        a = self.create_case(w.worker_a1)
        b = self.create_case(w.worker_a2)
        self.assertEqual(self.patch(b, {'family_name': 'By supervisor'}, who=w.supervisor_a).status, 200)
        rows = self.list_all('/v1/audit', w.administrator, actor=w.worker_a1.sub)
        self.assertEqual([(row['resource_id'], row['action']) for row in rows], [(a['id'], 'create')])
        rows = self.list_all('/v1/audit', w.administrator, actor=w.supervisor_a.sub)
        self.assertEqual([(row['resource_id'], row['action']) for row in rows], [(b['id'], 'update')])
        self.assertEqual(self.list_all('/v1/audit', w.administrator, actor=harness.unique('nobody')), [])

    def test_filter_by_time_range(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        self.assertEqual(self.patch(case, {'family_name': 'Second'}).status, 200)
        self.assertEqual(self.patch(case, {'family_name': 'Third'}).status, 200)
        rows = self.rows(case['id'])
        self.assertEqual(len(rows), 3)
        stamps = [row['at'] for row in rows]
        self.assertEqual(stamps, sorted(stamps))

        def ids(**params):
            return [row['id'] for row in self.list_all('/v1/audit', w.auditor, resource_id=case['id'], **params)]
        every = [row['id'] for row in rows]
        self.assertEqual(ids(**{'from': stamps[0]}), every)
        self.assertEqual(ids(**{'from': stamps[1]}), [r['id'] for r in rows if r['at'] >= stamps[1]])
        self.assertEqual(ids(to=stamps[1]), [r['id'] for r in rows if r['at'] < stamps[1]])
        self.assertEqual(ids(**{'from': stamps[0], 'to': stamps[2]}), [r['id'] for r in rows if r['at'] < stamps[2]])
        self.assertEqual(ids(**{'from': '2099-01-01T00:00:00Z'}), [])
        self.assertEqual(ids(to='2000-01-01T00:00:00+01:00'), [])

    def test_pagination_gives_every_row_once_in_order(self):
        w = self.world
        cases = [self.create_case(w.worker_a1) for _ in range(4)]
        for case in cases:
            self.assertEqual(self.patch(case, {'family_name': 'Paged'}).status, 200)
        whole = self.list_all('/v1/audit', w.auditor, actor=w.worker_a1.sub, limit=500)
        self.assertEqual(len(whole), 8)
        for limit in (1, 3, 8):
            with self.subTest(limit=limit):
                paged = self.list_all('/v1/audit', w.auditor, actor=w.worker_a1.sub, limit=limit)
                self.assertEqual(paged, whole)
        self.assertEqual([row['id'] for row in whole], sorted(row['id'] for row in whole))
        r = self.request('GET', query('/v1/audit', actor=w.worker_a1.sub, limit=8), w.auditor)
        self.assertIsNone(r.json()['next_cursor'])

    def test_bad_query_parameters_are_422(self):
        a = self.world.auditor
        for params, fields in (('resource_id=abc', ['resource_id']), ('from=yesterday', ['from']),
                               ('to=2026-01-01', ['to']), ('limit=0', ['limit']), ('limit=501', ['limit']),
                               ('cursor=abc', ['cursor']), ('case_id=x', ['case_id']),
                               ('actor=' + 'a' * 256, ['actor']), ('resource_type=', ['resource_type']),
                               ('resource_id=1&from=x&limit=-1&nope=1', ['resource_id', 'from', 'limit', 'nope'])):
            with self.subTest(params=params):
                self.assertProblem(self.request('GET', '/v1/audit?' + params, a), 422, fields)

    def test_reading_the_trail_writes_nothing(self):
        case = self.create_case(self.world.worker_a1)
        for _ in range(2):
            self.rows(case['id'])
        n = self.cluster.psql("SELECT count(*) FROM audit_log WHERE resource_id = "
                              f"'{case['id']}'")
        self.assertEqual(n.strip(), '1')


class AppendOnlyTest(AuditTest):
    def psql_fails(self, sql):
        with self.assertRaises(subprocess.CalledProcessError) as ctx:
            self.cluster.psql(sql)
        return ctx.exception.stderr

    def test_audit_rows_cannot_be_changed_or_removed(self):
        case = self.create_case(self.world.worker_a1)
        row = self.rows(case['id'])[0]
        self.assertIn('append-only', self.psql_fails(f"UPDATE audit_log SET actor = 'someone' WHERE id = {row['id']}"))
        self.assertIn('append-only', self.psql_fails(f"DELETE FROM audit_log WHERE id = {row['id']}"))
        self.assertIn('append-only', self.psql_fails('TRUNCATE audit_log, changes'))
        self.assertIn('append-only', self.psql_fails('TRUNCATE audit_log CASCADE'))
        self.psql_fails('TRUNCATE audit_log')
        self.assertEqual(self.rows(case['id']), [row])

    def test_the_change_feed_cannot_be_changed_or_removed(self):
        self.create_case(self.world.worker_a1)
        for sql in ('UPDATE changes SET seq = seq + 1000000', 'DELETE FROM changes', 'TRUNCATE changes'):
            with self.subTest(sql=sql):
                self.assertIn('append-only', self.psql_fails(sql))

    def test_case_rows_cannot_be_removed(self):
        case = self.create_case(self.world.worker_a1)
        self.psql_fails(f"DELETE FROM cases WHERE id = '{case['id']}'")
        r = self.request('GET', f'/v1/cases/{case["id"]}', self.world.worker_a1)
        self.assertEqual(r.json(), case)

    def test_a_write_without_an_actor_is_refused(self):
        case = self.create_case(self.world.worker_a1)
        self.psql_fails(f"UPDATE cases SET family_name = 'Unattributed' WHERE id = '{case['id']}'")
        r = self.request('GET', f'/v1/cases/{case["id"]}', self.world.worker_a1)
        self.assertEqual(r.json(), case)


class WritesByOtherPathsTest(AuditTest):
    """The service writes each change's audit row in the statement that makes the
    change; a write by any other path is audited by the trigger, as before, and
    both write the same row."""

    def sql_write(self, sql):
        self.cluster.psql("BEGIN; SELECT set_config('casework.actor', 'state-loader', true);"
                          f" SELECT set_config('casework.roles', 'integration', true); {sql}; COMMIT;")

    def trail(self, resource_id):
        """(action, version, before, after) of every audit row of the record, as stored."""
        out = self.cluster.psql("SELECT json_build_array(action, version, before, after) FROM audit_log"
                                f" WHERE resource_id = '{resource_id}' ORDER BY id")
        return [tuple(json.loads(line)) for line in out.splitlines()]

    def test_the_service_writes_one_row_per_change_with_the_version_it_wrote(self):
        case = self.create_case(self.world.worker_a1)
        r = self.patch(case, {'family_name': 'Once'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(a, v) for a, v, _, _ in self.trail(case['id'])], [('create', 1), ('update', 2)])

    def test_a_write_by_another_path_is_still_audited(self):
        case = self.create_case(self.world.worker_a1)
        self.sql_write(f"UPDATE cases SET family_name = 'Direct' WHERE id = '{case['id']}'")
        self.assertEqual(self.trail(case['id'])[1:], [('update', 2, {'family_name': 'Family'},
                                                       {'family_name': 'Direct'})])
        row = self.rows(case['id'])[1]
        self.assertEqual((row['actor'], row['actor_roles']), ('state-loader', ['integration']))
        feed = self.request('GET', query('/v1/changes', case_id=case['id'], limit=500), self.world.integration)
        self.assertEqual([(c['action'], c['actor']) for c in feed.json()['items']],
                         [('created', self.world.worker_a1.sub), ('updated', 'state-loader')])
        # The service's next write is audited once, by the service.
        self.assertEqual(self.patch(case, {'family_name': 'Again'}).status, 200)
        self.assertEqual([(a, v) for a, v, _, _ in self.trail(case['id'])],
                         [('create', 1), ('update', 2), ('update', 3)])

    def test_both_paths_write_the_same_row(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        child = self.add_participant(case, role='child')
        visits = []
        for _ in range(2):
            r = self.request('POST', f'/v1/cases/{case["id"]}/visits', w.worker_a1,
                             body={'visited_at': '2026-01-05T10:00:00.120Z', 'visit_type': 'caseworker_child',
                                   'location': 'school', 'participant_ids': [child['id']]})
            self.assertEqual(r.status, 201, r)
            visits.append(r.json())
        # The created record as the trigger would have written it: the row as JSON.
        for v in visits:
            row = self.cluster.psql("SELECT to_jsonb(v) - '{version,created_at,updated_at,deleted_at}'::text[]"
                                    f" FROM visits v WHERE id = '{v['id']}'")
            self.assertEqual(self.trail(v['id'])[0][3], json.loads(row))
        change = {'visited_at': '2026-01-06T08:30:00Z', 'summary': 'Moved'}
        r = self.request('PATCH', f'/v1/visits/{visits[0]["id"]}', w.worker_a1, body=change)
        self.assertEqual(r.status, 200, r)
        self.sql_write(f"UPDATE visits SET visited_at = '2026-01-06 08:30:00+00', summary = 'Moved'"
                       f" WHERE id = '{visits[1]['id']}'")
        by_service, by_trigger = (self.trail(v['id'])[1] for v in visits)
        self.assertEqual(by_service, by_trigger)
        self.assertEqual(by_service, ('update', 2, {'visited_at': '2026-01-05T10:00:00.12+00:00', 'summary': None},
                                      {'visited_at': '2026-01-06T08:30:00+00:00', 'summary': 'Moved'}))

    def delete_rows(self, resource_id):
        """(action, version, before, after, sensitive, case_id) of the record's audit rows after its creation."""
        out = self.cluster.psql("SELECT json_build_array(action, version, before, after, sensitive, case_id)"
                                f" FROM audit_log WHERE resource_id = '{resource_id}' AND action <> 'create'"
                                " ORDER BY id")
        return [tuple(json.loads(line)) for line in out.splitlines()]

    def assertDeletedAlike(self, table, nested, by_service, by_trigger):
        """by_service deleted by the service, by_trigger by another path: one audit row each (the trigger saw
        the service's and wrote none), alike but for the record's own identity (its id, a case's number)."""
        r = self.request('DELETE', f'/v1/{nested}/{by_service["id"]}', self.world.administrator)
        self.assertEqual(r.status, 204, r)
        self.sql_write(f"UPDATE {table} SET deleted_at = now() WHERE id = '{by_trigger['id']}'")
        rows = []
        for record in (by_service, by_trigger):
            (row,) = self.delete_rows(record['id'])
            text = json.dumps(row)
            for own in (record['id'], record.get('case_number')):
                text = text.replace(own, 'own') if own else text
            rows.append(json.loads(text))
        self.assertEqual(rows[0], rows[1], table)
        # The service's row is written by the command that deletes the record; the trigger's, by a later one.
        same_command = [self.cluster.psql(f"SELECT a.cmin = t.cmin FROM audit_log a JOIN {table} t ON t.id ="
                                          f" a.resource_id WHERE a.action = 'delete' AND t.id = '{record['id']}'")
                        .strip() for record in (by_service, by_trigger)]
        self.assertEqual(same_command, ['t', 'f'], table)
        stored = self.cluster.psql(f"SELECT to_jsonb(t) - '{{version,created_at,updated_at,deleted_at}}'::text[]"
                                   f" FROM {table} t WHERE id = '{by_service['id']}'")
        self.assertEqual(self.delete_rows(by_service['id']),
                         [('delete', 2, json.loads(stored), None, table == 'service_referrals',
                           by_service.get('case_id', by_service['id']))])

    def test_a_delete_writes_the_row_the_trigger_writes(self):
        w = self.world
        case = self.create_case(w.worker_a1)
        self.assertDeletedAlike('cases', 'cases', *(self.create_case(w.worker_a1) for _ in range(2)))
        visit = {'visited_at': '2026-01-05T10:00:00.120Z', 'visit_type': 'caseworker_child', 'location': 'school',
                 'participant_ids': [self.add_participant(case, role='child')['id']]}
        referral = {'service_type': 'substance_use_treatment', 'provider': 'Harbor Recovery Services'}
        for table, nested, body in (('visits', 'visits', visit), ('service_referrals', 'service-referrals', referral)):
            path = f'/v1/cases/{case["id"]}/{nested}'
            self.assertDeletedAlike(table, nested, *(self.posted(path, body, w.worker_a1) for _ in range(2)))

    def test_a_delete_by_another_path_is_still_audited(self):
        case = self.create_case(self.world.worker_a1)
        self.sql_write(f"UPDATE cases SET deleted_at = now() WHERE id = '{case['id']}'")
        self.assertEqual(self.delete_rows(case['id']), [('delete', 2, self.stored(case), None, False, case['id'])])
        row = self.rows(case['id'])[1]
        self.assertEqual((row['actor'], row['actor_roles']), ('state-loader', ['integration']))
