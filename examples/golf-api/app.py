"""The reference golf service: a small, real FastAPI service on the tables
golfops' migrations create, rate limited by golfops' Lua scripts. It is what
golfops verify, the demo and the benchmarks run against.

Settings (environment):
  DATABASE_URL, REDIS_URL      where its PostgreSQL and Redis are
  DATABASE_PASSWORD_FILE,      their passwords, read from files (Docker secrets)
  REDIS_PASSWORD_FILE          rather than written into the URLs
  GOLF_API_KEY_PREFIX          limits.key_prefix (default golfops:rl:)
  GOLF_API_SCRIPTS             golfops' limits/scripts directory
  GOLF_API_VERSION             what /version and /health report
  GOLF_API_METRICS_FORMAT      prometheus (default) or json
  GOLF_API_TRUSTED_PROXIES     peers whose X-Forwarded-For is believed (default loopback)
  GOLF_API_BROKEN              comma-separated faults for tests: security_headers,
                               rate_limit, retry_after, ready, metrics
"""
import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import psycopg2.extras
import psycopg2.pool
import redis
from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ratelimit import Limiter

log = logging.getLogger("golf_api")

VERSION = os.environ.get("GOLF_API_VERSION", "1.0.0")
BROKEN = {fault.strip() for fault in os.environ.get("GOLF_API_BROKEN", "").split(",") if fault.strip()}
METRICS_FORMAT = os.environ.get("GOLF_API_METRICS_FORMAT", "prometheus")
KEY_PREFIX = os.environ.get("GOLF_API_KEY_PREFIX", "golfops:rl:")
SCRIPTS = os.environ.get("GOLF_API_SCRIPTS",
                         str(Path(__file__).resolve().parent.parent.parent / "limits" / "scripts"))
TRUSTED_PROXIES = [ipaddress.ip_network(net.strip()) for net in
                   os.environ.get("GOLF_API_TRUSTED_PROXIES", "127.0.0.0/8,::1/128").split(",")
                   if net.strip()]
# Tokens are signed with this; a restart without GOLF_API_SECRET signs everyone out.
SECRET = os.environ.get("GOLF_API_SECRET", "").encode() or secrets.token_bytes(32)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"

app = FastAPI(title="golf-api", version=VERSION, docs_url=None, redoc_url=None, openapi_url=None)
started = time.time()


# ---- clients -------------------------------------------------------------

def password_from(variable):
    path = os.environ.get(variable)
    if not path:
        return None
    with open(path) as secret:
        return secret.read().rstrip("\n")


class Clients:
    def __init__(self):
        self.pool = None
        self.redis = None
        self.limiter = None
        self.lock = threading.Lock()

    def database(self):
        with self.lock:
            if self.pool is None:
                extra = {}
                password = password_from("DATABASE_PASSWORD_FILE")
                if password is not None:
                    extra["password"] = password
                self.pool = psycopg2.pool.ThreadedConnectionPool(
                    1, 10, os.environ["DATABASE_URL"], connect_timeout=3,
                    application_name="golf-api", **extra)
            return self.pool


clients = Clients()


class Connection:
    """A pooled connection for one request; returned broken or not."""

    def __enter__(self):
        self.pool = clients.database()
        self.connection = self.pool.getconn()
        return self.connection

    def __exit__(self, kind, value, trace):
        broken = kind is not None and isinstance(value, psycopg2.Error)
        if kind is None:
            self.connection.commit()
        else:
            try:
                self.connection.rollback()
            except psycopg2.Error:
                broken = True
        self.pool.putconn(self.connection, close=broken or self.connection.closed != 0)
        return False


@app.on_event("startup")
def connect():
    extra = {}
    password = password_from("REDIS_PASSWORD_FILE")
    if password is not None:
        extra["password"] = password
    clients.redis = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=0.5,
                                         socket_connect_timeout=0.5, health_check_interval=10,
                                         **extra)
    clients.limiter = Limiter(clients.redis, KEY_PREFIX, SCRIPTS)
    clients.limiter.start()


@app.on_event("shutdown")
def disconnect():
    if clients.limiter:
        clients.limiter.stop.set()
    if clients.pool:
        clients.pool.closeall()


