"""Browser form uploads, as Swift's FormPost has them: a ``POST`` of
``multipart/form-data`` to ``/v1/<account>/<container>[/<prefix>]`` whose
fields ``redirect``, ``max_file_size``, ``max_file_count``, ``expires`` and
``signature`` come before its files; each file is stored as
``<prefix><filename>`` by a PUT through the rest of the pipeline.

The signature is an HMAC (sha1, sha256 or sha512, hex or
``<digest>:<base64>``) of ``path\\nredirect\\nmax_file_size\\nmax_file_count\\nexpires``
with a temp URL key of the account or the container (see
swiftlike.common.hmac_sig and swiftlike.common.tempurl_keys). The answer is
a 303 to ``redirect`` with ``?status=..&message=..``, or without a redirect
the status itself. A malformed form is a 400, a bad signature or an expired
form a 401; never a 5xx. Files stream through: nothing buffers a whole file.
Sits before the auth filter; it answers the POSTs it translates and passes
every other request on.
"""

from __future__ import annotations

import html
import http
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from webob import Request, Response, exc

from swiftlike.common import env_keys, info, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.exceptions import ConfigError
from swiftlike.common.hmac_sig import (
    MAX_EXPIRES,
    SignatureError,
    first_match,
    formpost_message,
    parse_digests,
    parse_signature,
)
from swiftlike.common.multipart import MultipartError, MultipartReader, Part, parse_header_params
from swiftlike.common.numbers import NumberError, parse_int
from swiftlike.common.request import wsgi_path_to_str
from swiftlike.common.request_body import read_chunk
from swiftlike.common.tempurl_keys import KeyLookup, pass_on
from swiftlike.common.wsgi import Middleware, WsgiApp

logger = logging.getLogger(__name__)

#: Longest value of a form field (Swift's MAX_VALUE_LENGTH), and most distinct fields.
MAX_VALUE_LENGTH: Final = 4096
MAX_FIELDS: Final = 64
_CONTROL: Final = re.compile(r'[\x00-\x1f\x7f]')


@dataclass(frozen=True)
class FormPostConf:
    """Options of the formpost filter."""

    allowed_digests: str = 'sha1 sha256 sha512'
    key_cache_ttl: float = 30.0
    client_timeout: float = 60.0


class FormError(Exception):
    """A form refused before any redirect is trusted: a plain 4xx."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    def response(self) -> Response:
        headers = {'Www-Authenticate': 'Swift realm="unknown"'} if self.status == 401 else {}
        return Response(status=self.status, content_type='text/plain', headers=headers,
                        body=f'FormPost: {self}\n'.encode('utf-8', 'backslashreplace'))


@dataclass(frozen=True)
class Target:
    """Where a form's files go: ``/v1/<account>/<container>/<prefix><filename>``."""

    account: str
    container: str
    prefix: str
    path: str

    @classmethod
    def of(cls, path_info: str) -> Target | None:
        """The target of a container (or container + prefix) path, else None.

        >>> Target.of('/v1/a/c/pre/fix'), Target.of('/v1/a/c').prefix, Target.of('/v1/a')
        (Target(account='a', container='c', prefix='pre/fix', path='/v1/a/c/pre/fix'), '', None)
        """
        try:
            path = wsgi_path_to_str(path_info)
        except ConstraintError:
            return None
        parts = path.split('/', 4)
        if len(parts) < 4 or parts[0] or parts[1] != 'v1' or not parts[2] or not parts[3]:
            return None
        return cls(parts[2], parts[3], parts[4] if len(parts) == 5 else '', path)


@dataclass(frozen=True)
class Form:
    """A form whose signature and expiry were checked."""

    redirect: str
    max_file_size: int
    max_file_count: int
    headers: dict[str, str]


@dataclass
class Upload:
    """One form's progress: its fields so far, the checked form, the files."""

    fields: dict[str, str] = field(default_factory=dict)
    form: Form | None = None
    count: int = 0
    status: int = 0
    message: str = ''


def field_int(fields: dict[str, str], name: str, maximum: int = 2 ** 62) -> int:
    """A whole-number field (absent: 0).

    :raises FormError: 400 if it is not one
    """
    try:
        return parse_int(fields.get(name) or '0', what=name, maximum=maximum)
    except NumberError:
        raise FormError(400, f'{name} not an integer') from None


