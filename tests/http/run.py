#!/usr/bin/env python3
"""Runs the HTTP tests against a real PostgreSQL and caseworkd.

usage: run.py CASEWORKD_BINARY [TEST_NAME_PATTERN ...]
Patterns select tests like unittest's -k (substring of test id).
Exit status 0 only when every test passed and every service stopped cleanly.
"""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary, patterns = sys.argv[1], sys.argv[2:]
    cluster = harness.start(binary)
    try:
        loader = unittest.TestLoader()
        if patterns:
            loader.testNamePatterns = [f'*{p}*' for p in patterns]
        suite = loader.discover(HERE, pattern='test_*.py', top_level_dir=HERE)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    finally:
        problems = cluster.stop()
    unclaimed = harness.take_violations()
    problems += [f'an answer outside any test breaks openapi.yaml: {v}' for v in unclaimed]
    print(f'{harness.checked_count()} answers checked against openapi.yaml')
    for p in problems:
        print(f'PROBLEM: {p}', file=sys.stderr)
    if problems:
        print(f'test files kept in {cluster.dir}', file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() and not problems else 1)


if __name__ == '__main__':
    main()
