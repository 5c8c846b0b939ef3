"""S3 XML in and out. Request bodies are parsed only if they are UTF-8 (as
S3 wants; so a UTF-16 body cannot hide a declaration from the check), carry
no document type declaration (so no entity, external or internal, is ever
expanded) and are at most ``MAX_BODY`` bytes; anything else is
MalformedXML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Final

from swiftlike.s3api import errors

NS: Final = 'http://s3.amazonaws.com/doc/2006-03-01/'
MAX_BODY: Final = 1024 * 1024
_DECLARATION = re.compile(r'<!\s*(DOCTYPE|ENTITY)', re.IGNORECASE)


def parse(body: bytes) -> ET.Element:
    """The root element of an S3 request body, namespace removed from tags.

    :raises MalformedXML: for a body that is too big, not UTF-8, declares a DTD or entities,
        or is not XML
    """
    try:
        text = body.decode('utf-8')
    except UnicodeDecodeError:
        raise errors.MalformedXML() from None
    if len(body) > MAX_BODY or _DECLARATION.search(text):
        raise errors.MalformedXML()
    try:
        root = ET.fromstring(text.removeprefix('\ufeff'))      # text: any encoding it declares is moot
    except (ET.ParseError, ValueError, LookupError):
        raise errors.MalformedXML() from None
    for element in root.iter():
        element.tag = element.tag.rpartition('}')[2]
    return root


def element(tag: str, text: str | None = None, children: Iterable[ET.Element] = ()) -> ET.Element:
    """An element with text or children."""
    node = ET.Element(tag)
    if text is not None:
        node.text = text
    node.extend(children)
    return node


def fields(tag: str, pairs: Iterable[tuple[str, str | None]]) -> ET.Element:
    """``<tag><k>v</k>...</tag>``, leaving out None values."""
    return element(tag, children=[element(k, v) for k, v in pairs if v is not None])


def document(root: ET.Element) -> bytes:
    """A whole response document, in S3's namespace."""
    root.set('xmlns', NS)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode').encode('utf-8')