def plain_text(value: str, name: str) -> str:
    """``value`` if it has no control characters.

    :raises FormError: 400 if it does
    """
    if _CONTROL.search(value):
        raise FormError(400, f'{name} contains control characters')
    return value


def utf8(value: str, name: str) -> str:
    """A header parameter (latin-1 text of raw bytes) as UTF-8 text, without control characters."""
    try:
        return plain_text(value.encode('latin-1').decode('utf-8'), name)
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise FormError(400, f'{name} is not valid UTF-8') from None


def answer(status: int, message: str, redirect: str) -> Response:
    """The form's answer: a 303 to ``redirect`` with status and message, or the status itself."""
    try:
        line = f'{status} {http.HTTPStatus(status).phrase}'
    except ValueError:
        line = str(status)
    if not redirect:
        body = line + (f'\r\nFormPost: {message.title()}' if message else '')
        return Response(status=line, content_type='text/plain', body=body.encode('utf-8'))
    location = quote(redirect, safe="!#$%&'()*+,-./:;=?@[]~_") + ('&' if '?' in redirect else '?') \
        + f'status={status}&message={quote(message)}'
    body = f'<html><body><p><a href="{html.escape(location)}">Click to continue...</a></p></body></html>'
    return Response(status=303, content_type='text/html', body=body.encode('ascii'),
                    headers={'Location': location})


class FileBody:
    """``wsgi.input`` of one file's PUT: the part's content, at most
    ``limit`` bytes. A read that fails raises OSError (the proxy answers
    499 and stores nothing) and keeps the reason in ``error``."""

    def __init__(self, part: Part, limit: int) -> None:
        self.part = part
        self.limit = limit
        self.size = 0
        self.error: FormError | exc.HTTPException | None = None
        self.too_large = False

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.part.read(size if size > 0 else 65536)
        except MultipartError as err:
            self.error = FormError(400, str(err))
            raise OSError(str(err)) from None
        except exc.HTTPException as err:
            self.error = err
            raise OSError(str(err)) from None
        self.size += len(data)
        if self.size > self.limit:
            self.too_large = True
            raise OSError('max_file_size exceeded')
        return data


