"""The record contract: what every kind of record answers to, written once.

A kind's tests describe the kind on a RecordTest (base.py: its paths, a valid
body, its fields' rules) and mix in the parts of the contract that apply:

    class ContractTest(ChildRecordContract, ParticipantTest):
        pass

- CreateContract: 201 with Location and ETag, every bad field in one answer,
  required, null, unknown and read-only fields, Idempotency-Key, the audit row.
- UpdateContract: merge patch, If-Match and 412, concurrent patches, the audit
  row of a change, field history.
- DeleteContract: only administrators delete; a deleted record leaves every
  answer but stays in the database, with its audit row.
- PathContract: ids in the path, query parameters and methods a record refuses.
- ParentContract: a record under a parent (a participant under a case) follows
  the parent: a missing or deleted parent is 404.
- ListContract: the list under a parent and the list across parents.
- LifecycleContract: a kind with statuses moves only as its table of moves says.

RecordContract is the first four; ChildRecordContract adds the parent and the lists.
"""
import harness
from base import MISSING, TIMESTAMP_RE, UUID_RE, at_once, query

UNKNOWN_FIELDS = ('colour', 'deleted_at', 'createdAt', 'Id', '')
NOT_JSON_OBJECTS = (b'[]', b'"text"', b'{"a": ', b'null')
BAD_IDS = ('abc', '%27%20OR%201%3D1', 'x' * 80, '%00')


def other_value(field, value):
    """A value for a read-only field that differs from the record's own."""
    if field == 'version':
        return value + 8
    if field.endswith('_at'):
        return '2026-01-01T00:00:00Z'
    if field == 'id' or field.endswith('_id'):
        return MISSING
    return harness.unique('someone')


