"""Every answer the HTTP tests receive, checked against openapi.yaml.

The harness hands each answer to Contract.check() with the request that caused
it. An answer to a request the contract describes (its path matches a path
template and the method is one of the path's operations) must:

- have a status code the operation lists (or a listed range such as 4XX);
- carry every header the response marks `required: true`, and each documented
  header it carries must match that header's schema;
- carry a body only when the response documents content (never for HEAD), of a
  documented media type, that validates against the schema of that status and
  media type (JSON Schema 2020-12 with formats such as uuid, date and date-time
  checked);
- when it is a problem, say the same status and request id as the answer.

An answer to a request outside the contract (an unknown path, a method a path
does not answer) is checked for what is promised to every request: 404 for an
unknown path, 405 with Allow for a known path, and problem+json for every 4xx
and 5xx.

Every answer, in or out of the contract, carries X-Request-Id,
Cache-Control: no-store and X-Content-Type-Options: nosniff; but for the HTTP
layer's own refusals of requests it cannot read (x-http-layer-refusals), which
carry none of them.

Validators are made once per (operation, status, media type) and cached. Each
schema's $refs are resolved once, when its validator is made, into the schema
objects they name (the document has no recursive schema), so validating walks
no references: that, and remembering valid items (memoizing_validator_class),
keeps a run's checking to seconds.
"""
import datetime
import hashlib
import json
import re
import threading

import jsonschema
import yaml

METHODS = ('get', 'head', 'post', 'put', 'patch', 'delete', 'options')
EVERY_ANSWER_HEADERS = {'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff'}
PROBLEM_TYPES = ('application/problem+json',)


class ContractViolation(AssertionError):
    """An answer that openapi.yaml does not allow."""


class _NoTimestampsLoader(yaml.CSafeLoader if hasattr(yaml, 'CSafeLoader') else yaml.SafeLoader):
    """YAML as JSON sees it: an unquoted 2026-01-12 stays a string."""


_NoTimestampsLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != 'tag:yaml.org,2002:timestamp']
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_document(path):
    """openapi.yaml as the JSON document it stands for."""
    with open(path, encoding='utf-8') as f:
        return yaml.load(f, Loader=_NoTimestampsLoader)  # noqa: S506 (a safe loader)


# -- formats --------------------------------------------------------------------

UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')
DATE_TIME_RE = re.compile(r'^(\d{4}-\d\d-\d\d)[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$')
URI_RE = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:\S*$')


