"""Authentication through the real server: every way a bearer token can fail
answers 401 with WWW-Authenticate: Bearer and a problem body; a well-formed
token whose roles the service does not know answers 403; and the accepted
shapes (string or array roles, each signing algorithm) work."""
import json
import time

import harness
from base import ApiTest

PROTECTED = '/v1/cases'

# Every resource path of the contract, with a placeholder id. Those the service
# does not route yet are skipped by test_every_v1_route_needs_a_token (found by OPTIONS).
CONTRACT_PATHS = [
    '/v1/cases', '/v1/cases/{id}', '/v1/cases/{id}/participants', '/v1/participants/{id}',
    '/v1/cases/{id}/plans', '/v1/plans/{id}', '/v1/plans/{id}/goals', '/v1/goals/{id}',
    '/v1/cases/{id}/service-referrals', '/v1/service-referrals/{id}',
    '/v1/cases/{id}/visits', '/v1/visits/{id}', '/v1/plans', '/v1/goals',
    '/v1/service-referrals', '/v1/visits', '/v1/audit', '/v1/changes',
    '/v1/cases/{id}/permanency-goals', '/v1/reports/visit-compliance',
    '/v1/reports/plan-reviews', '/v1/reports/referral-outcomes', '/v1/reports/placement-stability',
    '/v1/participants/{id}/episodes', '/v1/episodes', '/v1/episodes/{id}', '/v1/episodes/{id}/placements',
    '/v1/placements', '/v1/placements/{id}',
]
SOME_ID = '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f'


class AuthAssertions(ApiTest):
    """Assertions shared by the authentication tests."""

    def assertUnauthenticated(self, r, token=None):
        self.assertProblem(r, 401)
        challenge = r.header('WWW-Authenticate')
        self.assertIsNotNone(challenge, 'a 401 must carry WWW-Authenticate')
        self.assertTrue(challenge.startswith('Bearer'), challenge)
        if token:
            self.assertNotIn(token.encode(), r.body, 'the answer must not echo the token')

    def assertAccepted(self, r):
        self.assertEqual(r.status, 200, r)

    def get_with(self, token, svc=None, path=PROTECTED):
        return (svc or self.api).request('GET', path, token=token)

    def assertRefused(self, token, svc=None):
        self.assertUnauthenticated(self.get_with(token, svc), token)

    def claims(self, **overrides):
        now = int(time.time())
        body = {'sub': harness.unique('sub'), 'role': 'caseworker', 'iat': now, 'exp': now + 3600}
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not None}

    def hs256(self, claims, secret=None):
        return harness.jwt_encode({'alg': 'HS256', 'typ': 'JWT'}, claims,
                                  harness.hmac_signature(secret or self.cluster.secret))