class CreateContract:
    """What a create answers, and what it refuses without writing anything."""

    def assertNothingWritten(self, parent=None):
        """No record of this kind written in this test (no audit row by its
        personas) and, for a kind under a parent, none stored under it."""
        stored = '0' if parent is None else (
            f"(SELECT count(*) FROM {self.table} WHERE {self.parent_field} = '{parent['id']}')")
        counts = self.cluster.psql(
            f"SELECT (SELECT count(*) FROM audit_log WHERE actor LIKE '{self.world.tag}-%' "
            f"AND resource_type = '{self.resource_type}'), {stored}").strip()
        self.assertEqual(counts, '0|0')

    def fresh_parent(self):
        """A parent without records yet, for checks that nothing was stored: the
        default parent, new in each test (None for a kind without a parent)."""
        return None if self.parent_path is None else self.default_parent()

    def test_create_answers_201_with_location_etag_and_the_record(self):
        who = self.world.worker_a1
        parent = self.default_parent() if self.parent_path else None
        body = self.new_body(parent)
        r = self.post(body, parent, who)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        record = r.json()
        self.assertEqual(set(record), set(self.keys))
        self.assertRegex(record['id'], UUID_RE)
        if parent is not None:
            self.assertEqual(record[self.parent_field], parent['id'])
        expected = dict(self.defaults(who), **self.as_answered(body))
        self.assertEqual({k: record[k] for k in expected}, expected)
        self.assertEqual(record['version'], 1)
        self.assertRegex(record['created_at'], TIMESTAMP_RE)
        self.assertEqual(record['created_at'], record['updated_at'])
        self.assertTrue(r.header('Location').endswith(self.item_path(record)), r.header('Location'))
        self.assertEqual(r.header('ETag'), '"1"')
        got = self.request('GET', r.header('Location'), who)
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json(), record)
        self.assertEqual(got.header('ETag'), '"1"')

    def test_create_accepts_every_field_it_may_set(self):
        body = self.full_body()
        r = self.post(body)
        self.assertEqual(r.status, 201, r)
        record = r.json()
        for key, value in self.as_answered(body).items():
            self.assertEqual(record[key], value, key)
        self.assertEqual(self.current(record), record)

    def test_every_bad_field_is_listed_in_one_answer(self):
        parent = self.fresh_parent()
        fields = set(self.invalid_body) | set(self.required)
        self.assertInvalid(self.post(self.invalid_body, parent), sorted(fields))
        self.assertNothingWritten(parent)

    def test_missing_required_fields_are_named(self):
        parent = self.fresh_parent()
        for field in self.required:
            with self.subTest(field=field):
                body = self.new_body(parent)
                del body[field]
                self.assertInvalid(self.post(body, parent), [field])
        if self.required:
            self.assertInvalid(self.post({}, parent), self.required)
            self.assertNothingWritten(parent)
        else:
            r = self.post({}, parent)
            self.assertEqual(r.status, 201, r)

    def test_null_for_a_non_nullable_field_is_422(self):
        parent = self.fresh_parent()
        for field in self.not_nullable:
            with self.subTest(field=field):
                self.assertInvalid(self.post(self.new_body(parent, **{field: None}), parent), [field])
        self.assertNothingWritten(parent)

    def test_null_for_a_nullable_field_on_create_is_accepted(self):
        r = self.post(self.new_body(**{field: None for field in self.nullable}))
        self.assertEqual(r.status, 201, r)
        for field in self.nullable:
            self.assertIsNone(r.json()[field], field)

    def test_unknown_fields_are_422(self):
        parent = self.fresh_parent()
        for field in UNKNOWN_FIELDS:
            with self.subTest(field=field):
                self.assertInvalid(self.post(self.new_body(parent, **{field: 'x'}), parent), [field])
        self.assertNothingWritten(parent)

    def test_read_only_fields_are_422(self):
        record = self.add()
        for field in self.read_only:
            with self.subTest(field=field):
                self.assertInvalid(self.post(self.new_body(**{field: record[field]})), [field])
                if self.updatable:
                    self.assertInvalid(self.patch(record, {field: record[field]}), [field])
                    self.assertInvalid(self.patch(record, {field: other_value(field, record[field])}), [field])
        if self.updatable:
            everything = {field: other_value(field, record[field]) for field in self.read_only}
            self.assertInvalid(self.patch(record, dict(everything, nickname='x')), list(everything) + ['nickname'])
        self.assertUnchanged(record)
        self.assertEqual(self.writes(), 1)

    def test_a_body_that_is_not_a_json_object_is_400(self):
        parent = self.fresh_parent()
        path = self.nested_path(parent) if parent is not None else self.path
        for raw in NOT_JSON_OBJECTS:
            with self.subTest(body=raw):
                r = self.request('POST', path, self.world.worker_a1, raw=raw,
                                 headers={'Content-Type': 'application/json'})
                self.assertProblem(r, 400)
        self.assertNothingWritten(parent)

    def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(self):
        parent = self.fresh_parent()
        body, key = self.new_body(parent), harness.unique('key')
        first = self.post(body, parent, headers={'Idempotency-Key': key})
        self.assertEqual(first.status, 201, first)
        self.assertIsNone(first.header('Idempotent-Replayed'))
        again = self.post(body, parent, headers={'Idempotency-Key': key})
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.json(), first.json())
        for header in ('Location', 'ETag'):
            self.assertEqual(again.header(header), first.header(header), header)
        self.assertEqual(again.header('Idempotent-Replayed'), 'true')
        self.assertEqual(len(self.audit_rows(first.json())), 1)
        if parent is not None:
            self.assertEqual(self.stored_count(parent), 1)

    def test_create_writes_an_audit_row_with_the_record_after(self):
        who = self.world.worker_a1
        r = self.post(self.new_body(), who=who)
        self.assertEqual(r.status, 201, r)
        record = r.json()
        rows = self.audit_rows(record)
        self.assertEqual(len(rows), 1, rows)
        row = rows[0]
        self.assertEqual((row['action'], row['actor'], row['actor_roles'], row['resource_type'], row['resource_id'],
                          row['case_id']),
                         ('create', who.sub, ['caseworker'], self.resource_type, record['id'], self.case_id_of(record)))
        self.assertEqual(row['request_id'], r.header('X-Request-Id'))
        self.assertIsNone(row['before'])
        self.assertEqual(self.as_audited(row['after']), self.as_audited(record))

    def refused_creates(self, parent):
        """Creates under parent this kind refuses for its own rules: (answer, status) pairs."""
        return []

    def test_refused_creates_write_no_row(self):
        parent = self.fresh_parent()
        self.assertProblem(self.post(self.invalid_body, parent), 422)
        self.assertProblem(self.post(self.new_body(parent), parent, self.world.auditor), 403)
        for r, status in self.refused_creates(parent):
            self.assertProblem(r, status)
        self.assertNothingWritten(parent)


