#!/usr/bin/python3
"""Runs the reference golf service.

  main.py [--host 127.0.0.1] [--port 8000] [--port-file FILE]

With --port 0 the kernel picks a free port, written to --port-file once the
socket listens, so nothing can take it between choosing and binding."""
import argparse
import logging
import os
import socket
import sys

import uvicorn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description="the reference golf service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--port-file")
    arguments = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            sys.exit(f"golf-api: {name} is not set")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    family = socket.AF_INET6 if ":" in arguments.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((arguments.host, arguments.port))
    listener.listen(1024)
    listener.set_inheritable(True)
    from app import app  # after the checks above: importing reads the environment

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    if arguments.port_file:
        port = listener.getsockname()[1]
        temporary = arguments.port_file + ".tmp"
        with open(temporary, "w") as out:
            out.write(f"{port}\n")
        os.replace(temporary, arguments.port_file)
    server.run(sockets=[listener])


if __name__ == "__main__":
    main()
