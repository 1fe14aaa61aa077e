#!/usr/bin/env python3
"""The federal clocks recomputed from the tables, independently of the service.

usage: federal_clocks_check.py DIR TODAY REPORT.csv

DIR holds the rows the benchmark exported with psql (tab-separated, \\N for
null): cases.tsv (id, case_number, assigned_worker, unit), episodes.tsv (id,
participant_id, case_id, removed_on, discharged_on, tpr_exception),
placements.tsv (episode_id, started_on, ended_on, setting), hearings.tsv
(hearing_type, held_on, abuse_neglect_found, child_ids as {a,b}) and
plans.tsv (case_id, the approval's date in the agency's zone). Every clock
is computed here from DOMAIN.md's words, in Python, from those rows alone:
entered care from the hearings (not the episodes' stored column), the 15 of
22 months by walking each counted day from the 457th on. The report the
service streamed as CSV (an administrator's, every row) must hold the same
rows, with the same values, in the same order. Prints one line of counts;
exits 1 on any difference, naming the first few.
"""
import bisect
import calendar
import csv
import datetime
import sys
from collections import defaultdict

D = datetime.date


def rows(path):
    with open(path) as f:
        for line in f:
            yield [None if c == '\\N' else c for c in line.rstrip('\n').split('\t')]


def day(text):
    return None if text is None else D.fromisoformat(text)