class UpdateContract:
    """Merge patch (RFC 7396) with If-Match, on records that may change."""

    def change(self, text):
        return {self.text_field: text}

    def writable(self, record):
        """Every field a patch may set, with the record's own values."""
        return {k: v for k, v in record.items() if k not in self.read_only}

    def test_a_patch_changes_what_it_names_and_the_rest_stays(self):
        record = self.add(**self.full_body())
        r = self.patch(record, self.change('Only this changes'))
        self.assertEqual(r.status, 200, r)
        after = r.json()
        self.assertEqual(after, dict(record, **self.change('Only this changes'), version=2,
                                     updated_at=after['updated_at']))
        self.assertGreaterEqual(after['updated_at'], record['updated_at'])
        self.assertEqual(r.header('ETag'), '"2"')
        self.assertEqual(self.current(record), after)

    def test_null_clears_a_nullable_field(self):
        record = self.add(**self.full_body())
        cleared = self.nullable if self.cleared is None else self.cleared
        r = self.patch(record, {field: None for field in cleared})
        self.assertEqual(r.status, 200, r)
        after = r.json()
        self.assertEqual(after, dict(record, **{field: None for field in cleared}, version=2,
                                     updated_at=after['updated_at']))

    def test_null_on_a_non_nullable_field_is_422(self):
        record = self.add()
        for field in self.not_nullable:
            with self.subTest(field=field):
                self.assertInvalid(self.patch(record, {field: None}), [field])
        self.assertInvalid(self.patch(record, {field: None for field in self.not_nullable}), self.not_nullable)
        self.assertUnchanged(record)

    def test_a_patch_lists_every_bad_field_at_once(self):
        record = self.add()
        self.assertInvalid(self.patch(record, self.invalid_patch), list(self.invalid_patch))
        self.assertUnchanged(record)

    def test_a_patch_that_changes_nothing_keeps_the_version(self):
        record = self.add()
        for body in ({}, self.change(record[self.text_field]), self.writable(record)):
            with self.subTest(body=body):
                r = self.patch(record, body)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), record)
                self.assertEqual(r.header('ETag'), '"1"')
        self.assertEqual([row['action'] for row in self.audit_rows(record)], ['create'])

    def test_merge_patch_media_type_is_accepted(self):
        record = self.add()
        r = self.patch(record, self.change('Merged'), headers={'Content-Type': 'application/merge-patch+json'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()[self.text_field], 'Merged')

    def test_patch_of_a_missing_record_is_404(self):
        a = self.world.administrator
        self.assertProblem(self.patch({'id': MISSING}, self.change('X'), a), 404)
        self.assertProblem(self.patch({'id': MISSING}, self.change('X'), a, headers={'If-Match': '"1"'}), 404)

    def test_if_match_with_a_current_etag_applies(self):
        record = self.add()
        for tag, version in (('"1"', 2), ('"7", "2"', 3), ('*', 4)):
            with self.subTest(if_match=tag):
                r = self.patch(record, self.change(f'Matched {version}'), headers={'If-Match': tag})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header('ETag'), f'"{version}"')
                self.assertEqual(r.json()['version'], version)
        r = self.request('GET', self.item_path(record), self.world.worker_a1)
        self.assertEqual(r.header('ETag'), '"4"')

    def test_stale_if_match_is_412_and_writes_nothing(self):
        record = self.patched(self.add(), self.change('Second'))
        for tag in ('"1"', 'W/"2"', '"02"', '"3"', '"7", W/"2"', 'nonsense'):
            with self.subTest(if_match=tag):
                for body in (self.change('Lost'), {}):
                    r = self.patch(record, body, headers={'If-Match': tag})
                    self.assertProblem(r, 412)
                    self.assertIsNone(r.header('ETag'))
        self.assertUnchanged(record)
        self.assertEqual(len(self.audit_rows(record)), 2)

    def test_concurrent_patches_with_the_same_if_match_apply_once(self):
        record = self.add()
        results = at_once(5, lambda i: self.patch(record, self.change(f'Edit {i}'), headers={'If-Match': '"1"'}))
        self.assertEqual(sorted(r.status for r in results), [200, 412, 412, 412, 412], results)
        winner = next(r.json() for r in results if r.status == 200)
        self.assertEqual(self.current(record), winner)
        self.assertEqual(winner['version'], 2)

    def test_concurrent_patches_without_if_match_all_apply_in_turn(self):
        record = self.add()
        results = at_once(5, lambda i: self.patch(record, self.change(f'Edit {i}')))
        self.assertEqual([r.status for r in results], [200] * 5, results)
        self.assertEqual(sorted(r.json()['version'] for r in results), [2, 3, 4, 5, 6])
        last = max((r.json() for r in results), key=lambda r: r['version'])
        self.assertEqual(self.current(record), last)
        rows = self.audit_rows(record)
        self.assertEqual([row['action'] for row in rows], ['create'] + ['update'] * 5)
        # No update was lost: each one's before is the one before it's after.
        for earlier, later in zip(rows[1:], rows[2:]):
            self.assertEqual(later['before'], earlier['after'])

    def test_an_update_writes_an_audit_row_of_what_changed(self):
        s = self.world.supervisor_a
        record = self.add()
        r = self.patch(record, self.change('After'), s)
        self.assertEqual(r.status, 200, r)
        rows = self.audit_rows(record)
        self.assertEqual([row['action'] for row in rows], ['create', 'update'])
        row = rows[1]
        self.assertEqual((row['actor'], row['actor_roles'], row['resource_type'], row['resource_id'], row['case_id']),
                         (s.sub, ['supervisor'], self.resource_type, record['id'], self.case_id_of(record)))
        self.assertEqual(row['request_id'], r.header('X-Request-Id'))
        self.assertEqual((row['before'], row['after']),
                         ({self.text_field: record[self.text_field]}, self.change('After')))

    def refused_patches(self, record):
        """Patches of record this kind refuses for its own rules: (answer, status) pairs."""
        return []

    def test_failed_writes_write_no_row(self):
        w = self.world
        record = self.add()
        failures = [(self.patch(record, self.invalid_patch), 422),
                    (self.patch(record, self.change('Stale'), headers={'If-Match': '"4"'}), 412),
                    (self.patch(record, self.change('Hidden'), w.worker_b1), 404),
                    (self.patch(record, self.change('Auditor'), w.auditor), 403),
                    (self.patch(record, {}), 200)]
        if self.deletable:
            failures += [(self.delete(record, w.worker_a1), 403),
                         (self.delete(record, headers={'If-Match': '"3"'}), 412)]
        for r, status in failures + self.refused_patches(record):
            self.assertEqual(r.status, status, r)
        self.assertEqual([row['action'] for row in self.audit_rows(record)], ['create'])
        self.assertUnchanged(record)

    def test_field_history_keeps_every_value_with_who_set_it(self):
        w = self.world
        record = self.add()
        self.patched(record, self.change('Second'), w.supervisor_a)
        self.patched(record, self.change('Third'), w.administrator)
        r = self.request('GET', self.item_path(record) + '/history', w.worker_a1)
        self.assertEqual(r.status, 200, r)
        history = r.json()
        for key, value in (('id', record['id']), ('resource_type', self.resource_type)):
            self.assertEqual(history.get(key, value), value, key)   # where the answer names the record
        entries = history['fields'][self.text_field]
        self.assertEqual([(e['value'], e['by']) for e in entries],
                         [(record[self.text_field], w.worker_a1.sub), ('Second', w.supervisor_a.sub),
                          ('Third', w.administrator.sub)])
        if self.parent_path is not None:
            self.assertEqual([e['value'] for e in history['fields'][self.parent_field]], [record[self.parent_field]])