def _date(text):
    if not re.fullmatch(r'\d{4}-\d\d-\d\d', text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def format_checker():
    checker = jsonschema.FormatChecker(formats=())
    checks = {
        'uuid': lambda s: bool(UUID_RE.match(s)),
        'date': _date,
        'date-time': lambda s: bool(DATE_TIME_RE.match(s)) and _date(s[:10]),
        'uri': lambda s: bool(URI_RE.match(s)),
        'uri-reference': lambda s: not re.search(r'\s', s),
    }
    for name, check in checks.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return checker


# -- schemas and validators ---------------------------------------------------------

ANNOTATIONS = frozenset({'description', 'example', 'examples', 'readOnly', 'writeOnly', 'default',
                         'deprecated', 'title', '$comment'})
SUBSCHEMA = frozenset({'items', 'additionalProperties', 'unevaluatedProperties', 'not', 'contains',
                       'propertyNames', 'if', 'then', 'else'})
SUBSCHEMA_LISTS = frozenset({'allOf', 'anyOf', 'oneOf', 'prefixItems'})
SUBSCHEMA_MAPS = frozenset({'properties', 'patternProperties', 'dependentSchemas', '$defs'})


class SchemaResolver:
    """Schemas of the document with every $ref replaced by the schema it names,
    made once per reference and shared, and annotations left out."""

    def __init__(self, document):
        self.document = document
        self.done = {}

    def at(self, ref):
        node = self.document
        for part in ref[2:].split('/') if ref.startswith('#/') else ():
            node = node[part.replace('~1', '/').replace('~0', '~')]
        return node

    def reference(self, ref):
        if ref not in self.done:
            if not ref.startswith('#/'):
                raise ValueError(f'only references within the document are resolved: {ref}')
            self.done[ref] = None  # a reference back to itself would be a recursive schema
            self.done[ref] = self.schema(self.at(ref))
        if self.done[ref] is None:
            raise ValueError(f'{ref} is recursive')
        return self.done[ref]

    def schema(self, node):
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in ANNOTATIONS or key.startswith('x-') or key == '$ref':
                continue
            if key in SUBSCHEMA:
                value = self.schema(value)
            elif key in SUBSCHEMA_LISTS:
                value = [self.schema(v) for v in value]
            elif key in SUBSCHEMA_MAPS:
                value = {name: self.schema(v) for name, v in value.items()}
            out[key] = value
        if '$ref' not in node:
            return out
        target = self.reference(node['$ref'])
        return dict(allOf=[target], **out) if out else target


def memoizing_validator_class():
    """Draft 2020-12, but an array's items are remembered once valid: pages repeat
    the same records (a feed read again from its start, a list walked twice), and
    what was valid against one schema stays valid. Results are the same; only time
    is saved."""
    original = jsonschema.Draft202012Validator.VALIDATORS['items']
    valid = set()
    lock = threading.Lock()

    def items(validator, items_schema, instance, schema):
        if 'prefixItems' in schema or not isinstance(instance, list) or not isinstance(items_schema, dict):
            yield from original(validator, items_schema, instance, schema)
            return
        for index, item in enumerate(instance):
            text = json.dumps(item, sort_keys=True, separators=(',', ':')).encode()
            key = (id(items_schema), hashlib.blake2b(text, digest_size=16).digest())
            with lock:
                if key in valid:
                    continue
            errors = list(validator.descend(item, items_schema, path=index))
            if errors:
                yield from errors
            else:
                with lock:
                    valid.add(key)

    return jsonschema.validators.extend(jsonschema.Draft202012Validator, {'items': items})


# -- paths ----------------------------------------------------------------------

class PathTemplate:
    """One path of the document: /v1/cases/{id}/history."""

    def __init__(self, template):
        self.template = template
        segments = template.strip('/').split('/')
        pattern = ''.join('/[^/]+' if s.startswith('{') else '/' + re.escape(s) for s in segments)
        self.regex = re.compile(pattern + '$')
        # OpenAPI: a concrete path wins over a templated one; segment by segment, a
        # literal segment wins over a parameter (/v1/cases/by-number/{n} over /v1/cases/{id}/x).
        self.precedence = tuple(1 if s.startswith('{') else 0 for s in segments)


def header_value(headers, name):
    return headers.get(name)


def media_type(content_type):
    return (content_type or '').split(';')[0].strip().lower()


def pointer(*parts):
    return '/' + '/'.join(str(p).replace('~', '~0').replace('/', '~1') for p in parts)


class Contract:
    """openapi.yaml, ready to check answers against."""

    def __init__(self, path):
        self.document = load_document(path)
        self.templates = sorted((PathTemplate(t) for t in self.document['paths']),
                                key=lambda t: t.precedence)
        self.schemas = SchemaResolver(self.document)
        self.checker = format_checker()
        self.validator_class = memoizing_validator_class()
        self.validators = {}
        self.lock = threading.Lock()
        self.checked = 0

    # -- looking things up ----------------------------------------------------
    def resolve(self, node):
        """A Response or Header object, its $ref followed (siblings of $ref win)."""
        while isinstance(node, dict) and '$ref' in node:
            target = self.at(node['$ref'])
            node = dict(target, **{k: v for k, v in node.items() if k != '$ref'})
        return node

    def at(self, ref):
        return self.schemas.at(ref)

    def match(self, path):
        """The path template a request path falls under, or None."""
        for t in self.templates:
            if t.regex.match(path):
                return t
        return None

    def operation(self, method, path):
        """(template, operation) for a request; either may be None."""
        template = self.match(path)
        if template is None:
            return None, None
        return template, self.document['paths'][template.template].get(method.lower())

    def operations(self):
        """Every (path template, method, operation) of the document."""
        for template, item in self.document['paths'].items():
            for method in METHODS:
                if method in item:
                    yield template, method, item[method]

    def validator(self, *path):
        """The validator of the schema at this place of the document, made once."""
        key = pointer(*path)
        with self.lock:
            found = self.validators.get(key)
            if found is None:
                schema = self.schemas.reference('#' + key)
                found = self.validator_class(schema, format_checker=self.checker)
                self.validators[key] = found
        return found

    # -- checking an answer -----------------------------------------------------
    def check(self, method, target, response):
        """Raises ContractViolation when the answer to method target breaks the contract."""
        path = target.split('?', 1)[0]
        template, op = self.operation(method, path)
        where = f'{method} {path}'
        if self.http_layer_refusal(response):
            with self.lock:
                self.checked += 1
            return
        failures = self.every_answer(response)
        if op is None:
            failures += self.outside(method, template, response)
        else:
            where = f'{method} {template.template} ({op.get("operationId")})'
            failures += self.inside(method, template.template, op, response)
        with self.lock:
            self.checked += 1
        if failures:
            raise ContractViolation(f'{where} answered {response.status}: ' + '; '.join(failures))

    def http_layer_refusal(self, response):
        refusals = self.document.get('x-http-layer-refusals', {})
        return (response.status in refusals.get('statuses', ()) and
                header_value(response.headers, 'X-Request-Id') is None)

    def every_answer(self, response):
        failures = []
        if not header_value(response.headers, 'X-Request-Id'):
            failures.append('no X-Request-Id header')
        for name, value in EVERY_ANSWER_HEADERS.items():
            if header_value(response.headers, name) != value:
                failures.append(f'{name} is {header_value(response.headers, name)!r}, not {value!r}')
        return failures

    def outside(self, method, template, response):
        """What an answer to a request the contract does not describe must be."""
        failures = []
        if template is None and response.status != 404:
            failures.append('a path the contract does not list must answer 404')
        if template is not None and response.status != 405:
            failures.append(f'{template.template} does not answer {method}: it must answer 405')
        if template is not None and not header_value(response.headers, 'Allow'):
            failures.append('a 405 carries Allow')
        if method != 'HEAD':
            failures += self.problem_body(response, ('components', 'schemas', 'Problem'))
        return failures

    def inside(self, method, template, op, response):
        responses = op.get('responses', {})
        status = str(response.status)
        declared = responses.get(status) or responses.get(status[0] + 'XX') or responses.get('default')
        if declared is None:
            return [f'status {status} is not listed for the operation (it lists {", ".join(responses)})']
        key = status if status in responses else (status[0] + 'XX' if status[0] + 'XX' in responses else 'default')
        declared = self.resolve(declared)
        failures = self.headers(declared, response)
        content = declared.get('content')
        if method == 'HEAD' or not content:
            if response.body:
                failures.append(f'a body of {len(response.body)} bytes where the contract documents none')
            return failures
        kind = media_type(header_value(response.headers, 'Content-Type'))
        if kind not in content:
            return failures + [f'Content-Type {kind or "(none)"} is not one of {", ".join(content)}']
        where = ('paths', template, method.lower(), 'responses', key)
        if '$ref' in responses[key]:
            where = tuple(responses[key]['$ref'].lstrip('#/').split('/'))
        if kind in PROBLEM_TYPES or kind.endswith('json'):
            failures += self.json_body(response, where + ('content', kind, 'schema'), content[kind])
        elif kind.startswith('text/') or kind.endswith('yaml'):
            try:
                response.body.decode('utf-8')
            except UnicodeDecodeError:
                failures.append(f'the {kind} body is not UTF-8')
        if kind in PROBLEM_TYPES:
            failures += self.problem_promises(response)
        return failures

    def headers(self, declared, response):
        failures = []
        for name, header in (declared.get('headers') or {}).items():
            header = self.resolve(header)
            value = header_value(response.headers, name)
            if value is None:
                if header.get('required'):
                    failures.append(f'no {name} header')
                continue
            schema = header.get('schema', {})
            if schema.get('type') == 'integer':
                if not re.fullmatch(r'\d+', value):
                    failures.append(f'{name}: {value!r} is not a whole number')
                    continue
                value = int(value)
            errors = self.schema_errors(self.header_validator(header), value)
            if errors:
                failures.append(f'header {name}: {errors}')
        return failures

    def header_validator(self, header):
        key = id(header['schema']) if 'schema' in header else None
        with self.lock:
            found = self.validators.get(key)
            if found is None:
                schema = self.schemas.schema(header.get('schema', {}))
                found = self.validator_class(schema, format_checker=self.checker)
                self.validators[key] = found
        return found

    def json_body(self, response, where, media):
        if 'schema' not in media:
            return []
        try:
            body = json.loads(response.body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            return [f'the body is not JSON ({e})']
        errors = self.schema_errors(self.validator(*where), body)
        return [f'the body does not match {pointer(*where)}: {errors}'] if errors else []

    def problem_body(self, response, where):
        failures = []
        if response.status < 400:
            return ['only a problem may answer a request outside the contract']
        kind = media_type(header_value(response.headers, 'Content-Type'))
        if kind not in PROBLEM_TYPES:
            return [f'a {response.status} is application/problem+json, not {kind or "(none)"}']
        failures += self.json_body(response, where, {'schema': True})
        return failures + self.problem_promises(response)

    def problem_promises(self, response):
        try:
            problem = json.loads(response.body)
        except ValueError:
            return []
        failures = []
        if isinstance(problem, dict):
            if problem.get('status') != response.status:
                failures.append(f'the problem says status {problem.get("status")!r}')
            if problem.get('request_id') != header_value(response.headers, 'X-Request-Id'):
                failures.append('the problem\'s request_id is not the X-Request-Id header')
        return failures

    def schema_errors(self, validator, instance):
        """The first few schema errors, each with where it is in the body; '' when valid."""
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))[:3]
        return '; '.join(f'at /{"/".join(str(p) for p in e.absolute_path)}: {_short(e)}' for e in errors)


def _short(error):
    """A schema error in one line: the deepest reason of an anyOf/oneOf, not all of them."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    text = error.message
    return text if len(text) < 300 else text[:300] + '...'
