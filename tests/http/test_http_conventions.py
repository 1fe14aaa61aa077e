"""HTTP conventions every endpoint keeps: body limits and media types, malformed
bodies, unknown paths and methods, strict query parameters, request ids,
caching, CORS, and a request log that holds no personal data."""
import json
import re
import socket
import urllib.parse

import harness
from base import ApiTest, query

UUID_RE = r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
SMALL_LIMIT = 1024


def send(service, method, path, headers=None, body=None, chunks=None):
    """One request on a new connection with exactly these headers; chunks (a list
    of bytes) go out with Transfer-Encoding: chunked."""
    return service.request(method, path, headers=headers, raw=body, chunks=chunks)


def case_body_of_size(size, case_number=None):
    """A valid case JSON body of exactly size bytes (padded with trailing spaces)."""
    text = json.dumps({'case_number': case_number or harness.unique('CN'), 'family_name': 'Padded',
                       'case_type': 'in_home'}).encode()
    assert len(text) <= size
    return text + b' ' * (size - len(text))


class ConventionTest(ApiTest):
    def assertNoCaseNumbered(self, case_number):
        n = self.cluster.psql(f"SELECT count(*) FROM cases WHERE case_number = '{case_number}'")
        self.assertEqual(n.strip(), '0')

    def post_raw(self, raw, content_type='application/json', path='/v1/cases', method='POST', who=None):
        headers = {} if content_type is None else {'Content-Type': content_type}
        return self.request(method, path, who or self.world.worker_a1, raw=raw, headers=headers)


class BodyLimitTest(ConventionTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.small = cls.class_service('small-body', CASEWORK_MAX_BODY_BYTES=str(SMALL_LIMIT))

    def small_post(self, **kw):
        headers = {'Content-Type': 'application/json',
                   'Authorization': f'Bearer {self.world.worker_a1.token}'}
        headers.update(kw.pop('headers', {}))
        return send(self.small, 'POST', '/v1/cases', headers=headers, **kw)

    def test_body_above_the_limit_is_413(self):
        number = harness.unique('CN')
        r = self.small_post(body=case_body_of_size(SMALL_LIMIT + 1, number))
        self.assertProblem(r, 413)
        self.assertNoCaseNumbered(number)

    def test_body_far_above_the_limit_is_413(self):
        number = harness.unique('CN')
        r = self.small_post(body=case_body_of_size(256 * 1024, number))
        self.assertProblem(r, 413)
        self.assertNoCaseNumbered(number)

    def test_body_exactly_at_the_limit_is_processed(self):
        number = harness.unique('CN')
        r = self.small_post(body=case_body_of_size(SMALL_LIMIT, number))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['case_number'], number)

    def test_chunked_body_above_the_limit_is_413(self):
        number = harness.unique('CN')
        body = case_body_of_size(3 * SMALL_LIMIT, number)
        r = self.small_post(chunks=[body[i:i + 300] for i in range(0, len(body), 300)])
        self.assertProblem(r, 413)
        self.assertNoCaseNumbered(number)

    def test_chunked_body_within_the_limit_is_processed(self):
        number = harness.unique('CN')
        body = case_body_of_size(SMALL_LIMIT, number)
        r = self.small_post(chunks=[body[:100], body[100:700], body[700:]])
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['case_number'], number)

    def test_patch_above_the_limit_is_413(self):
        case = self.create_case(self.world.worker_a1)
        body = json.dumps({'family_name': 'Patched'}).encode() + b' ' * SMALL_LIMIT
        r = send(self.small, 'PATCH', f'/v1/cases/{case["id"]}', body=body,
                 headers={'Content-Type': 'application/json',
                          'Authorization': f'Bearer {self.world.worker_a1.token}'})
        self.assertProblem(r, 413)
        self.assertEqual(self.request('GET', f'/v1/cases/{case["id"]}', self.world.worker_a1).json(), case)

    def test_default_limit_is_one_mebibyte(self):
        number = harness.unique('CN')
        r = self.post_raw(case_body_of_size(1048577, number))
        self.assertProblem(r, 413)
        self.assertNoCaseNumbered(number)
        r = self.post_raw(case_body_of_size(1048576, number))
        self.assertEqual(r.status, 201, r)


def send_raw(service, data):
    """Writes data on a new connection and reads until the server closes it; returns
    what came back (b'' when the server closed without an answer), checked against
    the contract when it is an answer."""
    with socket.create_connection(('127.0.0.1', service.port), timeout=30) as s:
        s.sendall(data)
        out = b''
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    answer = harness.parse_answer(out)
    if answer is not None:
        method, target = data.split(b' ', 2)[:2]
        harness.received(method.decode('latin-1'), target.decode('latin-1'), answer)
    return out


