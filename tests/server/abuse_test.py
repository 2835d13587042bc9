#!/usr/bin/env python3
"""A short, bounded abuse run against `netpolgen serve --demo` on 127.0.0.1 (loopback only).

For about 8 seconds: 1,000 slow connections each drip a request header a byte at a time, 40 Range
floods (1,000 ranges each) and 20 oversized-header floods (up to 4 MiB each) run, while healthz
and a graph read are timed every 0.25 s: each must answer within 1 s. Range answers must be the
whole body (200, never 206 or multipart), header floods must be cut, the server's RSS must grow
by less than 128 MiB over its RSS before the abuse (relative: sanitizer builds start larger), and
SIGTERM must still stop it with status 0.

usage: abuse_test.py path/to/netpolgen
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

SLOW_CONNECTIONS = 1000
RUN_SECONDS = 8.0
MAX_ANSWER_SECONDS = 1.0
MAX_RSS_GROWTH_KIB = 128 * 1024

failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message, flush=True)


def start_server(binary):
    proc = subprocess.Popen([binary, "serve", "--demo", "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        proc.kill()
        sys.exit("no listening line: " + line)
    return proc, int(match.group(1))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def get(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    started = time.monotonic()
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, time.monotonic() - started


def slow_lorises(port, stop):
    header = f"GET /v1/healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Slow: ".encode()
    conns = []
    for _ in range(SLOW_CONNECTIONS):
        try:
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=1))
        except OSError as e:
            fail(f"slow connection {len(conns)} refused: {e}")
            break
    i = 0
    while not stop.is_set():
        for c in conns:
            try:
                c.send(header[i % len(header):i % len(header) + 1])
            except OSError:
                pass
        i += 1
        stop.wait(0.5)
    for c in conns:
        c.close()


def range_floods(port, stop):
    ranges = "bytes=0-" + ",0-" * 999
    for _ in range(40):
        if stop.is_set():
            return
        status, body, _ = get(port, "/v1/graph/default", {"Range": ranges})
        whole = get(port, "/v1/graph/default")[1]
        if status != 200 or len(body) != len(whole):
            fail(f"Range flood: status {status}, {len(body)} bytes (whole: {len(whole)})")
            return


def header_floods(port, stop):
    line = b"X-Fill: " + b"a" * 1000 + b"\r\n"
    chunk = line * 64
    for _ in range(20):
        if stop.is_set():
            return
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(f"GET /v1/healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
        sent = 0
        try:
            while sent < 4 << 20:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        s.close()
        if sent >= 4 << 20:
            fail("a 4 MiB header was read to the end")
            return


def main():
    binary = sys.argv[1]
    proc, port = start_server(binary)
    try:
        get(port, "/v1/graph/default")  # loaded before the baseline
        baseline_rss = rss_kib(proc.pid)
        stop = threading.Event()
        workers = [threading.Thread(target=f, args=(port, stop))
                   for f in (slow_lorises, range_floods, header_floods)]
        for w in workers:
            w.start()
        time.sleep(1.0)  # the slow connections are open
        deadline = time.monotonic() + RUN_SECONDS
        worst = 0.0
        peak_rss = 0
        checks = 0
        while time.monotonic() < deadline:
            for path in ("/v1/healthz", "/v1/graph/default"):
                status, _, took = get(port, path)
                worst = max(worst, took)
                if status != 200 or took > MAX_ANSWER_SECONDS:
                    fail(f"{path}: status {status} in {took:.2f} s during the abuse")
            peak_rss = max(peak_rss, rss_kib(proc.pid))
            checks += 1
            time.sleep(0.25)
        stop.set()
        for w in workers:
            w.join(timeout=30)
        print(f"abuse: {checks} rounds of healthz + graph, slowest {worst * 1000:.0f} ms, "
              f"RSS {baseline_rss // 1024} MiB before, peak {peak_rss // 1024} MiB", flush=True)
        if peak_rss - baseline_rss > MAX_RSS_GROWTH_KIB:
            fail(f"RSS grew from {baseline_rss // 1024} to {peak_rss // 1024} MiB")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = "killed after 15 s"
    if status != 0:
        fail(f"exit status after SIGTERM: {status}")
    print("abuse: all checks passed" if not failures else f"abuse: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
