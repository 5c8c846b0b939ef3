"""System metadata names shared between the proxy's filters and the storage servers."""

from typing import Final

#: Set on an object PUT, the size and ETag the container listing shows instead of the body's
#: (a large-object manifest lists as the object it joins).
OVERRIDE_SIZE: Final = 'X-Object-Sysmeta-Container-Update-Override-Size'
OVERRIDE_ETAG: Final = 'X-Object-Sysmeta-Container-Update-Override-Etag'
#: On an object POST: change only the sysmeta given, keep user metadata and X-Delete-At.
SYSMETA_ONLY: Final = 'X-Backend-Sysmeta-Only'
#: A request header naming the (sysmeta) key whose value conditions are checked against,
#: when the object has it: S3 clients send the S3 ETag of a multipart object in If-Match.
ETAG_IS_AT: Final = 'X-Backend-Etag-Is-At'
