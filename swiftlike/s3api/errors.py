"""S3 errors: each a code and an HTTP status, answered as S3's XML
``<Error><Code>...</Code><Message>...</Message>...</Error>``."""

from __future__ import annotations

import re
from typing import Final
from xml.sax.saxutils import escape

from webob import Response

#: Characters XML 1.0 cannot carry at all (not even escaped): they are shown as ``\xNN`` instead.
_NOT_XML: Final = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def xml_text(value: str) -> str:
    r"""``value`` escaped for an XML element, characters XML cannot hold shown as escapes.

    >>> xml_text('a<b\x00c\udcff')
    'a&lt;b\\x00c\\udcff'
    """
    return escape(_NOT_XML.sub(lambda m: f'\\x{ord(m.group()):02x}' if ord(m.group()) < 0x100
                               else f'\\u{ord(m.group()):04x}', value))


class S3Error(Exception):
    """An S3 error; subclasses set ``code`` and ``status``."""

    code = 'InternalError'
    status = 500
    message = 'We encountered an internal error. Please try again.'

    def __init__(self, message: str | None = None, **extra: str) -> None:
        super().__init__(message or self.message)
        self.extra = extra

    def response(self, resource: str = '', request_id: str = '') -> Response:
        """The XML error response (for HEAD, its status and headers only). Like AWS, it names
        no Resource (``resource`` is kept for callers; the extra elements say what is wrong)."""
        fields = [('Code', self.code), ('Message', str(self)), *self.extra.items()]  # '' shows empty
        if request_id:
            fields.append(('RequestId', request_id))
        body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + ''.join(
            f'<{k}>{xml_text(v)}</{k}>' for k, v in fields) + '</Error>'
        return Response(status=self.status, body=body.encode('utf-8'), content_type='application/xml',
                        charset=None)


def _error(name: str, status: int, message: str) -> type[S3Error]:
    return type(name, (S3Error,), {'code': name, 'status': status, 'message': message,
                                   '__doc__': message})


AccessDenied = _error('AccessDenied', 403, 'Access Denied.')
AuthorizationHeaderMalformed = _error('AuthorizationHeaderMalformed', 400,
                                      'The authorization header is malformed.')
AuthorizationQueryParametersError = _error('AuthorizationQueryParametersError', 400,
                                           'The presigned URL\'s X-Amz-* parameters are malformed.')
BadDigest = _error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.')
BucketAlreadyOwnedByYou = _error('BucketAlreadyOwnedByYou', 409,
                                 'Your previous request to create the named bucket succeeded '
                                 'and you already own it.')
BucketNotEmpty = _error('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty.')
IncompleteBody = _error('IncompleteBody', 400, 'The request body terminated unexpectedly')
#: IncompleteBody's message when the numbers of bytes are known (NumberBytesExpected, NumberBytesProvided).
SHORT_BODY = 'You did not provide the number of bytes specified by the Content-Length HTTP header'
InvalidChunkSizeError = _error('InvalidChunkSizeError', 403,
                               'Only the last chunk is allowed to have a size less than 8192 bytes')
InternalError = S3Error
EntityTooSmall = _error('EntityTooSmall', 400,
                         'Your proposed upload is smaller than the minimum allowed object size.')
EntityTooLarge = _error('EntityTooLarge', 400,
                'Your proposed upload exceeds the maximum allowed object size.')
InvalidArgument = _error('InvalidArgument', 400, 'Invalid Argument.')
InvalidBucketName = _error('InvalidBucketName', 400, 'The specified bucket is not valid.')
InvalidDigest = _error('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.')
InvalidAccessKeyId = _error('InvalidAccessKeyId', 403,
                            'The AWS access key ID you provided does not exist in our records.')
InvalidLocationConstraint = _error('InvalidLocationConstraint', 400,
                                   'The specified location constraint is not valid.')
InvalidPart = _error('InvalidPart', 400, 'One or more of the specified parts could not be found.  '
                     'The part may not have been uploaded, or the specified entity tag may not '
                     'match the part\'s entity tag.')
InvalidPartNumber = _error('InvalidPartNumber', 416, 'The requested partnumber is not satisfiable')
InvalidPartOrder = _error('InvalidPartOrder', 400,
                          'The list of parts was not in ascending order. '
                          'Parts must be ordered by part number.')
