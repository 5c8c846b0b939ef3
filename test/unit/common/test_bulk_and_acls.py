"""The pure parts of account ACLs and bulk operations: ACL parsing, archive
entry paths, bulk-delete names, and the answer formats."""

from __future__ import annotations

import io
import json
from xml.dom import minidom

import pytest
from webob import exc

from swiftlike.common import bulk_delete, bulk_extract
from swiftlike.common.acl import AccountAcl, parse_account_acl
from swiftlike.common.bulk_response import BulkResult, render


def test_account_acl_levels():
    acl = parse_account_acl('{"read-only":["a:u","b"],"read-write":["c:u"],"admin":["d"]}')
    assert acl.level({'a:u', 'a'}) == 'read-only'
    assert acl.level({'b:x', 'b'}) == 'read-only'
    assert acl.level({'c:u', 'c'}) == 'read-write'
    assert acl.level({'d:any', 'd', 'c:u'}) == 'admin'
    assert acl.level({'e:u', 'e'}) is None
    assert AccountAcl().level({'a'}) is None and AccountAcl().header_value() == ''


@pytest.mark.parametrize('value', ['', ' ', '{}', '{"admin":[]}'])
def test_empty_account_acls_grant_nothing(value):
    assert parse_account_acl(value).level({'x'}) is None


@pytest.mark.parametrize('value', [
    'x', '[]', '1', 'true', '"s"', '{"admin":"x"}', '{"admin":{"a":1}}', '{"admin":[null]}',
    '{"Admin":["x"]}', '{"read_only":["x"]}', '{"admin":["\\u0000"]}', '{"admin":["\\u007f"]}',
    '[' * 100000, '{"admin":[' + '1' * 10000 + ']}', '{"admin":["x"],}', 'NaN', '{"admin":["x"]}x',
])
def test_malformed_account_acls(value):
    with pytest.raises(ValueError):
        parse_account_acl(value)


def test_account_acl_normal_form_is_ascii_sorted_and_compact():
    value = parse_account_acl('{"read-only": ["ü"], "admin": ["b", "a"]}').header_value()
    assert value == '{"admin":["b","a"],"read-only":["\\u00fc"]}'
    assert value.isascii() and parse_account_acl(value).header_value() == value


@pytest.mark.parametrize('name,base,expected', [
    ('a/b', '', 'a/b'), ('./a/b', '', 'a/b'), ('././a/b', '', 'a/b'), ('b', 'c', 'c/b'),
    ('x/y', 'c/pre', 'c/pre/x/y'), ('a/./b', '', 'a/./b'), ('a/b..c', '', 'a/b..c'),
])
def test_entry_paths(name, base, expected):
    assert bulk_extract.entry_path(name, base) == expected


@pytest.mark.parametrize('name,base,status', [
    ('/etc/passwd', 'c', '400'), ('../x', 'c', '400'), ('a/../../x', 'c', '400'), ('a/..', 'c', '400'),
    ('./../x', 'c', '400'), ('loose', '', '400'), ('./x', '', '400'), ('./', 'c', '400'),
    ('a\x00b', 'c', '412'), ('bad\udcff', 'c', '412'), ('./x', '.', '400'),
])
def test_refused_entry_paths(name, base, status):
    with pytest.raises(bulk_extract._RefusedError) as err:
        bulk_extract.entry_path(name, base)
    assert err.value.args[0].startswith(status)


LIMITS = bulk_delete.Limits(max_deletes=3, max_failed=10, max_name=20)


@pytest.mark.parametrize('line,status', [('%ff', '412'), ('%C0%80', '412'), ('a%00b', '412'), ('/', '400'),
                                         ('x' * 21, '400'), ('\xff', '412')])
def test_refused_delete_names(line, status):
    with pytest.raises(ValueError) as err:
        bulk_delete.target(line, LIMITS)
    assert str(err.value).startswith(status)


def test_delete_names_are_counted_and_bounded():
    assert bulk_delete.read_names(io.BytesIO(b'a\n\n b \r\nc'), LIMITS) == ['a', 'b', 'c']
    with pytest.raises(exc.HTTPRequestEntityTooLarge):
        bulk_delete.read_names(io.BytesIO(b'a\nb\nc\nd'), LIMITS)
    with pytest.raises(exc.HTTPRequestEntityTooLarge):
        bulk_delete.read_names(io.BytesIO(b'x' * 1000), LIMITS)


def test_answer_formats():
    result = BulkResult({'Number Deleted': 1, 'Number Not Found': 0}, '400 Bad Request', '',
                        [['c/<&>', '409 Conflict']])
    assert json.loads(render(result, 'application/json', 'delete')) == {
        'Number Deleted': 1, 'Number Not Found': 0, 'Response Status': '400 Bad Request',
        'Response Body': '', 'Errors': [['c/<&>', '409 Conflict']]}
    tree = minidom.parseString(render(result, 'text/xml', 'delete'))
    assert tree.getElementsByTagName('name')[0].firstChild.data == 'c/<&>'
    assert tree.getElementsByTagName('number_not_found')[0].firstChild.data == '0'
    assert render(result, 'text/plain', 'delete').decode().endswith('Errors:\nc/<&>, 409 Conflict\n')
