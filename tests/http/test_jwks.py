"""Keys from a JWK Set file (CASEWORK_JWT_JWKS_FILE): a token's kid and alg
select the key, the file is read again on SIGHUP without a restart, keys
that leave the set take their tokens with them, and an unusable set is
refused at start and ignored on reload. Claim mapping (role, unit and
subject claims, role map) for tokens shaped the way identity providers
shape them."""
import json
import os
import time

import harness
from base import at_once
from test_auth import AuthAssertions
from test_config import ConfigTest

class JwksService(AuthAssertions):
    """A service of its own with a JWK Set file, started per test class or per test."""

    @classmethod
    def make_keys(cls):
        cls.rsa1 = cls.cluster.key_pair('rsa')
        cls.rsa2 = cls.cluster.key_pair('rsa')
        cls.ec1 = cls.cluster.key_pair('ec')

    def start_with(self, keys, alg='RS256,ES256', **settings):
        path = harness.write_jwks(os.path.join(self.cluster.dir, f'{harness.unique("jwks")}.json'), keys)
        svc = self.own_service(harness.unique('jwks'), CASEWORK_JWT_JWKS_FILE=path, CASEWORK_JWT_ALG=alg,
                               CASEWORK_JWT_SECRET_FILE=None, **settings)
        return svc, path

    def token(self, key, kid, alg=None, header=None, **claims):
        alg = alg or ('RS256' if key.kind == 'rsa' else 'ES256')
        head = {'kid': kid} if kid is not None else {}
        head.update(header or {})
        return self.cluster.signed_token(key, alg, sub=claims.pop('sub', harness.unique('worker')), header=head,
                                         **claims)


class JwksFileTest(JwksService):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_keys()
        path = harness.write_jwks(os.path.join(cls.cluster.dir, 'jwks-file-test.json'),
                                  [cls.rsa1.jwk('r1', use='sig', alg='RS256'), cls.ec1.jwk('e1'),
                                   cls.rsa2.jwk('enc-1', use='enc')])
        cls.svc = cls.class_service('jwks-file', CASEWORK_JWT_JWKS_FILE=path, CASEWORK_JWT_ALG='RS256,ES256',
                                    CASEWORK_JWT_SECRET_FILE=None)

    def test_tokens_naming_their_key_are_accepted_by_rs256_and_es256(self):
        self.assertAccepted(self.get_with(self.token(self.rsa1, 'r1'), self.svc))
        self.assertAccepted(self.get_with(self.token(self.ec1, 'e1'), self.svc))

    def test_typ_at_jwt_is_accepted_as_well_as_jwt(self):
        for typ in ('at+jwt', 'application/at+jwt', 'JWT'):
            with self.subTest(typ=typ):
                token = self.token(self.rsa1, 'r1', header={'typ': typ})
                self.assertAccepted(self.get_with(token, self.svc))

    def test_token_without_kid_is_refused_when_the_set_has_several_keys(self):
        self.assertRefused(self.token(self.rsa1, None), self.svc)

    def test_token_naming_an_unknown_kid_is_refused(self):
        self.assertRefused(self.token(self.rsa1, 'r9'), self.svc)

    def test_token_signed_by_an_encryption_key_of_the_set_is_refused(self):
        self.assertRefused(self.token(self.rsa2, 'enc-1'), self.svc)

    def test_token_naming_the_right_kid_but_signed_by_another_key_is_refused(self):
        self.assertRefused(self.token(self.rsa2, 'r1'), self.svc)

    def test_kid_naming_a_key_of_another_type_is_refused(self):
        # An ES256 token naming the RSA key, and an RS256 token naming the EC key.
        self.assertRefused(self.token(self.ec1, 'r1', alg='ES256'), self.svc)
        self.assertRefused(self.token(self.rsa1, 'e1', alg='RS256'), self.svc)

    def test_hmac_token_is_refused_while_a_jwk_set_is_configured(self):
        with open(os.path.join(self.cluster.dir, 'jwks-file-test.json'), 'rb') as f:
            jwks_text = f.read()
        for secret in (self.cluster.secret, self.rsa1.public_pem(), jwks_text):
            for kid in ('r1', None):
                with self.subTest(secret=secret[:12], kid=kid):
                    head = {'alg': 'HS256', 'typ': 'JWT', **({'kid': kid} if kid else {})}
                    token = harness.jwt_encode(head, self.claims(), harness.hmac_signature(secret))
                    self.assertRefused(token, self.svc)

    def test_jku_x5u_and_jwk_headers_pointing_elsewhere_are_ignored(self):
        attacker = self.cluster.key_pair('rsa')
        elsewhere = {'jku': 'http://127.0.0.1:9/jwks', 'x5u': 'http://127.0.0.1:9/cert.pem',
                     'jwk': attacker.jwk('r1')}
        # Signed by the attacker's key, which the header carries or points at: refused.
        for name, value in elsewhere.items():
            with self.subTest(header=name):
                self.assertRefused(self.token(attacker, 'r1', header={name: value}), self.svc)
        # Signed by the set's key: the extra members change nothing.
        self.assertAccepted(self.get_with(self.token(self.rsa1, 'r1', header=elsewhere), self.svc))

    def test_crit_header_is_refused(self):
        self.assertRefused(self.token(self.rsa1, 'r1', header={'crit': ['exp'], 'exp': 1}), self.svc)

    def test_service_is_ready_with_a_file(self):
        self.assertEqual(self.svc.request('GET', '/readyz').status, 200)


