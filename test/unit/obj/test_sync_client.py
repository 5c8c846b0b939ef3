"""A SYNC the peer refuses before reading its body (a 409 for a file it already
has, then it hangs up on the rest) is that answer, not a replication error."""

from __future__ import annotations

import socket
import threading

from rings import Device
from swiftlike.obj.sync import SyncClient


def test_an_early_answer_and_hang_up_is_the_answer(tmp_path):
    listener = socket.create_server(('127.0.0.1', 0))

    def peer() -> None:
        for answer in (b'409 Conflict', b'201 Created'):
            conn, _ = listener.accept()
            head = b''
            while b'\r\n\r\n' not in head:
                head += conn.recv(65536)
            # no "Connection: close": the server just hangs up on the body it will not read
            conn.sendall(b'HTTP/1.1 ' + answer + b'\r\nContent-Length: 0\r\n\r\n')
            if answer.startswith(b'201'):
                return
            conn.shutdown(socket.SHUT_WR)
            conn.close()                              # unread body bytes: the sender sees a reset

    threading.Thread(target=peer, daemon=True).start()
    node = Device(0, 1, 1, '127.0.0.1', listener.getsockname()[1], 'sda', 1.0)
    client = SyncClient(node, conn_timeout=2, node_timeout=5)
    body = iter([b'x' * (4 << 20)] * 8)                # 32 MiB it never reads
    status, _ = client._request('SYNC', '/1/a/c/o', {'Content-Length': str(32 << 20)}, body)
    assert status == 409
    status, _ = client._request('SYNC', '/1/a/c/o2', {'Content-Length': '0'})   # on a new connection
    assert status == 201
    listener.close()
