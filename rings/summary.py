"""Human-readable reports of a builder for the CLI. Reads, never changes."""

from pathlib import Path
from typing import TextIO

from rings.builder import RingBuilder
from rings.tiers import plan_tiers, tiers_of


def _host(ip: str, port: int) -> str:
    return f'[{ip}]:{port}' if ':' in ip else f'{ip}:{port}'


def print_summary(builder: RingBuilder, path: Path, out: TextIO) -> None:
    """The default ``ring-builder FILE`` output: totals, then one line per device."""
    devs = builder.active_devs()
    regions = {d.region for d in devs}
    zones = {(d.region, d.zone) for d in devs}
    rebalanced = bool(builder.replica2part2dev)
    balance = f'{builder.get_balance():.2f}' if rebalanced else '-'
    dispersion = f'{builder.dispersion().percent:.2f}' if rebalanced else '-'
    out.write(f'{path}, build version {builder.version}\n')
    out.write(f'{builder.parts} partitions, {builder.replicas:f} replicas, {len(regions)} regions, '
              f'{len(zones)} zones, {len(devs)} devices, {balance} balance, {dispersion} dispersion\n')
    out.write(f'The minimum number of hours before a partition can be reassigned is '
              f'{builder.min_part_hours}\n')
    out.write(f'The overload factor is {builder.overload * 100:.2f}% ({builder.overload:f})\n')
    if not rebalanced:
        out.write('Not rebalanced yet.\n')
    elif builder.dirty:
        out.write('Devices have changed since the last rebalance; rebalance to apply them.\n')
    counts = builder.parts_by_dev()
    plan = plan_tiers([d for d in devs if d.weight > 0], builder.replicas, 0.0)
    out.write(f'{"id":>5} {"region":>6} {"zone":>4} {"address":>21} {"replication":>21} '
              f'{"name":>10} {"weight":>8} {"partitions":>10} {"balance":>8} meta\n')
    for dev in devs:
        fair = plan.weighted.get(tiers_of(dev)[3], 0.0) * builder.parts
        held = counts.get(dev.id, 0)
        dev_balance = (held - fair) * 100 / fair if fair else (999.99 if held else 0.0)
        out.write(f'{dev.id:>5} {dev.region:>6} {dev.zone:>4} {_host(dev.ip, dev.port):>21} '
                  f'{_host(dev.replication_ip, dev.replication_port):>21} {dev.device:>10} '
                  f'{dev.weight:>8.2f} {held:>10} {dev_balance:>8.2f} {dev.meta}\n')


def print_dispersion(builder: RingBuilder, out: TextIO) -> None:
    """The ``dispersion`` output: undispersed partitions per tier level."""
    if not builder.replica2part2dev:
        out.write('Not rebalanced yet; no dispersion to report.\n')
        return
    report = builder.dispersion()
    out.write(f'Dispersion is {report.percent:.2f}%: {report.undispersed} of {report.parts} '
              'partitions have replicas sharing a tier more than the devices require\n')
    for level, count in report.by_level.items():
        out.write(f'  {level:>7}: {count} partitions\n')
