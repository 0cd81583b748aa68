#!/usr/bin/env python3
"""Whole-process figures for one function: a minimal fake AWS Lambda Runtime API on 127.0.0.1
that measures a release binary's cold start, warm latency and peak memory. Run by bench.sh.

    bench_process.py BINARY BODY_FILE COUNT [options]

* Cold start: time from just before spawning BINARY (subprocess.Popen) to the arrival of the
  first byte of its first `GET /2018-06-01/runtime/invocation/next`.  --cold-runs N spawns the
  binary N times (nothing is invoked; the process is killed after its first /next).
* Warm latency: one more process is spawned and COUNT invocations are sent through /next.  The
  event is a Lambda function URL event (payload format 2.0; --envelope, default
  tests/data/function-url-post-event.json) whose "body" is set to the contents of
  BODY_FILE (re-serialised compactly if it is JSON).  Latency = from just before the /next
  response is written (one write, TCP_NODELAY) to the arrival of the first byte of
  `POST /2018-06-01/runtime/invocation/<id>/response`.  Every response must be a function URL
  response with statusCode == --expect-status (default 200); the body of the first one is printed.
  COUNT 0 skips the warm phase.  lambda_runtime 1.5 sizes its hyper pool to the concurrency (1 idle
  connection), so it sometimes POSTs on a new TCP connection; those invocations are also
  summarised separately (they include connect + a new harness thread).
* Peak RSS: VmHWM (and VmRSS) from /proc/<pid>/status after the last invocation.

The fake server is http.server (HTTP/1.1, keep-alive) on 127.0.0.1 with a free port.  The child
gets ONLY these env vars (plus any --env K=V):
  AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME (default: basename of BINARY),
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128, AWS_LAMBDA_FUNCTION_VERSION=1, AWS_REGION=us-east-1,
  AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, WEBHOOK_AUTH=none
--wrap 'strace -f -e trace=network -o /tmp/x' prefixes the command (for checks, not timing).
"""
import argparse
import json
import math
import os
import queue
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NEXT = "/2018-06-01/runtime/invocation/next"
PREFIX = "/2018-06-01/runtime/invocation/"
now_ns = time.perf_counter_ns


