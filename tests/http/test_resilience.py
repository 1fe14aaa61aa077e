"""The service rides out a database restart and does not let idle clients hold it."""
import os
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import promtext
from base import ApiTest


def wait_for(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


class DatabaseRestartTest(ApiTest):
    def pg_ctl(self, *args):
        data = os.path.join(self.cluster.dir, 'pgdata')
        self.cluster._pg('pg_ctl', '-D', data, '-w', *args)

    def statuses(self, path, who, count=40, headers=None):
        token = who.token
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(lambda _: self.api.request('GET', path, token=token, headers=headers).status,
                                 range(count)))

    def start_database(self):
        opts = (f"-c listen_addresses='' -c unix_socket_directories={self.cluster.dir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        self.pg_ctl('-o', opts, '-l', os.path.join(self.cluster.dir, 'postgres.log'), 'start')

    def test_database_restart_needs_no_service_restart(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        path = f'/v1/cases/{case["id"]}'
        self.assertEqual(set(self.statuses(path, w)), {200})  # opens every pooled connection
        self.pg_ctl('-m', 'fast', 'restart')
        # Every pooled connection notices the restart before it is used: no request fails.
        self.assertEqual(set(self.statuses(path, w)), {200})
        self.create_case(w)

    def test_traced_requests_ride_out_a_restart_too(self):
        """A sampled trace sets application_name in the same round trip as the
        first statement: a connection found dead there is replaced as well."""
        w = self.world.worker_a1
        case = self.create_case(w)
        path = f'/v1/cases/{case["id"]}'
        traced = {'traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'}
        self.assertEqual(set(self.statuses(path, w)), {200})
        self.pg_ctl('-m', 'fast', 'restart')
        self.assertEqual(set(self.statuses(path, w, headers=traced)), {200})
        self.assertEqual(set(self.statuses('/v1/cases?limit=2', w, headers=traced)), {200})

    def test_database_down_answers_503_then_recovers(self):
        w = self.world.worker_a1
        case = self.create_case(w)
        self.pg_ctl('-m', 'fast', 'stop')
        try:
            r = self.request('GET', f'/v1/cases/{case["id"]}', w)
            self.assertProblem(r, 503)
            self.assertEqual(r.header('Retry-After'), '1')
            down_at = time.monotonic()
            self.assertProblem(self.request('POST', '/v1/cases', w, body={}), 422)
            self.assertEqual(self.request('GET', '/healthz').status, 200)
            # The longer the outage, the longer clients are asked to wait.
            time.sleep(max(0.0, down_at + 2.5 - time.monotonic()))
            for path, who in ((f'/v1/cases/{case["id"]}', w), ('/readyz', None)):
                with self.subTest(path=path):
                    r = self.request('GET', path, who)
                    self.assertProblem(r, 503)
                    self.assertGreaterEqual(int(r.header('Retry-After')), 3)
                    self.assertLessEqual(int(r.header('Retry-After')), 30)
            metrics = promtext.parse(self.request('GET', '/metrics').body.decode())
            self.assertGreaterEqual(metrics['casework_db_pool_down_seconds'].value(pool='requests'), 2)
        finally:
            self.start_database()
        self.assertTrue(wait_for(lambda: self.request('GET', '/readyz').status == 200, 10))
        self.assertEqual(self.request('GET', f'/v1/cases/{case["id"]}', w).status, 200)


class IdleConnectionTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.svc = cls.class_service('idle', CASEWORK_IDLE_TIMEOUT_SECONDS='1')

    def closed_by_server(self, sock, seconds):
        sock.settimeout(seconds)
        try:
            return sock.recv(1024) == b''
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def test_idle_connection_is_closed(self):
        with socket.create_connection(('127.0.0.1', self.svc.port)) as s:
            self.assertTrue(self.closed_by_server(s, 5))

    def test_half_sent_request_is_closed(self):
        with socket.create_connection(('127.0.0.1', self.svc.port)) as s:
            s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n')
            self.assertTrue(self.closed_by_server(s, 5))
