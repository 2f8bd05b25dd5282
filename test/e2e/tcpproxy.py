"""A TCP proxy on loopback for fault tests, owned by the test process (threads, no dependencies).

    p = TcpProxy(target_port)        # listens on 127.0.0.1:<p.port>, forwards to 127.0.0.1:target_port
    p.cut()                          # close every open connection at once (both sides see the close)
    p.stall(True)                    # stop forwarding without closing: a half-open connection;
                                     # new connections are accepted but get nothing either
    p.stall(False)                   # forward again (what was held back is delivered)
    p.slow(bytes_per_s)              # forward at most this many bytes a second per direction (0: unlimited)
    p.close()

Point the connector at 127.0.0.1:<p.port> instead of the server.
"""
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []          # [client socket, server socket]
        self.stalled = threading.Event()
        self.rate = 0            # bytes/s per direction, 0 = unlimited
        self.accepted = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    # ------------------------------------------------------------ control
    def cut(self):
        """Close every open connection (the connector sees its stream end)."""
        with self.lock:
            conns, self.conns = self.conns, []
        for pair in conns:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass
        return len(conns)

    def stall(self, on):
        if on:
            self.stalled.set()
        else:
            self.stalled.clear()

    def slow(self, bytes_per_s):
        self.rate = int(bytes_per_s)

    def open_connections(self):
        with self.lock:
            return len(self.conns)

    def close(self):
        self.closed = True
        try:
            self.lsock.close()
        except OSError:
            pass
        self.stalled.clear()
        self.cut()

    # ------------------------------------------------------------ workers
    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(self.target, timeout=10)
                s.settimeout(None)
            except OSError:
                c.close()
                continue
            for x in (c, s):
                x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.conns.append([c, s])
                self.accepted += 1
            threading.Thread(target=self._pipe, args=(c, s), daemon=True).start()
            threading.Thread(target=self._pipe, args=(s, c), daemon=True).start()

    def _pipe(self, src, dst):
        try:
            while True:
                data = src.recv(65536 if not self.rate else max(1, min(65536, self.rate // 10)))
                if not data:
                    break
                # Stalled: hold the bytes (and stop reading) without closing, like a dead link.
                while self.stalled.is_set() and not self.closed:
                    time.sleep(0.05)
                if self.rate:
                    time.sleep(len(data) / self.rate)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for x in (src, dst):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.conns = [p for p in self.conns if src not in p]
