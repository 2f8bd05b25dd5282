#!/usr/bin/env python3
"""A stand-in for OpenLogReplicator's network writer, for the e2e tests.

Serves the messages of one shared fixture case (output.json, one JSON
message per line) through the real protocol: little-endian uint32 length
prefixed frames, protobuf requests and handshake replies (encoded here by
hand from the field numbers of src/core/sources/olr/olr.proto, so the test
does not share code with the client it tests), JSON data frames.

Server side as OpenLogReplicator 1.9 behaves (shared/reference/
olr-network-protocol.md, sections 4 and 6): START (once), ALREADY_STARTED
afterwards, CONTINUE from a client position (printed c_idx - 1 is the
internal index) replaying every unconfirmed message, CONFIRM releasing
messages from the front of the queue, INFO.  State lives as long as the
process: a client that reconnects finds the queue as it left it.

Options: --delay-ms between data frames (to kill the destination in the
middle of a case), --drop-after N (close the connection once after N data
frames, to test the reconnect).  One line per request is printed to
stdout (flushed), e.g. "CONFIRM 3762392 1", "CONTINUE 1 0"; "END" when the
last message has been sent.
"""
import argparse
import json
import select
import socket
import struct
import sys
import time

REQ = {0: "INFO", 1: "START", 2: "CONTINUE", 3: "CONFIRM"}
READY, FAILED_START, STARTING, ALREADY_STARTED, REPLICATE, PAYLOAD, INVALID_DATABASE, INVALID_COMMAND = range(8)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def decode_request(body):
    req = {"code": 0, "db": "", "scn": None, "c_scn": None, "c_idx": None}
    i = 0
    while i < len(body):
        key, i = read_varint(body, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = read_varint(body, i)
            name = {1: "code", 3: "scn", 5: "tm_rel", 6: "seq", 8: "c_scn", 9: "c_idx"}.get(field)
            if name:
                req[name] = v
        elif wire == 2:
            n, i = read_varint(body, i)
            v = body[i:i + n]
            i += n
            if field == 2:
                req["db"] = v.decode()
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return req


def encode_response(code, scn=None, c_scn=0, c_idx=0):
    out = bytearray()
    if code:
        out += varint(1 << 3) + varint(code)
    if scn is not None:
        out += varint(2 << 3) + varint(scn)
    if c_scn:
        out += varint(10 << 3) + varint(c_scn)
    if c_idx:
        out += varint(11 << 3) + varint(c_idx)
    return bytes(out)


def frame(body):
    return struct.pack("<I", len(body)) + body


class Queue:
    """OLR's writer queue: one message per buffer."""

    def __init__(self, lines):
        self.msgs = []
        for line in lines:
            m = json.loads(line)
            self.msgs.append((line.encode(), m["c_scn"], m["c_idx"] - 1))
        self.released = 0          # messages [0, released) confirmed
        self.next = 0
        self.client = (0, 0)
        self.confirmed = (0, 0)
        self.start_scn = self.msgs[0][1] - 1 if self.msgs else 1

    def cont(self, c_scn, c_idx):
        self.client = (c_scn, c_idx) if c_scn else self.confirmed
        self.next = self.released

    def is_new(self, i):
        _, s, x = self.msgs[i]
        return (s, x) > self.client

    def pop(self):
        """The next message to send, or None."""
        while self.next < len(self.msgs):
            i = self.next
            self.next += 1
            if self.is_new(i):
                return self.msgs[i][0]
            if i == self.released:      # not sent: released at once when at the front
                self.released += 1
        return None

    def confirm(self, c_scn, c_idx):
        while self.released < self.next:
            _, s, x = self.msgs[self.released]
            if (s, x) <= (c_scn, c_idx):
                self.confirmed = max(self.confirmed, (s, x))
                self.released += 1
            else:
                break


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, help="fixture case folder (with output.json)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--source", default="ORACLE")
    ap.add_argument("--delay-ms", type=float, default=0)
    ap.add_argument("--drop-after", type=int, default=-1)
    ap.add_argument("--batch", type=int, default=1,
                    help="messages per write while streaming (the benchmark's replay uses more than one)")
    a = ap.parse_args()
    with open(a.case + "/output.json", encoding="utf-8") as f:
        lines = [ln.rstrip("\r\n") for ln in f if ln.strip()]
    q = Queue(lines)
    started = False
    drop_after = a.drop_after
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", a.port))
    ls.listen(1)
    print("LISTENING", flush=True)
    ended = False
    while True:
        conn, _ = ls.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        streaming = False
        sent = 0
        try:
            while True:
                wait = (a.delay_ms / 1000.0) if streaming else 0.5
                r, _, _ = select.select([conn], [], [], wait)
                if r:
                    data = conn.recv(65536)
                    if not data:
                        break
                    buf += data
                    while len(buf) >= 4:
                        n = struct.unpack("<I", buf[:4])[0]
                        if len(buf) < 4 + n:
                            break
                        req = decode_request(buf[4:4 + n])
                        buf = buf[4 + n:]
                        code = REQ.get(req["code"], str(req["code"]))
                        print(f"{code} {req['c_scn'] if req['c_scn'] is not None else ''} "
                              f"{req['c_idx'] if req['c_idx'] is not None else ''} scn={req['scn']}".strip(),
                              flush=True)
                        if code != "CONFIRM" and req["db"] != a.source:
                            conn.sendall(frame(encode_response(INVALID_DATABASE)))
                            continue
                        if code == "START":
                            if started:
                                conn.sendall(frame(encode_response(ALREADY_STARTED, q.start_scn, *q.confirmed)))
                            else:
                                started = True
                                q.cont(0, 0)
                                q.client = (0, 0)
                                conn.sendall(frame(encode_response(REPLICATE, q.start_scn, *q.confirmed)))
                                streaming = True
                        elif code == "CONTINUE":
                            q.cont(req["c_scn"] or 0, req["c_idx"] or 0)
                            conn.sendall(frame(encode_response(REPLICATE)))
                            streaming = True
                        elif code == "CONFIRM":
                            q.confirm(req["c_scn"] or 0, req["c_idx"] or 0)
                        elif code == "INFO":
                            conn.sendall(frame(encode_response(REPLICATE if started else READY,
                                                               q.start_scn if started else None, *q.confirmed)))
                            streaming = False
                        else:
                            conn.sendall(frame(encode_response(INVALID_COMMAND)))
                    continue
                if not streaming:
                    continue
                if drop_after >= 0 and sent >= drop_after:
                    drop_after = -1
                    print("DROP", flush=True)
                    break
                out = []
                while len(out) < a.batch and (drop_after < 0 or sent + len(out) < drop_after):
                    msg = q.pop()
                    if msg is None:
                        break
                    out.append(frame(msg))
                if not out:
                    if not ended:
                        print("END", flush=True)
                        ended = True
                    streaming = False
                    continue
                conn.sendall(b"".join(out))
                if (sent + len(out)) // 50 > sent // 50:
                    print(f"SENT {sent + len(out)}", flush=True)   # frames of this connection so far
                sent += len(out)
        except (ConnectionError, OSError) as e:
            print(f"DISCONNECTED {e}", flush=True)
        finally:
            conn.close()
            print("CLOSED", flush=True)


if __name__ == "__main__":
    sys.exit(main())
