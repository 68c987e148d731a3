#!/usr/bin/env python3
"""Hostile clients against `bona serve` on loopback, with numbers (docs/performance.md,
"Admission webhook under hostile clients").

Starts the release binary on 127.0.0.1 with a throwaway certificate and examples/production, then:

1. measures /healthz and a small review (examples/production/review.json) on a keep-alive
   HTTP/1.1 connection: the baseline;
2. opens HOSTILE silent TLS connections (handshake, then nothing) and PARTIAL connections that
   each declare a 4 MiB body and send all but 4 KiB of it, then measures the same requests and
   the server's RSS while they are open;
3. with those still open, LEGIT keep-alive connections send the small review at RATE requests
   a second in all (open loop: each connection on its own schedule) for DURATION seconds, and
   their latencies are measured (issue 10's target: 256 connections, p99 <= 25 ms, RSS <= 100 MB);
4. sends 8 huge reviews at once (55,000 containers, about 3 MB each) and measures /healthz while
   they are decided, and the RSS after they are done.

Python's standard library only; every socket has a timeout and the server is killed at the end.

Usage: cargo build --release -p bona && scripts/webhook-hostile.py [--hostile 200] [--partial 50]
           [--legit 256 --rate 1000 --duration 10 --legit-partial 0]
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


def legitimate_load(port, body, connections, rate, duration, processes=8):
    """`connections` keep-alive connections, each POSTing `body` every connections/rate seconds
    from a random offset until `duration` has passed (open loop: a late answer does not delay
    the next request's due time, and its latency counts from that due time). The connections
    are spread over `processes` processes, so that one interpreter's lock does not queue them
    (it hands over every 5 ms), and all are made before the clock starts."""
    import multiprocessing
    # Spawned, not forked: the hostile clients' threads are running, and a fork copies their
    # locks held.
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Value("d", 0.0)
    # Two rendezvous with this process: every connection made, then the start time set.
    ready = (ctx.Barrier(processes + 1), ctx.Barrier(processes + 1))
    results = ctx.Queue()
    shares = [connections // processes + (1 if i < connections % processes else 0)
              for i in range(processes)]
    workers = [ctx.Process(target=_legit_process,
                           args=(port, body, n, connections / rate, duration, ready, start, results))
               for n in shares]
    for w in workers:
        w.start()
    ready[0].wait(180)
    start.value = time.time() + 1.0
    ready[1].wait(60)
    out = {"latencies": [], "errors": 0}
    for _ in workers:
        latencies, errors = results.get(timeout=duration + 120)
        out["latencies"] += latencies
        out["errors"] += errors
    for w in workers:
        w.join(30)
    return out


def _legit_process(port, body, connections, interval, duration, ready, start, results):
    import random
    lock = threading.Lock()
    mine = {"latencies": [], "errors": 0}
    conns = []
    for _ in range(connections):
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(), timeout=30)
            conn.connect()
            conns.append(conn)
        except OSError:
            mine["errors"] += 1
    ready[0].wait(180)
    ready[1].wait(60)
    # Both clocks are the wall clock: the start time was set in another process.
    begin = start.value

    def client(conn, offset):
        latencies, errors = [], 0
        due = begin + offset
        while due < begin + duration:
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            try:
                conn.request("POST", "/validate", body, {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors += 1
                latencies.append(time.time() - due)
            except OSError:
                errors += 1
                conn.close()
                conn = http.client.HTTPSConnection("127.0.0.1", port, context=context(), timeout=30)
            due += interval
        conn.close()
        with lock:
            mine["latencies"] += latencies
            mine["errors"] += errors

    threads = [threading.Thread(target=client, args=(c, random.uniform(0, interval)))
               for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + 60)
    results.put((mine["latencies"], mine["errors"]))


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
    parser.add_argument("--legit", type=int, default=256)
    parser.add_argument("--legit-partial", type=int, default=0,
                        help="of the --hostile connections kept open during the legitimate load, "
                             "how many re-send a partial 4 MiB body (a bandwidth flood)")
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--duration", type=float, default=10.0)
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
        partial_n = min(args.legit_partial, args.hostile)
        silent_n = args.hostile - partial_n
        print(f"{args.legit} legitimate keep-alive connections at {args.rate:.0f} reviews/s in all "
              f"for {args.duration:.0f} s, with {args.hostile} hostile ones kept open ({silent_n} "
              f"silent, {partial_n} partial; each re-opened a second after the webhook closes it):")
        stop = threading.Event()
        reopened = [0]
        rss_seen = []
        # One context for all keepers: building one per connect costs tens of
        # milliseconds of client CPU and stalled the load generator instead.
        shared = context()

        def keep(kind):
            while not stop.is_set():
                try:
                    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
                    tls = shared.wrap_socket(raw, server_hostname="localhost")
                    if kind == "partial":
                        tls.sendall(b"POST /validate HTTP/1.1\r\nhost: localhost\r\n"
                                    b"content-type: application/json\r\n"
                                    b"content-length: 4194304\r\n\r\n")
                        tls.sendall(b" " * (4194304 - 4096))
                    tls.settimeout(0.5)
                    while not stop.is_set():
                        try:
                            if not tls.recv(4096):
                                break
                        except socket.timeout:
                            continue
                    tls.close()
                except OSError:
                    pass
                reopened[0] += 1
                stop.wait(1.0)

        def sample_rss():
            while not stop.is_set():
                rss_seen.append(rss_mib(server.pid))
                time.sleep(0.2)

        keepers = [threading.Thread(target=keep, args=("silent",)) for _ in range(silent_n)]
        keepers += [threading.Thread(target=keep, args=("partial",)) for _ in range(partial_n)]
        keepers.append(threading.Thread(target=sample_rss))
        for t in keepers:
            t.start()
        legit = legitimate_load(port, review, args.legit, args.rate, args.duration)
        stop.set()
        for t in keepers:
            t.join(60)
        summary("POST /validate (2.5 KB)", legit["latencies"])
        print(f"  errors {legit['errors']}, hostile connections re-opened {reopened[0]} times, "
              f"RSS max {max(rss_seen):.1f} MiB, peak {rss_mib(server.pid, 'VmHWM'):.1f} MiB")

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
        for wait in (1, 4):
            time.sleep(wait)
            print(f"  RSS {wait} s later {rss_mib(server.pid):.1f} MiB")
    finally:
        for s in held:
            s.close()
        server.kill()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
