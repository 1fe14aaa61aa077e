"""A strict parser of the Prometheus text exposition format, version 0.0.4.

It refuses what the format does not allow instead of guessing, so that a test
of GET /metrics checks the format's rules, not a string:

- lines end with a line feed, the last one included; empty lines are ignored;
- `# HELP name text` (text escapes only backslash and line feed) and
  `# TYPE name type` (counter, gauge, histogram, summary, untyped), each at
  most once per family and before its first sample; other `#` lines are
  comments;
- metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
  [a-zA-Z_][a-zA-Z0-9_]* and do not begin with __; a label appears at most once
  in a sample; label values escape only backslash, double quote and line feed;
- a value is a float as Go reads it (NaN, +Inf, -Inf included), followed by an
  optional integer timestamp in milliseconds;
- the samples of one family come in one group (a family's name once seen and
  left is never taken up again), and no series (name and label set) repeats;
- a counter's samples are not negative; a histogram named x has only x_bucket
  (with an le label that is a float, +Inf included), x_sum and x_count; for
  every label set its buckets are cumulative (non-decreasing as le grows), end
  with le="+Inf", and that bucket equals x_count.

parse(text) returns {family name: Family}; a broken rule raises FormatError
naming the line.
"""
import math
import re

METRIC_NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL_NAME = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
FLOAT = re.compile(r'[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN|nan)')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


class FormatError(ValueError):
    pass


class Family:
    def __init__(self, name):
        self.name = name
        self.help = None
        self.type = None
        self.samples = []   # (sample name, {label: value}, value)

    def series(self, name=None, **labels):
        """The values of samples named name (the family's own by default) whose
        labels include these."""
        name = name or self.name
        return [v for n, ls, v in self.samples if n == name and all(ls.get(k) == x for k, x in labels.items())]

    def value(self, name=None, **labels):
        """The one sample matching (see series), or 0 when there is none."""
        found = self.series(name, **labels)
        if len(found) > 1:
            raise AssertionError(f'{len(found)} samples of {name or self.name} match {labels}')
        return found[0] if found else 0