class DeleteContract:
    """Only administrators delete; a deleted record stays in the database."""

    def test_only_administrators_delete(self):
        w = self.world
        record = self.add()
        for who in (w.worker_a1, w.supervisor_a, w.integration, w.auditor):
            with self.subTest(role=who.role):
                self.assertProblem(self.delete(record, who), 403)
        self.assertProblem(self.delete({'id': MISSING}, w.worker_a1), 403)
        self.assertUnchanged(record)

    def test_delete_honours_if_match(self):
        record = self.patched(self.add(), self.change('Second'))
        for tag in ('"1"', 'W/"2"', '"7"'):
            with self.subTest(if_match=tag):
                self.assertProblem(self.delete(record, headers={'If-Match': tag}), 412)
        self.assertUnchanged(record)
        r = self.delete(record, headers={'If-Match': '"2"'})
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')
        r = self.delete(self.add(), headers={'If-Match': '*'})
        self.assertEqual(r.status, 204, r)

    def test_a_deleted_record_leaves_every_answer_but_stays_in_the_database(self):
        w = self.world
        gone, kept = self.add(), self.add()
        r = self.delete(gone)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')
        for who in (w.worker_a1, w.supervisor_a, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                for suffix in ('',) + self.reads_under:
                    self.assertProblem(self.request('GET', self.item_path(gone) + suffix, who), 404)
                if self.parent_path is not None:
                    parent = self.parent_of(gone)
                    self.assertEqual(self.list_ids(self.nested_path(parent), who), [kept['id']])
                    if self.list_path is not None:
                        self.assertEqual(self.list_ids(self.list_path, who, **{self.parent_field: parent['id']}),
                                         [kept['id']])
                else:
                    listed = self.list_ids(self.path, who, updated_since=gone['created_at'])
                    self.assertNotIn(gone['id'], listed)
                    self.assertIn(kept['id'], listed)
        for who in (w.worker_a1, w.administrator, w.integration):
            with self.subTest(patch_as=who.role):
                self.assertProblem(self.patch(gone, self.change('Gone'), who), 404)
        self.assertProblem(self.delete(gone), 404)
        stored = self.cluster.psql(f"SELECT deleted_at IS NOT NULL FROM {self.table} WHERE id = '{gone['id']}'")
        self.assertEqual(stored.strip(), 't')

    def test_delete_writes_an_audit_row_with_the_record_before(self):
        a = self.world.administrator
        record = self.patched(self.add(), self.change('Before deletion'))
        r = self.delete(record, a)
        self.assertEqual(r.status, 204, r)
        rows = self.audit_rows(record)
        self.assertEqual([row['action'] for row in rows], ['create', 'update', 'delete'])
        row = rows[-1]
        self.assertEqual((row['actor'], row['actor_roles'], row['resource_type'], row['resource_id'], row['case_id']),
                         (a.sub, ['administrator'], self.resource_type, record['id'], self.case_id_of(record)))
        self.assertEqual(row['request_id'], r.header('X-Request-Id'))
        self.assertEqual(self.as_audited(row['before']), self.as_audited(record))
        self.assertIsNone(row['after'])

    def test_delete_of_a_missing_record_is_404_for_administrators(self):
        for bad in (MISSING, 'abc'):
            with self.subTest(id=bad):
                self.assertProblem(self.delete({'id': bad}), 404)


class PathContract:
    """The ids, query parameters and methods of a record's paths."""

    def test_non_uuid_ids_in_the_path_are_404(self):
        a = self.world.administrator
        record = self.add()
        rid = record['id']
        requests = [('GET', suffix, None) for suffix in ('',) + self.reads_under]
        requests += [('PATCH', '', self.change('X'))] if self.updatable else []
        requests += [('DELETE', '', None)] if self.deletable else []
        for bad in BAD_IDS + (rid[:-1], rid + '0', rid.replace('-', '')):
            for method, suffix, body in requests:
                with self.subTest(id=bad, method=method, suffix=suffix):
                    r = self.request(method, self.item_path(dict(record, id=bad)) + suffix, a, body=body)
                    self.assertProblem(r, 404)
        self.assertUnchanged(record)

    def test_upper_case_uuid_names_the_same_record(self):
        record = self.add()
        r = self.request('GET', self.item_path(dict(record, id=record['id'].upper())), self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), record)

    def test_reads_and_writes_of_one_record_take_no_query_parameters(self):
        w = self.world.worker_a1
        record = self.add()
        for suffix in ('',) + self.reads_under:
            self.assertProblem(self.request('GET', f'{self.item_path(record)}{suffix}?x=1', w), 422, ['x'])
        if self.updatable:
            self.assertProblem(self.request('PATCH', f'{self.item_path(record)}?x=1', w, body=self.change('Q')),
                               422, ['x'])
        parent = self.parent_of(record) if self.parent_path is not None else None
        path = self.nested_path(parent) if parent is not None else self.path
        self.assertProblem(self.request('POST', f'{path}?x=1', w, body=self.new_body(parent)), 422, ['x'])
        self.assertUnchanged(record)
        self.assertEqual(self.writes(), 1)

    def test_wrong_methods_are_405(self):
        a = self.world.administrator
        record = self.add()
        wrong = [('PUT', self.item_path(record)), ('POST', self.item_path(record))]
        wrong += [(m, self.item_path(record)) for m in ('PATCH', 'DELETE')
                  if not getattr(self, {'PATCH': 'updatable', 'DELETE': 'deletable'}[m])]
        if self.parent_path is not None:
            nested = self.nested_path(self.parent_of(record))
            wrong += [('PATCH', nested), ('DELETE', nested)]
        if self.parent_path is not None and self.list_path is not None:
            wrong += [('POST', self.list_path), ('DELETE', self.list_path)]
        for suffix in self.reads_under:   # a history is only read; other reads under a record take no change
            methods = ('POST', 'PATCH', 'PUT', 'DELETE') if suffix == '/history' else ('PATCH', 'PUT', 'DELETE')
            wrong += [(method, self.item_path(record) + suffix) for method in methods]
        for method, path in wrong:
            with self.subTest(method=method, path=path):
                r = self.request(method, path, a, body={})
                self.assertProblem(r, 405)
                self.assertNotIn(method, {m.strip() for m in r.header('Allow').split(',')})
        self.assertUnchanged(record)