InvalidTag = _error('InvalidTag', 400, 'The tag provided was not a valid tag.')
InvalidRange = _error('InvalidRange', 416, 'The requested range is not satisfiable.')
InvalidRequest = _error('InvalidRequest', 400, 'Invalid Request.')
MalformedTrailerError = _error('MalformedTrailerError', 400,
                               'The request contained trailing data that was not well-formed or did not '
                               'conform to our published schema.')
MalformedXML = _error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate '
                      'against our published schema')
MissingContentLength = _error('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.')
KeyTooLongError = _error('KeyTooLongError', 400, 'Your key is too long')
MethodNotAllowed = _error('MethodNotAllowed', 405,
                'The specified method is not allowed against this resource.')
NoSuchBucket = _error('NoSuchBucket', 404, 'The specified bucket does not exist.')
#: NotImplemented's message for a sub-resource (``?cors``, ``?object-lock``...) not implemented here.
UNIMPLEMENTED_RESOURCE = 'The requested resource is not implemented'
ObjectLockConfigurationNotFoundError = _error('ObjectLockConfigurationNotFoundError', 404,
                                              'Object Lock configuration does not exist for this bucket')
NoSuchKey = _error('NoSuchKey', 404, 'The specified key does not exist.')
NoSuchUpload = _error('NoSuchUpload', 404, 'The specified multipart upload does not exist. The upload ID '
                      'might be invalid, or the multipart upload might have been aborted or completed.')
NotImplemented_ = _error('NotImplemented', 501, 'A header or query you provided implies functionality '
                         'that is not implemented.')
PreconditionFailed = _error('PreconditionFailed', 412,
                            'At least one of the preconditions you specified did not hold.')
RequestTimeTooSkewed = _error('RequestTimeTooSkewed', 403,
                              'The difference between the request time and the current time is too large.')
RequestTimeout = _error('RequestTimeout', 400, 'Your socket connection to the server was not read from or '
                        'written to within the timeout period.')
ServiceUnavailable = _error('ServiceUnavailable', 503, 'Please reduce your request rate.')
SignatureDoesNotMatch = _error('SignatureDoesNotMatch', 403,
                               'The request signature we calculated does not match the signature '
                               'you provided. Check your key and signing method.')
UserKeyMustBeSpecified = _error('UserKeyMustBeSpecified', 400,
                                'The bucket POST must contain the specified field name. If it is specified, '
                                'please check the order of the fields.')
XAmzContentSHA256Mismatch = _error('XAmzContentSHA256Mismatch', 400,
                                   'The provided \'x-amz-content-sha256\' header does not match '
                                   'what was computed.')


def _spaced_hex(text: str) -> str:
    """
    >>> _spaced_hex('AB')
    '41 42'
    """
    return ' '.join(f'{b:02x}' for b in text.encode('utf-8', 'surrogateescape'))


def signature_mismatch(access_key: str, string_to_sign: str, provided: str,
                       canonical_request: str = '') -> S3Error:
    """SignatureDoesNotMatch with the details AWS gives for a V4 signature (what was signed)."""
    extra = {'AWSAccessKeyId': access_key, 'StringToSign': string_to_sign,
             'SignatureProvided': provided, 'StringToSignBytes': _spaced_hex(string_to_sign)}
    if canonical_request:
        extra.update(CanonicalRequest=canonical_request, CanonicalRequestBytes=_spaced_hex(canonical_request))
    return SignatureDoesNotMatch(**extra)


def sha256_mismatch(claimed: str, computed: str) -> S3Error:
    """XAmzContentSHA256Mismatch naming the claimed and the computed SHA-256."""
    return XAmzContentSHA256Mismatch(ClientComputedContentSHA256=claimed, S3ComputedContentSHA256=computed)


def bad_checksum(algorithm: str) -> S3Error:
    """BadDigest for an x-amz-checksum-<algorithm> the body does not match (values not echoed)."""
    return BadDigest(f'The {algorithm.upper()} you specified did not match the calculated checksum.')


def short_body(expected: int, provided: int) -> S3Error:
    """IncompleteBody with the byte counts."""
    return IncompleteBody(SHORT_BODY, NumberBytesExpected=str(expected), NumberBytesProvided=str(provided))
