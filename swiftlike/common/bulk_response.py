"""The outcome of a bulk operation (archive extraction or bulk delete) and
its body in the format the client's ``Accept`` asks for, as Swift's bulk
middleware writes it: JSON, XML (``application/xml`` or ``text/xml``) or
plain text (the default). Pure; names are already quoted by the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final
from xml.sax.saxutils import escape

#: What a client may ask for, the default first.
FORMATS: Final = ('text/plain', 'application/json', 'application/xml', 'text/xml')


@dataclass
class BulkResult:
    """Counts (``Number Files Created``; ``Number Deleted``, ``Number Not
    Found``), the overall status and body, and ``[name, status]`` errors."""

    counts: dict[str, int]
    status: str = ''
    body: str = ''
    errors: list[list[str]] = field(default_factory=list)

    def fields(self) -> dict[str, str | int]:
        """Every field but the errors, as Swift names them."""
        return {**self.counts, 'Response Status': self.status, 'Response Body': self.body}


def render(result: BulkResult, content_type: str, root: str) -> bytes:
    """The body for ``content_type`` (one of :data:`FORMATS`); ``root`` is
    the XML root element (``extract`` or ``delete``).

    >>> render(BulkResult({'Number Deleted': 1}, '200 OK'), 'text/plain', 'delete')
    b'Number Deleted: 1\\nResponse Body: \\nResponse Status: 200 OK\\nErrors:\\n'
    """
    fields = result.fields()
    if content_type == 'application/json':
        return json.dumps({**fields, 'Errors': result.errors}).encode('ascii')
    if content_type.endswith('/xml'):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{root}>\n']
        for key in sorted(fields):
            tag = key.lower().replace(' ', '_')
            out.append(f'<{tag}>{escape(str(fields[key]))}</{tag}>\n')
        out.append('<errors>\n')
        out += [f'<object><name>{escape(name)}</name><status>{escape(status)}</status></object>\n'
                for name, status in result.errors]
        out.append(f'</errors>\n</{root}>\n')
        return ''.join(out).encode('utf-8')
    lines = [f'{key}: {fields[key]}\n' for key in sorted(fields)] + ['Errors:\n']
    lines += [f'{name}, {status}\n' for name, status in result.errors]
    return ''.join(lines).encode('utf-8')