def _unescape(text, allowed, where):
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == '\\':
            if i + 1 >= len(text) or text[i + 1] not in allowed:
                raise FormatError(f'{where}: a backslash escapes only {sorted(allowed)}')
            out.append(allowed[text[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def _float(text, where):
    if not FLOAT.fullmatch(text):
        raise FormatError(f'{where}: {text!r} is not a number')
    return float(text)


def _labels(line, i, where):
    """Reads {a="x",...} from line[i] == '{'; returns (labels, index after '}')."""
    labels = {}
    i += 1
    while True:
        if i < len(line) and line[i] == '}':
            return labels, i + 1
        m = LABEL_NAME.match(line, i)
        if not m:
            raise FormatError(f'{where}: a label name is expected at column {i + 1}')
        name = m.group(0)
        if name.startswith('__'):
            raise FormatError(f'{where}: label name {name} is reserved')
        if name in labels:
            raise FormatError(f'{where}: label {name} appears twice')
        i = m.end()
        if line[i:i + 2] != '="':
            raise FormatError(f'{where}: {name} must be followed by ="')
        i += 2
        start = i
        while i < len(line) and line[i] != '"':
            i += 2 if line[i] == '\\' else 1
        if i >= len(line):
            raise FormatError(f'{where}: the value of {name} is not closed')
        labels[name] = _unescape(line[start:i], {'\\': '\\', '"': '"', 'n': '\n'}, where)
        i += 1
        if i < len(line) and line[i] == ',':
            i += 1
        elif i < len(line) and line[i] != '}':
            raise FormatError(f'{where}: , or }} is expected after the value of {name}')


def _family_of(sample_name, families):
    """The family a sample belongs to: a histogram's or summary's own suffixes
    name it, when that family has been typed so."""
    for suffix, kinds in (('_bucket', ('histogram',)), ('_sum', ('histogram', 'summary')),
                          ('_count', ('histogram', 'summary'))):
        base = sample_name[:-len(suffix)]
        if sample_name.endswith(suffix) and base in families and families[base].type in kinds:
            return base
    return sample_name


def parse(text):
    if text and not text.endswith('\n'):
        raise FormatError('the last line does not end with a line feed')
    families = {}
    closed = set()
    current = None
    seen_series = set()

    def enter(name, where):
        nonlocal current
        if name != current:
            if name in closed or (name in families and families[name].samples):
                raise FormatError(f'{where}: the lines of {name} are not in one group')
            if current is not None:
                closed.add(current)
            current = name
        return families.setdefault(name, Family(name))

    for number, line in enumerate(text.split('\n')[:-1], 1):
        where = f'line {number}'
        if line.strip() == '':
            continue
        if line.startswith('#'):
            parts = line[1:].lstrip(' \t').split(None, 2)
            if len(parts) >= 2 and parts[0] in ('HELP', 'TYPE'):
                name = parts[1]
                if not METRIC_NAME.fullmatch(name):
                    raise FormatError(f'{where}: {name!r} is not a metric name')
                fam = enter(name, where)
                if fam.samples:
                    raise FormatError(f'{where}: # {parts[0]} of {name} after its samples')
                if parts[0] == 'HELP':
                    if fam.help is not None:
                        raise FormatError(f'{where}: a second # HELP for {name}')
                    fam.help = _unescape(parts[2] if len(parts) > 2 else '', {'\\': '\\', 'n': '\n'}, where)
                else:
                    if fam.type is not None:
                        raise FormatError(f'{where}: a second # TYPE for {name}')
                    if len(parts) != 3 or parts[2] not in TYPES:
                        raise FormatError(f'{where}: # TYPE {name} needs one of {TYPES}')
                    fam.type = parts[2]
            continue
        m = METRIC_NAME.match(line)
        if not m:
            raise FormatError(f'{where}: a sample must begin with a metric name')
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == '{':
            labels, i = _labels(line, i, where)
        rest = line[i:]
        if not rest.startswith((' ', '\t')):
            raise FormatError(f'{where}: a space must come before the value')
        fields = rest.split()
        if len(fields) not in (1, 2):
            raise FormatError(f'{where}: a value and an optional timestamp are expected, not {fields}')
        value = _float(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r'-?\d+', fields[1]):
            raise FormatError(f'{where}: the timestamp {fields[1]!r} is not an integer')
        key = (name, tuple(sorted(labels.items())))
        if key in seen_series:
            raise FormatError(f'{where}: the series {name}{labels} appears twice')
        seen_series.add(key)
        fam = enter(_family_of(name, families), where)
        if fam.type == 'counter' and not value >= 0:
            raise FormatError(f'{where}: counter {name} is {value}')
        fam.samples.append((name, labels, value))
    for fam in families.values():
        if fam.type == 'histogram':
            _check_histogram(fam)
    return families


def _check_histogram(fam):
    groups = {}
    for name, labels, value in fam.samples:
        if name not in (fam.name + '_bucket', fam.name + '_sum', fam.name + '_count'):
            raise FormatError(f'histogram {fam.name} has a sample named {name}')
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
        g = groups.setdefault(rest, {'buckets': [], 'sum': None, 'count': None})
        if name.endswith('_bucket'):
            if 'le' not in labels:
                raise FormatError(f'{name}{labels} has no le label')
            g['buckets'].append((_float(labels['le'], f'{name} le'), value))
        elif 'le' in labels:
            raise FormatError(f'{name} must not have an le label')
        else:
            g[name[len(fam.name) + 1:]] = value
    for rest, g in groups.items():
        what = f'{fam.name}{dict(rest)}'
        if g['sum'] is None or g['count'] is None:
            raise FormatError(f'{what} lacks _sum or _count')
        buckets = sorted(g['buckets'])
        if not buckets or buckets[-1][0] != math.inf:
            raise FormatError(f'{what} has no le="+Inf" bucket')
        if len({le for le, _ in buckets}) != len(buckets):
            raise FormatError(f'{what} repeats a bucket')
        counts = [c for _, c in buckets]
        if any(b < a for a, b in zip(counts, counts[1:])):
            raise FormatError(f'{what}: buckets are not cumulative: {buckets}')
        if counts[-1] != g['count']:
            raise FormatError(f'{what}: le="+Inf" is {counts[-1]} but _count is {g["count"]}')