class State:
    def __init__(self, arn):
        self.arn = arn
        self.first_next_ns = None
        self.first_next = threading.Event()
        self.events = queue.Queue()      # (request_id, body bytes) or None to stop
        self.results = queue.Queue()     # (kind, request_id, t_arrival_ns, body bytes, new_conn)
        self.sent = {}                   # request_id -> t_send_ns
        self.other = []                  # unexpected requests (path, method)
        self.connections = 0             # TCP connections the runtime opened


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.server.state.connections += 1
        self.requests_on_connection = 0

    def handle_one_request(self):
        # Block until the first byte of the next request is there, and time-stamp it before
        # Python parses anything.
        try:
            if not self.rfile.peek(1):
                self.close_connection = True
                return
        except (ConnectionError, OSError):
            self.close_connection = True
            return
        self.t_arrival = now_ns()
        super().handle_one_request()
        self.requests_on_connection += 1

    def _reply(self, code, body=b"", headers=()):
        head = [f"HTTP/1.1 {code} {'OK' if code < 300 else 'ERR'}", f"Content-Length: {len(body)}",
                "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in headers]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        return data

    def do_GET(self):
        st = self.server.state
        if self.path != NEXT:
            st.other.append(("GET", self.path))
            self.wfile.write(self._reply(404, b'{"errorMessage":"not found"}'))
            return
        if st.first_next_ns is None:
            st.first_next_ns = self.t_arrival
            st.first_next.set()
        item = st.events.get()
        if item is None:               # shutting down: leave the runtime hanging on a closed socket
            self.close_connection = True
            return
        request_id, body = item
        deadline = int(time.time() * 1000) + 30000
        data = self._reply(200, body, [
            ("Lambda-Runtime-Aws-Request-Id", request_id),
            ("Lambda-Runtime-Deadline-Ms", str(deadline)),
            ("Lambda-Runtime-Invoked-Function-Arn", st.arn),
        ])
        st.sent[request_id] = now_ns()
        self.wfile.write(data)

    def do_POST(self):
        st = self.server.state
        t = self.t_arrival
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.wfile.write(self._reply(202, b'{"status":"OK"}'))
        if self.path.startswith(PREFIX) and self.path.endswith("/response"):
            new_conn = self.requests_on_connection == 0    # the POST opened a fresh TCP connection
            st.results.put(("response", self.path[len(PREFIX):-len("/response")], t, body, new_conn))
        elif self.path.startswith(PREFIX) and self.path.endswith("/error"):
            st.results.put(("error", self.path[len(PREFIX):-len("/error")], t, body, None))
        else:                           # /runtime/init/error and anything else
            st.other.append(("POST", self.path, body[:500]))
            st.results.put(("other", self.path, t, body, None))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


def start_server(arn):
    srv = Server(("127.0.0.1", 0), Handler)
    srv.state = State(arn)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def spawn(args, port, log):
    env = {
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": args.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "WEBHOOK_AUTH": "none",
    }
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    cmd = shlex.split(args.wrap) + [args.binary] if args.wrap else [args.binary]
    t0 = now_ns()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    return proc, t0


def stop(srv, proc):
    srv.state.events.put(None)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    srv.shutdown()
    srv.server_close()


def proc_mem(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS"):
                    out[k] = int(v.split()[0])  # kB
    except FileNotFoundError:
        pass
    return out


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def summary(name, values_ms, ps):
    parts = [f"n={len(values_ms)}", f"min={min(values_ms):.3f}", f"median={statistics.median(values_ms):.3f}"]
    parts += [f"p{p}={pct(values_ms, p):.3f}" for p in ps]
    parts += [f"max={max(values_ms):.3f}", f"mean={statistics.fmean(values_ms):.3f}"]
    print(f"{name} (ms): " + " ".join(parts), flush=True)


def build_event(args):
    envelope = json.load(open(args.envelope))
    if args.body_file == "-":
        # The envelope is a whole ready event (tests/invoke/): sent as it is.
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    raw = open(args.body_file, "rb").read()
    try:
        body = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        body = raw.decode()
    envelope["body"] = body
    envelope["isBase64Encoded"] = False
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("body_file", help="webhook request JSON that becomes the function URL event's body; "
                    "-: send --envelope as it is (a ready event of tests/invoke/)")
    ap.add_argument("count", type=int, help="warm invocations on one process (0 = none)")
    ap.add_argument("--cold-runs", type=int, default=0, help="separate spawns for the cold-start figure")
    ap.add_argument("--envelope", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "function-url-post-event.json"))
    ap.add_argument("--function-name", help="AWS_LAMBDA_FUNCTION_NAME (default: basename of BINARY)")
    ap.add_argument("--env", action="append", default=[], help="extra K=V for the child (repeatable)")
    ap.add_argument("--expect-status", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for any one step")
    ap.add_argument("--log", default=os.devnull, help="file for the child's stdout+stderr")
    ap.add_argument("--wrap", help="command prefix for the child, e.g. 'strace -f -o F'")
    ap.add_argument("--json-out", help="write all raw samples (ms) here")
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.function_name = args.function_name or os.path.basename(args.binary)
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{args.function_name}"
    event = build_event(args)
    out = {"binary": args.binary, "function_name": args.function_name, "event_bytes": len(event)}
    log = open(args.log, "ab")
    print(f"binary={args.binary} function_name={args.function_name} event={len(event)} bytes", flush=True)

    # --- cold starts -------------------------------------------------------------------------
    cold = []
    cold_rss = []
    for i in range(args.cold_runs):
        srv = start_server(arn)
        proc, t0 = spawn(args, srv.server_address[1], log)
        try:
            if not srv.state.first_next.wait(args.timeout):
                sys.exit(f"cold run {i}: no GET /next within {args.timeout}s (exit={proc.poll()}, other={srv.state.other})")
            cold.append((srv.state.first_next_ns - t0) / 1e6)
            cold_rss.append(proc_mem(proc.pid).get("VmHWM"))
        finally:
            stop(srv, proc)
    if cold:
        out["cold_start_ms"] = cold
        print(f"cold start runs (ms): {' '.join(f'{c:.2f}' for c in cold)}")
        summary("cold start", cold, [90])
        print(f"VmHWM at first /next (kB): median={statistics.median(cold_rss)}")

    # --- warm invocations --------------------------------------------------------------------
    if args.count > 0:
        srv = start_server(arn)
        st = srv.state
        proc, t0 = spawn(args, srv.server_address[1], log)
        lat, lat_new, lat_reused, first_body = [], [], [], None
        try:
            if not st.first_next.wait(args.timeout):
                sys.exit(f"no GET /next within {args.timeout}s (exit={proc.poll()}, other={st.other})")
            out["warm_process_cold_start_ms"] = (st.first_next_ns - t0) / 1e6
            out["VmHWM_after_init_kB"] = proc_mem(proc.pid).get("VmHWM")
            for i in range(args.count):
                rid = str(uuid.uuid4())
                st.events.put((rid, event))
                try:
                    kind, got_id, t_arr, body, new_conn = st.results.get(timeout=args.timeout)
                except queue.Empty:
                    sys.exit(f"invocation {i}: no response within {args.timeout}s (exit={proc.poll()}, other={st.other})")
                if kind != "response" or got_id != rid:
                    sys.exit(f"invocation {i}: got {kind} for {got_id!r} (sent {rid}): {body[:1000]!r}")
                lat.append((t_arr - st.sent[rid]) / 1e6)
                (lat_new if new_conn else lat_reused).append(lat[-1])
                resp = json.loads(body)
                if resp.get("statusCode") != args.expect_status or "body" not in resp:
                    sys.exit(f"invocation {i}: not a function URL response with statusCode {args.expect_status}: {body[:1000]!r}")
                if first_body is None:
                    first_body = resp
            mem = proc_mem(proc.pid)
        finally:
            stop(srv, proc)
        if st.other:
            print(f"unexpected requests: {st.other}")
        print(f"runtime API TCP connections opened by the process: {st.connections}")
        out.update(connections=st.connections, warm_ms=lat, warm_new_connection_ms=lat_new, VmHWM_kB=mem.get("VmHWM"), VmRSS_kB=mem.get("VmRSS"), first_response=first_body)
        print(f"warm process: cold start {out['warm_process_cold_start_ms']:.2f} ms, VmHWM after init {out['VmHWM_after_init_kB']} kB")
        summary(f"warm latency, {args.count} invocations", lat, [90, 99])
        if lat_reused:
            summary("  of which POST on a reused connection", lat_reused, [90, 99])
        if lat_new:
            summary("  of which POST on a new connection", lat_new, [90, 99])
        print(f"all {len(lat)} responses: statusCode {args.expect_status}, function URL shape OK")
        print(f"peak RSS after {args.count} invocations: VmHWM={mem.get('VmHWM')} kB VmRSS={mem.get('VmRSS')} kB")
        print("first response:", json.dumps(first_body, ensure_ascii=False)[:2000])
    if args.json_out:
        json.dump(out, open(args.json_out, "w"), indent=1)


if __name__ == "__main__":
    main()
