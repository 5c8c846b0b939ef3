"""A small S3 request signer for tests that need requests botocore will not
make: any x-amz-content-sha256 (or none), any checksum headers, aws-chunked
bodies with chunk and trailer signatures, SigV2 and SigV4, in a header or a
presigned query. Requests go out through http.client as built, so the server
sees exactly these bytes."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.client
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote

KEY, SECRET = 'test:tester', 'testing'
REGION = 'us-east-1'
EMPTY = hashlib.sha256(b'').hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode('utf-8'), hashlib.sha256).digest()


def _q(text: str) -> str:
    return quote(text, safe='-_.~')


def _payload(headers: dict[str, str]) -> str:
    return next((v for k, v in headers.items() if k.lower() == 'x-amz-content-sha256'), 'UNSIGNED-PAYLOAD')


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> str | None:
        return ET.fromstring(self.body).findtext('Code') if self.body.startswith(b'<?xml') else None

    def element(self, name: str) -> str | None:
        return ET.fromstring(self.body).findtext(name)


@dataclass
class Signer:
    """Signs for one proxy port; ``now`` is the request time."""

    port: int
    now: datetime.datetime = field(default_factory=lambda: datetime.datetime.now(datetime.UTC))

    @property
    def day(self) -> str:
        return self.now.strftime('%Y%m%d')

    @property
    def amz_date(self) -> str:
        return self.now.strftime('%Y%m%dT%H%M%SZ')

    @property
    def scope(self) -> str:
        return f'{self.day}/{REGION}/s3/aws4_request'

    def key(self) -> bytes:
        key = ('AWS4' + SECRET).encode()
        for part in (self.day, REGION, 's3', 'aws4_request'):
            key = _hmac(key, part)
        return key

    def v4_signature(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                     payload: str) -> tuple[str, str]:
        """(signature, signed header list) of a V4 request."""
        names = sorted(k.lower() for k in headers)
        canonical = '\n'.join([
            method, path, '&'.join(f'{_q(k)}={_q(v)}' for k, v in sorted(query.items())),
            *(f'{n}:{headers[next(k for k in headers if k.lower() == n)].strip()}' for n in names), '',
            ';'.join(names), payload])
        to_sign = '\n'.join(['AWS4-HMAC-SHA256', self.amz_date, self.scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        return hmac.new(self.key(), to_sign.encode(), hashlib.sha256).hexdigest(), ';'.join(names)

    def chunk_signature(self, previous: str, data: bytes) -> str:
        text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', self.amz_date, self.scope, previous, EMPTY,
                          hashlib.sha256(data).hexdigest()])
        return hmac.new(self.key(), text.encode(), hashlib.sha256).hexdigest()

    def trailer_signature(self, previous: str, trailer: bytes) -> str:
        text = '\n'.join(['AWS4-HMAC-SHA256-TRAILER', self.amz_date, self.scope, previous,
                          hashlib.sha256(trailer).hexdigest()])
        return hmac.new(self.key(), text.encode(), hashlib.sha256).hexdigest()

    def v4_headers(self, method: str, path: str, *, query: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> tuple[dict[str, str], str]:
        """The request's headers with a V4 Authorization (all headers signed), and its signature.
        x-amz-content-sha256 is whatever ``headers`` says (none if absent)."""
        sent = {'Host': f'127.0.0.1:{self.port}', 'X-Amz-Date': self.amz_date, **(headers or {})}
        payload = _payload(sent)
        signature, names = self.v4_signature(method, path, query or {}, sent, payload)
        sent['Authorization'] = (f'AWS4-HMAC-SHA256 Credential={KEY}/{self.scope}, SignedHeaders={names}, '
                                 f'Signature={signature}')
        return sent, signature

    def v4_presigned(self, method: str, path: str, *, query: dict[str, str] | None = None,
                     headers: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query) of a presigned V4 request signing ``headers`` too."""
        sent = {'Host': f'127.0.0.1:{self.port}', **(headers or {})}
        full = {**(query or {}), 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
                'X-Amz-Credential': f'{KEY}/{self.scope}', 'X-Amz-Date': self.amz_date,
                'X-Amz-Expires': '300',
                'X-Amz-SignedHeaders': ';'.join(sorted(k.lower() for k in sent))}
        payload = _payload(sent)
        full['X-Amz-Signature'] = self.v4_signature(method, path, full, sent, payload)[0]
        return sent, full

    def v2_presigned(self, method: str, path: str, *, query: dict[str, str] | None = None,
                     headers: dict[str, str] | None = None, resource_query: str = '') -> dict[str, str]:
        """The query of a presigned V2 request (``resource_query``: the signed sub-resources)."""
        expires = str(int(self.now.timestamp()) + 300)
        lower = {k.lower(): v for k, v in (headers or {}).items()}
        amz = sorted((k, v.strip()) for k, v in lower.items() if k.startswith('x-amz-'))
        text = '\n'.join([method, lower.get('content-md5', ''), lower.get('content-type', ''), expires,
                          *(f'{k}:{v}' for k, v in amz), path + resource_query])
        signature = base64.b64encode(hmac.new(SECRET.encode(), text.encode(), hashlib.sha1).digest()).decode()
        return {**(query or {}), 'AWSAccessKeyId': KEY, 'Expires': expires, 'Signature': signature}

    def send(self, method: str, path: str, *, query: dict[str, str] | None = None,
             headers: dict[str, str] | None = None, body: bytes = b'') -> Answer:
        target = path + ('?' + '&'.join(f'{_q(k)}={_q(v)}' for k, v in query.items()) if query else '')
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
        try:
            conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            sent = dict(headers or {})
            if not any(k.lower() in ('content-length', 'transfer-encoding') for k in sent):
                sent['Content-Length'] = str(len(body))
            for name, value in sent.items():
                conn.putheader(name, value)
            conn.endheaders(body or None)
            resp = conn.getresponse()
            return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def put_v4(self, path: str, body: bytes, headers: dict[str, str], *,
               query: dict[str, str] | None = None, method: str = 'PUT') -> Answer:
        sent, _ = self.v4_headers(method, path, query=query, headers=headers)
        return self.send(method, path, query=query, headers=sent, body=body)