# ---- metrics -------------------------------------------------------------

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}  # (method, route, status) -> count
        self.durations = {}  # route -> [bucket counts..., sum, count]
        self.limited = {}  # rule -> count
        self.limiter_errors = 0

    def observe(self, method, route, status, seconds):
        with self.lock:
            key = (method, route, str(status))
            self.requests[key] = self.requests.get(key, 0) + 1
            histogram = self.durations.setdefault(route, [0] * (len(BUCKETS) + 2))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    histogram[index] += 1
            histogram[-2] += seconds
            histogram[-1] += 1

    def prometheus(self):
        lines = ["# HELP golf_api_http_requests_total Requests answered, by route and status.",
                 "# TYPE golf_api_http_requests_total counter"]
        with self.lock:
            for (method, route, status), count in sorted(self.requests.items()):
                lines.append(f'golf_api_http_requests_total{{method="{method}",route="{route}",'
                             f'status="{status}"}} {count}')
            lines += ["# HELP golf_api_http_request_duration_seconds Time to answer, by route.",
                      "# TYPE golf_api_http_request_duration_seconds histogram"]
            for route, histogram in sorted(self.durations.items()):
                for index, bound in enumerate(BUCKETS):
                    lines.append(f'golf_api_http_request_duration_seconds_bucket{{route="{route}",'
                                 f'le="{bound}"}} {histogram[index]}')
                lines.append(f'golf_api_http_request_duration_seconds_bucket{{route="{route}",'
                             f'le="+Inf"}} {histogram[-1]}')
                lines.append(f'golf_api_http_request_duration_seconds_sum{{route="{route}"}} '
                             f'{histogram[-2]:.6f}')
                lines.append(f'golf_api_http_request_duration_seconds_count{{route="{route}"}} '
                             f'{histogram[-1]}')
            lines += ["# HELP golf_api_rate_limited_total Requests refused with 429, by rule.",
                      "# TYPE golf_api_rate_limited_total counter"]
            for rule, count in sorted(self.limited.items()):
                lines.append(f'golf_api_rate_limited_total{{rule="{rule}"}} {count}')
            lines += ["# HELP golf_api_rate_limiter_errors_total Checks Redis could not answer.",
                      "# TYPE golf_api_rate_limiter_errors_total counter",
                      f"golf_api_rate_limiter_errors_total {self.limiter_errors}"]
        limiter = clients.limiter
        lines += ["# HELP golf_api_rate_limit_rules_revision The published rule revision in use.",
                  "# TYPE golf_api_rate_limit_rules_revision gauge",
                  f"golf_api_rate_limit_rules_revision {limiter.revision if limiter else 0}",
                  "# HELP golf_api_start_time_seconds When the service started (Unix time).",
                  "# TYPE golf_api_start_time_seconds gauge",
                  f"golf_api_start_time_seconds {started:.3f}"]
        return "\n".join(lines) + "\n"

    def json(self):
        with self.lock:
            return {
                "requests": [{"method": m, "route": r, "status": int(s), "count": c}
                             for (m, r, s), c in sorted(self.requests.items())],
                "rate_limited": dict(sorted(self.limited.items())),
                "rate_limiter_errors": self.limiter_errors,
                "rules_revision": clients.limiter.revision if clients.limiter else 0,
                "uptime_seconds": round(time.time() - started, 3),
            }


metrics = Metrics()


# ---- every response: request id, security headers, metrics, JSON errors --

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


MAX_BODY_BYTES = 64 * 1024


def error_body(request, status, code, message):
    return JSONResponse(
        status_code=status,
        content={"error": {"code": code, "message": message},
                 "request_id": getattr(request.state, "request_id", None)})


@app.middleware("http")
async def every_response(request: Request, call_next):
    incoming = request.headers.get("x-request-id", "")
    request.state.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    start = time.perf_counter()
    try:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            # Refused before it is read: no request here needs more.
            response = error_body(request, 413, "too_large",
                                  f"the body is {declared} bytes; at most {MAX_BODY_BYTES}")
        else:
            response = await call_next(request)
    except Exception:  # noqa: BLE001 - the client gets JSON, the log the trace
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = error_body(request, 500, "internal", "internal server error")
    route = request.scope.get("route")
    route_path = route.path if route is not None else "unmatched"
    metrics.observe(request.method, route_path, response.status_code,
                    time.perf_counter() - start)
    response.headers["X-Request-ID"] = request.state.request_id
    if "security_headers" not in BROKEN:
        for name, value in SECURITY_HEADERS.items():
            response.headers[name] = value
        if https(request):
            response.headers["Strict-Transport-Security"] = HSTS
    return response


