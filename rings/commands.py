"""The ``ring-builder`` sub-commands, each a function ``(path, args, out) -> exit code``.

Nothing is global. A builder file is written only after a command has fully
succeeded (and atomically, by rings.io). Errors are raised as RingBuilderError
and friends; rings.cli turns them into one line and exit code 2.
"""

import argparse
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, TextIO

from rings import devspec
from rings.builder import RingBuilder
from rings.device import Device
from rings.errors import RingBuilderError
from rings.summary import print_dispersion, print_summary

EXIT_SUCCESS: Final = 0
EXIT_WARNING: Final = 1
EXIT_ERROR: Final = 2
#: A rebalance that leaves any device further than this from its share warns.
BALANCE_GOAL: Final = 1.0

Command = Callable[[Path, argparse.Namespace, TextIO], int]


def ring_path(builder_path: Path) -> Path:
    """``object.builder`` -> ``object.ring.gz`` beside it."""
    name = builder_path.name.removesuffix('.builder')
    return builder_path.with_name(name + '.ring.gz')


def _matching(builder: RingBuilder, text: str, *, many: bool) -> list[Device]:
    found = builder.search(**devspec.parse_search(text))
    if not found:
        raise RingBuilderError(f'no device matches {text!r}')
    if len(found) > 1 and not many:
        raise RingBuilderError(f'{text!r} matches {len(found)} devices; add --yes to change them all')
    return found


def _pairs(values: Sequence[str], what: str) -> list[tuple[str, str]]:
    if not values or len(values) % 2:
        raise RingBuilderError(f'expected pairs of {what}')
    return list(zip(values[0::2], values[1::2], strict=True))


# -- commands ------------------------------------------------------------------

def cmd_create(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    if path.exists() and not args.force:
        raise RingBuilderError(f'{path} already exists; add --force to replace it')
    if not 1 <= args.part_power <= 32:
        raise RingBuilderError(f'part power must be in 1..32, not {args.part_power}')
    RingBuilder(args.part_power, args.replicas, args.min_part_hours).save(path)
    out.write(f'Created {path}\n')
    return EXIT_SUCCESS


def _flag_device(args: argparse.Namespace) -> dict[str, object]:
    dev = {k: getattr(args, k) for k in ('region', 'zone', 'ip', 'port', 'device', 'meta',
                                         'replication_ip', 'replication_port', 'weight')}
    missing = [k for k in ('zone', 'ip', 'port', 'device', 'weight') if dev[k] is None]
    if missing:
        raise RingBuilderError(f'missing --{" --".join(missing)} for the device')
    return {k: v for k, v in dev.items() if v is not None}


def cmd_add(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    if args.devices:
        new = [dict(devspec.parse_device(spec), weight=devspec.parse_weight(weight))
               for spec, weight in _pairs(args.devices, '<device> <weight>')]
    else:
        new = [_flag_device(args)]
    for dev in new:
        dev_id = builder.add_dev(dev)
        out.write(f'Device {builder.devs[dev_id]} with weight {dev["weight"]:g} got id {dev_id}\n')
    builder.save(path)
    return EXIT_SUCCESS


def cmd_remove(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    for text in args.search:
        for dev in _matching(builder, text, many=args.yes):
            builder.remove_dev(dev.id)
            out.write(f'Device {dev} marked for removal\n')
    builder.save(path)
    return EXIT_SUCCESS


def cmd_set_weight(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    for text, weight in _pairs(args.values, '<search> <weight>'):
        value = devspec.parse_weight(weight)
        for dev in _matching(builder, text, many=args.yes):
            builder.set_dev_weight(dev.id, value)
            out.write(f'Device {dev} weight set to {value:g}\n')
    builder.save(path)
    return EXIT_SUCCESS


def cmd_set_info(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    for text, change in _pairs(args.values, '<search> <change>'):
        for dev in _matching(builder, text, many=False):
            builder.set_dev_info(dev.id, **devspec.parse_change(change))
            out.write(f'Device {dev} is now {builder.devs[dev.id]}\n')
    builder.save(path)
    return EXIT_SUCCESS


def _parse_overload(text: str) -> float:
    try:
        value = float(text[:-1]) / 100 if text.endswith('%') else float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < math.inf:
        raise RingBuilderError(f'bad overload {text!r}; expected e.g. 0.1 or 10%')
    return value


def cmd_set_overload(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    builder.set_overload(_parse_overload(args.overload))
    builder.save(path)
    out.write(f'Overload set to {builder.overload * 100:g}%\n')
    return EXIT_SUCCESS


def cmd_set_replicas(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    builder.set_replicas(args.replicas)
    builder.save(path)
    out.write(f'Replicas set to {builder.replicas:g}; rebalance to place them\n')
    return EXIT_SUCCESS


def cmd_set_min_part_hours(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    builder.set_min_part_hours(args.hours)
    builder.save(path)
    out.write(f'min_part_hours set to {args.hours}\n')
    return EXIT_SUCCESS


def cmd_pretend(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    builder.pretend_min_part_hours_passed()
    builder.save(path)
    out.write('Every partition may move at the next rebalance\n')
    return EXIT_SUCCESS


def cmd_rebalance(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    was_dirty = builder.dirty
    result = builder.rebalance(seed=args.seed)
    if result.moved == 0 and not was_dirty:
        out.write('No partitions could be reassigned; nothing written.\n')
        return EXIT_WARNING
    builder.validate()
    builder.save(path)
    builder.get_ring().save(ring_path(path))
    out.write(f'Reassigned {result.moved} partition-replicas; balance is now {result.balance:.2f}%; '
              f'dispersion is now {builder.dispersion().percent:.2f}%\n')
    if result.held_back:
        out.write(f'{result.held_back} partition-replicas held back by min_part_hours '
                  f'({builder.min_part_hours}h); rebalance again later\n')
        return EXIT_WARNING
    if result.balance > BALANCE_GOAL:
        out.write(f'Balance is {result.balance:.2f}%, above {BALANCE_GOAL:g}%\n')
        return EXIT_WARNING
    return EXIT_SUCCESS


def cmd_validate(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    RingBuilder.load(path).validate()
    out.write(f'{path} is valid\n')
    return EXIT_SUCCESS


def cmd_write_ring(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    target = ring_path(path)
    RingBuilder.load(path).get_ring().save(target)
    out.write(f'Wrote {target}\n')
    return EXIT_SUCCESS


def cmd_search(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    counts = builder.parts_by_dev()
    for dev in _matching(builder, args.search, many=True):
        out.write(f'{dev} R{dev.replication_ip}:{dev.replication_port} weight {dev.weight:g} '
                  f'partitions {counts.get(dev.id, 0)} meta {dev.meta!r}\n')
    return EXIT_SUCCESS


def cmd_list_parts(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    builder = RingBuilder.load(path)
    wanted = {d.id for text in args.search for d in _matching(builder, text, many=True)}
    hits: dict[int, int] = {}
    for arr in builder.replica2part2dev:
        for part, dev_id in enumerate(arr):
            if dev_id in wanted:
                hits[part] = hits.get(part, 0) + 1
    out.write('Partition   Matches\n')
    for part, count in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])):
        out.write(f'{part:>9}   {count:>7}\n')
    return EXIT_SUCCESS


def cmd_dispersion(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    print_dispersion(RingBuilder.load(path), out)
    return EXIT_SUCCESS


def cmd_summary(path: Path, args: argparse.Namespace, out: TextIO) -> int:
    print_summary(RingBuilder.load(path), path, out)
    return EXIT_SUCCESS


