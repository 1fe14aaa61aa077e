#!/usr/bin/env python3
"""Mints an HMAC-signed JWT for development and tests.

usage: mint-token.py --secret-file FILE --sub SUB --role ROLE [--role ROLE2] [--unit UNIT]
                     [--alg HS256] [--ttl SECONDS] [--iss ISS] [--aud AUD]
Prints the token. Development only: production tokens come from the agency's
identity provider.
"""
import argparse
import base64
import hashlib
import hmac
import json
import time

HASHES = {'HS256': hashlib.sha256, 'HS384': hashlib.sha384, 'HS512': hashlib.sha512}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def mint(secret, claims, alg='HS256'):
    header = b64url(json.dumps({'alg': alg, 'typ': 'JWT'}, separators=(',', ':')).encode())
    payload = b64url(json.dumps(claims, separators=(',', ':')).encode())
    signing_input = f'{header}.{payload}'.encode()
    signature = hmac.new(secret, signing_input, HASHES[alg]).digest()
    return f'{header}.{payload}.{b64url(signature)}'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--secret-file', required=True)
    ap.add_argument('--sub', required=True)
    ap.add_argument('--role', action='append', required=True)
    ap.add_argument('--unit')
    ap.add_argument('--alg', default='HS256', choices=sorted(HASHES))
    ap.add_argument('--ttl', type=int, default=8 * 3600)
    ap.add_argument('--iss')
    ap.add_argument('--aud')
    args = ap.parse_args()
    with open(args.secret_file, 'rb') as f:
        secret = f.read().rstrip(b'\r\n')
    now = int(time.time())
    claims = {'sub': args.sub, 'role': args.role[0] if len(args.role) == 1 else args.role,
              'iat': now, 'exp': now + args.ttl}
    for key in ('unit', 'iss', 'aud'):
        if getattr(args, key):
            claims[key] = getattr(args, key)
    print(mint(secret, claims, args.alg))


if __name__ == '__main__':
    main()