class AuthorizationHeaderTest(AuthAssertions):
    def test_missing_authorization_header_is_refused(self):
        r = self.api.request('GET', PROTECTED)
        self.assertUnauthenticated(r)
        self.assertEqual(r.header('WWW-Authenticate'), 'Bearer')

    def test_basic_scheme_is_refused(self):
        r = self.api.request('GET', PROTECTED, headers={'Authorization': 'Basic dXNlcjpwYXNz'})
        self.assertUnauthenticated(r)

    def test_token_without_a_scheme_is_refused(self):
        token = self.cluster.token()
        r = self.api.request('GET', PROTECTED, headers={'Authorization': token})
        self.assertUnauthenticated(r, token)

    def test_bearer_without_a_token_is_refused(self):
        for value in ('Bearer', 'Bearer ', 'Bearer    '):
            with self.subTest(value=value):
                r = self.api.request('GET', PROTECTED, headers={'Authorization': value})
                self.assertUnauthenticated(r)

    def test_bearer_scheme_name_is_case_insensitive(self):
        token = self.cluster.token()
        r = self.api.request('GET', PROTECTED, headers={'Authorization': f'bearer {token}'})
        self.assertAccepted(r)

    def test_two_tokens_in_one_header_are_refused(self):
        token = self.cluster.token()
        r = self.api.request('GET', PROTECTED, headers={'Authorization': f'Bearer {token} {token}'})
        self.assertUnauthenticated(r, token)

    def test_garbage_token_is_refused(self):
        for garbage in ('garbage', 'a.b.c', '...', 'Zm9v.YmFy.YmF6', '!!!.###.$$$',
                        'eyJhbGciOiJIUzI1NiJ9.not-json.c2ln', '\u00e9t\u00e9.x.y'):
            with self.subTest(garbage=garbage):
                r = self.api.request('GET', PROTECTED,
                                     headers={'Authorization': f'Bearer {garbage}'.encode('utf-8')})
                self.assertUnauthenticated(r)

    def test_token_with_two_segments_is_refused(self):
        header, payload, _ = self.cluster.token().split('.')
        self.assertRefused(f'{header}.{payload}')

    def test_token_with_four_segments_is_refused(self):
        token = self.cluster.token()
        self.assertRefused(f'{token}.{token.split(".")[2]}')

    def test_token_with_padding_or_standard_base64_is_refused(self):
        token = self.cluster.token()
        for bad in (token + '=', token.replace('-', '+').replace('_', '/') + '+/'):
            with self.subTest(bad=bad[-8:]):
                self.assertRefused(bad)

    def test_oversized_token_is_refused_without_a_server_error(self):
        token = self.cluster.token(padding='x' * 9000)
        self.assertRefused(token)

    def test_claims_that_are_not_an_object_are_refused(self):
        for claims in ([1, 2], 'text', 42, None):
            with self.subTest(claims=claims):
                token = harness.jwt_encode({'alg': 'HS256', 'typ': 'JWT'}, json.dumps(claims),
                                           harness.hmac_signature(self.cluster.secret))
                self.assertRefused(token)

    def test_duplicate_claim_names_are_refused_or_the_last_one_counts(self):
        # RFC 7519 section 4: reject, or use only the lexically last member.
        now = int(time.time())
        payload = (f'{{"sub":"{harness.unique("dup")}","role":"administrator","role":"caseworker",'
                   f'"exp":{now + 600}}}')
        token = harness.jwt_encode({'alg': 'HS256', 'typ': 'JWT'}, payload,
                                   harness.hmac_signature(self.cluster.secret))
        r = self.get_with(token, path='/v1/audit')
        if r.status != 401:
            self.assertProblem(r, 403)  # a caseworker may not read the audit log

    def test_401_detail_is_short_and_the_same_kind_for_every_failure(self):
        r = self.get_with(self.cluster.token(secret=b'w' * 48))
        p = self.assertProblem(r, 401)
        self.assertLess(len(p['detail']), 200, p)
        self.assertEqual(p['type'], self.assertProblem(self.api.request('GET', PROTECTED), 401)['type'])