def trusted(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in TRUSTED_PROXIES)


def https(request):
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return trusted(peer) and request.headers.get("x-forwarded-proto", "") == "https"


def canonical_ip(text):
    ip = ipaddress.ip_address(text.strip())
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def client_ip(request):
    """The peer, or behind trusted proxies the rightmost untrusted address of
    X-Forwarded-For (what each proxy appended; the left part is the client's
    word)."""
    peer = request.client.host if request.client else "0.0.0.0"
    if not trusted(peer):
        return canonical_ip(peer)
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",")
                 if part.strip()]
    for address in reversed(forwarded):
        try:
            if not trusted(address):
                return canonical_ip(address)
        except ValueError:
            break
    return canonical_ip(peer)


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, error: StarletteHTTPException):
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict", 429: "rate_limited",
             503: "unavailable"}
    response = error_body(request, error.status_code, codes.get(error.status_code, "error"),
                          str(error.detail))
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, error: RequestValidationError):
    first = error.errors()[0] if error.errors() else {"loc": [], "msg": "invalid request"}
    if first.get("type") == "value_error.jsondecode":
        return error_body(request, 422, "invalid", f"the body is not JSON: {first['msg']}")
    if list(first["loc"]) == ["body"] and first.get("type") == "value_error.missing":
        return error_body(request, 422, "invalid", "a JSON object body is required")
    field = ".".join(str(part) for part in first["loc"] if part != "body")
    return error_body(request, 422, "invalid",
                      f"{field}: {first['msg']}" if field else first["msg"])


# ---- rate limiting -------------------------------------------------------

# Where Redis is down: login fails closed (abuse-sensitive), the rest fails
# open (an outage of the limiter must not become an outage of the service).
FAIL_CLOSED = {"api_auth", "create_room"}


def rate_limited(resource):
    def dependency(request: Request, response: Response,
                   authorization: str = Header(default="")):
        if "rate_limit" in BROKEN:
            return
        user = user_from(authorization, required=False)
        try:
            verdict = clients.limiter.check(resource, client_ip(request),
                                            user=str(user) if user else None,
                                            api_key=request.headers.get("x-api-key"))
        except redis.RedisError as error:
            with metrics.lock:
                metrics.limiter_errors += 1
            log.warning("rate limiter unavailable: %s", error)
            if resource in FAIL_CLOSED:
                raise HTTPException(503, "rate limiter unavailable; try again shortly")
            return
        headers = dict(verdict.headers)
        if "retry_after" in BROKEN and "Retry-After" in headers:
            headers["Retry-After"] = str(int(headers["Retry-After"]) * 1000)  # the classic ms bug
        if not verdict.allowed:
            with metrics.lock:
                metrics.limited[verdict.decider] = metrics.limited.get(verdict.decider, 0) + 1
            raise HTTPException(429, f"rate limit '{verdict.decider}' exceeded", headers=headers)
        for name, value in headers.items():
            response.headers[name] = value

    return dependency


# ---- auth ----------------------------------------------------------------

def sign(user_id):
    payload = str(user_id).encode()
    mac = hmac.new(SECRET, payload, hashlib.sha256).digest()
    return (base64.urlsafe_b64encode(payload).decode().rstrip("=") + "." +
            base64.urlsafe_b64encode(mac).decode().rstrip("="))


def user_from(authorization, required=True):
    def refuse():
        if required:
            raise HTTPException(401, "a valid bearer token is required",
                                headers={"WWW-Authenticate": "Bearer"})
        return None

    if not authorization.startswith("Bearer "):
        return refuse()
    token = authorization[len("Bearer "):]
    try:
        encoded, _ = token.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        user_id = int(payload)
    except (ValueError, TypeError):
        return refuse()
    if not hmac.compare_digest(sign(user_id), token):
        return refuse()
    return user_id


def current_user(authorization: str = Header(default="")):
    return user_from(authorization)