class OversizedRequestTest(ConventionTest):
    """Requests whose line or headers are too large for the HTTP layer are refused
    without harm: the service keeps answering and stops cleanly (no leak reported
    by the sanitizer build). Each runs against its own service so that a problem
    is reported here rather than at the end of the run.

    libmicrohttpd closes such a connection without an answer; in its epoll mode
    only when the idle timeout expires, so these services use a short one."""

    def refuse_without_harm(self, name, data):
        svc = self.cluster.start_service(name, CASEWORK_IDLE_TIMEOUT_SECONDS='2')
        try:
            answer = send_raw(svc, data)
            if answer:
                status = int(answer.split(b' ', 2)[1])
                self.assertIn(status, (400, 413, 414, 422, 431), answer[:200])
            self.assertEqual(svc.request('GET', '/healthz').status, 200)
            r = svc.request('GET', '/v1/cases', token=self.world.worker_a1.token)
            self.assertEqual(r.status, 200, r)
        finally:
            problems = svc.stop()
        self.assertEqual(problems, [])

    def request_bytes(self, target, headers=b''):
        return (b'GET ' + target + b' HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ' +
                self.world.worker_a1.token.encode() + b'\r\n' + headers + b'Connection: close\r\n\r\n')

    def test_very_long_url_is_refused_without_harm(self):
        self.refuse_without_harm('long-url', self.request_bytes(b'/v1/cases?status=' + b'x' * 40000))

    def test_very_large_header_is_refused_without_harm(self):
        self.refuse_without_harm('large-header', self.request_bytes(b'/v1/cases', b'X-Big: ' + b'x' * 40000 + b'\r\n'))

    def test_thousands_of_headers_are_refused_without_harm(self):
        headers = b''.join(b'X-H%d: v\r\n' % i for i in range(3000))
        self.refuse_without_harm('many-headers', self.request_bytes(b'/v1/cases', headers))

    def test_a_thousand_query_parameters_are_refused_without_harm(self):
        target = b'/v1/cases?' + b'&'.join(b'k%d=1' % i for i in range(1000))
        self.refuse_without_harm('many-query-parameters', self.request_bytes(target))


class MediaTypeTest(ConventionTest):
    def test_post_without_json_content_type_is_415(self):
        for content_type in ('text/plain', 'application/x-www-form-urlencoded', None, 'application/jsonx',
                             'json', 'text/json', 'application/problem+json', 'multipart/form-data; boundary=x'):
            with self.subTest(content_type=content_type):
                number = harness.unique('CN')
                raw = json.dumps({'case_number': number, 'family_name': 'F', 'case_type': 'in_home'}).encode()
                self.assertProblem(self.post_raw(raw, content_type), 415)
                self.assertNoCaseNumbered(number)

    def test_patch_without_json_content_type_is_415(self):
        case = self.create_case(self.world.worker_a1)
        for content_type in ('text/plain', 'application/x-www-form-urlencoded', None):
            with self.subTest(content_type=content_type):
                r = self.post_raw(b'{"family_name": "X"}', content_type, path=f'/v1/cases/{case["id"]}',
                                  method='PATCH')
                self.assertProblem(r, 415)
        self.assertEqual(self.request('GET', f'/v1/cases/{case["id"]}', self.world.worker_a1).json(), case)

    def test_merge_patch_media_type_is_for_patch_only(self):
        raw = json.dumps({'case_number': harness.unique('CN'), 'family_name': 'F', 'case_type': 'in_home'}).encode()
        self.assertProblem(self.post_raw(raw, 'application/merge-patch+json'), 415)
        case = self.create_case(self.world.worker_a1)
        r = self.post_raw(b'{"family_name": "X"}', 'application/merge-patch+json', path=f'/v1/cases/{case["id"]}',
                          method='PATCH')
        self.assertEqual(r.status, 200, r)

    def test_json_content_type_with_parameters_or_other_case_is_accepted(self):
        for content_type in ('application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=UTF-8'):
            with self.subTest(content_type=content_type):
                raw = json.dumps({'case_number': harness.unique('CN'), 'family_name': 'F',
                                  'case_type': 'in_home'}).encode()
                self.assertEqual(self.post_raw(raw, content_type).status, 201)


class MalformedBodyTest(ConventionTest):
    BAD_BODIES = {
        'malformed': b'{"case_number": "x", "family_name": ',
        'trailing garbage': b'{"case_number": "x"} x',
        'two objects': b'{} {}',
        'duplicate keys': b'{"case_number": "a", "family_name": "F", "case_type": "in_home", "case_number": "b"}',
        'array': b'[{"case_number": "a"}]',
        'string': b'"a case"',
        'number': b'42',
        'null': b'null',
        'true': b'true',
        'invalid utf-8': b'{"case_number": "a", "family_name": "\xff\xfe", "case_type": "in_home"}',
        'overlong utf-8': b'{"case_number": "a", "family_name": "\xc0\xaf", "case_type": "in_home"}',
        'lone surrogate': b'{"case_number": "a", "family_name": "\\ud800", "case_type": "in_home"}',
        'nul escape': b'{"case_number": "a", "family_name": "A\\u0000B", "case_type": "in_home"}',
        'empty': b'',
        'whitespace only': b'   \n',
        'single quotes': b"{'case_number': 'a'}",
        'comment': b'{"case_number": "a" /* c */}',
        'huge integer': b'{"case_number": 123456789012345678901234567890}',
        'deep nesting': b'[' * 5000 + b']' * 5000,
        'bom': b'\xef\xbb\xbf{"case_number": "a", "family_name": "F", "case_type": "in_home"}',
    }

    def test_malformed_post_bodies_are_400(self):
        for name, raw in self.BAD_BODIES.items():
            with self.subTest(body=name):
                self.assertProblem(self.post_raw(raw), 400)

    def test_malformed_patch_bodies_are_400(self):
        case = self.create_case(self.world.worker_a1)
        for name, raw in self.BAD_BODIES.items():
            with self.subTest(body=name):
                r = self.post_raw(raw, path=f'/v1/cases/{case["id"]}', method='PATCH')
                self.assertProblem(r, 400)
        self.assertEqual(self.request('GET', f'/v1/cases/{case["id"]}', self.world.worker_a1).json(), case)

    def test_a_problem_names_no_value_from_the_body(self):
        secret = harness.unique('Secretname')
        r = self.post_raw(f'{{"family_name": "{secret}", '.encode())
        self.assertProblem(r, 400)
        self.assertNotIn(secret, r.body.decode())
        r = self.post_raw(json.dumps({'case_number': 'a', 'family_name': 'F', 'case_type': secret}).encode())
        self.assertProblem(r, 422, ['case_type'])
        self.assertNotIn(secret, r.body.decode())

    def test_many_bad_fields_do_not_break_the_answer(self):
        body = {f'unknown_{i}': i for i in range(300)}
        r = self.request('POST', '/v1/cases', self.world.worker_a1, body=body)
        p = self.assertProblem(r, 422)
        self.assertGreater(len(p['errors']), 0)
        self.assertLessEqual(len(p['errors']), 303)

    def test_a_long_unknown_field_name_is_still_refused(self):
        for name in ('k' * 5000, 'a' * 99 + 'é', 'a' * 98 + '漢', 'a' * 97 + '𝒜', 'é' * 300):
            with self.subTest(name=name[:10] + f'...({len(name)} characters)'):
                number = harness.unique('CN')
                r = self.request('POST', '/v1/cases', self.world.worker_a1,
                                 body={'case_number': number, 'family_name': 'F', 'case_type': 'in_home',
                                       name: 1})
                p = self.assertProblem(r, 422)
                self.assertEqual(len(p['errors']), 1, p)
                self.assertTrue(name.startswith(p['errors'][0]['field']), p)
                self.assertNoCaseNumbered(number)


