"""Object versioning (``X-Versions-Enabled``): work in progress."""

from __future__ import annotations

from dataclasses import dataclass

from webob import Request, Response

from swiftlike.common.wsgi import Middleware


@dataclass(frozen=True)
class ObjectVersioningConf:
    """``[filter:object_versioning]``."""

    #: Whether clients may turn object versioning on for their containers.
    allow_object_versioning: bool = False


class ObjectVersioning(Middleware):
    """The object_versioning filter (after versioned_writes, before the proxy app)."""

    conf_class = ObjectVersioningConf

    def process_request(self, req: Request) -> Response | None:
        return None


filter_factory = ObjectVersioning.factory
