"""Rate limiting with golfops' own Lua scripts and the rules `golfops limits
publish` puts in Redis (docs/limits.md, "What services read" and "Which rule
decides"). The rules are read at start and again on every message on the
channel <prefix>rules; each request is checked against every published rule
that applies to its resource, one EVALSHA per rule."""
import json
import logging
import threading
import time
from pathlib import Path

import redis

log = logging.getLogger("golf_api.ratelimit")

ALGORITHMS = ("fixed_window", "sliding_window", "sliding_log", "gcra")


def seconds_up(milliseconds):
    return (milliseconds + 999) // 1000


class Decision:
    """One rule's answer: the nine integers every golfops script returns."""

    def __init__(self, rule, numbers):
        self.rule = rule
        (self.allowed, self.limit, self.remaining, self.reset_s, self.retry_after_s,
         self.reset_ms, self.retry_after_ms, self.exceeded, self.now_ms) = (int(n) for n in numbers)


class Verdict:
    def __init__(self):
        self.allowed = True
        self.headers = {}
        self.decider = None  # the rule whose numbers are in the headers
        self.exceeded = []  # names of rules over their limit (shadow ones included)


def decide(decisions):
    """golfops' decide(): the highest-priority enforced rule that denies decides;
    when none does, the enforced rule with the least left. Retry-After is the
    longest wait among the denying rules."""
    verdict = Verdict()
    decider = None
    for decision in decisions:
        if decision.exceeded:
            verdict.exceeded.append(decision.rule["name"])
        if decision.rule["shadow"]:
            continue
        if not decision.allowed:
            verdict.allowed = False
            decider = decision
            break
        if decider is None or decision.remaining < decider.remaining:
            decider = decision
    if decider is None:
        return verdict
    rule = decider.rule
    reset = seconds_up(decider.reset_ms)
    verdict.decider = rule["name"]
    verdict.headers = {
        "X-RateLimit-Limit": str(rule["limit"]),
        "X-RateLimit-Remaining": str(decider.remaining),
        "X-RateLimit-Reset": str(reset),
        "RateLimit-Policy": f'"{rule["name"]}";q={rule["limit"]};w={rule["period_seconds"]}',
        "RateLimit": f'"{rule["name"]}";r={decider.remaining};t={reset}',
    }
    if not verdict.allowed:
        retry_ms = 0
        for decision in decisions:
            if decision.rule["shadow"] or decision.allowed:
                continue
            if decision.retry_after_ms < 0 or retry_ms < 0:
                retry_ms = -1
            else:
                retry_ms = max(retry_ms, decision.retry_after_ms)
        if retry_ms >= 0:
            verdict.headers["Retry-After"] = str(seconds_up(retry_ms))
    return verdict


class Limiter:
    def __init__(self, client, prefix, scripts_dir):
        self.client = client
        self.prefix = prefix
        self.rules = []  # priority order, as golfops sorts them
        self.revision = 0
        self.reloads = 0
        self.lock = threading.Lock()
        self.scripts = {}
        for algorithm in ALGORITHMS:
            # The file's exact bytes: the SHA1 `golfops limits script` lists.
            text = (Path(scripts_dir) / f"{algorithm}.lua").read_bytes()
            self.scripts[algorithm] = client.register_script(text)
        self.stop = threading.Event()

    def load(self):
        """Reads the published rule set; an empty one when nothing is published."""
        raw = self.client.hgetall(f"{self.prefix}{{rules}}")
        meta = self.client.hgetall(f"{self.prefix}{{rules}}:meta")
        rules = [json.loads(value) for value in raw.values()]
        rules = [rule for rule in rules if rule.get("enabled", True)]
        rules.sort(key=lambda rule: (-rule["priority"], rule["name"]))
        with self.lock:
            self.rules = rules
            self.revision = int(meta.get(b"revision", b"0"))
            self.reloads += 1
        log.info("rate-limit rules: revision %s, %d rules", self.revision, len(rules))

    def watch(self):
        """Reloads on every change message; resubscribes after Redis returns."""
        channel = f"{self.prefix}rules"
        while not self.stop.is_set():
            try:
                pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel)
                self.load()  # whatever was published while we were away
                while not self.stop.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self.load()
            except redis.RedisError as error:
                log.warning("rate-limit rules: %s; retrying", error)
                self.stop.wait(1.0)

    def start(self):
        threading.Thread(target=self.watch, name="rules-watch", daemon=True).start()

    def applying(self, resource, ip, user, api_key):
        """(rule, bucket value) for each rule that applies, in priority order."""
        values = {"ip": ip, "user": user, "api_key": api_key, "global": ""}
        with self.lock:
            rules = list(self.rules)
        for rule in rules:
            if rule["resource"] and rule["resource"] != resource:
                continue
            value = values[rule["scope"]]
            if rule["scope"] != "global" and not value:
                continue
            if rule["scope_value"] and rule["scope_value"] != value:
                continue
            yield rule, value

    def check(self, resource, ip, user=None, api_key=None, cost=1):
        decisions = []
        pipe = self.client.pipeline(transaction=False)
        applying = list(self.applying(resource, ip, user or "", api_key or ""))
        for rule, value in applying:
            bucket = f'{self.prefix}{rule["name"]}:{{{rule["scope"]}:{value}}}'
            self.scripts[rule["algorithm"]](
                keys=[bucket, bucket + ":s", bucket + ":v"],
                args=[rule["limit"], rule["period_seconds"] * 1000, cost,
                      1 if rule["shadow"] else 0, rule["burst"]],
                client=pipe)
        for (rule, _), numbers in zip(applying, pipe.execute() if applying else []):
            decisions.append(Decision(rule, numbers))
        return decide(decisions)
