#!/usr/bin/env bash
# GET /v1/cases?q=: search by name and case number over a state's cases.
#
# usage: tests/perf/bench-search.sh [BUILD_DIR]   (relative to the project root; default build-perf)
#
# Environment (all optional):
#   CASES=100000         cases seeded, four participants each
#   UNITS=50             units (a supervisor sees one: CASES / UNITS cases)
#   ROUNDS=15            times each query is asked, per caller
#   PERF_KEEP=1          keep the temporary directory at the end
#
# Seeds CASES cases with family names drawn from a list of 200 Spanish,
# English, Vietnamese, Arabic, French and other surnames (a few of them common,
# as in life: the draw is skewed, the commonest about 3 % of the families), one
# family in seven with a second surname, numbered CW-0000001 ..., in UNITS units, and
# four participants a case (two adults, two children) with first names drawn
# the same way and, for one adult in four, a surname of their own. Then asks
# a fixed list of searches (common and rare surnames, first names, full names,
# names misspelt, written without accents or in capitals, case number
# prefixes and whole numbers) ROUNDS times each, one at a time on one
# keep-alive connection, as a unit's supervisor and as an administrator, and
# prints the latency per kind of search and overall: median, p90, p99, max,
# and the results found. Exit status 1 when a search answers other than 200.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/common.sh
. tests/perf/lib.sh

BUILD_DIR=${1:-build-perf}
CASES=${CASES:-100000}
UNITS=${UNITS:-50}
ROUNDS=${ROUNDS:-15}

perf_init "$BUILD_DIR"
perf_start_database
perf_migrate

perf_log "seeding $CASES cases and $((CASES * 4)) participants in $UNITS units"
perf_psql -q >/dev/null <<SQL || perf_die "seeding failed"
BEGIN;
SELECT set_config('casework.actor', 'bench', true);
SELECT set_config('casework.roles', 'administrator', true);
SELECT setseed(0.42);
CREATE TEMPORARY TABLE surnames (n serial, name text) ON COMMIT DROP;
INSERT INTO surnames (name) SELECT unnest(ARRAY[
  'García','Rodríguez','Martínez','Hernández','López','González','Pérez','Sánchez','Ramírez','Torres',
  'Flores','Rivera','Gómez','Díaz','Cruz','Morales','Reyes','Gutiérrez','Ortiz','Chávez',
  'Ramos','Ruiz','Mendoza','Álvarez','Castillo','Jiménez','Vásquez','Moreno','Romero','Herrera',
  'Medina','Aguilar','Vargas','Guzmán','Muñoz','Núñez','Castro','Domínguez','Peña','Ibáñez',
  'Smith','Johnson','Williams','Brown','Jones','Miller','Davis','Wilson','Anderson','Taylor',
  'Thomas','Moore','Jackson','Martin','Lee','Thompson','White','Harris','Clark','Lewis',
  'Robinson','Walker','Young','Allen','King','Wright','Scott','Hill','Green','Adams',
  'Baker','Nelson','Carter','Mitchell','Roberts','Turner','Phillips','Campbell','Parker','Evans',
  'Edwards','Collins','Stewart','Morris','Murphy','Cook','Rogers','Morgan','Cooper','Peterson',
  'Nguyễn','Trần','Lê','Phạm','Hoàng','Huỳnh','Võ','Đặng','Bùi','Đỗ',
  'Haddad','Khoury','Nasser','Saleh','Hussein','Mansour','Abboud','Farah','Karam','Aziz',
  'Dubois','Lefèvre','Moreau','Fournier','Girard','Bonnet','Lambert','Fontaine','Rousseau','Vincent',
  'Müller','Schmidt','Schneider','Fischer','Weber','Meyer','Wagner','Becker','Schulz','Hoffmann',
  'Kowalski','Nowak','Wiśniewski','Wójcik','Kamiński','Lewandowski','Zieliński','Szymański','Woźniak','Dąbrowski',
  'O''Brien','O''Connor','McCarthy','Sullivan','Walsh','Byrne','Ryan','Kelly','Doyle','Quinn',
  'Okafor','Adeyemi','Mensah','Owusu','Diallo','Traoré','Keita','Mwangi','Otieno','Kamau',
  'Silva','Santos','Oliveira','Souza','Costa','Pereira','Carvalho','Almeida','Ribeiro','Gonçalves',
  'Yazzie','Begay','Tsosie','Benally','Nez','Etsitty','Manygoats','Redhouse','Chee','Tso',
  'Kim','Park','Choi','Jeong','Kang','Cho','Yoon','Jang','Lim','Han',
  'Rossi','Russo','Ferrari','Esposito','Bianchi','Romano','Colombo','Ricci','Marino','Greco']);