class JwksReloadTest(JwksService):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.make_keys()

    def test_sighup_brings_in_a_new_key_and_the_service_keeps_running(self):
        svc, path = self.start_with([self.rsa1.jwk('r1')])
        new_key_token = self.token(self.rsa2, 'r2')
        self.assertRefused(new_key_token, svc)
        # Rotation, step one: the new key is published first, the old one stays.
        harness.write_jwks(path, [self.rsa2.jwk('r2'), self.rsa1.jwk('r1')])
        svc.reload()
        self.eventually(lambda: self.get_with(new_key_token, svc).status == 200, 'the new key is used')
        self.assertAccepted(self.get_with(self.token(self.rsa1, 'r1'), svc))
        self.assertIsNone(svc.proc.poll(), 'SIGHUP must not end the service')
        self.assertEqual(svc.request('GET', '/readyz').status, 200)

    def test_a_key_that_leaves_the_set_takes_its_remembered_tokens_along(self):
        svc, path = self.start_with([self.rsa2.jwk('r2'), self.rsa1.jwk('r1')])
        old = self.token(self.rsa1, 'r1')
        new = self.token(self.rsa2, 'r2')
        for _ in range(2):  # the second answer comes from the token cache
            self.assertAccepted(self.get_with(old, svc))
        harness.write_jwks(path, [self.rsa2.jwk('r2')])
        svc.reload()
        self.eventually(lambda: self.get_with(old, svc).status == 401, 'the removed key is refused')
        self.assertAccepted(self.get_with(new, svc))

    def test_requests_in_flight_are_never_refused_because_of_a_reload(self):
        svc, path = self.start_with([self.rsa1.jwk('r1'), self.rsa2.jwk('r2')])
        tokens = [self.token(self.rsa1, 'r1') for _ in range(40)]  # distinct: each one is verified
        sets = ([self.rsa1.jwk('r1'), self.rsa2.jwk('r2')], [self.ec1.jwk('e1'), self.rsa1.jwk('r1')])
        done = []

        def work(i):
            if i == 0:  # reloads sets that all keep r1, until the requests are done
                n = 0
                while len(done) < 4 and n < 500:
                    harness.write_jwks(path, sets[n % 2])
                    svc.reload()
                    n += 1
                    time.sleep(0.005)
                return n
            try:
                return [self.get_with(t, svc).status for t in tokens[(i - 1) * 10:i * 10]]
            finally:
                done.append(i)

        results = at_once(5, work)
        self.assertGreater(results[0], 1, 'reloads happened meanwhile')
        self.assertEqual(results[1:], [[200] * 10] * 4)
        self.assertIsNone(svc.proc.poll())

    def test_a_token_without_kid_works_while_the_set_has_one_key(self):
        svc, path = self.start_with([self.rsa1.jwk('r1')], alg='RS256')
        no_kid = self.token(self.rsa1, None)
        self.assertAccepted(self.get_with(no_kid, svc))
        harness.write_jwks(path, [self.rsa1.jwk('r1'), self.rsa2.jwk('r2')])
        svc.reload()
        self.eventually(lambda: self.get_with(self.token(self.rsa2, 'r2'), svc).status == 200, 'r2 is in force')
        self.assertRefused(self.token(self.rsa1, None), svc)

    def test_an_unusable_file_on_sighup_leaves_the_last_good_set_in_force(self):
        svc, path = self.start_with([self.rsa1.jwk('r1')])
        token = self.token(self.rsa1, 'r1')
        weak = self.cluster.key_pair('rsa', bits=512)
        for content in ('<html>maintenance</html>', json.dumps({'keys': [self.rsa1.jwk('r1', d='AQAB')]}),
                        json.dumps({'keys': [weak.jwk('w1')]}), None):
            with self.subTest(content=(content or 'no file')[:30]):
                if content is None:
                    os.remove(path)
                else:
                    with open(path, 'w') as f:
                        f.write(content)
                before = svc.log_text().count('the last good set stays in force')
                svc.reload()
                self.eventually(lambda: svc.log_text().count('the last good set stays in force') > before,
                                'the refusal is logged')
                self.assertAccepted(self.get_with(token, svc))
                self.assertAccepted(self.get_with(self.token(self.rsa1, 'r1'), svc))
        self.assertIsNone(svc.proc.poll())

    def test_sighup_without_a_jwk_set_changes_nothing(self):
        svc = self.own_service(harness.unique('hup'))
        svc.reload()
        self.eventually(lambda: 'nothing to reload' in svc.log_text(), 'the SIGHUP is logged')
        self.assertIsNone(svc.proc.poll())
        self.assertAccepted(self.get_with(self.cluster.token(), svc))


