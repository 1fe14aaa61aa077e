"""The service is up and answers the basics."""
from base import ApiTest


class HealthTest(ApiTest):
    def test_healthz_needs_no_token(self):
        r = self.request('GET', '/healthz')
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {'status': 'ok'})

    def test_readyz_is_ready_when_the_database_answers(self):
        r = self.request('GET', '/readyz')
        self.assertEqual(r.status, 200)

    def test_every_answer_has_a_request_id(self):
        r = self.request('GET', '/nowhere')
        self.assertTrue(r.header('X-Request-Id'))

    def test_the_answer_carries_the_services_own_request_id(self):
        r = self.request('GET', '/healthz', headers={'X-Request-Id': 'abc-123'})
        self.assertNotIn(r.header('X-Request-Id'), ('', 'abc-123'))

    def test_caseworker_creates_and_reads_a_case(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        r = self.request('GET', f'/v1/cases/{case["id"]}', w)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), case)
