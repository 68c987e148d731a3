#!/usr/bin/env python3
"""Hostile clients against `bona serve` on loopback, with numbers (docs/performance.md,
"Admission webhook under hostile clients").

Starts the release binary on 127.0.0.1 with a throwaway certificate and examples/production, then:

1. measures /healthz and a small review (examples/production/review.json) on a keep-alive
   HTTP/1.1 connection: the baseline;
2. opens HOSTILE silent TLS connections (handshake, then nothing) and PARTIAL connections that
   each declare a 4 MiB body and send all but 4 KiB of it, then measures the same requests and
   the server's RSS while they are open;
3. sends 8 huge reviews at once (55,000 containers, about 3 MB each) and measures /healthz while
   they are decided.

Python's standard library only; every socket has a timeout and the server is killed at the end.

Usage: cargo build --release -p bona && scripts/webhook-hostile.py [--hostile 200] [--partial 50]
"""

import argparse
import http.client
import json
import os
import pathlib
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def rss_mib(pid, field="VmRSS"):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def latencies(port, path, body, count):
    """`count` requests on one keep-alive connection; seconds each."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(), timeout=30)
    out = []
    for _ in range(count):
        started = time.perf_counter()
        if body is None:
            conn.request("GET", path)
        else:
            conn.request("POST", path, body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        assert response.status == 200, response.status
        out.append(time.perf_counter() - started)
    conn.close()
    return out


def summary(name, seconds):
    seconds = sorted(seconds)
    p = lambda q: seconds[min(len(seconds) - 1, int(q * len(seconds)))] * 1000
    print(f"  {name:<34} n={len(seconds):<4} p50 {p(0.5):7.2f} ms  p99 {p(0.99):7.2f} ms  "
          f"max {seconds[-1] * 1000:7.2f} ms")


def huge_review(containers):
    review = json.load(open(ROOT / "examples/production/review.json"))
    review["request"]["object"]["spec"]["template"]["spec"]["containers"] = [
        {"name": f"c{n}", "image": f"r.example/a{n}:1"} for n in range(containers)
    ]
    return json.dumps(review).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bona", default=str(ROOT / "target/release/bona"))
    parser.add_argument("--hostile", type=int, default=200)
    parser.add_argument("--partial", type=int, default=50)
    parser.add_argument("--requests", type=int, default=500)
    args, extra = parser.parse_known_args()

    work = tempfile.mkdtemp()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", f"{work}/tls.key", "-out", f"{work}/tls.crt", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    server = subprocess.Popen(
        [args.bona, "serve", "--policy", str(ROOT / "examples/production"), "--cluster",
         "prod-eu-1", "--tls-cert", f"{work}/tls.crt", "--tls-key", f"{work}/tls.key",
         "--listen", "127.0.0.1:0", "--shutdown-delay", "0", *extra],
        stdout=subprocess.PIPE, stderr=open(f"{work}/serve.log", "w"), text=True)
    held = []
    try:
        line = server.stdout.readline()
        port = int(line.strip().rsplit(":", 1)[1])
        review = open(ROOT / "examples/production/review.json", "rb").read()
        print(f"bona serve pid {server.pid} on port {port} {' '.join(extra)}")

        print("baseline:")
        summary("GET /healthz", latencies(port, "/healthz", None, args.requests))
        summary("POST /validate (2.5 KB)", latencies(port, "/validate", review, args.requests))
        print(f"  RSS {rss_mib(server.pid):.1f} MiB")

        def silent():
            raw = socket.create_connection(("127.0.0.1", port), timeout=30)
            held.append(context().wrap_socket(raw, server_hostname="localhost"))

        def partial():
            raw = socket.create_connection(("127.0.0.1", port), timeout=30)
            tls = context().wrap_socket(raw, server_hostname="localhost")
            held.append(tls)
            try:
                tls.sendall(b"POST /validate HTTP/1.1\r\nhost: localhost\r\n"
                            b"content-type: application/json\r\ncontent-length: 4194304\r\n\r\n")
                tls.sendall(b" " * (4194304 - 4096))
            except OSError:
                pass  # answered 503 and closed: the point

        started = time.perf_counter()
        threads = [threading.Thread(target=silent) for _ in range(args.hostile)]
        threads += [threading.Thread(target=partial) for _ in range(args.partial)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        print(f"with {args.hostile} silent TLS connections and {args.partial} partial 4 MiB "
              f"bodies open (set up in {time.perf_counter() - started:.1f} s):")
        print(f"  RSS {rss_mib(server.pid):.1f} MiB")
        summary("GET /healthz", latencies(port, "/healthz", None, args.requests))
        summary("POST /validate (2.5 KB)", latencies(port, "/validate", review, args.requests))
        print(f"  RSS {rss_mib(server.pid):.1f} MiB, peak {rss_mib(server.pid, 'VmHWM'):.1f} MiB")
        for s in held:
            s.close()
        held.clear()

        huge = huge_review(55_000)
        print(f"8 huge reviews at once ({len(huge) / 1e6:.1f} MB, 55,000 containers each):")
        done = []

        def post_huge():
            started = time.perf_counter()
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(), timeout=60)
            conn.request("POST", "/validate", huge, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            done.append((response.status, time.perf_counter() - started))

        threads = [threading.Thread(target=post_huge) for _ in range(8)]
        for t in threads:
            t.start()
        probes, small = [], []
        while any(t.is_alive() for t in threads):
            probes += latencies(port, "/healthz", None, 10)
            small += latencies(port, "/validate", review, 2)
            time.sleep(0.01)
        for t in threads:
            t.join()
        summary("GET /healthz meanwhile", probes)
        summary("POST /validate (2.5 KB) meanwhile", small)
        print(f"  huge reviews: statuses {sorted(set(s for s, _ in done))}, "
              f"{min(d for _, d in done):.2f}–{max(d for _, d in done):.2f} s each")
        print(f"  RSS after {rss_mib(server.pid):.1f} MiB, peak {rss_mib(server.pid, 'VmHWM'):.1f} MiB")
    finally:
        for s in held:
            s.close()
        server.kill()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