class SignatureTest(AuthAssertions):
    def test_valid_token_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token()))

    def test_token_signed_with_a_wrong_key_is_refused(self):
        self.assertRefused(self.cluster.token(secret=b'not-the-secret-' * 4))

    def test_token_signed_with_the_secret_and_a_trailing_newline_is_refused(self):
        self.assertRefused(self.cluster.token(secret=self.cluster.secret + b'\n'))

    def test_unsigned_token_with_alg_none_is_refused(self):
        claims = self.claims()
        for alg in ('none', 'None', 'NONE', 'nOnE'):
            with self.subTest(alg=alg):
                self.assertRefused(harness.jwt_encode({'alg': alg, 'typ': 'JWT'}, claims, b''))

    def test_alg_none_with_a_valid_hmac_signature_is_refused(self):
        token = harness.jwt_encode({'alg': 'none', 'typ': 'JWT'}, self.claims(),
                                   harness.hmac_signature(self.cluster.secret))
        self.assertRefused(token)

    def test_header_without_alg_is_refused(self):
        for header in ({'typ': 'JWT'}, {'alg': None, 'typ': 'JWT'}, {'alg': 256}, {'alg': ''}):
            with self.subTest(header=header):
                token = harness.jwt_encode(header, self.claims(), harness.hmac_signature(self.cluster.secret))
                self.assertRefused(token)

    def test_token_with_the_signature_stripped_is_refused(self):
        header, payload, _ = self.cluster.token().split('.')
        self.assertRefused(f'{header}.{payload}.')

    def test_hs512_token_signed_with_the_same_secret_is_refused_by_an_hs256_service(self):
        self.assertRefused(self.cluster.token(alg='HS512'))

    def test_hs384_token_signed_with_the_same_secret_is_refused_by_an_hs256_service(self):
        self.assertRefused(self.cluster.token(alg='HS384'))

    def test_rs256_token_is_refused_by_an_hs256_service(self):
        key = self.cluster.key_pair('rsa')
        self.assertRefused(self.cluster.signed_token(key, 'RS256'))

    def test_es256_token_is_refused_by_an_hs256_service(self):
        key = self.cluster.key_pair('ec')
        self.assertRefused(self.cluster.signed_token(key, 'ES256'))

    def test_tampered_payload_with_the_original_signature_is_refused(self):
        header, _, signature = self.cluster.token(sub='worker-t', role='caseworker').split('.')
        forged = harness.b64url(json.dumps(self.claims(sub='worker-t', role='administrator')).encode())
        self.assertRefused(f'{header}.{forged}.{signature}')

    def test_payload_re_encoded_with_the_original_signature_is_refused(self):
        header, payload, signature = self.cluster.token().split('.')
        claims = json.loads(harness.b64url_decode(payload))
        reencoded = harness.b64url(json.dumps(claims, indent=1).encode())
        self.assertRefused(f'{header}.{reencoded}.{signature}')

    def test_tampered_header_with_the_original_signature_is_refused(self):
        _, payload, signature = self.cluster.token().split('.')
        header = harness.b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT', 'kid': 'x'}).encode())
        self.assertRefused(f'{header}.{payload}.{signature}')

    def test_truncated_signature_is_refused(self):
        token = self.cluster.token()
        self.assertRefused(token[:-4])


class TimeClaimsTest(AuthAssertions):
    def test_expired_token_is_refused(self):
        self.assertRefused(self.cluster.token(exp=int(time.time()) - 5))

    def test_token_expired_long_ago_is_refused(self):
        self.assertRefused(self.cluster.token(iat=1000, exp=2000))

    def test_exp_gets_no_leeway(self):
        self.assertRefused(self.cluster.token(exp=int(time.time()) - 2))

    def test_token_without_exp_is_refused(self):
        self.assertRefused(self.cluster.token(exp=None))

    def test_exp_as_a_string_is_refused(self):
        self.assertRefused(self.cluster.token(exp=str(int(time.time()) + 3600)))

    def test_exp_that_is_not_a_number_is_refused(self):
        for exp in (None, True, [int(time.time()) + 3600], {'at': 1}):
            with self.subTest(exp=exp):
                claims = self.claims()
                claims['exp'] = exp
                self.assertRefused(self.hs256(claims))

    def test_fractional_exp_in_the_future_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(exp=time.time() + 600.5)))

    def test_nbf_beyond_the_leeway_is_refused(self):
        self.assertRefused(self.cluster.token(nbf=int(time.time()) + 120))

    def test_nbf_within_the_leeway_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(nbf=int(time.time()) + 30)))

    def test_nbf_in_the_past_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(nbf=int(time.time()) - 30)))

    def test_nbf_as_a_string_is_refused(self):
        self.assertRefused(self.cluster.token(nbf=str(int(time.time()) - 30)))

    def test_iat_far_in_the_future_is_refused(self):
        now = int(time.time())
        self.assertRefused(self.cluster.token(iat=now + 3600, exp=now + 7200))

    def test_iat_within_the_leeway_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(iat=int(time.time()) + 30)))

    def test_iat_as_a_string_is_refused(self):
        self.assertRefused(self.cluster.token(iat=str(int(time.time()))))

    def test_token_without_iat_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(iat=None)))