class FormPost(Middleware):
    """The formpost filter (before the auth filter)."""

    conf_class = FormPostConf

    def __init__(self, app: WsgiApp, conf: FormPostConf | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(app, conf or FormPostConf())
        self.fconf: FormPostConf = self.conf
        try:
            self.digests = parse_digests(self.fconf.allowed_digests)
        except SignatureError as err:
            raise ConfigError(f'[filter:formpost] allowed_digests: {err}') from None
        self.lookup = KeyLookup(app, self.fconf.key_cache_ttl, clock)
        self.clock = clock

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'formpost', {'allowed_digests': list(self.digests)})
            return None
        if req.method != 'POST':
            return pass_on(self.app, req)
        kind, params = parse_header_params(req.environ.get('CONTENT_TYPE', ''))
        target = Target.of(req.environ.get('PATH_INFO', ''))
        if kind != 'multipart/form-data' or target is None:
            return pass_on(self.app, req)
        try:
            return self.translate(req, target, params.get('boundary', ''))
        except FormError as err:
            logger.info('form post refused: %s %s', err.status, err,
                        extra={'txn_id': str(req.environ.get(env_keys.TXN_ID, '-'))})
            return err.response()

    def translate(self, req: Request, target: Target, boundary: str) -> Response:
        """Store the form's files; the answer to give.

        :raises FormError: for a malformed, unsigned or expired form
        """
        stream, seconds = req.environ['wsgi.input'], self.fconf.client_timeout
        upload = Upload()
        try:
            reader = MultipartReader(lambda size: read_chunk(stream, size, seconds), boundary)
            for part in reader.parts():
                if not self._take(req, target, upload, part):
                    break
        except MultipartError as err:
            raise FormError(400, str(err)) from None
        if upload.form is None:
            raise FormError(400, 'no files to process')
        return answer(upload.status, upload.message, upload.form.redirect)

    def _take(self, req: Request, target: Target, upload: Upload, part: Part) -> bool:
        """Read one part (a field, or a file to store); False to stop."""
        kind, params = parse_header_params(part.headers.get('content-disposition', ''))
        if kind != 'form-data' or not params.get('filename'):
            self._field(upload, params.get('name', '').lower(), part)
            return True
        form = upload.form = upload.form or self.check(req.environ, target, upload.fields)
        upload.count += 1
        if upload.count > form.max_file_count:
            upload.status, upload.message = 400, 'max file count exceeded'
            return False
        name = target.prefix + utf8(params['filename'], 'filename')
        upload.status, upload.message = self._store(req, target, form, part, name)
        return upload.status // 100 == 2

    @staticmethod
    def _field(upload: Upload, name: str, part: Part) -> None:
        value = part.read_all(MAX_VALUE_LENGTH)
        if value is None:
            raise FormError(400, f'value of field {name[:40]!r} longer than {MAX_VALUE_LENGTH} bytes')
        if not name:
            return
        if name not in upload.fields and len(upload.fields) >= MAX_FIELDS:
            raise FormError(400, f'more than {MAX_FIELDS} fields')
        try:
            upload.fields[name] = value.decode('utf-8')
        except UnicodeDecodeError:
            raise FormError(400, f'field {name[:40]!r} is not valid UTF-8') from None

    def check(self, environ: dict[str, Any], target: Target, fields: dict[str, str]) -> Form:
        """The form, once its expiry and signature are checked.

        :raises FormError: 400 for a malformed field, 401 if it expired or
            no key of the account or container signed it
        """
        expires = field_int(fields, 'expires', MAX_EXPIRES)
        max_size, max_count = field_int(fields, 'max_file_size'), field_int(fields, 'max_file_count')
        redirect = plain_text(fields.get('redirect') or '', 'redirect')
        if expires < self.clock():
            raise FormError(401, 'Form Expired')
        try:
            algo, digest = parse_signature(fields.get('signature') or '', self.digests)
        except SignatureError:
            raise FormError(401, 'Invalid Signature') from None
        message = formpost_message(target.path, redirect, fields.get('max_file_size') or '0',
                                   fields.get('max_file_count') or '0', fields.get('expires') or '0')
        keys, cached = self.lookup.keys(environ, target.account, target.container)
        signed = first_match(digest, algo, keys, [message]) is not None
        if not signed and cached:
            keys, _ = self.lookup.keys(environ, target.account, target.container, refresh=True)
            signed = first_match(digest, algo, keys, [message]) is not None
        if not signed:
            raise FormError(401, 'Invalid Signature')
        return Form(redirect, max_size, max_count, self._headers(fields))

    def _headers(self, fields: dict[str, str]) -> dict[str, str]:
        """Headers of every file's PUT from the optional fields."""
        headers = {}
        if 'x_delete_at' in fields:
            headers['X-Delete-At'] = str(field_int(fields, 'x_delete_at'))
        if 'x_delete_after' in fields:
            headers['X-Delete-After'] = str(field_int(fields, 'x_delete_after'))
        if fields.get('content-type'):
            headers['Content-Type'] = plain_text(fields['content-type'], 'content-type')
        return headers

    def _store(self, req: Request, target: Target, form: Form, part: Part, name: str) -> tuple[int, str]:
        """PUT one file; its status and a message.

        :raises FormError: if the form's body broke off while it was read
        """
        path = subrequest.object_path(target.account, target.container, name)
        headers = {'Transfer-Encoding': 'chunked', **form.headers}
        part_type = part.headers.get('content-type')
        if 'Content-Type' not in headers and part_type:
            headers['Content-Type'] = plain_text(part_type, 'Content-Type')
        body = FileBody(part, form.max_file_size)
        env = subrequest.environ_for(req.environ, 'PUT', path, headers=headers, body=body)
        env.pop(env_keys.REMOTE_GROUPS, None)
        own_path = env['PATH_INFO']
        env[env_keys.AUTHORIZE] = lambda sub: None if (
            sub.method == 'PUT' and sub.environ.get('PATH_INFO') == own_path) else exc.HTTPUnauthorized()
        env[env_keys.AUTHORIZE_OVERRIDE] = True
        resp = Request(env).get_response(self.app)
        text = b''.join(resp.app_iter)[:200].decode('utf-8', 'replace').strip()
        subrequest.close(resp)
        if body.too_large:
            return 400, 'max_file_size exceeded'
        if isinstance(body.error, FormError):
            raise body.error
        if body.error is not None:
            raise FormError(body.error.status_int, f'reading the form failed: {body.error.status}')
        return resp.status_int, '' if resp.status_int // 100 == 2 else text.splitlines()[0] if text else ''


filter_factory = FormPost.factory
