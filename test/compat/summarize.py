"""Group the failures and errors of a junit xml that swift-suites.sh wrote.

    python3 test/compat/summarize.py .compat/functional.xml [--top 15] [--all]

Prints the counts, then the failures grouped by their message with the
variable parts (names, numbers, ids, quoted strings) masked: per group the
count, the test classes it hits, one test id and the first message. Plain
Python, no dependencies.
"""

from __future__ import annotations

import argparse
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

MASKS = (
    (re.compile(r"0x[0-9a-f]+"), '0x?'),
    (re.compile(r"[0-9a-f]{16,}"), '<hex>'),
    (re.compile(r"\btx[0-9a-f-]+"), 'tx?'),
    (re.compile(r"(?<![\w.])\d{4,}(\.\d+)?\b|\b\d+\.\d+\b"), 'N'),    # not statuses, not crc32
    (re.compile(r"'[^']{40,400}'"), "'…'"),
    (re.compile(r'"[^"]{40,400}"'), '"…"'),
)


def first_line(text: str) -> str:
    for line in (text or '').splitlines():
        if line.strip():
            return line.strip()
    return ''


def key_of(message: str) -> str:
    key = message[:300]
    for pattern, repl in MASKS:
        key = pattern.sub(repl, key)
    return key[:160]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('xml', nargs='+')
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('--all', action='store_true', help='list every failing test id of each group')
    args = parser.parse_args(argv)
    for path in args.xml:
        root = ET.parse(path).getroot()
        counts: Counter[str] = Counter()
        groups: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for case in root.iter('testcase'):
            test_id = f"{case.get('classname')}::{case.get('name')}"
            outcome = 'passed'
            for child in case:
                if child.tag in ('failure', 'error', 'skipped'):
                    outcome = child.tag
                    if child.tag != 'skipped':
                        message = first_line(child.get('message', '')) or first_line(child.text or '')
                        groups[f'{child.tag}: {key_of(message)}'].append((test_id, child.tag, message))
                    break
            counts[outcome] += 1
        print(f'== {path}: ' + ', '.join(f'{n} {k}' for k, n in counts.most_common()))
        ranked = sorted(groups.items(), key=lambda kv: -len(kv[1]))
        for key, cases in ranked[:args.top]:
            classes = Counter(c[0].split('::')[0].rsplit('.', 1)[-1] for c in cases)
            print(f'\n[{len(cases)}] {key}')
            print('    classes: ' + ', '.join(f'{c} ({n})' for c, n in classes.most_common(6)))
            print(f'    e.g. {cases[0][0]}')
            print(f'    {cases[0][2][:400]}')
            if args.all:
                for case in cases[1:]:
                    print(f'    - {case[0]}')
        rest = sum(len(c) for _, c in ranked[args.top:])
        if rest:
            print(f'\n... and {rest} more in {len(ranked) - args.top} smaller groups')
    return 0


if __name__ == '__main__':
    sys.exit(main())
