"""Account and container info: one look-up per client request, shared with
its sub-requests and (when it exists) with every proxy through a shared cache."""

from __future__ import annotations

from webob import Request, Response

from swiftlike.common import env_keys, infocache, subrequest
from swiftlike.common.middleware.cache import MemoryCache


class SharedCache(MemoryCache):
    """The in-process cache, standing in for memcached."""

    shared = True


class HeadApp:
    """Answers every HEAD with ``status`` and a header, counting calls; as the
    proxy does, a 2xx is remembered in the info cache."""

    def __init__(self, status: int = 204, remember: bool = True) -> None:
        self.status = status
        self.remember = remember
        self.calls: list[tuple[str, str, bool]] = []

    def __call__(self, environ, start_response):
        req = Request(environ)
        self.calls.append((req.method, req.path, bool(environ.get(env_keys.META_LOOKUP))))
        authorize = environ.get(env_keys.AUTHORIZE)
        assert authorize is not None and authorize(req) is None        # no auth check stops it
        resp = Response(status=self.status, headers={'X-Container-Meta-Web-Index': 'index.html'})
        if self.remember and self.status // 100 == 2:
            name = infocache.key(*req.path.split('/')[2:4])
            infocache.remember(environ, name, infocache.Info(self.status, {
                'x-container-meta-web-index': 'index.html', 'x-container-read': '.r:*'}), ttl=60)
        return resp(environ, start_response)


def _env(cache=None) -> dict:
    env = Request.blank('/v1/AUTH_a/c/o').environ
    if cache is not None:
        env[env_keys.CACHE] = cache
    return env


def test_one_look_up_per_request_and_its_sub_requests():
    app, env = HeadApp(), _env()
    info = infocache.info_of(app, env, 'AUTH_a', 'c')
    assert info.exists and info.meta('x-container-meta-') == {'web-index': 'index.html'}
    sub = subrequest.environ_for(env, 'GET', '/v1/AUTH_a/c/other')
    assert infocache.info_of(app, sub, 'AUTH_a', 'c') == info          # the sub-request shares the memo
    assert app.calls == [('HEAD', '/v1/AUTH_a/c', True)]


def test_the_shared_cache_serves_the_next_request():
    cache, app = SharedCache(), HeadApp()
    first = infocache.info_of(app, _env(cache), 'AUTH_a', 'c')
    second = infocache.info_of(app, _env(cache), 'AUTH_a', 'c')
    assert first == second and len(app.calls) == 1


def test_a_per_process_cache_is_not_used():
    cache, app = MemoryCache(), HeadApp()
    infocache.info_of(app, _env(cache), 'AUTH_a', 'c')
    infocache.info_of(app, _env(cache), 'AUTH_a', 'c')
    assert len(app.calls) == 2


def test_what_does_not_exist_is_kept_for_the_request_only():
    cache, app = SharedCache(), HeadApp(status=404, remember=False)
    env = _env(cache)
    assert not infocache.info_of(app, env, 'AUTH_a', 'c').exists
    assert not infocache.info_of(app, env, 'AUTH_a', 'c').exists
    assert len(app.calls) == 1
    infocache.info_of(app, _env(cache), 'AUTH_a', 'c')
    assert len(app.calls) == 2


def test_a_failed_look_up_is_not_kept():
    app, env = HeadApp(status=503, remember=False), _env(SharedCache())
    assert infocache.info_of(app, env, 'AUTH_a', 'c').status == 503
    infocache.info_of(app, env, 'AUTH_a', 'c')
    assert len(app.calls) == 2


def test_forget_drops_it_everywhere():
    cache, app = SharedCache(), HeadApp()
    env = _env(cache)
    infocache.info_of(app, env, 'AUTH_a', 'c')
    infocache.forget(env, infocache.key('AUTH_a', 'c'))
    infocache.info_of(app, env, 'AUTH_a', 'c')
    infocache.info_of(app, _env(cache), 'AUTH_a', 'c')
    assert len(app.calls) == 2


def test_garbage_in_the_shared_cache_is_a_miss():
    cache, app = SharedCache(), HeadApp()
    for junk in ('x', {'status': '200', 'headers': {}}, {'status': 200, 'headers': ['a']}, [1]):
        cache.set(infocache.key('AUTH_a', 'c'), junk, 60)
        assert infocache.info_of(app, _env(cache), 'AUTH_a', 'c').exists
    assert len(app.calls) == 4


def test_account_and_container_keys_differ():
    assert infocache.key('AUTH_a') != infocache.key('AUTH_a', '') != infocache.key('AUTH_a', 'c')