class RoutingTest(ConventionTest):
    def test_unknown_paths_are_404(self):
        for path in ('/', '/v1', '/v1/', '/v1/case', '/v2/cases', '/v1/cases/', '/v1/cases//',
                     '/v1/cases/00000000-0000-4000-8000-000000000000/unknown', '/V1/CASES',
                     '/v1/cases/00000000-0000-4000-8000-000000000000/permanency-goals/x', '/healthz/x'):
            for who in (self.world.worker_a1, None):
                with self.subTest(path=path, token=who is not None):
                    self.assertProblem(self.request('GET', path, who), 404)

    def test_wrong_method_is_405_with_allow(self):
        case_path = '/v1/cases/00000000-0000-4000-8000-000000000000'
        expected = [('PUT', '/v1/cases', {'GET', 'POST'}), ('DELETE', '/v1/cases', {'GET', 'POST'}),
                    ('PATCH', '/v1/cases', {'GET', 'POST'}), ('PUT', case_path, {'GET', 'PATCH', 'DELETE'}),
                    ('POST', case_path, {'GET', 'PATCH', 'DELETE'}),
                    ('POST', case_path + '/permanency-goals', {'GET'}), ('DELETE', '/v1/audit', {'GET'}),
                    ('POST', '/healthz', {'GET'})]
        for method, path, allowed in expected:
            with self.subTest(method=method, path=path):
                r = self.request(method, path, self.world.administrator)
                self.assertProblem(r, 405)
                allow = {m.strip() for m in (r.header('Allow') or '').split(',')}
                self.assertEqual(allow, allowed | {'HEAD', 'OPTIONS'}, r.header('Allow'))

    def test_unknown_method_is_405_or_501_never_500(self):
        r = self.request('BREW', '/v1/cases', self.world.administrator)
        self.assertIn(r.status, (405, 501), r)


