"""Static web sites from containers, as Swift's staticweb: for anonymous
GET and HEAD (and for authenticated ones that send ``X-Web-Mode: true``), a
container's metadata turns it into a web site:

- ``X-Container-Meta-Web-Index: index.html``: ``/<container>/`` and each
  ``/<container>/<dir>/`` answer with that object in the directory.
- ``X-Container-Meta-Web-Listings: true``: without an index, an HTML
  listing (``-Web-Listings-CSS`` names a style sheet, ``-Web-Listings-Label``
  replaces the account path in its title).
- ``X-Container-Meta-Web-Error: error.html``: a 404 or 401 answers with the
  object ``404error.html`` (``401error.html``) when there is one.
- ``X-Container-Meta-Web-Directory-Type`` (``application/directory``):
  objects of that type with at most one byte are directory markers, not pages.

A site path without its trailing slash is redirected (301) to it. Reads
happen as the client, so a site is public only when the container's read
ACL says so (``.r:*``; ``.rlistings`` for listings). Sits right after the
auth filter. Never changes what is stored.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, Final
from urllib.parse import parse_qsl, quote

from webob import Request, Response, exc

from swiftlike.common import container_meta, env_keys, info, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import header_to_str, split_path
from swiftlike.common.web_listing import render
from swiftlike.common.wsgi import Middleware

TEMP_URL_PARAMS: Final = ('temp_url_prefix', 'temp_url_expires', 'temp_url_sig')
TRUE: Final = ('true', '1', 'yes', 'on', 't', 'y')
DISABLED: Final = ('<html><body><h1>Web Listing Disabled</h1>The owner of this web site has disabled web '
                   'listing.<p>If you are the owner of this web site, you can enable web site listing by '
                   'setting X-Container-Meta-Web-Listings.</p></body></html>\n')


def _text(value: str) -> str:
    """A metadata value as text ('' if it is not UTF-8)."""
    try:
        return header_to_str(value).strip()
    except ConstraintError:
        return ''


def _split(req: Request) -> tuple[str, str, str, str] | None:
    """``(version, account, container, object or '')``, else None."""
    try:
        version, account, container, obj = split_path(subrequest.path_of(req), 3, 4, rest_with_last=True)
    except (ConstraintError, UnicodeDecodeError):
        return None
    if version not in ('v1', 'v1.0') or not account or not container:
        return None
    return version, account, container, obj or ''


class Site:
    """One request to a web-site container: its settings and how to answer."""

    def __init__(self, app: Any, req: Request, path: tuple[str, str, str, str],
                 headers: dict[str, str]) -> None:
        self.app, self.req = app, req
        self.version, self.account, self.container, self.obj = path
        self.read_acl = headers.get('x-container-read', '')
        meta = {k[len(container_meta.PREFIX):]: _text(v) for k, v in headers.items()
                if k.startswith(container_meta.PREFIX)}
        self.index = meta.get('web-index', '')
        self.error = meta.get('web-error', '')
        self.listings = meta.get('web-listings', '').lower() in TRUE
        self.css = meta.get('web-listings-css', '')
        self.label = meta.get('web-listings-label', '')
        self.dir_type = meta.get('web-directory-type', '') or 'application/directory'

    def denied(self) -> Response | None:
        """The auth filter's answer to reading the container as the client (its read ACL applies)."""
        check = self.req.environ.get(env_keys.AUTHORIZE)
        if check is None:
            return None
        self.req.environ[env_keys.ACL] = self.read_acl
        try:
            answer: Response | None = check(self.req)
        finally:
            self.req.environ.pop(env_keys.ACL, None)
        return answer

    @property
    def base(self) -> str:
        return f'/{self.version}/{self.account}/{self.container}'

    def get(self, path: str, query: str = '') -> Response:
        """A GET (or HEAD, as the client's) of ``path`` as the client."""
        method = 'HEAD' if self.req.method == 'HEAD' and not query else 'GET'
        headers = {k: v for k, v in self.req.headers.items()
                   if k.lower() in ('range', 'if-match', 'if-none-match', 'if-modified-since',
                                    'if-unmodified-since')} if not query else {}
        return subrequest.call(self.app, self.req.environ, method, path, query=query, headers=headers)

    def slash_redirect(self) -> Response:
        path = self.req.environ.get(env_keys.REMAPPED_FROM) or self.req.environ.get('PATH_INFO', '')
        return exc.HTTPMovedPermanently(location=quote(path.encode('latin-1'), safe='/') + '/')

    def error_page(self, resp: Response) -> Response:
        """``resp``, or for a 401 or 404 the site's error page with that status."""
        if not self.error or resp.status_int not in (401, 404):
            return resp
        page = self.get(f'{self.base}/{resp.status_int}{self.error}')
        if page.status_int != 200:
            subrequest.close(page)
            return resp
        subrequest.close(resp)
        page.status = resp.status
        return page

    def for_container(self) -> Response | None:
        if not self.index and not self.listings:
            return exc.HTTPNotFound() if self.web_mode else None
        self.req.environ[env_keys.WEB_SITE] = True
        denied = self.denied()
        if denied is not None:
            return self.error_page(denied)
        if not subrequest.path_of(self.req).endswith('/'):
            return self.slash_redirect()
        if self.index:
            page = self.get(f'{self.base}/{self.index}')
            if page.status_int != 404:
                return page if page.status_int // 100 in (2, 3) else self.error_page(page)
            subrequest.close(page)
        return self.listing('')

    def for_object(self) -> Response:
        self.req.environ[env_keys.WEB_SITE] = True
        resp = self.get(subrequest.path_of(self.req))
        if resp.status_int // 100 in (2, 3):
            if resp.content_type != self.dir_type or (resp.content_length or 0) > 1:
                return resp
            subrequest.close(resp)
            resp = exc.HTTPNotFound()
        if resp.status_int != 404 or not (self.index or self.listings):
            return self.error_page(resp) if resp.status_int == 404 else resp
        subrequest.close(resp)
        directory = self.obj if self.obj.endswith('/') else self.obj + '/'
        if self.index:
            page = self.get(f'{self.base}/{directory}{self.index}')
            if page.status_int // 100 in (2, 3):
                if not self.obj.endswith('/'):
                    subrequest.close(page)
                    return self.slash_redirect()
                return page
            subrequest.close(page)
        if not self.obj.endswith('/'):
            rows = self.rows(directory, limit=1)
            if isinstance(rows, Response) or not rows:
                return self.error_page(exc.HTTPNotFound())
            return self.slash_redirect()
        return self.listing(directory)

    def rows(self, prefix: str, limit: int | None = None) -> list[dict[str, Any]] | Response:
        query = f'format=json&delimiter=/&prefix={quote(prefix)}' + (f'&limit={limit}' if limit else '')
        resp = self.get(self.base, query)
        if resp.status_int // 100 != 2:
            return resp
        try:
            rows = json.loads(resp.body or b'[]')
        except ValueError:
            return exc.HTTPBadGateway()
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    def listing(self, prefix: str) -> Response:
        if not self.listings:
            body = DISABLED
            if self.index:
                body = body.replace('</body>', '<h2>Index File Not Found</h2> <p>The owner of this web site '
                                    'has set <b>X-Container-Meta-Web-Index: ...</b>. However, this file is '
                                    'not found.</p></body>')
            return self.error_page(exc.HTTPNotFound(body=body, content_type='text/html'))
        rows = self.rows(prefix)
        if isinstance(rows, Response):
            return self.error_page(rows)
        if prefix and not rows:
            return self.error_page(exc.HTTPNotFound())
        label = f'{self.label}/{prefix}' if self.label else subrequest.path_of(self.req)
        page = render(rows, label=label, prefix=prefix, css=self.css, link_query=self.temp_url_query(),
                      parent=self.within_temp_url(prefix.rstrip('/').rpartition('/')[0]))
        resp = Response(body=page.encode('utf-8'), content_type='text/html', charset='utf-8')
        if self.req.method == 'HEAD':
            resp.app_iter = iter(())
        return resp

    def within_temp_url(self, directory: str) -> bool:
        """Whether the client's temp URL (if any) reaches the pseudo-directory ``directory``."""
        query = self.req.environ.get(env_keys.TEMP_URL_QUERY)
        if query is None:
            return True
        found = dict(parse_qsl(query, keep_blank_values=True))
        granted = found.get('temp_url_prefix', '')
        return (directory + '/' if directory else '').startswith(granted)

    def temp_url_query(self) -> str:
        """The client's temp URL parameters (as sent, HTML-escaped), for the listing's links:
        a prefix-based temp URL of the container then reaches what it lists."""
        query = self.req.environ.get(env_keys.TEMP_URL_QUERY, '')
        tokens = dict(t.partition('=')[::2] for t in query.split('&'))
        if 'temp_url_sig' not in tokens:
            return ''
        kept = [f'{k}={tokens[k]}' for k in TEMP_URL_PARAMS if k in tokens]
        kept += ['inline'] if 'inline' in tokens else []
        return escape('&'.join(kept), quote=True)

    @property
    def web_mode(self) -> bool:
        return self.req.headers.get('X-Web-Mode', '').strip().lower() in TRUE


class StaticWeb(Middleware):
    """The staticweb filter (right after the auth filter)."""

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'staticweb', {})
            return None
        path = _split(req)
        if path is None:
            return None
        if not path[3] and req.method in ('PUT', 'POST', 'DELETE'):
            resp = req.get_response(self.app)
            container_meta.forget(req.environ, path[1], path[2])
            return resp
        if req.method not in ('GET', 'HEAD') or req.environ.get(env_keys.META_LOOKUP):
            return None
        web_mode = req.headers.get('X-Web-Mode', '').strip().lower() in TRUE
        if req.environ.get('REMOTE_USER') not in (None, '', env_keys.TEMP_URL_USER) and not web_mode:
            return None
        site = Site(self.app, req, path, container_meta.headers_of(self.app, req.environ, path[1], path[2]))
        if not (site.index or site.listings or site.error or site.dir_type != 'application/directory'):
            return exc.HTTPNotFound() if web_mode and not path[3] else None
        return site.for_object() if path[3] else site.for_container()


filter_factory = StaticWeb.factory
