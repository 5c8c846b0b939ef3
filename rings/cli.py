"""The ``ring-builder`` command line: ``ring-builder <builder_file> [command] [args]``.

Exit codes: 0 success, 1 warning (balance not reached, moves held back by
min_part_hours, nothing to do), 2 error: a one-line message, never a
traceback, and the builder file untouched.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from rings import commands as cmd
from rings.errors import RingBuilderError, RingFileError, RingValidationError


class CliError(Exception):
    """A usage error; the message is printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


def _add_flag_device(sub: argparse.ArgumentParser) -> None:
    sub.add_argument('--region', type=int, default=1)
    sub.add_argument('--zone', type=int)
    sub.add_argument('--ip')
    sub.add_argument('--port', type=int)
    sub.add_argument('--replication-ip', dest='replication_ip')
    sub.add_argument('--replication-port', dest='replication_port', type=int)
    sub.add_argument('--device')
    sub.add_argument('--meta')
    sub.add_argument('--weight', type=float)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ring-builder``."""
    parser = _Parser(prog='ring-builder', description='Build and inspect partition rings.')
    parser.add_argument('builder_file', type=Path)
    subs = parser.add_subparsers(dest='command', parser_class=_Parser, metavar='command')

    def add(name: str, func: cmd.Command, help_text: str) -> argparse.ArgumentParser:
        sub = subs.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(func=func)
        return sub

    sub = add('create', cmd.cmd_create, 'create a builder: <part_power> <replicas> <min_part_hours>')
    sub.add_argument('part_power', type=int)
    sub.add_argument('replicas', type=float)
    sub.add_argument('min_part_hours', type=int)
    sub.add_argument('--force', action='store_true', help='replace an existing builder file')
    sub = add('add', cmd.cmd_add, 'add devices: r1z1-127.0.0.1:6200/d1 100 [...] or the flags')
    sub.add_argument('devices', nargs='*', metavar='device weight')
    _add_flag_device(sub)
    sub = add('remove', cmd.cmd_remove, 'mark devices for removal: <search-value> [...]')
    sub.add_argument('search', nargs='+')
    sub.add_argument('--yes', action='store_true', help='allow a search value to match several devices')
    sub = add('set_weight', cmd.cmd_set_weight, 'set weights: <search-value> <weight> [...]')
    sub.add_argument('values', nargs='+')
    sub.add_argument('--yes', action='store_true', help='allow a search value to match several devices')
    sub = add('set_info', cmd.cmd_set_info, 'change addresses: <search-value> <ip>:<port>/<device>_<meta>')
    sub.add_argument('values', nargs='+')
    add('set_overload', cmd.cmd_set_overload, 'set the overload: 0.1 or 10%').add_argument('overload')
    add('set_replicas', cmd.cmd_set_replicas, 'set the replica count').add_argument('replicas', type=float)
    add('set_min_part_hours', cmd.cmd_set_min_part_hours,
        'set min_part_hours').add_argument('hours', type=int)
    sub = add('rebalance', cmd.cmd_rebalance, 'assign partitions and write the ring')
    sub.add_argument('--seed', type=int)
    add('validate', cmd.cmd_validate, 'check the builder invariants')
    add('write_ring', cmd.cmd_write_ring, 'write <name>.ring.gz beside the builder')
    add('search', cmd.cmd_search, 'list devices matching a search value').add_argument('search')
    add('list_parts', cmd.cmd_list_parts,
        'partitions with replicas on matching devices').add_argument('search', nargs='+')
    add('dispersion', cmd.cmd_dispersion, 'report partitions whose replicas share a tier')
    add('pretend_min_part_hours_passed', cmd.cmd_pretend, 'let every partition move at the next rebalance')
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run ``ring-builder``; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = build_parser().parse_args(argv)
        command: cmd.Command = getattr(args, 'func', cmd.cmd_summary)
        return command(args.builder_file, args, out)
    except CliError as exc:
        err.write(f'ring-builder: usage error: {exc} (see ring-builder BUILDER -h)\n')
    except (RingBuilderError, RingFileError, RingValidationError) as exc:
        err.write(f'ring-builder: {exc}\n')
    except BrokenPipeError:
        return cmd.EXIT_SUCCESS     # the reader (e.g. head) stopped listening
    except OSError as exc:
        err.write(f'ring-builder: {exc.strerror or exc}: {exc.filename or ""}\n')
    return cmd.EXIT_ERROR


if __name__ == '__main__':
    sys.exit(main())
