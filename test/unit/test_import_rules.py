"""The one-way dependency rules of STYLE.md C1, checked by walking imports."""

import ast
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
SERVICES = ('computelike', 'netlike', 'blocklike')
STORE_PARTS = ('swiftlike.proxy', 'swiftlike.account', 'swiftlike.container', 'swiftlike.obj',
               'swiftlike.s3api')


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_under(package: str) -> list[Path]:
    return sorted((TOP / package.replace('.', '/')).rglob('*.py')) if (TOP / package).exists() else []


def forbidden(package: str, allowed_prefixes: tuple[str, ...] = (), banned: tuple[str, ...] = ()):
    """(module, import) pairs in ``package`` that break its rule."""
    bad = []
    for path in modules_under(package):
        for name in imports_of(path):
            top = name.split('.')[0]
            if banned and any(name == b or name.startswith(b + '.') for b in banned):
                bad.append((str(path.relative_to(TOP)), name))
            elif allowed_prefixes and top not in sys.stdlib_module_names \
                    and not any(name == a or name.startswith(a + '.') for a in allowed_prefixes):
                bad.append((str(path.relative_to(TOP)), name))
    return bad


def test_rings_imports_only_the_standard_library():
    assert modules_under('rings')
    assert forbidden('rings', allowed_prefixes=('rings',)) == []


def test_common_imports_no_service_package():
    assert forbidden('swiftlike/common', banned=(*STORE_PARTS, *SERVICES)) == []


@pytest.mark.parametrize('service', SERVICES)
def test_layered_services_use_only_the_shared_kit(service):
    others = tuple(s for s in SERVICES if s != service)
    assert forbidden(service, banned=(*STORE_PARTS, *others)) == []


def test_the_walker_sees_a_violation(tmp_path):
    bad = tmp_path / 'm.py'
    bad.write_text('import socket\nfrom swiftlike.proxy import server\nimport webob\n')
    assert imports_of(bad) == {'socket', 'swiftlike.proxy', 'webob'}
