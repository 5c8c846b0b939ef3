"""Every daemon by name, and ``swiftlike-daemons CONF NAME...``: several
daemons of one node in one process, a thread each (what the dev cluster
runs, instead of a process per daemon; a big node runs each daemon's own
``swiftlike-<name>`` script, with its workers)."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from pathlib import Path
from typing import Final

from swiftlike.common.daemon import Daemon, DaemonRunner, load_conf

#: name -> (config file kind, "module:Class")
DAEMONS: Final = {
    'object-replicator': ('object', 'swiftlike.obj.replicator:ObjectReplicator'),
    'object-updater': ('object', 'swiftlike.obj.updater:ObjectUpdater'),
    'object-auditor': ('object', 'swiftlike.obj.auditor:ObjectAuditor'),
    'object-auditor-zbf': ('object', 'swiftlike.obj.auditor:ZeroByteAuditor'),
    'object-expirer': ('object', 'swiftlike.obj.expirer:ObjectExpirer'),
    'container-replicator': ('container', 'swiftlike.container.replicator:ContainerReplicator'),
    'container-updater': ('container', 'swiftlike.container.updater:ContainerUpdater'),
    'container-auditor': ('container', 'swiftlike.container.auditor:ContainerAuditor'),
    'account-replicator': ('account', 'swiftlike.account.replicator:AccountReplicator'),
    'account-auditor': ('account', 'swiftlike.account.auditor:AccountAuditor'),
    'account-reaper': ('account', 'swiftlike.account.reaper:AccountReaper'),
}


def daemon_class(name: str) -> type[Daemon]:
    """The class of daemon ``name``.

    :raises KeyError: for an unknown name
    """
    module, _, cls = DAEMONS[name][1].partition(':')
    found: type[Daemon] = getattr(importlib.import_module(module), cls)
    return found


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-daemons CONF NAME...``."""
    from swiftlike.common.runner import setup_logging
    parser = argparse.ArgumentParser(prog='swiftlike-daemons', description=__doc__.splitlines()[0])
    parser.add_argument('conf', type=Path)
    parser.add_argument('names', nargs='+', choices=sorted(DAEMONS), metavar='NAME')
    args = parser.parse_args(argv)
    stop = threading.Event()
    runners = []
    for name in args.names:
        cls = daemon_class(name)
        conf = load_conf(cls.conf_class, args.conf, cls.section)
        setup_logging(conf.log_level, 'daemons')
        runners.append(DaemonRunner(lambda cls=cls, conf=conf: cls(conf), conf, stop))   # type: ignore[misc]
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    threads = [threading.Thread(target=r.run_forever, args=(None, 'worker-0'), daemon=True) for r in runners]
    for thread in threads:
        thread.start()
    while not stop.wait(1.0):
        pass
    for thread in threads:
        thread.join(timeout=30)
    return 0


if __name__ == '__main__':
    sys.exit(main())
