"""Against a real OpenID Connect provider (oidc-provider, tests/idp) on
loopback: state systems get RS256 access tokens (typ at+jwt, a kid, roles in
a nested claim) by the OAuth 2.0 client credentials grant, and the service
verifies them with the provider's JWK Set, fetched from its URL. Then the
provider rotates its keys (a new key first, the old one removed later), goes
down, serves garbage or unusable sets, or answers slowly."""
import json
import os
import time
import unittest

import harness
from base import at_once
from test_auth import AuthAssertions

WAIT_SECONDS = 15   # for what happens in the background; generous for the sanitizer build

ATTACKER_KEYS = {}

CLIENTS = [
    {'client_id': 'state-sync', 'client_secret': 'state-sync-secret-0123456789abcdef', 'roles': ['state-sync']},
    {'client_id': 'north-desk', 'client_secret': 'north-desk-secret-0123456789abcdef',
     'roles': ['cw-supervisors', 'offline_access'], 'unit': 'north'},
    {'client_id': 'kiosk', 'client_secret': 'kiosk-secret-0123456789abcdef0123', 'roles': ['Everyone']},
]


class ProviderCase(AuthAssertions):
    """A provider and a service that fetches its JWK Set, made per test or per class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        missing = harness.identity_provider_missing()
        if missing and os.environ.get('CASEWORK_TEST_IDP') == 'required':
            raise RuntimeError(f'the identity provider tests must run: {missing}')
        if missing:
            raise unittest.SkipTest(missing)

    @classmethod
    def provider_and_service(cls, name, provider_commands=(), wait_path='/readyz', **settings):
        provider = harness.IdentityProvider(cls.cluster.dir, CLIENTS)
        try:
            for command in provider_commands:
                provider.command(command)
            env = dict(CASEWORK_JWT_JWKS_URL=provider.jwks_url, CASEWORK_JWT_SECRET_FILE=None,
                       CASEWORK_JWT_ALG='RS256,ES256', CASEWORK_JWT_ISSUER=provider.issuer,
                       CASEWORK_JWT_AUDIENCE='urn:casework', CASEWORK_JWT_ROLE_CLAIM='casework.roles',
                       CASEWORK_JWT_UNIT_CLAIM='org.unit',
                       CASEWORK_JWT_ROLE_MAP='state-sync=integration,cw-supervisors=supervisor',
                       CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS='1', CASEWORK_JWT_JWKS_TIMEOUT_SECONDS='2')
            env.update(settings)
            svc = cls.cluster.start_service(harness.unique(name), wait_path=wait_path, **env)
        except Exception:
            provider.stop()
            raise
        return provider, svc

    def per_test(self, name, provider_commands=(), wait_path='/readyz', **settings):
        provider, svc = self.provider_and_service(name, provider_commands, wait_path, **settings)
        self.addCleanup(provider.stop)
        self.addCleanup(self.cluster.stop_service, svc)
        return provider, svc

    def status(self, svc, token, path='/v1/cases'):
        return svc.request('GET', path, token=token).status

    def forged(self, kid, alg='RS256', key=None, **header):
        """A token the provider never issued, naming kid, signed by a key of ours."""
        if key is None:
            kind = 'rsa' if alg == 'RS256' else 'ec'
            if kind not in ATTACKER_KEYS:
                ATTACKER_KEYS[kind] = self.cluster.key_pair(kind)
            key = ATTACKER_KEYS[kind]
        return self.cluster.signed_token(key, alg, header={'kid': kid, **header}, role=None,
                                         casework={'roles': ['state-sync']})


class ProviderTokensTest(ProviderCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider, cls.svc = cls.provider_and_service('idp')

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop_service(cls.svc)
        cls.provider.stop()
        super().tearDownClass()

    def test_the_provider_issues_at_jwt_tokens_with_a_kid_and_nested_roles(self):
        header, claims = (json.loads(harness.b64url_decode(part)) for part in
                          self.provider.token('state-sync').split('.')[:2])
        self.assertEqual((header['alg'], header['typ']), ('RS256', 'at+jwt'))
        self.assertIn(header['kid'], self.provider.command('stats')['kids'])
        self.assertEqual(claims['casework'], {'roles': ['state-sync']})
        self.assertEqual((claims['iss'], claims['aud']), (self.provider.issuer, 'urn:casework'))

    def test_a_state_system_reads_the_change_feed_and_writes_cases(self):
        token = self.provider.token('state-sync')
        self.assertEqual(self.status(self.svc, token, '/v1/changes'), 200)
        r = self.svc.request('POST', '/v1/cases', token=token,
                             body={'case_number': harness.unique('CN'), 'family_name': 'Provider',
                                   'case_type': 'in_home', 'assigned_worker': 'w-1', 'unit': 'north'})
        self.assertEqual(r.status, 201, r)
        history = self.svc.request('GET', f'/v1/cases/{r.json()["id"]}/history', token=token).json()
        self.assertEqual({e['actor'] for e in history['items']} if 'items' in history else {'state-sync'},
                         {'state-sync'})

    def test_a_supervisor_desk_gets_its_unit_from_a_nested_claim(self):
        self.assertEqual(self.status(self.svc, self.provider.token('north-desk')), 200)

    def test_a_client_without_a_known_role_is_forbidden(self):
        self.assertProblem(self.svc.request('GET', '/v1/cases', token=self.provider.token('kiosk')), 403)

    def test_a_kid_naming_a_key_of_another_type_is_refused_without_a_fetch(self):
        kid = self.provider.command('stats')['kids'][0]
        before = self.provider.jwks_requests()
        self.assertRefused(self.forged(kid, 'ES256'), self.svc)
        self.assertEqual(self.provider.jwks_requests(), before)

    def test_an_hmac_token_is_refused(self):
        with __import__('urllib.request').request.urlopen(self.provider.jwks_url) as r:
            jwks_text = r.read()
        kid = self.provider.command('stats')['kids'][0]
        for secret in (jwks_text, self.cluster.secret):
            with self.subTest(secret=secret[:10]):
                token = harness.jwt_encode({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid},
                                           self.claims(role=None, casework={'roles': ['state-sync']}),
                                           harness.hmac_signature(secret))
                self.assertRefused(token, self.svc)

    def test_a_key_offered_by_the_token_itself_is_ignored(self):
        attacker = self.cluster.key_pair('rsa')
        kid = self.provider.command('stats')['kids'][0]
        for header in ({'jwk': attacker.jwk(kid)}, {'jku': 'http://127.0.0.1:9/jwks'},
                       {'x5u': 'http://127.0.0.1:9/cert.pem'}):
            with self.subTest(header=list(header)[0]):
                self.assertRefused(self.forged(kid, key=attacker, **header), self.svc)

    def test_the_service_is_ready(self):
        self.assertEqual(self.svc.request('GET', '/readyz').status, 200)


class ProviderRotationTest(ProviderCase):
    def test_a_new_key_works_without_restart_and_its_unknown_kid_is_fetched_once(self):
        provider, svc = self.per_test('rotate', CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS='2')
        old_token = provider.token('state-sync')
        self.assertEqual(self.status(svc, old_token), 200)
        time.sleep(2.2)  # past the least interval since the fetch at start
        provider.command('add-key')  # published first, signs from now on
        new_token = provider.token('state-sync')
        self.assertNotEqual(old_token.split('.')[0], new_token.split('.')[0], 'another kid')
        before = provider.jwks_requests()
        statuses = at_once(12, lambda i: self.status(svc, new_token))
        self.assertEqual(statuses, [200] * 12)
        self.assertEqual(provider.jwks_requests() - before, 1, 'one fetch for twelve requests')
        # The old key is still published: its tokens still work.
        self.assertEqual(self.status(svc, old_token), 200)
        self.assertIsNone(svc.proc.poll())

    def test_unknown_kids_are_fetched_at_most_once_per_interval(self):
        interval = 2
        provider, svc = self.per_test('unknown-kid', CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS=str(interval))
        token = provider.token('state-sync')
        rounds = [[self.forged(harness.unique('kid')) for _ in range(8)] for _ in range(3)]
        time.sleep(interval + 0.2)  # past the interval since the fetch at start
        before = provider.jwks_requests()
        started = time.time()
        for forged in rounds:
            statuses = at_once(8, lambda i: self.status(svc, forged[i]))
            self.assertEqual(statuses, [401] * 8)
        elapsed = time.time() - started
        fetched = provider.jwks_requests() - before
        # 24 requests: the first fetched, the others waited for it or came too soon after.
        self.assertGreaterEqual(fetched, 1)
        self.assertLessEqual(fetched, 1 + int(elapsed / interval))
        if elapsed < interval:
            # Those that came too soon brought the next fetch forward to the interval's end.
            self.eventually(lambda: provider.jwks_requests() - before == fetched + 1, 'the deferred fetch')
        else:
            time.sleep(interval + 0.3)  # a slow machine: let any deferred fetch happen
        settled = provider.jwks_requests()
        time.sleep(interval + 0.3)
        self.assertEqual(provider.jwks_requests(), settled, 'no more fetches without new unknown kids')
        self.assertEqual(self.status(svc, token), 200)

    def test_tokens_of_a_removed_key_stop_after_the_next_refresh_by_max_age(self):
        # max-age 1 while the service's own refresh is 300 s: the provider's word counts.
        provider, svc = self.per_test('remove', provider_commands=('max-age 1',),
                                      CASEWORK_JWT_JWKS_REFRESH_SECONDS='300')
        old_token = provider.token('state-sync')
        self.assertEqual(self.status(svc, old_token), 200)
        self.assertEqual(self.status(svc, old_token), 200)  # now remembered
        provider.command('add-key')
        new_token = provider.token('state-sync')
        # At once, or at the next fetch when the last one was under a second ago.
        self.eventually(lambda: self.status(svc, new_token) == 200, 'the new key is used')
        fetched = provider.jwks_requests()
        provider.command('drop-old-keys')
        self.eventually(lambda: self.status(svc, old_token) == 401, 'the removed key is refused')
        self.assertGreater(provider.jwks_requests(), fetched)
        self.assertEqual(self.status(svc, new_token), 200)

    def test_a_provider_that_is_down_or_serves_unusable_sets_leaves_the_last_good_set(self):
        provider, svc = self.per_test('down')
        token = provider.token('state-sync')
        self.assertEqual(self.status(svc, token), 200)
        for mode in ('down', 'garbage', 'error', 'private', 'weak', 'huge', 'deep'):
            with self.subTest(mode=mode):
                provider.command(f'jwks {mode}')
                failures = svc.log_text().count('the last good set stays in force')
                svc.reload()  # fetch now
                self.eventually(lambda: svc.log_text().count('the last good set stays in force') > failures,
                                f'the failed fetch ({mode}) is logged')
                self.assertEqual(self.status(svc, token), 200)
                self.assertEqual(self.status(svc, provider.token('state-sync')), 200)
                self.assertEqual(svc.request('GET', '/readyz').status, 200)
        provider.command('jwks normal')
        self.assertIsNone(svc.proc.poll())

    def test_a_slow_provider_times_out_and_requests_with_known_keys_do_not_wait(self):
        # The fetch gives up after 3 s; the provider would answer after 6 s. A request
        # that waited for the fetch would take 3 s.
        provider, svc = self.per_test('slow', CASEWORK_JWT_JWKS_TIMEOUT_SECONDS='3')
        tokens = [provider.token('state-sync') for _ in range(8)]  # distinct: each one is verified
        self.assertEqual(self.status(svc, tokens[0]), 200)
        provider.command('jwks slow 6')
        failures = svc.log_text().count('the last good set stays in force')
        started = time.time()
        svc.reload()
        durations = []
        while svc.log_text().count('the last good set stays in force') == failures:
            self.assertLess(time.time() - started, WAIT_SECONDS, 'the fetch should have timed out')
            t = time.time()
            self.assertEqual(self.status(svc, tokens[len(durations) % len(tokens)]), 200)
            durations.append(time.time() - t)
        self.assertLess(time.time() - started, 5.5, 'the fetch gave up after its timeout, not the provider')
        self.assertIn('Timeout', svc.log_text())
        self.assertGreater(len(durations), 2)
        self.assertLess(max(durations), 1.5, 'a request with a known key waited for the fetch')

    def test_readyz_says_when_no_set_was_ever_loaded(self):
        provider, svc = self.per_test('never', provider_commands=('jwks down',), wait_path='/healthz')
        r = svc.request('GET', '/readyz')
        self.assertProblem(r, 503)
        self.assertIn('key set', r.json()['detail'])
        self.assertProblem(svc.request('GET', '/v1/cases', token=provider.token('state-sync')), 503)
        provider.command('jwks normal')
        svc.reload()
        self.eventually(lambda: svc.request('GET', '/readyz').status == 200, 'ready once a set is loaded')
        self.assertEqual(self.status(svc, provider.token('state-sync')), 200)
