"""The contract served by the service it describes: GET /openapi.yaml and
/openapi.json answer, without a token, the openapi.yaml this service was built
with. (That every answer of this suite keeps the contract is checked on every
request: harness.received and conformance.py.)"""
import hashlib
import json

import harness
from base import ApiTest


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
