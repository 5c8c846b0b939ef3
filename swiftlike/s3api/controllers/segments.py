"""The layout of a bucket's multipart uploads in its segments container
``<bucket>+segments`` (a name no S3 bucket can have): a zero-byte marker
``<key>/<upload id>`` per upload, holding the new object's type and
metadata, and ``<key>/<upload id>/<part number, 5 digits>`` per part;
and finding and deleting them, including the parts of a multipart object
that a new object replaces."""

from __future__ import annotations

import hashlib
import re
from typing import Final

from swiftlike.common import env_keys
from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import swift, sysmeta
from swiftlike.s3api.request import S3Request

#: What a bucket's segments container adds to its name.
SEGMENTS: Final = '+segments'
MAX_PART: Final = 10000
_UPLOAD_ID = re.compile(r'[A-Za-z0-9_-]{32}', re.ASCII)          # fullmatch: '$' lets '\n' end it
_PART = re.compile(r'[0-9]{5}', re.ASCII)
#: Seconds the cache keeps whether a bucket has a segments container.
KNOWN_TTL: Final = 60.0


def segments(bucket: str) -> str:
    """The container holding ``bucket``'s uploads and parts."""
    return bucket + SEGMENTS


def marker(key: str, upload_id: str) -> str:
    return f'{key}/{upload_id}'


def part_name(key: str, upload_id: str, number: int) -> str:
    return f'{key}/{upload_id}/{number:05d}'


def is_upload_id(text: str) -> bool:
    return bool(_UPLOAD_ID.fullmatch(text))


def parts(app: WsgiApp, s3: S3Request, bucket: str, key: str, upload_id: str, *, after: int = 0,
          limit: int = MAX_PART) -> list[dict[str, object]]:
    """The upload's parts (from the segments container's listing), in order, after part ``after``."""
    prefix = f'{key}/{upload_id}/'
    found: list[dict[str, object]] = []
    start = prefix + f'{after:05d}' if after else ''
    while (want := min(10000, limit - len(found))) > 0:
        page = swift.listing(app, s3, segments(bucket), prefix=prefix, marker=start, limit=want)
        for entry in page:
            tail = entry['name'][len(prefix):]
            if _PART.fullmatch(tail):
                found.append({**entry, 'part': int(tail)})
        if len(page) < want:
            break
        start = page[-1]['name']
    return found[:limit]


def delete_upload(app: WsgiApp, s3: S3Request, bucket: str, key: str, upload_id: str, *,
                  keep: frozenset[int] = frozenset()) -> None:
    """Delete the upload's parts (but those in ``keep``) and its marker."""
    for part in parts(app, s3, bucket, key, upload_id):
        if part['part'] not in keep:
            swift.call(app, s3, 'DELETE', segments(bucket), str(part['name'])).close()
    swift.call(app, s3, 'DELETE', segments(bucket), marker(key, upload_id)).close()


def _known_key(s3: S3Request, bucket: str) -> str:
    return 's3api/segments/' + hashlib.md5(f'{s3.auth.access_key}/{bucket}'.encode(),
                                           usedforsecurity=False).hexdigest()


def remember(s3: S3Request, bucket: str, exists: bool) -> None:
    """Note (in the shared cache) whether ``bucket`` has a segments container."""
    cache = s3.environ.get(env_keys.CACHE)
    if cache is not None:
        cache.set(_known_key(s3, bucket), exists, KNOWN_TTL)


def _has_segments(app: WsgiApp, s3: S3Request, bucket: str) -> bool:
    cache = s3.environ.get(env_keys.CACHE)
    known = cache.get(_known_key(s3, bucket)) if cache is not None else None
    if known is not None:
        return bool(known)
    resp = swift.call(app, s3, 'HEAD', segments(bucket))
    resp.close()
    remember(s3, bucket, resp.status // 100 == 2)
    return resp.status // 100 == 2


def replaced_upload(app: WsgiApp, s3: S3Request, bucket: str, key: str) -> str | None:
    """The upload id of the multipart object now at ``key``, if there is one (asked only
    in a bucket that has had multipart uploads, so other buckets' PUTs pay nothing)."""
    if not _has_segments(app, s3, bucket):
        return None
    resp = swift.call(app, s3, 'HEAD', bucket, key)
    resp.close()
    found = resp.headers.get(sysmeta.UPLOAD_ID) if resp.status == 200 else None
    return str(found) if found and is_upload_id(str(found)) else None
