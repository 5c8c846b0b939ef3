"""Object sysmeta the s3api filter keeps (never shown to clients: the gatekeeper strips it)."""

from typing import Final

#: + the algorithm (``Crc32``...): the checksum of the object, or ``<composite>-N`` for multipart.
CHECKSUM: Final = 'X-Object-Sysmeta-S3-Checksum-'
#: A multipart object's S3 ETag (``<md5 of part md5s>-N``).
ETAG: Final = 'X-Object-Sysmeta-S3api-Etag'
#: The upload a multipart object was completed from.
UPLOAD_ID: Final = 'X-Object-Sysmeta-S3api-Upload-Id'
#: On an upload's marker: the checksum algorithm chosen at CreateMultipartUpload.
CHECKSUM_ALGORITHM: Final = 'X-Object-Sysmeta-S3api-Checksum-Algorithm'
#: The object's tag set, URL-encoded (``k1=v1&k2=v2``); empty once deleted.
TAGGING: Final = 'X-Object-Sysmeta-S3api-Tagging'
#: + ``Cache-Control``, ``Expires``, ``Content-Language``, ``X-Robots-Tag``: those headers of a
#: PutObject, which the object server does not store (given back on GetObject and HeadObject).
STORED_HEADER: Final = 'X-Object-Sysmeta-S3api-Header-'
#: The request headers kept that way.
STORED_HEADERS: Final = ('cache-control', 'expires', 'content-language', 'x-robots-tag')
