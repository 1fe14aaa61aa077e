#!/usr/bin/env python3
"""Makes the seed corpora of the fuzz targets from what the tests send.

usage: tests/fuzz/make-corpus.py [--record FILE] [--caseworkd BINARY] FUZZ_BUILD [TARGET ...]

Seeds come from two places:
- the HTTP tests: with --caseworkd, the HTTP suite runs against that binary
  (as tests/http/run.py runs it) and every request it sends is recorded in
  FILE (default FUZZ_BUILD/http-inputs.jsonl); without it, an earlier
  recording in FILE is read;
- the unit tests: the string literals they pass to the readers of client
  input (tests/unit/test_*.c).
Each target's candidates are turned into its input format, and libFuzzer's
-merge=1 (the target built in FUZZ_BUILD, configured with -Dfuzz=true) keeps
the ones that add coverage. They replace the seeds in corpus/<target>/ (files
named by their SHA-1); regression inputs there (named regress-*) are kept.
"""
import argparse
import base64
import datetime
import glob
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from urllib.parse import unquote_plus, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEED_NAME = re.compile(r'^[0-9a-f]{40}$')
MAX_SEED_BYTES = 4096


# -- recording the HTTP tests -------------------------------------------------

def record_http_tests(binary, path):
    """Runs the HTTP suite, writing one JSON line per request sent to path."""
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'http'))
    import harness  # noqa: E402

    out = open(path, 'w', encoding='utf-8')
    lock = threading.Lock()
    send = http.client.HTTPConnection.request

    def recording(conn, method, url, body=None, headers=None, **kw):
        if body is not None and not isinstance(body, (str, bytes)):
            chunks = [c.encode() if isinstance(c, str) else c for c in body]  # a chunked body
            body, data = iter(chunks), b''.join(chunks)
        else:
            data = body.encode() if isinstance(body, str) else (body or b'')
        text = {str(k): v.decode('latin-1') if isinstance(v, bytes) else str(v) for k, v in (headers or {}).items()}
        line = json.dumps({'method': method, 'url': url, 'headers': text,
                           'body': base64.b64encode(data).decode()}) + '\n'
        with lock:  # tests send from several threads at once
            out.write(line)
        return send(conn, method, url, body=body, headers=headers or {}, **kw)

    http.client.HTTPConnection.request = recording
    cluster = harness.start(binary)
    try:
        suite = unittest.TestLoader().discover(os.path.join(ROOT, 'tests', 'http'), pattern='test_*.py')
        result = unittest.TextTestRunner(verbosity=1, stream=sys.stderr).run(suite)
    finally:
        problems = cluster.stop()
        out.close()
    if problems or not result.wasSuccessful():
        sys.exit('the HTTP tests did not pass; the recording is incomplete')


class Request:
    def __init__(self, line):
        r = json.loads(line)
        self.method = r['method']
        self.url = r['url']
        self.headers = {k.lower(): v for k, v in r['headers'].items()}
        self.body = base64.b64decode(r['body'])
        split = urlsplit(self.url)
        self.path, self.query = split.path, split.query

    def json(self):
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def query_values(self):
        for part in self.query.split('&'):
            if '=' in part:
                name, value = part.split('=', 1)
                yield unquote_plus(name), unquote_plus(value)


def read_recording(path):
    with open(path, encoding='utf-8') as f:
        return [Request(line) for line in f if line.strip()]


# -- the unit tests' literals -------------------------------------------------

LITERAL = r'"(?:[^"\\\n]|\\.)*"'
CALL = re.compile(r'\b(\w+)\(\s*((?:' + LITERAL + r'\s*)+)')
ESCAPE = re.compile(rb'\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)')
SIMPLE = {b'n': b'\n', b't': b'\t', b'r': b'\r', b'0': b'\0', b'"': b'"', b'\\': b'\\', b"'": b"'"}


def c_string(text):
    """The bytes of adjacent C string literals."""
    raw = b''.join(m.encode()[1:-1] for m in re.findall(LITERAL, text))

    def one(m):
        e = m.group(1)
        if e[:1] == b'x':
            return bytes([int(e[1:], 16)])
        if e[:1].isdigit() and e != b'0':
            return bytes([int(e, 8) & 0xff])
        return SIMPLE.get(e, e)
    return ESCAPE.sub(one, raw)