class ParentContract:
    """A record under a parent is reached through it."""

    def test_create_under_a_missing_or_malformed_parent_is_404(self):
        w = self.world
        pid = self.default_parent()['id']
        for bad in (MISSING, 'abc', pid[:-1], pid + '0'):
            with self.subTest(parent=bad):
                self.assertProblem(self.post(self.new_body(), {'id': bad}, w.administrator), 404)
                self.assertProblem(self.request('GET', self.nested_path({'id': bad}), w.administrator), 404)
        for who in (w.worker_a1, w.supervisor_a, w.integration):
            with self.subTest(role=who.role):
                self.assertProblem(self.post(self.new_body(), {'id': MISSING}, who), 404)
                self.assertProblem(self.request('GET', self.nested_path({'id': MISSING}), who), 404)

    def test_deleting_the_parent_hides_its_records(self):
        w = self.world
        parent = self.make_parent()
        record = self.add(parent)
        r = self.request('DELETE', f'{self.parent_path}/{parent["id"]}', w.administrator)
        self.assertEqual(r.status, 204, r)
        for who in (w.worker_a1, w.administrator, w.auditor, w.integration):
            with self.subTest(role=who.role):
                for suffix in ('',) + self.reads_under:
                    self.assertProblem(self.request('GET', self.item_path(record) + suffix, who), 404)
                self.assertProblem(self.request('GET', self.nested_path(parent), who), 404)
                if self.list_path is not None:
                    self.assertEqual(self.list_ids(self.list_path, who, **{self.parent_field: parent['id']}), [])
        if self.updatable:
            self.assertProblem(self.patch(record, self.change('X'), w.administrator), 404)
        if self.deletable:
            self.assertProblem(self.delete(record), 404)
        self.assertProblem(self.post(self.new_body(parent), parent, w.administrator), 404)
        self.assertEqual(self.stored_count(parent), 1)


