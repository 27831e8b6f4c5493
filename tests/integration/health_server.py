#!/usr/bin/python3
"""A test HTTP server for `golfops health`: /slow?ms=N answers after N ms and
records how many requests were in flight at once (/max reports the most seen,
/reset clears it). Structural evidence of parallel probes, not timing.

Usage: health_server.py PORT [PORTFILE]. With port 0 the kernel picks a free
port, which is written to PORTFILE once the server listens: no other process
can take it between choosing and binding."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

lock = threading.Lock()
state = {"in_flight": 0, "max": 0}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/max":
            return self.reply(200, {"max": state["max"], "in_flight": state["in_flight"]})
        if url.path == "/reset":
            with lock:
                state["max"] = 0
            return self.reply(200, {"ok": True})
        if url.path == "/slow":
            with lock:
                state["in_flight"] += 1
                state["max"] = max(state["max"], state["in_flight"])
            time.sleep(int(parse_qs(url.query).get("ms", ["500"])[0]) / 1000)
            with lock:
                state["in_flight"] -= 1
            return self.reply(200, {"status": "ok"})
        return self.reply(404, {"status": "missing"})


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that time out on purpose close early


server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
if len(sys.argv) > 2:
    with open(sys.argv[2] + ".tmp", "w") as portfile:
        portfile.write(str(server.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