def add_months(d, n):
    """d + n months: the same day, or the month's last when it has none."""
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    return D(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def main(folder, today_text, report_path):
    today = D.fromisoformat(today_text)
    cases = {r[0]: r[1:] for r in rows(f'{folder}/cases.tsv')}
    episodes = defaultdict(list)      # child -> [(removed, discharged, id, case, tpr_exception)]
    for eid, child, case, removed, discharged, exception in rows(f'{folder}/episodes.tsv'):
        episodes[child].append((day(removed), day(discharged), eid, case, exception))
    placements = defaultdict(list)    # episode -> [(started, ended, setting)]
    for eid, started, ended, setting in rows(f'{folder}/placements.tsv'):
        placements[eid].append((day(started), day(ended), setting))
    hearings = defaultdict(list)      # child -> [(held_on, type, abuse_neglect_found)]
    for kind, held, found, children in rows(f'{folder}/hearings.tsv'):
        for child in children.strip('{}').split(','):
            hearings[child].append((day(held), kind, found == 't'))
    approvals = defaultdict(list)     # case -> [approval dates]
    for case, approved in rows(f'{folder}/plans.tsv'):
        approvals[case].append(day(approved))

    def entered_care(child, removed, discharged):
        found = [h for h, kind, f in hearings[child]
                 if f and h <= today and h >= removed and (discharged is None or h <= discharged)]
        return min([removed + datetime.timedelta(days=60)] + found)

    def counted_days(child):
        """Sorted, disjoint [first, last] spans of the days that count for 15 of 22."""
        spans = []
        for removed, discharged, eid, _, _ in episodes[child]:
            start, end = entered_care(child, removed, discharged), min(discharged or today, today)
            if start > end:
                continue
            ps = sorted(placements[eid])
            excluded = []
            for i, (s, e, setting) in enumerate(ps):
                if setting not in ('trial_home_visit', 'runaway'):
                    continue
                last = e if e is not None else D.max
                # On a move day the child is in the placement that starts that day.
                if e is not None and any(o[0] == e for j, o in enumerate(ps) if j != i):
                    last = e - datetime.timedelta(days=1)
                if last >= s:
                    excluded.append((s, last))
            d = start
            for s, e in sorted(excluded):
                if e < d or s > end:
                    continue
                if s > d:
                    spans.append((d, min(end, s - datetime.timedelta(days=1))))
                d = max(d, e + datetime.timedelta(days=1)) if e != D.max else end + datetime.timedelta(days=1)
                if d > end:
                    break
            if d <= end:
                spans.append((d, end))
        spans.sort()
        merged = []
        for s, e in spans:
            if merged and s <= merged[-1][1] + datetime.timedelta(days=1):
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged

    def reached(spans):
        """The first day D with at least 457 counted days from D - 22 months + 1 to D; the
        days counted in the 22 months ending today."""
        ordinals = [(s.toordinal(), e.toordinal()) for s, e in spans]
        cum = [0]
        for s, e in ordinals:
            cum.append(cum[-1] + e - s + 1)

        def upto(x):   # counted days on or before ordinal x
            i = bisect.bisect_right([s for s, _ in ordinals], x)
            if i == 0:
                return 0
            s, e = ordinals[i - 1]
            return cum[i - 1] + min(e, x) - s + 1

        def window(d):
            return upto(d.toordinal()) - upto(add_months(d, -22).toordinal())

        found = None
        if cum[-1] >= 457:
            for (s, e), before in zip(ordinals, cum):
                if before + e - s + 1 < 457:
                    continue
                for o in range(max(s, s + 456 - before), e + 1):
                    if window(D.fromordinal(o)) >= 457:
                        found = D.fromordinal(o)
                        break
                if found:
                    break
        return found, window(today)

    expected = []
    for child, eps in episodes.items():
        removed, discharged, eid, case, exception = max(eps)
        if discharged is not None and discharged < add_months(today, -12):
            continue
        number, worker, unit = cases[case]
        entered = entered_care(child, removed, discharged)
        held = [(h, kind) for h, kind, _ in hearings[child]
                if h <= today and removed <= h <= min(discharged or today, today)]

        plan_due = removed + datetime.timedelta(days=60)
        met = min((a for a in approvals[case] if a >= removed and (discharged is None or a <= discharged)),
                  default=None)
        plan_status = ('met' if met and met <= plan_due else 'met_late' if met else
                       'not_applicable' if discharged and discharged < plan_due else
                       'due' if today <= plan_due else 'overdue')

        def hearing_clock(kinds, months):
            last = max((h for h, kind in held if kind in kinds), default=None)
            due = add_months(last or entered, months)
            status = ('not_applicable' if discharged and discharged < due else
                      'due' if today <= due else 'overdue')
            return due, last, status

        review = hearing_clock(('review', 'permanency'), 6)
        permanency = hearing_clock(('permanency',), 12)
        reached_on, in_22 = reached(counted_days(child))
        petition = None
        if reached_on:
            petition = min((h for h, kind, _ in hearings[child] if kind == 'tpr' and reached_on <= h <= today),
                           default=None)
        tpr_status = ('not_reached' if reached_on is None else 'petition_filed' if petition else
                      'exception' if exception else 'no_action')
        open_dues = [d for d, s in ((plan_due, plan_status), (review[0], review[2]), (permanency[0], permanency[2]))
                     if s in ('due', 'overdue')]
        text = lambda v: '' if v is None else str(v)
        expected.append(((min(open_dues, default=D.max), number, child),
                         [child, case, number, worker, text(unit), eid, text(removed), text(discharged), text(entered),
                          text(plan_due), text(met), plan_status,
                          text(review[0]), text(review[1]), review[2],
                          text(permanency[0]), text(permanency[1]), permanency[2],
                          text(reached_on), str(in_22), text(petition), tpr_status]))
    expected.sort(key=lambda r: r[0])
    want = [r[1] for r in expected]

    with open(report_path, newline='') as f:
        got = list(csv.reader(f))[1:]
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
    if len(got) != len(want):
        bad.insert(0, (-1, f'{len(got)} rows', f'{len(want)} rows'))
    for i, g, w in bad[:5]:
        print(f'row {i}: service {g}\n        check   {w}', file=sys.stderr)
    statuses = defaultdict(int)
    for r in want:
        for col in (11, 14, 17, 21):
            statuses[r[col]] += 1
    print(f'rows={len(want)} differences={len(bad)} hearings={sum(map(len, hearings.values()))} '
          + ' '.join(f'{k}={v}' for k, v in sorted(statuses.items())))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