def unit_literals(functions):
    """First string arguments of calls to these functions in the unit tests."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'unit', 'test_*.c'))):
        with open(path, encoding='utf-8') as f:
            for m in CALL.finditer(f.read()):
                if m.group(1) in functions:
                    found.append(c_string(m.group(2)))
    return found


# -- each target's inputs -----------------------------------------------------

# The collection in a path names the kind of record its body is (lib/*.c audit types).
COLLECTIONS = {'cases': 'case', 'participants': 'participant', 'plans': 'plan', 'goals': 'goal',
               'progress': 'goal_progress', 'service-referrals': 'service_referral', 'visits': 'visit'}


def body_kind(req):
    """(audit type, mode) of a request that writes a record, or None."""
    parts = [p for p in req.path.split('/') if p]
    if req.method == 'POST' and parts and parts[-1] in COLLECTIONS:
        return COLLECTIONS[parts[-1]], 'create'
    if req.method == 'PUT' and parts[:3] == ['v1', 'cases', 'by-number']:
        return 'case', 'create'
    if req.method == 'PATCH' and len(parts) >= 2 and parts[-2] in COLLECTIONS:
        return COLLECTIONS[parts[-2]], 'patch'
    return None


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def seeds_validate(reqs):
    for r in reqs:
        kind = body_kind(r)
        if kind and r.body:
            yield f'{kind[0]} {kind[1]}\n'.encode() + r.body


def seeds_dates(reqs):
    yield from unit_literals({'date_parse', 'timestamp_parse', 'parses', 'ts_parses', 'in_utc'})
    looks_like_date = re.compile(r'^\d{4}-')
    for r in reqs:
        values = [v for _, v in r.query_values()] + list(strings_in(r.json()))
        for v in values:
            if looks_like_date.match(v):
                yield v.encode('utf-8', 'surrogatepass')


def seeds_cursor(reqs):
    yield from unit_literals({'cursor_decode'})
    for r in reqs:
        for name, value in r.query_values():
            if name == 'cursor':
                yield value.encode()


def seeds_accept(reqs):
    yield from unit_literals({'csv', 'accept_prefers_csv'})
    for r in reqs:
        if 'accept' in r.headers:
            yield r.headers['accept'].encode()


def seeds_if_match(reqs):
    yield from unit_literals({'if_match'})
    for r in reqs:
        if 'if-match' in r.headers:
            yield r.headers['if-match'].encode()


def seeds_query(reqs):
    for url in unit_literals({'fake_url', 'query_errors'}):
        if b'?' in url:
            yield url.split(b'?', 1)[1]
    for r in reqs:
        if r.query:
            yield r.query.encode()


def seeds_idempotency(reqs):
    for r in reqs:
        if 'idempotency-key' in r.headers:
            yield f"{r.headers['idempotency-key']}\n{r.method}\n{r.path}\n".encode() + r.body


def seeds_csv(reqs):
    """What clients write ends up in report cells: a body's text is a row."""
    for r in reqs:
        cells = [v.encode('utf-8', 'surrogatepass') for v in strings_in(r.json())][:8]
        if cells:
            yield bytes([len(cells) - 1]) + b'\0'.join(cells)


# fuzz_rowjson.c's types, in the order of its table (the type byte picks one).
ROW_TYPES = ['text', 'varchar', 'json', 'jsonb', 'bool', 'int2', 'int4', 'int8', 'date', 'timestamptz',
             'uuid', 'float8']
UUID_TEXT = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
PG_EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)


def row_value(value):
    """(type, binary value) as PostgreSQL would send a member of a body."""
    if value is None:
        return 'text', None
    if isinstance(value, bool):
        return 'bool', bytes([value])
    if isinstance(value, int) and -2**63 <= value < 2**63:
        return 'int8', value.to_bytes(8, 'big', signed=True)
    if isinstance(value, str) and UUID_TEXT.match(value):
        return 'uuid', bytes.fromhex(value.replace('-', ''))
    if isinstance(value, str):
        try:
            if len(value) == 10:
                days = (datetime.date.fromisoformat(value) - PG_EPOCH.date()).days
                return 'date', days.to_bytes(4, 'big', signed=True)
            at = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
            if at.tzinfo is not None:
                us = (at - PG_EPOCH) // datetime.timedelta(microseconds=1)
                return 'timestamptz', us.to_bytes(8, 'big', signed=True)
        except (ValueError, OverflowError):
            pass
        return 'text', value.encode('utf-8', 'surrogatepass')
    return 'jsonb', json.dumps(value).encode()


