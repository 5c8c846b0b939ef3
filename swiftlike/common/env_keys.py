"""Every WSGI environ key shared between middlewares, declared once."""

from typing import Final

TXN_ID: Final = 'swiftlike.trans_id'              # str: the request's transaction id, set by catch_errors
AUTHORIZE: Final = 'swiftlike.authorize'          # callable(req) -> Response | None, set by auth middleware
CACHE: Final = 'swiftlike.cache'                  # Cache (get/set/delete with TTL), set by the cache filter
REMOTE_GROUPS: Final = 'swiftlike.remote_groups'  # frozenset[str]: the user's groups, set by auth
CLEAN_ACL: Final = 'swiftlike.clean_acl'          # callable(header, value) -> str (ValueError), from auth
ACL: Final = 'swiftlike.acl'                      # str: the container ACL the proxy found, for authorize
S3_AUTH: Final = 'swiftlike.s3_auth'          # S3AuthDetails: an S3 request's key and signature check
INFO: Final = 'swiftlike.info'                # dict[str, dict]: /info sections filters add on the way down
AUTHORIZE_OVERRIDE: Final = 'swiftlike.authorize_override'  # bool: tempurl/formpost set AUTHORIZE; keep it
REMAPPED_FROM: Final = 'swiftlike.remapped_from'  # str: PATH_INFO as the client sent it, set by domain_remap
META_LOOKUP: Final = 'swiftlike.meta_lookup'  # bool: a filter's HEAD for metadata (staticweb leaves it)
TEMP_URL_QUERY: Final = 'swiftlike.temp_url_query'  # str: the query of a request tempurl allowed
TEMP_URL_USER: Final = '.wsgi.tempurl'  # REMOTE_USER of a request tempurl allowed (staticweb: anonymous)
WEB_SITE: Final = 'swiftlike.web_site'  # bool: staticweb serves this request (and its sub-requests)