class SubjectAndRoleTest(AuthAssertions):
    def test_token_without_sub_is_refused(self):
        self.assertRefused(self.cluster.token(sub=None))

    def test_empty_sub_is_refused(self):
        self.assertRefused(self.cluster.token(sub=''))

    def test_sub_that_is_not_a_string_is_refused(self):
        for sub in (42, True, ['worker-1'], {'id': 'worker-1'}):
            with self.subTest(sub=sub):
                self.assertRefused(self.cluster.token(sub=sub))

    def test_null_sub_is_refused(self):
        claims = self.claims()
        claims['sub'] = None
        self.assertRefused(self.hs256(claims))

    def test_sub_with_control_characters_is_refused(self):
        self.assertRefused(self.cluster.token(sub='worker\n{"forged":1}'))

    def test_sub_of_255_characters_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(sub='w' * 255)))

    def test_overlong_sub_is_refused(self):
        self.assertRefused(self.cluster.token(sub='w' * 256))

    def test_token_without_role_is_refused(self):
        self.assertRefused(self.cluster.token(role=None))

    def test_malformed_role_is_refused(self):
        for role in (1, True, [], [1], ['caseworker', 2], {'name': 'caseworker'}, [['caseworker']]):
            with self.subTest(role=role):
                self.assertRefused(self.cluster.token(role=role))

    def test_null_role_is_refused(self):
        claims = self.claims()
        claims['role'] = None
        self.assertRefused(self.hs256(claims))

    def test_unknown_role_is_forbidden(self):
        token = self.cluster.token(role='janitor')
        self.assertProblem(self.get_with(token), 403)

    def test_array_of_only_unknown_roles_is_forbidden(self):
        self.assertProblem(self.get_with(self.cluster.token(role=['janitor', 'visitor'])), 403)

    def test_role_names_are_case_sensitive(self):
        self.assertProblem(self.get_with(self.cluster.token(role='Caseworker')), 403)

    def test_known_roles_in_an_array_count_and_unknown_ones_are_ignored(self):
        token = self.cluster.token(sub=harness.unique('worker'), role=['caseworker', 'unknown'])
        r = self.api.request('POST', '/v1/cases', token=token,
                             body={'case_number': harness.unique('CN'), 'family_name': 'Array',
                                   'case_type': 'in_home'})
        self.assertEqual(r.status, 201, r)
        case = r.json()
        self.assertAccepted(self.get_with(token, path=f'/v1/cases/{case["id"]}'))

    def test_single_role_array_works_like_the_string(self):
        sub = harness.unique('worker')
        case = self.create_case(self.cluster.token(sub=sub, role='caseworker'))
        r = self.get_with(self.cluster.token(sub=sub, role=['caseworker']), path=f'/v1/cases/{case["id"]}')
        self.assertAccepted(r)

    def test_roles_in_an_array_add_up(self):
        # an auditor alone may read the audit log but not write; with caseworker it may create a case.
        token = self.cluster.token(sub=harness.unique('worker'), role=['auditor', 'caseworker'])
        self.assertAccepted(self.get_with(token, path='/v1/audit'))
        r = self.api.request('POST', '/v1/cases', token=token,
                             body={'case_number': harness.unique('CN'), 'family_name': 'Both',
                                   'case_type': 'in_home'})
        self.assertEqual(r.status, 201, r)

    def test_supervisor_without_unit_is_refused(self):
        self.assertRefused(self.cluster.token(role='supervisor'))

    def test_supervisor_among_roles_without_unit_is_refused(self):
        self.assertRefused(self.cluster.token(role=['caseworker', 'supervisor']))

    def test_supervisor_with_empty_or_non_string_unit_is_refused(self):
        for unit in ('', 7, ['unit-a']):
            with self.subTest(unit=unit):
                self.assertRefused(self.cluster.token(role='supervisor', unit=unit))

    def test_supervisor_with_unit_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.token(role='supervisor', unit=harness.unique('unit'))))


