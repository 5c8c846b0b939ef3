"""Size budgets from STYLE.md C14, enforced: no production module over 600
lines, no function over 60 code lines (docstrings, comments and blank lines
do not count), at most 5 positional parameters."""

import ast
import io
import tokenize
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
PACKAGES = ('rings', 'swiftlike', 'computelike', 'netlike', 'blocklike')
MAX_MODULE_LINES = 600
MAX_FUNCTION_CODE_LINES = 60
MAX_POSITIONAL = 5
#: (path, qualified name) pairs allowed over budget, to shrink over time
ALLOWED: set[tuple[str, str]] = set()


def production_modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES if (TOP / pkg).is_dir() for p in (TOP / pkg).rglob('*.py'))


def code_lines(source: str) -> set[int]:
    """Line numbers holding code: not blank, not only a comment."""
    lines: set[int] = set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                            tokenize.DEDENT, tokenize.ENDMARKER):
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return lines


def docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def functions(tree: ast.AST, prefix: str = ''):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from functions(node, prefix + node.name + '.')
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, prefix + node.name + '.')


def test_there_is_code_to_check():
    assert len(production_modules()) > 5


@pytest.mark.parametrize('path', production_modules(), ids=lambda p: str(p.relative_to(TOP)))
def test_module_budget(path: Path):
    source = path.read_text()
    rel = str(path.relative_to(TOP))
    assert len(source.splitlines()) <= MAX_MODULE_LINES or (rel, '') in ALLOWED, \
        f'{rel} has over {MAX_MODULE_LINES} lines: split it by concept'
    tree = ast.parse(source)
    code = code_lines(source) - docstring_lines(tree)
    for name, node in functions(tree):
        if (rel, name) in ALLOWED:
            continue
        body = {n for n in range(node.lineno, node.end_lineno + 1)} & code
        assert len(body) <= MAX_FUNCTION_CODE_LINES, f'{rel}:{name} has {len(body)} code lines'
        positional = [a for a in node.args.posonlyargs + node.args.args if a.arg not in ('self', 'cls')]
        assert len(positional) <= MAX_POSITIONAL, f'{rel}:{name} takes {len(positional)} positional args'


def test_the_counter_counts_code_not_docs():
    source = 'def f():\n    """Doc.\n\n    More doc.\n    """\n    # why\n\n    return 1\n'
    tree = ast.parse(source)
    (name, node), = list(functions(tree))
    body = set(range(node.lineno, node.end_lineno + 1)) & (code_lines(source) - docstring_lines(tree))
    assert sorted(body) == [1, 8]


#: str methods that take '²' or '٣' for a digit, which int() then refuses or misreads.
UNICODE_DIGIT_TESTS = {'isdigit', 'isdecimal', 'isnumeric'}


def test_numbers_from_outside_go_through_the_one_strict_parser():
    """``x.isdigit()`` then ``int(x)`` turned '²' into a 500 in some 20 places
    (issue #10): every number is checked by swiftlike.common.numbers instead."""
    found = []
    for path in production_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in UNICODE_DIGIT_TESTS:
                found.append(f'{path.relative_to(TOP)}:{node.lineno} .{node.func.attr}()')
    assert not found, 'use swiftlike.common.numbers (parse_int, is_int) instead of:\n' + '\n'.join(found)