CREATE TEMPORARY TABLE first_names (n serial, name text) ON COMMIT DROP;
INSERT INTO first_names (name) SELECT unnest(ARRAY[
  'María','José','Juan','Ana','Luis','Carmen','Jesús','Rosa','Carlos','Lucía',
  'Sofía','Mateo','Valentina','Santiago','Camila','Diego','Isabella','Sebastián','Ximena','Andrés',
  'James','Mary','Robert','Patricia','John','Jennifer','Michael','Linda','David','Elizabeth',
  'William','Barbara','Richard','Susan','Joseph','Jessica','Thomas','Sarah','Charles','Karen',
  'Olivia','Liam','Emma','Noah','Ava','Elijah','Mia','Oliver','Amelia','Lucas',
  'Minh','Linh','Anh','Huy','Thảo','Phương','Quân','Trang','Dũng','Ngọc',
  'Ahmed','Fatima','Omar','Layla','Youssef','Amira','Khaled','Nour','Hassan','Zeinab',
  'Chloé','Léa','Théo','Zoé','Éloïse','Hugo','Inès','Noé','Maël','Anaïs',
  'Chidi','Ngozi','Kwame','Ama','Kofi','Aïcha','Mamadou','Wanjiru','Kipchoge','Zola',
  'Joaquín','Begoña','Íñigo','Renée','Zoë','Björn','Søren','Ólafur','Łukasz','Małgorzata']);
CREATE TEMPORARY TABLE family (g int PRIMARY KEY, s int) ON COMMIT DROP;
-- A skewed draw: the first names of each list are the common ones.
INSERT INTO family SELECT g, 1 + floor(200 * random() ^ 1.5)::int FROM generate_series(1, $CASES) g;
INSERT INTO cases (id, case_number, family_name, case_type, status, opened_on, closed_on, assigned_worker, unit,
                   permanency_goal, permanency_goal_since, created_at, updated_at)
SELECT md5('SEARCH' || f.g)::uuid,
       'CW-' || lpad(f.g::text, 7, '0'),
       s.name || CASE WHEN f.g % 7 = 0 THEN '-' || s2.name ELSE '' END,
       CASE WHEN f.g % 3 = 0 THEN 'out_of_home' ELSE 'in_home' END,
       CASE WHEN f.g % 5 = 0 THEN 'closed' ELSE 'open' END,
       date '2020-01-01' + (f.g % 1500),
       CASE WHEN f.g % 5 = 0 THEN date '2020-01-31' + (f.g % 1500) END,
       'search-worker-' || (f.g % ($UNITS * 20) + 1),
       'search-unit-' || lpad((f.g % $UNITS + 1)::text, 2, '0'),
       'not_established',
       date '2020-01-01' + (f.g % 1500),
       timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => f.g),
       timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => f.g)
  FROM family f JOIN surnames s ON s.n = f.s
  JOIN surnames s2 ON s2.n = 1 + (f.g * 7919) % 200
 ORDER BY f.g;
INSERT INTO participants (case_id, first_name, last_name, role, date_of_birth)
SELECT md5('SEARCH' || f.g)::uuid,
       fn.name,
       CASE WHEN k = 2 AND f.g % 4 = 0 THEN s2.name ELSE s.name END,
       CASE WHEN k <= 2 THEN 'parent' ELSE 'child' END,
       date '1970-01-01' + ((f.g * 31 + k * 977) % 14000)
  FROM family f JOIN surnames s ON s.n = f.s
  CROSS JOIN generate_series(1, 4) k
  -- One draw per participant, from a hash of it (random() in a join is not
  -- drawn once per row), skewed like the surnames.
  JOIN first_names fn
    ON fn.n = 1 + floor(100 * ((hashint8(f.g::int8 * 4 + k) & 2147483647)::float8 / 2147483648.0) ^ 1.5)::int
  JOIN surnames s2 ON s2.n = 1 + (f.g::int8 * 104729 + k) % 200
 ORDER BY f.g, k;