class TokenCacheTest(AuthAssertions):
    def test_same_valid_token_works_twice(self):
        token = self.cluster.token(sub=harness.unique('worker'))
        self.assertAccepted(self.get_with(token))
        self.assertAccepted(self.get_with(token))

    def test_refused_token_stays_refused(self):
        token = self.cluster.token(secret=b'z' * 48)
        self.assertRefused(token)
        self.assertRefused(token)

    def test_forbidden_token_stays_forbidden(self):
        token = self.cluster.token(role='janitor')
        self.assertProblem(self.get_with(token), 403)
        self.assertProblem(self.get_with(token), 403)

    def test_expired_token_is_refused_after_it_was_once_accepted(self):
        exp = int(time.time()) + 3
        token = self.cluster.token(sub=harness.unique('worker'), exp=exp)
        self.assertAccepted(self.get_with(token))
        self.assertAccepted(self.get_with(token))
        time.sleep(max(0.0, exp - time.time()) + 0.5)
        self.assertRefused(token)

    def test_a_cached_token_does_not_vouch_for_a_tampered_copy(self):
        token = self.cluster.token(sub=harness.unique('worker'))
        self.assertAccepted(self.get_with(token))
        header, payload, signature = token.split('.')
        flipped = signature[:-2] + ('A' if signature[-2] != 'A' else 'B') + signature[-1]
        self.assertRefused(f'{header}.{payload}.{flipped}')


class PublicEndpointsTest(AuthAssertions):
    def test_healthz_and_readyz_need_no_token(self):
        for path in ('/healthz', '/readyz'):
            with self.subTest(path=path):
                self.assertEqual(self.api.request('GET', path).status, 200)

    def test_healthz_and_readyz_ignore_a_bad_token(self):
        for path in ('/healthz', '/readyz'):
            with self.subTest(path=path):
                r = self.api.request('GET', path, headers={'Authorization': 'Bearer garbage'})
                self.assertEqual(r.status, 200)

    def test_every_v1_route_needs_a_token(self):
        seen = 0
        for template in CONTRACT_PATHS:
            path = template.replace('{id}', SOME_ID)
            allow = self.api.request('OPTIONS', path)
            if allow.status == 404:
                continue  # not routed (yet)
            methods = [m.strip() for m in (allow.header('Allow') or '').split(',') if m.strip()]
            self.assertTrue(methods, f'OPTIONS {path} gave no Allow header')
            for method in methods:
                if method in ('OPTIONS', 'HEAD'):
                    continue
                with self.subTest(method=method, path=path):
                    body = {} if method in ('POST', 'PATCH', 'PUT') else None
                    self.assertUnauthenticated(self.api.request(method, path, body=body))
                    seen += 1
        self.assertGreaterEqual(seen, 5, 'the case routes at least must be routed')

    def test_unauthenticated_write_with_a_bad_body_is_refused_before_the_body_is_read(self):
        r = self.api.request('POST', '/v1/cases', raw=b'{not json', headers={'Content-Type': 'text/plain'})
        self.assertUnauthenticated(r)

    def test_refused_request_does_not_reach_the_log_as_a_subject(self):
        token = self.cluster.token(sub='forged-sub-xyz', secret=b'q' * 48)
        rid = harness.unique('rid')
        r = self.api.request('GET', '/v1/cases', token=token, headers={'X-Request-Id': rid})
        self.assertUnauthenticated(r)
        lines = self.api.log_lines_for(rid)
        self.assertEqual(len(lines), 1, lines)
        self.assertIsNone(lines[0]['sub'])
        self.assertNotIn('forged-sub-xyz', self.api.log_text())
        self.assertNotIn(token, self.api.log_text())