class ClaimMappingTest(JwksService):
    """Tokens shaped like a provider's: roles in realm_access.roles under the
    provider's own names, the unit in org.unit, the user in preferred_username."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.cluster.key_pair('rsa')
        path = harness.write_jwks(os.path.join(cls.cluster.dir, 'jwks-mapping.json'), [cls.key.jwk('m1')])
        cls.svc = cls.class_service(
            'claim-mapping', CASEWORK_JWT_JWKS_FILE=path, CASEWORK_JWT_SECRET_FILE=None,
            CASEWORK_JWT_ROLE_CLAIM='realm_access.roles', CASEWORK_JWT_UNIT_CLAIM='org.unit',
            CASEWORK_JWT_SUBJECT_CLAIM='preferred_username',
            CASEWORK_JWT_ROLE_MAP='cw-workers=caseworker,cw-supervisors=supervisor,state-sync=integration')

    def provider_token(self, username, roles, unit=None, **claims):
        body = {'sub': harness.unique('uuid'), 'preferred_username': username,
                'realm_access': {'roles': roles}, 'role': None}
        if unit:
            body['org'] = {'unit': unit}
        body.update(claims)
        return self.cluster.signed_token(self.key, 'RS256', header={'kid': 'm1', 'typ': 'at+jwt'}, **body)

    def test_a_mapped_caseworker_creates_a_case_assigned_to_the_user_name(self):
        user = harness.unique('jdoe')
        token = self.provider_token(user, ['offline_access', 'cw-workers'], unit='north')
        r = self.svc.request('POST', '/v1/cases', token=token,
                             body={'case_number': harness.unique('CN'), 'family_name': 'Mapped',
                                   'case_type': 'in_home'})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()['assigned_worker'], user)
        self.assertEqual(r.json()['unit'], 'north')

    def test_a_mapped_supervisor_sees_the_unit_and_needs_one(self):
        self.assertAccepted(self.get_with(self.provider_token('sup', ['cw-supervisors'], unit='north'), self.svc))
        self.assertRefused(self.provider_token('sup', ['cw-supervisors']), self.svc)

    def test_a_state_system_is_an_integration(self):
        token = self.provider_token('sacwis', 'state-sync')
        self.assertAccepted(self.get_with(token, self.svc, path='/v1/changes'))

    def test_a_valid_token_without_a_known_role_is_forbidden(self):
        for roles in (['offline_access', 'uma_authorization'], [], 'caseworker', ['administrator']):
            with self.subTest(roles=roles):
                self.assertProblem(self.get_with(self.provider_token('x', roles), self.svc), 403)
        # No realm_access at all: still a valid token, with no role.
        token = self.cluster.signed_token(self.key, 'RS256', header={'kid': 'm1'}, role=None,
                                          preferred_username='x')
        self.assertProblem(self.get_with(token, self.svc), 403)

    def test_the_default_claims_no_longer_count(self):
        # role and sub as a token minted for the default settings carries them.
        token = self.cluster.signed_token(self.key, 'RS256', header={'kid': 'm1'}, role='administrator',
                                          preferred_username='x')
        self.assertProblem(self.get_with(token, self.svc), 403)

    def test_a_token_without_the_subject_claim_is_refused(self):
        self.assertRefused(self.provider_token(None, ['cw-workers']), self.svc)


class JwksStartRefusalTest(ConfigTest):
    """A JWK Set file that cannot be used stops the start with one line."""

    def refused_set(self, content, *words, alg='RS256'):
        path = self.write('jwks', content if isinstance(content, (str, bytes)) else json.dumps(content))
        line = self.assertRefused('CASEWORK_JWT_JWKS_FILE', CASEWORK_JWT_JWKS_FILE=path, CASEWORK_JWT_ALG=alg,
                                  CASEWORK_JWT_SECRET_FILE=None)
        for word in words:
            self.assertIn(word, line)

    def test_a_512_bit_rsa_key_is_refused(self):
        weak = self.cluster.key_pair('rsa', bits=512)
        self.refused_set({'keys': [weak.jwk('w1')]}, '512 bits')

    def test_a_private_key_is_refused(self):
        rsa = self.cluster.key_pair('rsa')
        self.refused_set({'keys': [rsa.jwk('p1', d='AQAB', p='AQAB', q='AQAB')]}, 'private')
        self.refused_set({'keys': [rsa.jwk('p1'), {'kty': 'oct', 'k': 'c2VjcmV0LXNlY3JldA'}]}, 'private')

    def test_a_huge_set_is_refused(self):
        rsa = self.cluster.key_pair('rsa')
        self.refused_set({'keys': [rsa.jwk('h1', padding='x' * 70000)]}, '65536 bytes')
        self.refused_set({'keys': [rsa.jwk(f'k{i}', use='enc') for i in range(65)]}, 'at most 64')

    def test_a_deeply_nested_set_is_refused(self):
        rsa = self.cluster.key_pair('rsa')
        deep = rsa.jwk('d1')
        deep['x5c'] = [[[[[[[[['x']]]]]]]]]
        self.refused_set({'keys': [deep]}, 'nested deeper')
        self.refused_set('[' * 60000, 'nested deeper')

    def test_a_set_that_is_not_json_or_holds_no_usable_key_is_refused(self):
        rsa = self.cluster.key_pair('rsa')
        self.refused_set('<html>maintenance</html>', 'not JSON')
        self.refused_set({'keys': [rsa.jwk('r1', use='enc')]}, 'no signing key for RS256')
        self.refused_set({'keys': [rsa.jwk('r1')]}, 'no signing key for ES256', alg='ES256')

    def test_a_missing_file_is_refused(self):
        self.assertRefused('CASEWORK_JWT_JWKS_FILE', CASEWORK_JWT_JWKS_FILE=os.path.join(self.tmp, 'none.json'),
                           CASEWORK_JWT_SECRET_FILE=None)

    def test_a_jwk_set_with_a_secret_or_an_hmac_algorithm_is_refused(self):
        path = self.write('jwks', json.dumps({'keys': [self.cluster.key_pair('rsa').jwk('r1')]}))
        self.assertRefused('CASEWORK_JWT_SECRET_FILE', CASEWORK_JWT_JWKS_FILE=path)
        self.assertRefused('CASEWORK_JWT_ALG', CASEWORK_JWT_JWKS_FILE=path, CASEWORK_JWT_SECRET_FILE=None,
                           CASEWORK_JWT_ALG='HS256')
        self.assertRefused('CASEWORK_JWT_JWKS_URL', CASEWORK_JWT_JWKS_FILE=path, CASEWORK_JWT_SECRET_FILE=None,
                           CASEWORK_JWT_JWKS_URL='https://idp.example.org/jwks')

    def test_bad_claim_mapping_settings_are_refused(self):
        for name, value in (('CASEWORK_JWT_ROLE_MAP', 'cw-admins=root'), ('CASEWORK_JWT_ROLE_MAP', 'nothing'),
                            ('CASEWORK_JWT_ROLE_CLAIM', 'realm_access..roles'),
                            ('CASEWORK_JWT_SUBJECT_CLAIM', 'user name'), ('CASEWORK_JWT_UNIT_CLAIM', '.unit')):
            with self.subTest(name=name, value=value):
                self.assertRefused(name, **{name: value})

    def test_a_jwk_set_url_that_is_plain_http_elsewhere_is_refused(self):
        for url in ('http://idp.example.org/jwks', 'http://127.0.0.1.nip.io/jwks', 'https://u:p@idp/jwks'):
            with self.subTest(url=url):
                self.assertRefused('CASEWORK_JWT_JWKS_URL', CASEWORK_JWT_JWKS_URL=url, CASEWORK_JWT_SECRET_FILE=None)

    def test_help_lists_the_identity_provider_settings(self):
        done = self.cluster.run_caseworkd('--help')
        self.assertEqual(done.returncode, 0)
        for name in ('CASEWORK_JWT_JWKS_FILE', 'CASEWORK_JWT_JWKS_URL', 'CASEWORK_JWT_JWKS_REFRESH_SECONDS',
                     'CASEWORK_JWT_JWKS_MIN_INTERVAL_SECONDS', 'CASEWORK_JWT_JWKS_TIMEOUT_SECONDS',
                     'CASEWORK_JWT_ROLE_CLAIM', 'CASEWORK_JWT_ROLE_MAP', 'CASEWORK_JWT_UNIT_CLAIM',
                     'CASEWORK_JWT_SUBJECT_CLAIM'):
            self.assertIn(name, done.stdout)