# ---- routes --------------------------------------------------------------

@app.get("/health")
def health():
    """Liveness: the process answers. Dependencies are /ready's business."""
    return {"status": "ok", "version": VERSION, "uptime_seconds": round(time.time() - started, 3)}


def timed(probe):
    start = time.perf_counter()
    try:
        probe()
        return {"status": "ok", "latency_ms": round((time.perf_counter() - start) * 1000, 2)}
    except Exception as error:  # noqa: BLE001 - any failure makes it not ready
        return {"status": "down", "error": type(error).__name__,
                "latency_ms": round((time.perf_counter() - start) * 1000, 2)}


def database_probe():
    if "ready" in BROKEN:
        raise psycopg2.OperationalError("database unavailable (broken mode)")
    with Connection() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@app.get("/ready")
def ready():
    checks = {"database": timed(database_probe), "redis": timed(lambda: clients.redis.ping())}
    ok = all(check["status"] == "ok" for check in checks.values())
    body = {"status": "ready" if ok else "unavailable", "checks": checks,
            "rules_revision": clients.limiter.revision}
    return JSONResponse(status_code=200 if ok else 503, content=body)


@app.get("/metrics")
def metrics_endpoint():
    if "metrics" in BROKEN:
        return PlainTextResponse("metrics are broken {\n", status_code=200)
    if METRICS_FORMAT == "json":
        return JSONResponse(metrics.json())
    return PlainTextResponse(metrics.prometheus(),
                             media_type="text/plain; version=0.0.4; charset=utf-8")


@app.get("/version")
def version():
    return {"version": VERSION, "service": "golf-api"}


class Login(BaseModel):
    username: str = Field(min_length=3, max_length=32, regex=r"^[A-Za-z0-9_.-]+$")


@app.post("/api/login", dependencies=[Depends(rate_limited("api_auth"))])
def login(body: Login):
    """Signs a player in, creating the account on first sign-in."""
    with Connection() as connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (username, email) VALUES (%s, %s) "
            "ON CONFLICT (lower(username)) DO UPDATE SET username = users.username "
            "RETURNING id, username",
            (body.username, f"{body.username.lower()}@players.golf.invalid"))
        user_id, username = cursor.fetchone()
    return {"user": {"id": user_id, "username": username}, "token": sign(user_id)}


class NewRoom(BaseModel):
    max_players: int = Field(default=4, ge=2, le=8)


@app.post("/api/rooms", status_code=201, dependencies=[Depends(rate_limited("create_room"))])
def create_room(body: NewRoom, user_id: int = Depends(current_user)):
    with Connection() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM users WHERE id = %s", (user_id,))
        if cursor.fetchone() is None:
            raise HTTPException(401, "the token's user no longer exists")
        cursor.execute(
            "INSERT INTO games (host_user_id, max_players) VALUES (%s, %s) "
            "RETURNING id, status::text, max_players, created_at", (user_id, body.max_players))
        game_id, status, max_players, created_at = cursor.fetchone()
        cursor.execute("INSERT INTO game_events (game_id, user_id, seq, kind) "
                       "VALUES (%s, %s, 1, 'created')", (game_id, user_id))
    return {"id": game_id, "status": status, "max_players": max_players, "host_user_id": user_id,
            "created_at": created_at.isoformat()}


GAME_STATUSES = ("waiting", "playing", "finished", "abandoned")


@app.get("/api/games", dependencies=[Depends(rate_limited("api_general"))])
def list_games(status: str = "waiting", limit: int = 50):
    if status not in GAME_STATUSES:
        raise HTTPException(400, f"status: '{status}' is not one of {', '.join(GAME_STATUSES)}")
    if not 1 <= limit <= 200:
        raise HTTPException(400, f"limit: {limit} is not between 1 and 200")
    with Connection() as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.id, g.status::text, g.max_players, u.username, g.created_at "
            "FROM games g JOIN users u ON u.id = g.host_user_id "
            "WHERE g.status = %s::game_status ORDER BY g.id DESC LIMIT %s", (status, limit))
        rows = cursor.fetchall()
    return {"games": [{"id": r[0], "status": r[1], "max_players": r[2], "host": r[3],
                       "created_at": r[4].isoformat()} for r in rows]}