class ListContract:
    """The list under a parent and the list across parents: oldest first, in
    keyset pages that give every record once."""

    def test_the_list_under_a_parent_holds_its_records_oldest_first(self):
        made = [self.add() for _ in range(3)]
        self.add(self.make_parent())
        r = self.request('GET', self.nested_path(self.default_parent()), self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        self.assertEqual(r.json(), {'items': made, 'next_cursor': None})

    def test_the_list_under_a_parent_without_records_is_empty(self):
        r = self.request('GET', self.nested_path(self.make_parent()), self.world.worker_a1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {'items': [], 'next_cursor': None})

    def test_walking_all_pages_gives_every_record_once_in_a_stable_order(self):
        made = [self.add() for _ in range(7)]
        expected = [r['id'] for r in sorted(made, key=lambda r: (r['created_at'], r['id']))]
        for path in (self.nested_path(self.default_parent()), self.list_path):
            for limit in (1, 2, 3, 7, 8, 500):
                with self.subTest(path=path, limit=limit):
                    pages = self.pages(path, self.world.worker_a1, limit)
                    self.assertEqual([i for page in pages for i in page], expected)
                    self.assertTrue(all(len(page) == limit for page in pages[:-1]))
                    self.assertEqual(len(pages), max(1, -(-7 // limit)))

    def test_updated_since_filter(self):
        old, changed = self.add(), self.add()
        since = self.patched(changed, self.change('Later'))['updated_at']
        w = self.world.worker_a1
        nested = self.nested_path(self.default_parent())
        self.assertEqual(self.list_ids(nested, w, updated_since=since), [changed['id']])
        self.assertEqual(self.list_ids(self.list_path, w, updated_since=since), [changed['id']])
        self.assertEqual(self.list_ids(nested, w, updated_since='2000-01-01T00:00:00-05:00'),
                         [old['id'], changed['id']])
        self.assertEqual(self.list_ids(nested, w, updated_since='2000-01-01T00:00:00+02:00'),
                         [old['id'], changed['id']])
        self.assertEqual(self.list_ids(nested, w, updated_since='2099-01-01T00:00:00Z'), [])

    def test_lists_hold_the_same_records_as_single_reads(self):
        self.add(**self.full_body())
        self.add()
        w = self.world.worker_a1
        for path in (self.nested_path(self.default_parent()), self.list_path):
            for item in self.list_all(path, w, limit=1):
                self.assertEqual(self.request('GET', self.item_path(item), w).json(), item)

    def test_the_parent_filter_of_the_list_across_parents(self):
        s = self.world.supervisor_a
        here = [self.add(), self.add()]
        other = self.make_parent(self.world.worker_a2)
        there = [self.add(other, self.world.worker_a2)]
        for parent, records in ((self.default_parent(), here), (other, there)):
            with self.subTest(parent=parent['id']):
                ids = [r['id'] for r in records]
                self.assertEqual(self.list_ids(self.list_path, s, **{self.parent_field: parent['id']}), ids)
                self.assertEqual(self.list_ids(self.list_path, s, limit=1, **{self.parent_field: parent['id']}),
                                 ids)
        self.assertEqual(set(self.list_ids(self.list_path, s)), {r['id'] for r in here + there})
        self.assertEqual(self.list_ids(self.list_path, s, **{self.parent_field: MISSING}), [])
        self.assertProblem(self.request('GET', query(self.list_path, **{self.parent_field: 'abc'}), s), 422,
                           [self.parent_field])
        self.assertProblem(self.request('GET', query(self.nested_path(self.default_parent()),
                                                     **{self.parent_field: self.default_parent()['id']}), s),
                           422, [self.parent_field])

    def test_bad_list_parameters_are_422(self):
        self.add()
        w = self.world.worker_a1
        other_cursor = self.foreign_cursor()
        for path in (self.nested_path(self.default_parent()), self.list_path):
            for params, fields in (('updated_since=yesterday', ['updated_since']),
                                   ('updated_since=2026-01-01', ['updated_since']),
                                   ('limit=0', ['limit']), ('limit=501', ['limit']), ('limit=x', ['limit']),
                                   ('cursor=abc', ['cursor']), (f'cursor={other_cursor}', ['cursor']),
                                   ('nope=1', ['nope']), ('limit=-1&nope=1', ['limit', 'nope'])):
                with self.subTest(path=path, params=params):
                    self.assertProblem(self.request('GET', f'{path}?{params}', w), 422, fields)

    def foreign_cursor(self):
        """A cursor of another kind's list (cases)."""
        self.create_case(self.world.administrator)
        cursor = self.request('GET', '/v1/cases?limit=1', self.world.administrator).json()['next_cursor']
        self.assertIsNotNone(cursor)
        return cursor


class LifecycleContract:
    """A kind with a status machine. The kind names its statuses, moves_from
    ({status: the statuses it may move to}) and record_in(status), a new record
    in that status on which it may move."""

    statuses = ()
    moves_from = {}

    def record_in(self, status):
        raise NotImplementedError

    def records_in_every_status(self):
        return {status: self.record_in(status) for status in self.statuses}

    def assertMoved(self, before, after):
        """What else a move does, for a kind that records more (a hook)."""

    def assertNotMoved(self, record):
        self.assertUnchanged(record)

    def test_every_allowed_move(self):
        for start, targets in self.moves_from.items():
            for target in targets:
                with self.subTest(move=f'{start}->{target}'):
                    record = self.record_in(start)
                    r = self.patch(record, {'status': target})
                    self.assertEqual(r.status, 200, r)
                    moved = r.json()
                    self.assertEqual((moved['status'], moved['version']), (target, record['version'] + 1))
                    self.assertEqual(r.header('ETag'), f'"{record["version"] + 1}"')
                    self.assertEqual(self.current(record), moved)
                    self.assertMoved(record, moved)

    def test_every_forbidden_move_is_409_naming_the_allowed_ones(self):
        for start, record in self.records_in_every_status().items():
            for target in set(self.statuses) - set(self.moves_from[start]) - {start}:
                with self.subTest(move=f'{start}->{target}'):
                    p = self.assertProblem(self.patch(record, {'status': target}), 409)
                    self.assertNotIn('errors', p)
                    for allowed in self.moves_from[start]:
                        self.assertIn(allowed, p['detail'])
                    if not self.moves_from[start]:
                        self.assertIn('final', p['detail'])
            self.assertNotMoved(record)

    def test_keeping_the_status_is_no_move(self):
        for status, record in self.records_in_every_status().items():
            with self.subTest(status=status):
                r = self.patch(record, {'status': status})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.json(), record)
                self.assertEqual(r.header('ETag'), f'"{record["version"]}"')
                self.assertNotMoved(record)

    def test_a_bad_status_is_422(self):
        record = self.record_in(self.statuses[1])
        for bad in ('done', '', None, 3, self.statuses[1].upper(), [self.statuses[2]]):
            with self.subTest(status=bad):
                self.assertInvalid(self.patch(record, {'status': bad}), ['status'])
        self.assertNotMoved(record)


class RecordContract(CreateContract, UpdateContract, DeleteContract, PathContract):
    """The contract of a kind of record that is created, changed and deleted."""


class ChildRecordContract(RecordContract, ParentContract, ListContract):
    """The contract of a kind of record under a parent, listed under it and across parents."""