COMMIT;
VACUUM ANALYZE cases;
VACUUM ANALYZE participants;
VACUUM ANALYZE case_search_terms;
SQL
perf_log "$(perf_psql -At -c "SELECT count(*) || ' cases, ' || (SELECT count(*) FROM participants) || ' participants, ' || pg_size_pretty(pg_database_size('casework'))  FROM cases")"
[ "$(perf_psql -At -c "SELECT count(DISTINCT first_name) >= 90 AND count(*) = 4 * $CASES FROM participants")" = t ] \
	|| perf_die "the participants were not seeded as meant"

SUPERVISOR=$(perf_token --sub search-supervisor-01 --role supervisor --unit search-unit-01)
ADMIN=$(perf_token --sub search-admin --role administrator)
perf_start_service search

python3 - "$PERF_URL" "$SUPERVISOR" "$ADMIN" "$ROUNDS" "$CASES" "$UNITS" <<'PY'
import http.client
import json
import statistics
import sys
import time
import urllib.parse

url, supervisor, admin, rounds, cases, units = sys.argv[1:]
rounds = int(rounds)
host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
searches = [
    ('common surname', 'garcia'), ('common surname', 'Rodríguez'), ('common surname', 'SMITH'),
    ('rare surname', 'Dąbrowski'), ('rare surname', 'manygoats'), ('rare surname', 'Esposito'),
    ('misspelt surname', 'gonzales'), ('misspelt surname', 'hernandes'), ('misspelt surname', 'nguyen'),
    ('first name', 'maria'), ('first name', 'Éloïse'), ('first name', 'kwame'),
    ('full name', 'maria garcia'), ('full name', 'José Martínez'), ('full name', 'minh nguyen'),
    ('double surname', 'lopez-smith'), ('double surname', 'garcia-lee'),
    ('case number prefix', 'CW-00012'), ('case number prefix', 'cw-0999'),
    ('whole case number', 'CW-0004242'), ('whole case number', 'cw-0050001'),
    ('two letters', 'li'), ('no match', 'zzqxv'),
]


def run(token):
    conn = http.client.HTTPConnection(host, port, timeout=60)
    times, found = {}, {}
    headers = {'Authorization': f'Bearer {token}'}
    for _ in range(rounds):
        for kind, q in searches:
            path = '/v1/cases?' + urllib.parse.urlencode({'q': q})
            start = time.perf_counter()
            conn.request('GET', path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            elapsed = (time.perf_counter() - start) * 1000
            if resp.status != 200:
                sys.exit(f'{q!r} answered {resp.status}: {body[:300]!r}')
            times.setdefault(kind, []).append(elapsed)
            found[(kind, q)] = len(json.loads(body)['items'])
    conn.close()
    return times, found


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


print()
print(f'GET /v1/cases?q=... over {int(cases):,} cases and {4 * int(cases):,} participants in {units} units; '
      f'each search {rounds} times, one at a time on one keep-alive connection (milliseconds).')
for who, token in (('supervisor of one unit', supervisor), ('administrator (every case)', admin)):
    run(token)  # warm-up: every index and statement read once
    times, found = run(token)
    every = [t for ts in times.values() for t in ts]
    print()
    print(f'{who}:')
    fmt = '  {:<20} {:>8} {:>8} {:>8} {:>8}   {}'
    print(fmt.format('search', 'median', 'p90', 'p99', 'max', 'cases on the first page (of 50 at most)'))
    for kind, ts in times.items():
        counts = ', '.join(f'{q}: {found[(k, q)]}' for k, q in searches if k == kind)
        print(fmt.format(kind, f'{statistics.median(ts):.1f}', f'{pct(ts, 90):.1f}', f'{pct(ts, 99):.1f}',
                         f'{max(ts):.1f}', counts))
    print(fmt.format('all', f'{statistics.median(every):.1f}', f'{pct(every, 90):.1f}', f'{pct(every, 99):.1f}',
                     f'{max(every):.1f}', ''))
PY