class QueryParameterTest(ConventionTest):
    def assertQueryInvalid(self, params, fields, path='/v1/cases'):
        r = self.request('GET', path + '?' + params, self.world.administrator)
        self.assertProblem(r, 422, fields)

    def test_unknown_query_parameters_are_422(self):
        self.assertQueryInvalid('foo=1', ['foo'])
        self.assertQueryInvalid('case_id=x', ['case_id'])
        self.assertQueryInvalid('Status=open', ['Status'])
        self.assertQueryInvalid('offset=10&page=2', ['offset', 'page'])

    def test_bad_limit_is_422(self):
        for value in ('0', '501', '-1', 'ten', '', '1.5', '5x', '+5', '1000000000000', '%205', '0x10'):
            with self.subTest(limit=value):
                self.assertQueryInvalid(f'limit={value}', ['limit'])

    def test_limit_at_the_edges_is_accepted(self):
        for value in ('1', '500', '50'):
            with self.subTest(limit=value):
                r = self.request('GET', f'/v1/cases?limit={value}', self.world.worker_a1)
                self.assertEqual(r.status, 200, r)

    def test_bad_cursor_is_422(self):
        for value in ('abc', 'x' * 34, 'A' * 34, '', '%00', 'x' * 1000):
            with self.subTest(cursor=value[:20]):
                self.assertQueryInvalid(f'cursor={value}', ['cursor'])

    def test_bad_updated_since_is_422(self):
        for value in ('yesterday', '2026-01-01', '2026-01-01T00:00:00', '2026-02-30T00:00:00Z',
                      '2026-01-01T25:00:00Z', '2026-01-01 00:00:00Z', '1700000000', ''):
            with self.subTest(updated_since=value):
                self.assertQueryInvalid('updated_since=' + urllib.parse.quote(value), ['updated_since'])

    def test_good_updated_since_forms_are_accepted(self):
        for value in ('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.123456Z', '2026-01-01T00:00:00+05:30',
                      '2026-01-01T00:00:00-05:00'):
            with self.subTest(updated_since=value):
                r = self.request('GET', query('/v1/cases', updated_since=value), self.world.worker_a1)
                self.assertEqual(r.status, 200, r)

    def test_bad_filter_values_are_422(self):
        self.assertQueryInvalid('status=pending', ['status'])
        self.assertQueryInvalid('assigned_worker=' + 'w' * 256, ['assigned_worker'])
        self.assertQueryInvalid('unit=%01', ['unit'])
        self.assertQueryInvalid('status=%FF', ['status'])
        self.assertQueryInvalid('%FF=1', ['(not UTF-8)'])

    def test_a_long_unknown_query_parameter_is_still_refused(self):
        for name in ('a' * 99 + 'é', 'é' * 200):
            with self.subTest(name=name[:10]):
                r = self.request('GET', '/v1/cases?' + urllib.parse.quote(name) + '=1', self.world.worker_a1)
                p = self.assertProblem(r, 422)
                self.assertEqual(len(p['errors']), 1, p)

    def test_single_record_paths_refuse_query_parameters(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        path = f'/v1/cases/{case["id"]}'
        for method, target, body in (('GET', path, None), ('PATCH', path, {'family_name': 'Changed'}),
                                     ('DELETE', path, None), ('GET', path + '/permanency-goals', None),
                                     ('POST', '/v1/cases', {'case_number': harness.unique('CN'),
                                                            'family_name': 'F', 'case_type': 'in_home'})):
            with self.subTest(method=method, path=target):
                r = self.request(method, target + '?expand=all', self.world.administrator, body=body)
                self.assertProblem(r, 422, ['expand'])
        self.assertEqual(self.request('GET', path, w).json(), case)

    def test_a_parameter_without_a_name_is_422_and_hides_nothing(self):
        # The server stops reading a query at a nameless parameter: limit=0 after
        # one was once never seen, and the list answered 200 with 50 records.
        for params in ('&limit=0', '=1&limit=0', '%00=1&limit=0', 'status=open&&limit=0'):
            with self.subTest(params=params):
                self.assertQueryInvalid(params, ['(no name)'])
        r = self.request('GET', '/v1/cases?limit=1&', self.world.worker_a1)
        self.assertEqual(r.status, 200, r)

    def test_every_bad_query_parameter_is_listed_at_once(self):
        self.assertQueryInvalid('limit=0&cursor=x&foo=1&status=nope&updated_since=now',
                                ['limit', 'cursor', 'foo', 'status', 'updated_since'])

    def test_a_required_parameter_is_called_required_only_when_missing(self):
        for path, missing, malformed in (
                ('/v1/reports/referral-outcomes?to=2025-02-30', ('from', 'is required, as YYYY-MM-DD'),
                 ('to', 'must be a real calendar date written YYYY-MM-DD, between 1900 and 2100')),
                ('/v1/reports/visit-compliance?from=2025-13', ('to', 'is required, as YYYY-MM'),
                 ('from', 'must be a month written YYYY-MM, between 1900 and 2100'))):
            with self.subTest(path=path):
                p = self.assertProblem(self.request('GET', path, self.world.supervisor_a), 422)
                self.assertEqual(sorted((e['field'], e['message']) for e in p['errors']),
                                 sorted([missing, malformed]), p)


class RepeatedQueryParameterTest(ConventionTest):
    """a=1&a=2 is refused on every path, never read as "1,2" nor as either value."""
    REPEATED = 'is given more than once; give it once'

    def assertErrors(self, r, errors):
        p = self.assertProblem(r, 422)
        self.assertEqual(sorted((e['field'], e['message']) for e in p['errors']), sorted(errors), p)

    def test_a_list_refuses_a_repeated_filter(self):
        w = self.world.supervisor_a
        for params in (f'unit={w.unit}&unit={self.world.unit_b}', f'unit={w.unit}&unit={w.unit}',
                       f'unit={w.unit}&%75nit={w.unit}', f'%75%6E%69%74={w.unit}&unit={w.unit}'):
            with self.subTest(params=params):
                self.assertErrors(self.request('GET', '/v1/cases?' + params, w), [('unit', self.REPEATED)])

    def test_a_repeated_parameter_is_named_once_among_the_other_errors(self):
        r = self.request('GET', '/v1/cases?limit=5&limit=5&status=open&status=closed&cursor=x',
                         self.world.administrator)
        p = self.assertProblem(r, 422)
        messages = {(e['field'], e['message']) for e in p['errors']}
        self.assertEqual(len(p['errors']), 3, p)
        self.assertIn(('limit', self.REPEATED), messages)
        self.assertIn(('status', self.REPEATED), messages)
        self.assertEqual([e['field'] for e in p['errors'] if e['field'] == 'cursor'], ['cursor'])

    def test_a_value_with_a_comma_given_once_is_not_a_repeat(self):
        r = self.request('GET', query('/v1/cases', unit='a,b'), self.world.administrator)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['items'], [])

    def test_a_report_refuses_a_repeated_parameter(self):
        w = self.world.supervisor_a
        for path, errors in (
                ('/v1/reports/referral-outcomes?from=2025-01-01&from=2025-01-02&to=2025-01-31',
                 [('from', self.REPEATED)]),
                ('/v1/reports/referral-outcomes?from=2025-01-01&to=2025-01-31&to=2025-01-31',
                 [('to', self.REPEATED)]),
                ('/v1/reports/visit-compliance?from=2025-01&to=2025-02&to=2025-03',
                 [('to', self.REPEATED)]),
                ('/v1/reports/plan-reviews?due_within_days=5&due_within_days=5',
                 [('due_within_days', self.REPEATED)]),
                (f'/v1/reports/plan-reviews?unit={w.unit}&unit={w.unit}', [('unit', self.REPEATED)])):
            with self.subTest(path=path):
                self.assertErrors(self.request('GET', path, w), errors)
                self.assertErrors(self.request('GET', path, w, headers={'Accept': 'text/csv'}), errors)

    def test_a_post_refuses_a_repeated_parameter_and_creates_nothing(self):
        number = harness.unique('CN')
        body = {'case_number': number, 'family_name': 'F', 'case_type': 'in_home'}
        r = self.request('POST', '/v1/cases?dry_run=1&dry_run=1', self.world.worker_a1, body=body)
        self.assertErrors(r, [('dry_run', 'is not a query parameter of this request')])
        self.assertNoCaseNumbered(number)
        case = self.create_case(self.world.worker_a1)
        r = self.request('POST', f'/v1/cases/{case["id"]}/participants?role=child&role=child',
                         self.world.worker_a1, body={'first_name': 'A', 'last_name': 'B', 'role': 'child'})
        self.assertErrors(r, [('role', 'is not a query parameter of this request')])
        self.assertEqual(self.request('GET', f'/v1/cases/{case["id"]}/participants',
                                      self.world.worker_a1).json()['items'], [])


