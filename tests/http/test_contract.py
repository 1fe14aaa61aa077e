"""The contract served by the service it describes: GET /openapi.yaml and
/openapi.json answer, without a token, the openapi.yaml this service was built
with. (That every answer of this suite keeps the contract is checked on every
request: harness.received and conformance.py.)"""
import hashlib
import json
import re

import harness
from base import MISSING, ApiTest


class ServedContractTest(ApiTest):
    def test_openapi_yaml_is_the_document_the_service_was_built_with(self):
        r = self.request('GET', '/openapi.yaml')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/yaml')
        with open(harness.CONTRACT_PATH, 'rb') as f:
            source = f.read()
        self.assertEqual(hashlib.sha256(r.body).hexdigest(), hashlib.sha256(source).hexdigest(),
                         'the service serves another openapi.yaml than the source tree has (rebuild it)')

    def test_openapi_json_is_the_same_document_as_json(self):
        r = self.request('GET', '/openapi.json')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header('Content-Type'), 'application/json')
        self.assertTrue(json.loads(r.body) == harness.contract().document,
                        'the JSON is not openapi.yaml as JSON (rebuild the service)')

    def test_the_contract_needs_no_token_and_ignores_a_bad_one(self):
        for path in ('/openapi.yaml', '/openapi.json'):
            with self.subTest(path=path):
                self.assertEqual(self.request('GET', path, 'not-a-token').status, 200)
                self.assertEqual(self.request('GET', path + '?any=thing').status, 200)

    def test_head_gives_the_headers_without_the_document(self):
        r = self.request('HEAD', '/openapi.json')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, b'')
        self.assertEqual(r.header('Content-Type'), 'application/json')

    def test_the_contract_is_not_written_to(self):
        r = self.request('PUT', '/openapi.yaml', self.world.administrator, body={})
        self.assertProblem(r, 405)
        self.assertEqual(r.header('Allow'), 'GET, HEAD, OPTIONS')


class RolesTest(ApiTest):
    """x-roles, the roles each operation lists, is what the service does: a token of
    one role not listed is refused (403) before the query, the body and the record
    are looked at; a listed role is not refused for its role. Each operation is
    asked with ids that name no record and an empty body, so that a listed role gets
    its 404 or 422 instead."""

    PATH_VALUES = {'id': MISSING, 'note': MISSING, 'case_number': 'NO-SUCH-NUMBER'}

    def personas(self):
        w = self.world
        return {'caseworker': w.worker_a1, 'supervisor': w.supervisor_a, 'administrator': w.administrator,
                'auditor': w.auditor, 'integration': w.integration}

    def test_every_operation_lists_its_roles(self):
        known = set(self.personas())
        for template, method, op in harness.contract().operations():
            with self.subTest(operation=op['operationId']):
                self.assertIn('x-roles', op)
                self.assertLessEqual(set(op['x-roles']), known)
                self.assertEqual(op['x-roles'] == [], op.get('security') == [],
                                 'exactly the operations without a token list no roles')

    def test_a_role_not_listed_is_refused_and_a_listed_one_is_not(self):
        for template, method, op in harness.contract().operations():
            if op.get('security') == []:
                continue
            path = re.sub(r'\{(\w+)\}', lambda m: self.PATH_VALUES[m.group(1)], template)
            body = {} if 'requestBody' in op else None
            for role, who in self.personas().items():
                with self.subTest(operation=op['operationId'], role=role):
                    r = self.request(method.upper(), path, who, body=body)
                    if role in op['x-roles']:
                        self.assertNotEqual(r.status, 403, r)
                    else:
                        self.assertEqual(r.status, 403, r)
