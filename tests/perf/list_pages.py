#!/usr/bin/env python3
"""Times the first page of GET /v1/cases against a deep one (keyset pagination).

usage: list_pages.py --url URL --token TOKEN --label LABEL [--expect N] [--limit 100]
                     [--depth 400] [--tries 21] [--log SERVICE_LOG]

Walks every page once with `limit` (checking that no case is skipped or
repeated), keeps the cursor that leads to page `depth`, then asks for page 1 and
page `depth` alternately `tries` times each on one keep-alive connection and
prints the medians. With --log (the service's stdout), the service's own
duration for each of those requests is read back from its log line (matched by
the X-Request-Id sent, logged as client_request_id) and reported too: that is the time without the client and the
network. Prints one line "RESULT key=value ..." for the calling script, before
the human-readable lines.
"""
import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse
import uuid


def get(conn, path, token, request_id):
    start = time.perf_counter()
    conn.request('GET', path, headers={'Authorization': f'Bearer {token}', 'X-Request-Id': request_id})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = time.perf_counter() - start
    if resp.status != 200:
        sys.exit(f'{path}: HTTP {resp.status}: {body[:300]!r}')
    return elapsed, json.loads(body)


def page_path(limit, cursor):
    q = {'limit': str(limit)}
    if cursor:
        q['cursor'] = cursor
    return '/v1/cases?' + urllib.parse.urlencode(q)


def server_durations(log_path, ids):
    """duration_ms from the service log for these request ids."""
    wanted = set(ids)
    found = {}
    # The log is written by another process: give it a moment to reach the file.
    for _ in range(50):
        with open(log_path, encoding='utf-8', errors='replace') as f:
            for line in f:
                if '"client_request_id"' not in line:
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get('client_request_id') in wanted:
                    found[rec['client_request_id']] = rec['duration_ms']
        if len(found) == len(wanted):
            break
        time.sleep(0.1)
    return [found[i] for i in ids if i in found]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True)
    ap.add_argument('--token', required=True)
    ap.add_argument('--label', required=True)
    ap.add_argument('--expect', type=int, help='number of cases the caller should see')
    ap.add_argument('--limit', type=int, default=100)
    ap.add_argument('--depth', type=int, default=400)
    ap.add_argument('--tries', type=int, default=21)
    ap.add_argument('--log')
    args = ap.parse_args()

    u = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    tag = uuid.uuid4().hex[:8]

    # 1. The whole walk.
    seen = set()
    cursors = [None]          # cursors[k] leads to page k + 1
    walk_times = []
    cursor = None
    walk_start = time.perf_counter()
    while True:
        elapsed, page = get(conn, page_path(args.limit, cursor), args.token, f'walk-{tag}-{len(walk_times)}')
        walk_times.append(elapsed)
        for item in page['items']:
            if item['id'] in seen:
                sys.exit(f'case {item["id"]} repeated on page {len(walk_times)}')
            seen.add(item['id'])
        cursor = page['next_cursor']
        if not cursor:
            break
        cursors.append(cursor)
    walk_total = time.perf_counter() - walk_start
    pages = len(walk_times)
    if args.expect is not None and len(seen) != args.expect:
        sys.exit(f'walked {len(seen)} cases, expected {args.expect}')
    depth = min(args.depth, pages)
    deep_cursor = cursors[depth - 1]

    # 2. First and deep page, alternately.
    first, deep, first_ids, deep_ids = [], [], [], []
    for i in range(args.tries):
        rid = f'first-{tag}-{i}'
        elapsed, page = get(conn, page_path(args.limit, None), args.token, rid)
        first.append(elapsed)
        first_ids.append(rid)
        rid = f'deep-{tag}-{i}'
        elapsed, page = get(conn, page_path(args.limit, deep_cursor), args.token, rid)
        if len(page['items']) == 0:
            sys.exit('the deep page is empty')
        deep.append(elapsed)
        deep_ids.append(rid)
    conn.close()

    ms = lambda s: s * 1000
    f_med, d_med = ms(statistics.median(first)), ms(statistics.median(deep))
    result = {'label': args.label, 'cases': len(seen), 'pages': pages, 'depth': depth,
              'first_ms': f'{f_med:.2f}', 'deep_ms': f'{d_med:.2f}', 'ratio': f'{d_med / f_med:.2f}',
              'walk_s': f'{walk_total:.2f}'}
    server = ''
    if args.log:
        sf, sd = server_durations(args.log, first_ids), server_durations(args.log, deep_ids)
        if sf and sd:
            sf_med, sd_med = statistics.median(sf), statistics.median(sd)
            result.update(server_first_ms=f'{sf_med:.2f}', server_deep_ms=f'{sd_med:.2f}',
                          server_ratio=f'{sd_med / sf_med:.2f}')
            server = (f'; in the service: first {sf_med:.2f} ms, page {depth} {sd_med:.2f} ms, '
                      f'ratio {sd_med / sf_med:.2f}')
    print('RESULT ' + ' '.join(f'{k}={v}' for k, v in result.items()))
    walk_ms = sorted(ms(t) for t in walk_times)
    print(f'{args.label}: walked {len(seen)} cases in {pages} pages of {args.limit} in {walk_total:.2f} s, '
          f'no case skipped or repeated (page times: median {statistics.median(walk_ms):.2f} ms, '
          f'slowest {walk_ms[-1]:.2f} ms)')
    print(f'{args.label}: median of {args.tries}: first page {f_med:.2f} ms, page {depth} {d_med:.2f} ms, '
          f'ratio {d_med / f_med:.2f}{server}')


if __name__ == '__main__':
    main()