class RequestIdTest(ConventionTest):
    def rid(self, value):
        return self.request('GET', '/v1/cases?limit=1', self.world.worker_a1,
                            headers={'X-Request-Id': value}).header('X-Request-Id')

    def test_the_answer_carries_the_services_own_request_id_not_the_clients(self):
        for value in ('abc-123', 'A' * 64, 'trace.id:42_x', '0', '6b1f3c2e-8d4a-4e7b-9f05-2c7a1d9e4b38'):
            with self.subTest(value=value):
                got = self.rid(value)
                self.assertNotEqual(got, value)
                self.assertRegex(got, UUID_RE)

    def test_unsafe_request_id_is_replaced(self):
        for value in ('A' * 65, 'has space', 'a/b', 'quote"d', 'semi;colon', '<script>', 'é'.encode().decode('latin-1'),
                      '{"json":1}'):
            with self.subTest(value=value):
                got = self.rid(value)
                self.assertNotEqual(got, value)
                self.assertRegex(got, UUID_RE)

    def test_generated_request_ids_differ(self):
        ids = {self.request('GET', '/healthz').header('X-Request-Id') for _ in range(5)}
        self.assertEqual(len(ids), 5)
        for rid in ids:
            self.assertRegex(rid, UUID_RE)

    def test_problem_carries_the_request_id(self):
        r = self.request('GET', '/v1/nowhere', self.world.worker_a1, headers={'X-Request-Id': 'rid-problem-1'})
        self.assertRegex(r.header('X-Request-Id'), UUID_RE)
        self.assertEqual(r.json().get('request_id'), r.header('X-Request-Id'))