def seeds_rowjson(reqs):
    """A body's members as the row PostgreSQL would answer with them."""
    for r in reqs:
        body = r.json()
        if not isinstance(body, dict) or not body:
            continue
        row = b''
        for name, value in list(body.items())[:16]:
            kind, data = row_value(value)
            name = name.encode('utf-8', 'surrogatepass')[:63]
            row += bytes([ROW_TYPES.index(kind) | (0x80 if data is None else 0), len(name)]) + name
            if kind in ('text', 'varchar', 'json', 'jsonb'):
                data = data or b''
                row += len(data[:65535]).to_bytes(2, 'big') + data[:65535]
            else:
                row += data
        yield row


def seeds_claims(reqs):
    """Token payloads, with the issuer and audience rules on when they name them, and
    the provider's claim mapping when they are shaped like a provider's."""
    for r in reqs:
        auth = r.headers.get('authorization', '')
        parts = auth[7:].split('.') if auth.startswith('Bearer ') else []
        if len(parts) != 3:
            continue
        try:
            payload = base64.urlsafe_b64decode(parts[1] + '=' * (-len(parts[1]) % 4))
            claims = json.loads(payload)
        except ValueError:
            continue
        if isinstance(claims, dict):
            provider = 'realm_access' in claims or 'preferred_username' in claims
            yield bytes([('iss' in claims) | ('aud' in claims) << 1 | provider << 2]) + payload


SEEDS = {
    'accept': seeds_accept,
    'claims': seeds_claims,
    'csv': seeds_csv,
    'cursor': seeds_cursor,
    'dates': seeds_dates,
    'idempotency': seeds_idempotency,
    'if_match': seeds_if_match,
    'query': seeds_query,
    'rowjson': seeds_rowjson,
    'validate': seeds_validate,
}


# -- merging into the corpora -------------------------------------------------

def write_all(directory, inputs):
    os.makedirs(directory, exist_ok=True)
    for data in inputs:
        with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), 'wb') as f:
            f.write(data)


def merge(exe, candidates, target):
    """Keeps the candidates that add coverage as target's seeds."""
    corpus = os.path.join(HERE, 'corpus', target)
    with tempfile.TemporaryDirectory() as tmp:
        given, kept = os.path.join(tmp, 'given'), os.path.join(tmp, 'kept')
        # libFuzzer's inputs grow to the largest seed: keep seeds small, runs fast.
        write_all(given, {c for c in candidates if len(c) <= MAX_SEED_BYTES})
        os.makedirs(kept)
        subprocess.run([exe, '-merge=1', kept, given], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.makedirs(corpus, exist_ok=True)
        for name in os.listdir(corpus):
            if SEED_NAME.match(name):
                os.unlink(os.path.join(corpus, name))
        for name in os.listdir(kept):
            shutil.copy(os.path.join(kept, name), os.path.join(corpus, name))
        print(f'{target}: {len(os.listdir(kept))} seeds of {len(os.listdir(given))} candidates')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--record', help='the recording of the HTTP tests (JSON lines)')
    ap.add_argument('--caseworkd', help='run the HTTP tests against this binary and record them')
    ap.add_argument('fuzz_build')
    ap.add_argument('targets', nargs='*')
    args = ap.parse_args()
    record = args.record or os.path.join(args.fuzz_build, 'http-inputs.jsonl')
    if args.caseworkd:
        record_http_tests(os.path.abspath(args.caseworkd), record)
    if not os.path.exists(record):
        sys.exit(f'no recording {record}: pass --caseworkd build/caseworkd to make one')
    reqs = read_recording(record)
    os.environ.setdefault('ASAN_OPTIONS', 'detect_leaks=1')
    for target in args.targets or sorted(SEEDS):
        exe = os.path.join(args.fuzz_build, 'tests', 'fuzz', 'fuzz_' + target)
        if target not in SEEDS or not os.path.exists(exe):
            sys.exit(f'no target {target} (or not built in {args.fuzz_build})')
        merge(exe, list(SEEDS[target](reqs)), target)


if __name__ == '__main__':
    main()
