"""Server-side copy: ``PUT`` with ``X-Copy-From: /<container>/<object>``
(from another account with ``X-Copy-From-Account``), and ``COPY`` with
``Destination: <container>/<object>`` (and ``Destination-Account``). Names
may be percent-encoded or raw UTF-8. A ``Range`` copies those bytes only.

The source is read through the rest of the pipeline, as the client, so
read access to it is checked as for a GET and a large-object manifest
copies the object it joins (not its manifest). The copy is a PUT of that
body: metadata comes along unless ``X-Fresh-Metadata`` is true or the
request sets its own; the source's ETag goes with a plain object, so the
object servers refuse a copy that was damaged on the way."""

from __future__ import annotations

from urllib.parse import quote, unquote

from webob import Request, Response, exc

from swiftlike.common import query, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import header_to_str
from swiftlike.common.slo_put import is_manifest
from swiftlike.common.wsgi import Middleware

#: Source headers a copy keeps unless X-Fresh-Metadata is true.
KEPT = ('Content-Encoding', 'Content-Disposition')
#: What a copy of a link itself (``?symlink=get``) takes from it, unless the request sets them.
LINK_HEADERS = ('X-Symlink-Target', 'X-Symlink-Target-Account', 'X-Symlink-Target-Etag')


def header_text(value: str, name: str) -> str:
    """A header's value as text: raw UTF-8 (carried as latin-1 by WSGI), then percent-decoded.

    >>> header_text('/c/%C3%A9t%C3%A9', 'X'), header_text('/c/\xc3\xa9t\xc3\xa9', 'X')
    ('/c/été', '/c/été')

    :raises HTTPPreconditionFailed: if it is not UTF-8
    """
    try:
        return unquote(header_to_str(value), errors='strict')
    except (ConstraintError, UnicodeDecodeError):
        raise exc.HTTPPreconditionFailed(body=f'{name} is not valid UTF-8\n') from None


def _source(header: str, name: str = 'X-Copy-From') -> tuple[str, str]:
    container, _, obj = header_text(header, name).lstrip('/').partition('/')
    if not container or not obj or '\x00' in container + obj:
        raise exc.HTTPPreconditionFailed(body=f'{name} must be /<container>/<object>\n')
    return container, obj


def _account(req: Request, header: str, default: str) -> str:
    if header not in req.headers:
        return default
    account = header_text(req.headers[header], header)
    if not account or '/' in account or '\x00' in account:
        raise exc.HTTPPreconditionFailed(body=f'{header} must name an account\n')
    return account


class Copy(Middleware):
    """Turns COPY and PUT + X-Copy-From into a GET of the source and a PUT."""

    def process_request(self, req: Request) -> Response | None:
        if req.method == 'COPY':
            return self._copy_verb(req)
        if req.method != 'PUT' or 'X-Copy-From' not in req.headers:
            return None
        target = subrequest.object_of(req)
        if target is None:
            return None
        account = _account(req, 'X-Copy-From-Account', target[0])
        src_container, src_obj = _source(req.headers['X-Copy-From'])
        ranged = {'Range': req.headers['Range']} if 'Range' in req.headers else {}
        link_itself = query.param(req, 'symlink') == 'get'
        version = query.param(req, 'version-id')         # COPY of an object version (object_versioning)
        part = query.param(req, 'part-number')           # one part of a static large object
        manifest_itself = query.param(req, 'multipart-manifest') == 'get'
        source_query = '&'.join(q for q in ('symlink=get' if link_itself else '',
                                            f'version-id={quote(version)}' if version else '',
                                            f'part-number={quote(part)}' if query.has(req, 'part-number')
                                            else '',
                                            'multipart-manifest=get&format=raw' if manifest_itself else '')
                                if q)
        source = subrequest.call(self.app, req.environ, 'GET',
                                 subrequest.object_path(account, src_container, src_obj), headers=ranged,
                                 query=source_query)
        if source.status_int not in (200, 206):
            return source
        headers = self._put_headers(req, source)
        if manifest_itself and 'X-Object-Manifest' in source.headers:     # a DLO's manifest object itself
            headers.setdefault('X-Object-Manifest', source.headers['X-Object-Manifest'])
        # a manifest itself (as a client would PUT it) is stored again as a manifest
        put_query = 'multipart-manifest=put' if manifest_itself and is_manifest(source.headers) else ''
        put = subrequest.call(self.app, req.environ, 'PUT', subrequest.path_of(req), headers=headers,
                              length=source.content_length, body=subrequest.IterReader(source.app_iter),
                              query=put_query)
        subrequest.close(source)
        put.headers['X-Copied-From'] = subrequest.quoted(f'{src_container}/{src_obj}')
        if account != target[0]:
            put.headers['X-Copied-From-Account'] = subrequest.quoted(account)
        if 'Last-Modified' in source.headers:
            put.headers['X-Copied-From-Last-Modified'] = source.headers['Last-Modified']
        return put

    @staticmethod
    def _put_headers(req: Request, source: Response) -> dict[str, str]:
        fresh = req.headers.get('X-Fresh-Metadata', '').lower() in ('true', '1', 'yes')
        skipped = {'x-copy-from', 'x-copy-from-account', 'x-fresh-metadata', 'content-length',
                   'transfer-encoding', 'etag', 'range'}
        headers = {k: v for k, v in req.headers.items() if k.lower() not in skipped}
        if not fresh:
            for key, value in source.headers.items():
                if (key.lower().startswith('x-object-meta-') or key in KEPT) and key not in req.headers:
                    headers[key] = value
        for key in LINK_HEADERS:
            if key in source.headers and key not in req.headers:
                headers[key] = source.headers[key]
        if not req.headers.get('Content-Type'):
            headers['Content-Type'] = source.headers.get('Content-Type', 'application/octet-stream')
        joined = is_manifest(source.headers) or 'X-Object-Manifest' in source.headers   # ETag not an MD5
        if source.status_int == 200 and not joined and source.etag:
            headers['ETag'] = source.etag.strip('"')
        return headers

    def _copy_verb(self, req: Request) -> Response | None:
        target = subrequest.object_of(req)
        if target is None:
            return None
        account, container, obj = target
        dest_container, dest_obj = _source(req.headers.get('Destination', ''), 'Destination')
        dest_account = _account(req, 'Destination-Account', account)
        req.method = 'PUT'
        req.headers['X-Copy-From'] = subrequest.quoted(f'/{container}/{obj}')
        if dest_account != account:
            req.headers['X-Copy-From-Account'] = subrequest.quoted(account)
            del req.headers['Destination-Account']
        req.environ['PATH_INFO'] = subrequest.object_path(dest_account, dest_container, dest_obj) \
            .encode('utf-8').decode('latin-1')
        req.environ.pop('RAW_PATH_INFO', None)
        req.headers['Content-Length'] = '0'
        return self.process_request(req)


filter_factory = Copy.factory