class CacheControlTest(ConventionTest):
    def test_every_answer_is_no_store(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        answers = {
            'list': self.request('GET', '/v1/cases', w),
            'get': self.request('GET', f'/v1/cases/{case["id"]}', w),
            'create': self.request('POST', '/v1/cases', w, body={'case_number': harness.unique('CN'),
                                                                 'family_name': 'F', 'case_type': 'in_home'}),
            'patch': self.request('PATCH', f'/v1/cases/{case["id"]}', w, body={'family_name': 'G'}),
            'delete': self.request('DELETE', f'/v1/cases/{case["id"]}', self.world.administrator),
            '401': self.request('GET', '/v1/cases'),
            '404': self.request('GET', '/v1/nowhere', w),
            '405': self.request('PUT', '/v1/cases', w),
            '422': self.request('GET', '/v1/cases?limit=0', w),
            'healthz': self.request('GET', '/healthz'),
        }
        for name, r in answers.items():
            with self.subTest(answer=name):
                self.assertEqual(r.header('Cache-Control'), 'no-store', r)


class CorsTest(ConventionTest):
    ORIGIN = 'https://app.example.org'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cors = cls.class_service('cors', CASEWORK_CORS_ORIGINS=cls.ORIGIN)

    def preflight(self, path, origin=None, service=None, method='POST'):
        return send(service or self.cors, 'OPTIONS', path,
                    headers={'Origin': origin or self.ORIGIN, 'Access-Control-Request-Method': method,
                             'Access-Control-Request-Headers': 'authorization, content-type, if-match'})

    def cors_headers(self, r):
        return {k.lower(): v for k, v in r.headers.items() if k.lower().startswith('access-control-')}

    @staticmethod
    def listed(value):
        return {v.strip().lower() for v in (value or '').split(',') if v.strip()}

    def test_preflight_from_an_allowed_origin(self):
        r = self.preflight('/v1/cases')
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header('Access-Control-Allow-Origin'), self.ORIGIN)
        self.assertLessEqual({'get', 'post'}, self.listed(r.header('Access-Control-Allow-Methods')))
        self.assertLessEqual({'authorization', 'if-match', 'idempotency-key', 'content-type'},
                             self.listed(r.header('Access-Control-Allow-Headers')))
        self.assertIn('origin', self.listed(r.header('Vary')))

    def test_preflight_for_a_record_lists_its_methods(self):
        r = self.preflight('/v1/cases/00000000-0000-4000-8000-000000000000', method='PATCH')
        self.assertEqual(r.status, 204, r)
        self.assertLessEqual({'get', 'patch', 'delete'}, self.listed(r.header('Access-Control-Allow-Methods')))

    def test_preflight_for_a_put_by_number(self):
        r = self.preflight('/v1/cases/by-number/ST-1', method='PUT')
        self.assertEqual(r.status, 204, r)
        self.assertLessEqual({'get', 'put'}, self.listed(r.header('Access-Control-Allow-Methods')))

    def test_answers_to_an_allowed_origin_expose_headers(self):
        w = self.world.worker_a1
        headers = {'Origin': self.ORIGIN, 'Authorization': f'Bearer {w.token}', 'Content-Type': 'application/json'}
        body = json.dumps({'case_number': harness.unique('CN'), 'family_name': 'F', 'case_type': 'in_home'})
        for method, path, data in (('POST', '/v1/cases', body), ('GET', '/v1/cases', None),
                                   ('GET', '/v1/nowhere', None)):
            with self.subTest(method=method, path=path):
                r = send(self.cors, method, path, headers=headers, body=data)
                self.assertEqual(r.header('Access-Control-Allow-Origin'), self.ORIGIN, r)
                self.assertEqual({'etag', 'location', 'x-request-id', 'idempotent-replayed', 'next-cursor',
                                  'content-disposition', 'retry-after'},
                                 self.listed(r.header('Access-Control-Expose-Headers')))
        r = send(self.cors, 'GET', '/v1/cases', headers={'Origin': self.ORIGIN})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header('Access-Control-Allow-Origin'), self.ORIGIN)

    def test_reports_vary_by_accept_and_origin(self):
        r = send(self.cors, 'GET', '/v1/reports/plan-reviews',
                 headers={'Origin': self.ORIGIN, 'Authorization': f'Bearer {self.world.supervisor_a.token}'})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Vary'), 'Accept, Origin')

    def test_other_origins_get_no_cors_headers(self):
        w = self.world.worker_a1
        for origin in ('https://evil.example.org', 'http://app.example.org', 'https://app.example.org.evil.net',
                       'https://app.example.org:8443', 'null', 'https://APP.example.org/'):
            with self.subTest(origin=origin):
                r = self.preflight('/v1/cases', origin=origin)
                self.assertNotIn(r.status, (500,), r)
                self.assertEqual(self.cors_headers(r), {}, r.headers)
                r = send(self.cors, 'GET', '/v1/cases',
                         headers={'Origin': origin, 'Authorization': f'Bearer {w.token}'})
                self.assertEqual(r.status, 200, r)
                self.assertEqual(self.cors_headers(r), {}, r.headers)

    def test_no_cors_headers_without_configured_origins(self):
        r = self.preflight('/v1/cases', service=self.api)
        self.assertEqual(self.cors_headers(r), {}, r.headers)
        r = send(self.api, 'GET', '/v1/cases',
                 headers={'Origin': self.ORIGIN, 'Authorization': f'Bearer {self.world.worker_a1.token}'})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.cors_headers(r), {}, r.headers)

    def test_preflight_needs_no_token_and_changes_nothing(self):
        r = self.preflight('/v1/cases/00000000-0000-4000-8000-000000000000', method='DELETE')
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')

    def test_preflight_for_an_unknown_path_is_404(self):
        r = self.preflight('/v1/nowhere')
        self.assertEqual(r.status, 404, r)