class IssuerAudienceTest(AuthAssertions):
    ISSUER = 'https://idp.agency.example.gov'
    AUDIENCE = 'casework-api'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.svc = cls.class_service('iss-aud', CASEWORK_JWT_ISSUER=cls.ISSUER, CASEWORK_JWT_AUDIENCE=cls.AUDIENCE)

    def token(self, **claims):
        claims.setdefault('iss', self.ISSUER)
        claims.setdefault('aud', self.AUDIENCE)
        return self.cluster.token(sub=harness.unique('worker'), **claims)

    def test_right_issuer_and_audience_are_accepted(self):
        self.assertAccepted(self.get_with(self.token(), self.svc))

    def test_audience_as_an_array_containing_the_service_is_accepted(self):
        token = self.token(aud=['reporting', self.AUDIENCE])
        self.assertAccepted(self.get_with(token, self.svc))

    def test_wrong_issuer_is_refused(self):
        self.assertRefused(self.token(iss='https://evil.example.com'), self.svc)

    def test_issuer_prefix_or_suffix_is_refused(self):
        for iss in (self.ISSUER + '/', self.ISSUER[:-1], self.ISSUER.upper()):
            with self.subTest(iss=iss):
                self.assertRefused(self.token(iss=iss), self.svc)

    def test_missing_issuer_is_refused(self):
        token = self.cluster.token(aud=self.AUDIENCE)
        self.assertRefused(token, self.svc)

    def test_issuer_that_is_not_a_string_is_refused(self):
        self.assertRefused(self.token(iss=[self.ISSUER]), self.svc)

    def test_wrong_audience_is_refused(self):
        self.assertRefused(self.token(aud='another-api'), self.svc)

    def test_missing_audience_is_refused(self):
        token = self.cluster.token(iss=self.ISSUER)
        self.assertRefused(token, self.svc)

    def test_audience_array_without_the_service_is_refused(self):
        for aud in (['reporting', 'billing'], [], [self.AUDIENCE + 'x'], [None, 1]):
            with self.subTest(aud=aud):
                self.assertRefused(self.token(aud=aud), self.svc)

    def test_audience_that_is_not_a_string_or_array_is_refused(self):
        for aud in (1, {'aud': self.AUDIENCE}, True):
            with self.subTest(aud=aud):
                self.assertRefused(self.token(aud=aud), self.svc)

    def test_service_without_issuer_setting_ignores_iss_and_aud(self):
        token = self.cluster.token(iss='https://anyone.example', aud='anything')
        self.assertAccepted(self.get_with(token))


class PublicKeyService:
    """A service of its own that verifies tokens by a public key of kind (rsa or
    ec) with alg, mixed into AuthAssertions; what every such service refuses."""

    kind = alg = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key = cls.cluster.key_pair(cls.kind)
        cls.svc = cls.class_service(cls.alg.lower(), CASEWORK_JWT_ALG=cls.alg,
                                    CASEWORK_JWT_PUBLIC_KEY_FILE=cls.key.public_path, CASEWORK_JWT_SECRET_FILE=None)

    def test_correctly_signed_token_is_accepted(self):
        self.assertAccepted(self.get_with(self.cluster.signed_token(self.key, self.alg), self.svc))

    def test_token_signed_by_another_key_of_the_kind_is_refused(self):
        other = self.cluster.key_pair(self.kind)
        self.assertRefused(self.cluster.signed_token(other, self.alg), self.svc)

    def test_hs256_token_with_the_service_secret_is_refused(self):
        self.assertRefused(self.cluster.token(), self.svc)

    def test_unsigned_token_is_refused(self):
        self.assertRefused(harness.jwt_encode({'alg': 'none'}, self.claims(), b''), self.svc)


class RS256ServiceTest(PublicKeyService, AuthAssertions):
    kind, alg = 'rsa', 'RS256'

    def test_rs256_token_works_twice(self):
        token = self.cluster.signed_token(self.key, 'RS256', sub=harness.unique('worker'))
        self.assertAccepted(self.get_with(token, self.svc))
        self.assertAccepted(self.get_with(token, self.svc))

    def test_hs256_token_keyed_with_the_public_key_pem_is_refused(self):
        pem = self.key.public_pem()
        for secret in (pem, pem.rstrip(b'\n'), pem + b'\0'):
            with self.subTest(trailing=secret[-3:]):
                self.assertRefused(self.cluster.token(secret=secret, alg='HS256'), self.svc)

    def test_hs384_and_hs512_tokens_keyed_with_the_public_key_pem_are_refused(self):
        for alg in ('HS384', 'HS512'):
            with self.subTest(alg=alg):
                self.assertRefused(self.cluster.token(secret=self.key.public_pem(), alg=alg), self.svc)

    def test_rs384_and_rs512_signatures_by_the_right_key_are_refused(self):
        for alg in ('RS384', 'RS512'):
            with self.subTest(alg=alg):
                self.assertRefused(self.cluster.signed_token(self.key, alg), self.svc)

    def test_es256_token_is_refused(self):
        ec = self.cluster.key_pair('ec')
        self.assertRefused(self.cluster.signed_token(ec, 'ES256'), self.svc)

    def test_expired_rs256_token_is_refused(self):
        token = self.cluster.signed_token(self.key, 'RS256', exp=int(time.time()) - 5)
        self.assertRefused(token, self.svc)

    def test_rs256_token_without_sub_is_refused(self):
        self.assertRefused(self.cluster.signed_token(self.key, 'RS256', sub=None), self.svc)

    def test_tampered_rs256_payload_is_refused(self):
        header, _, signature = self.cluster.signed_token(self.key, 'RS256').split('.')
        forged = harness.b64url(json.dumps(self.claims(role='administrator')).encode())
        self.assertRefused(f'{header}.{forged}.{signature}', self.svc)


class ES256ServiceTest(PublicKeyService, AuthAssertions):
    kind, alg = 'ec', 'ES256'

    def test_es256_tokens_are_accepted_repeatedly(self):
        # ECDSA signatures vary; several fresh tokens all verify.
        for _ in range(3):
            token = self.cluster.signed_token(self.key, 'ES256', sub=harness.unique('worker'))
            self.assertAccepted(self.get_with(token, self.svc))

    def test_hs256_token_keyed_with_the_public_key_pem_is_refused(self):
        self.assertRefused(self.cluster.token(secret=self.key.public_pem()), self.svc)

    def test_rs256_token_is_refused(self):
        rsa = self.cluster.key_pair('rsa')
        self.assertRefused(self.cluster.signed_token(rsa, 'RS256'), self.svc)

    def test_es256_signature_with_a_wrong_length_is_refused(self):
        token = self.cluster.signed_token(self.key, 'ES256')
        header, payload, signature = token.split('.')
        raw = harness.b64url_decode(signature)
        for bad in (raw[:-1], raw + b'\0', b'\0' * 64):
            with self.subTest(length=len(bad)):
                self.assertRefused(f'{header}.{payload}.{harness.b64url(bad)}', self.svc)


class HmacVariantsTest(AuthAssertions):
    def start(self, alg, secret_len):
        secret = (harness.unique('s') * 20).encode()[:secret_len]
        svc = self.own_service(alg.lower(), CASEWORK_JWT_ALG=alg, CASEWORK_JWT_SECRET=secret.decode(),
                               CASEWORK_JWT_SECRET_FILE=None)
        return svc, secret

    def test_hs384_service_with_a_48_byte_secret_accepts_hs384_and_nothing_else(self):
        svc, secret = self.start('HS384', 48)
        self.assertAccepted(self.get_with(self.cluster.token(secret=secret, alg='HS384'), svc))
        for alg in ('HS256', 'HS512'):
            with self.subTest(alg=alg):
                self.assertRefused(self.cluster.token(secret=secret, alg=alg), svc)

    def test_hs512_service_with_a_64_byte_secret_accepts_hs512_and_nothing_else(self):
        svc, secret = self.start('HS512', 64)
        self.assertAccepted(self.get_with(self.cluster.token(secret=secret, alg='HS512'), svc))
        for alg in ('HS256', 'HS384'):
            with self.subTest(alg=alg):
                self.assertRefused(self.cluster.token(secret=secret, alg=alg), svc)
        self.assertRefused(self.cluster.token(secret=secret[:-1] + b'!', alg='HS512'), svc)