class RequestLogTest(ConventionTest):
    def lines_for(self, request_id):
        return self.api.log_lines_for(request_id)

    def test_one_json_line_per_request_with_route_template(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        rid = harness.unique('rid')
        r = self.request('GET', f'/v1/cases/{case["id"]}', w, headers={'X-Request-Id': rid})
        self.assertEqual(r.status, 200)
        own = r.header('X-Request-Id')
        r = self.request('GET', f'/v1/cases/{case["id"]}', w, headers={'X-Request-Id': rid + '-2'})
        lines = self.lines_for(rid)
        self.assertEqual(len(lines), 1, lines)
        line = lines[0]
        self.assertEqual((line['request_id'], line['client_request_id']), (own, rid))
        self.assertEqual(line['method'], 'GET')
        self.assertEqual(line['route'], '/v1/cases/{id}')
        self.assertEqual(line['status'], 200)
        self.assertIsInstance(line['duration_ms'], (int, float))
        self.assertGreaterEqual(line['duration_ms'], 0)
        self.assertEqual(line['sub'], w.sub)
        self.assertNotIn(case['id'], json.dumps(line))

    def test_log_lines_for_errors_and_anonymous_callers(self):
        w = self.world.worker_a1
        checks = [
            ('POST', '/v1/cases', w, {'case_number': 'x'}, '/v1/cases', 422, w.sub),
            ('GET', '/v1/cases', None, None, '/v1/cases', 401, None),
            ('GET', '/v1/cases/not-a-uuid/permanency-goals', w, None, '/v1/cases/{id}/permanency-goals', 404, w.sub),
            ('PUT', '/v1/cases', w, None, None, 405, None),
            ('GET', '/v1/nowhere-at-all', w, None, None, 404, None),
            ('GET', '/healthz', None, None, '/healthz', 200, None),
        ]
        for method, path, who, body, route, status, sub in checks:
            with self.subTest(method=method, path=path):
                rid = harness.unique('rid')
                r = self.request(method, path, who, body=body, headers={'X-Request-Id': rid})
                self.assertEqual(r.status, status, r)
                lines = self.lines_for(rid)
                self.assertEqual(len(lines), 1, lines)
                self.assertEqual((lines[0]['method'], lines[0]['route'], lines[0]['status']),
                                 (method, route, status))
                if route is not None:
                    self.assertEqual(lines[0]['sub'], sub)
                self.assertNotIn('nowhere-at-all', json.dumps(lines[0]))

    def test_an_unsafe_client_request_id_is_not_logged(self):
        r = self.request('GET', '/healthz', headers={'X-Request-Id': 'not acceptable'})
        lines = self.lines_for(r.header('X-Request-Id'))
        self.assertEqual(len(lines), 1)
        self.assertIsNone(lines[0]['client_request_id'])
        lines = self.lines_for(self.request('GET', '/healthz').header('X-Request-Id'))
        self.assertEqual([line['client_request_id'] for line in lines], [None])

    def test_log_never_holds_names_tokens_or_body_values(self):
        w = self.world
        family = harness.unique('Quorvathsen')
        number = harness.unique('SACWIS-NUM')
        reason = harness.unique('Closure-reason-text')
        worker_secret = harness.unique('worker-filter-value')
        bad_enum = harness.unique('bad-enum-value')
        path_secret = harness.unique('path-secret')
        case = self.create_case(w.worker_a1, family_name=family, case_number=number)
        cid = case['id']
        self.request('PATCH', f'/v1/cases/{cid}', w.worker_a1,
                     body={'status': 'closed', 'closure_reason': reason, 'family_name': family + '-renamed'})
        self.request('POST', '/v1/cases', w.worker_a1,
                     body={'case_number': number, 'family_name': family, 'case_type': 'in_home'})   # 409
        self.request('POST', '/v1/cases', w.worker_a1,
                     body={'case_number': harness.unique('CN'), 'family_name': family, 'case_type': bad_enum})
        self.request('POST', '/v1/cases', w.worker_a1, raw=f'{{"family_name": "{family}"'.encode(),
                     headers={'Content-Type': 'application/json'})
        self.request('GET', query('/v1/cases', assigned_worker=worker_secret), w.supervisor_a)
        self.request('GET', query('/v1/cases', bogus=family), w.supervisor_a)
        self.request('GET', f'/v1/cases/{path_secret}', w.supervisor_a)
        self.request('GET', f'/v1/{path_secret}', w.supervisor_a)
        self.request('GET', query('/v1/audit', resource_id=cid), w.auditor)
        bad_token = w.worker_a1.token[:-4] + 'AAAA'
        last = harness.unique('rid')
        self.request('GET', '/v1/cases', bad_token, headers={'X-Request-Id': last})
        self.assertEqual(len(self.api.log_lines_for(last)), 1)   # everything before it is written too
        text = self.api.log_text() + self.api.stderr()
        for secret in (family, number, reason, worker_secret, bad_enum, path_secret, cid):
            with self.subTest(value=secret):
                self.assertNotIn(secret, text)
        for persona in (w.worker_a1, w.supervisor_a, w.auditor):
            token = persona.token
            self.assertNotIn(token, text)
            self.assertNotIn(token.split('.')[2], text)
        self.assertNotIn(bad_token.split('.')[2], text)
        self.assertNotIn(bad_token.split('.')[1], text)

    def test_every_log_line_is_json(self):
        self.request('GET', '/v1/cases', self.world.worker_a1)
        with open(self.api.log_path, encoding='utf-8') as f:
            for line in f:
                if line.strip():
                    doc = json.loads(line)
                    self.assertIsInstance(doc, dict)
                    self.assertIn('time', doc)
                    self.assertTrue(re.match(r'^\d{4}-\d\d-\d\dT', doc['time']), doc)


class CheckOrderTest(ConventionTest):
    def test_the_role_is_checked_before_query_parameters(self):
        case = self.create_case(self.world.worker_a1)
        for method, path, body in (('POST', '/v1/cases', {'case_number': harness.unique('CN')}),
                                   ('PATCH', f'/v1/cases/{case["id"]}', {'family_name': 'X'}),
                                   ('DELETE', f'/v1/cases/{case["id"]}', None)):
            with self.subTest(method=method):
                r = self.request(method, path + '?stray=1', self.world.auditor, body=body)
                p = self.assertProblem(r, 403)
                self.assertNotIn('errors', p)

    def test_query_and_body_errors_are_listed_together(self):
        r = self.request('POST', '/v1/cases?stray=1', self.world.worker_a1, body={'family_name': 5})
        self.assertProblem(r, 422, ['stray', 'family_name', 'case_number', 'case_type'])

    def test_only_a_422_lists_field_errors(self):
        r = self.request('DELETE', '/v1/cases/00000000-0000-4000-8000-000000000000?stray=1',
                         self.world.worker_a1)
        p = self.assertProblem(r, 403)
        self.assertNotIn('errors', p)


class TraceContextTest(ConventionTest):
    """A W3C traceparent makes the request a span of the caller's trace, in the log
    and in PostgreSQL's application_name; a broken one is ignored, never refused."""

    TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
    PARENT = '00f067aa0ba902b7'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One database connection, the one every request of this service runs on,
        # named by the connection URL.
        cls.api = cls.class_service('traced', CASEWORK_DB_POOL_SIZE='1',
                                    CASEWORK_DATABASE_URL=cls.cluster.database_url + ' application_name=traced')

    def traced_line(self, traceparent, path='/healthz', who=None):
        headers = {} if traceparent is None else {'traceparent': traceparent}
        r = self.request('GET', path, who, headers=headers)
        self.assertEqual(r.status, 200, r)
        lines = self.api.log_lines_for(r.header('X-Request-Id'))
        self.assertEqual(len(lines), 1, lines)
        return lines[0]

    def traced_names(self):
        return {name for name in self.application_names() if name.startswith('00-')}

    def application_names(self):
        """The names of this service's connections (only its requests carry traceparent;
        its change numbering has a connection of its own, named by the URL too)."""
        return set(self.cluster.psql(
            "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE '00-%' "
            "OR application_name = 'traced'").split())

    def test_a_valid_traceparent_is_in_the_log_line(self):
        line = self.traced_line(f'00-{self.TRACE}-{self.PARENT}-01')
        self.assertEqual((line['trace_id'], line['parent_id']), (self.TRACE, self.PARENT))
        self.assertRegex(line['span_id'], r'^[0-9a-f]{16}$')
        self.assertNotEqual(line['span_id'], self.PARENT)
        other = self.traced_line(f'00-{self.TRACE}-{self.PARENT}-00')
        self.assertNotEqual(other['span_id'], line['span_id'], 'each request is a span of its own')
        untraced = self.traced_line(None)
        self.assertEqual((untraced['trace_id'], untraced['span_id'], untraced['parent_id']), (None, None, None))

    def test_a_later_version_is_read_by_its_first_55_characters(self):
        line = self.traced_line(f'01-{self.TRACE}-{self.PARENT}-01-and-more-fields')
        self.assertEqual(line['trace_id'], self.TRACE)

    def test_a_broken_traceparent_is_ignored(self):
        t, p = self.TRACE, self.PARENT
        broken = {
            'upper-case hex': f'00-{t.upper()}-{p}-01',
            'all-zero trace id': f'00-{"0" * 32}-{p}-01',
            'all-zero parent id': f'00-{t}-{"0" * 16}-01',
            'version ff': f'ff-{t}-{p}-01',
            'version 00 with more': f'00-{t}-{p}-01-x',
            'a later version going on without a dash': f'01-{t}-{p}-01x',
            'too short': f'00-{t}-{p[:-1]}-01',
            'other separators': f'00_{t}_{p}_01',
            'flags not hex': f'00-{t}-{p}-0g',
            'empty': '',
            'junk': 'x' * 300,
        }
        for what, header in broken.items():
            with self.subTest(what):
                line = self.traced_line(header)
                self.assertIsNone(line['trace_id'], line)

    def test_two_traceparent_headers_are_ignored(self):
        raw = (f'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
               f'traceparent: 00-{self.TRACE}-{self.PARENT}-01\r\n'
               f'traceparent: 00-{"1" * 32}-{self.PARENT}-01\r\n\r\n').encode()
        with socket.create_connection(('127.0.0.1', self.api.port)) as s:
            s.sendall(raw)
            answer = b''
            while chunk := s.recv(65536):
                answer += chunk
        r = harness.received('GET', '/healthz', harness.parse_answer(answer))
        self.assertEqual(r.status, 200, r)
        line = self.api.log_lines_for(r.header('X-Request-Id'))[0]
        self.assertIsNone(line['trace_id'], line)

    def test_postgresql_sees_the_request_span_as_application_name(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        line = self.traced_line(f'00-{self.TRACE}-{self.PARENT}-01', f'/v1/cases/{case["id"]}', w)
        self.assertIn(f'00-{self.TRACE}-{line["span_id"]}-01', self.application_names())
        # A write runs its transaction under the name too.
        r = self.request('PATCH', f'/v1/cases/{case["id"]}', w, body={'family_name': 'Traced'},
                         headers={'traceparent': f'00-{"2" * 32}-{self.PARENT}-01'})
        self.assertEqual(r.status, 200, r)
        span = self.api.log_lines_for(r.header('X-Request-Id'))[0]['span_id']
        self.assertEqual(self.traced_names(), {f'00-{"2" * 32}-{span}-01'})
        # A trace its caller does not record (not sampled) is logged, not passed on.
        line = self.traced_line(f'00-{"3" * 32}-{self.PARENT}-00', f'/v1/cases/{case["id"]}', w)
        self.assertEqual(line['trace_id'], '3' * 32)
        self.assertEqual(self.traced_names(), set())
        # So does an untraced request: the connection has its own name back.
        self.traced_line(f'00-{"4" * 32}-{self.PARENT}-01', f'/v1/cases/{case["id"]}', w)
        self.traced_line(None, f'/v1/cases/{case["id"]}', w)
        self.assertEqual(self.traced_names(), set())
        self.assertIn('traced', self.application_names())
        # Lists read their rows a chunk at a time, under the name as well.
        line = self.traced_line(f'00-{"5" * 32}-{self.PARENT}-01', '/v1/cases?limit=1', w)
        self.assertEqual(self.traced_names(), {f'00-{"5" * 32}-{line["span_id"]}-01'})
