"""Small HTTP load tools of the benchmark (the client side, a separate process from the app server).

    python bench/http_load.py fixed-rate --url URL --rate 200 --seconds 30
    python bench/http_load.py pages --base URL --plan plan.json --reps 20

`fixed-rate` (B1 latency): an open-loop loader. Request i is due at start + i/rate whatever happened to the
ones before, and its latency is measured from that due time (so a stall of the server is counted in full,
not hidden by the loader waiting: no coordinated omission); the service time from the actual send is
reported as well. wrk2 would do this but is not packaged in Debian.

`pages` (B3 and B4 over HTTP): one logged-in client requests the roll-up pages and every search query
sequentially and reports the latency seen by the client.

Plain http.client on loopback; the production cookies are `Secure` and `__Host-` prefixed, which a browser
would only send over HTTPS: this client keeps them itself (a benchmark on loopback has no TLS).
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import summary_ms  # noqa: E402

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Session:
    """One keep-alive connection (reopened when the server closes it) with a cookie store."""

    def __init__(self, base: str, timeout: float = 30):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        if response.headers.get("Connection", "").lower() == "close":
            self.close()
        return response.status, data

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/accounts/login/")
        match = CSRF_INPUT.search(page.decode())
        if status != 200 or not match:
            raise SystemExit(f"login page: HTTP {status}")
        body = urlencode({"csrfmiddlewaretoken": match.group(1), "username": username, "password": password})
        status, _ = self.request(
            "POST", "/accounts/login/", body.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise SystemExit(f"login of {username} failed: HTTP {status}")


# ---------------------------------------------------------------------------------------------------------
# B1: fixed rate


def fixed_rate(url: str, rate: float, seconds: float, threads: int) -> dict:
    parts = urlsplit(url)
    base, path = f"{parts.scheme}://{parts.netloc}", parts.path or "/"
    total = int(rate * seconds)
    start = time.perf_counter() + 0.5
    latencies: list[float] = []
    services: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        session = Session(base, timeout=10)
        mine_lat, mine_svc = [], []
        for i in range(k, total, threads):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            try:
                status, _ = session.request("GET", path)
            except OSError as exc:
                with lock:
                    errors.append(repr(exc))
                session.close()
                continue
            done = time.perf_counter()
            if status != 200:
                with lock:
                    errors.append(f"HTTP {status}")
            mine_lat.append(done - due)
            mine_svc.append(done - sent)
        session.close()
        with lock:
            latencies.extend(mine_lat)
            services.extend(mine_svc)

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "requests": total,
        "achieved_per_s": round(len(latencies) / elapsed, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "latency_from_due_time": summary_ms(latencies),
        "service_time_from_send": summary_ms(services),
    }


# ---------------------------------------------------------------------------------------------------------
# B3/B4 over HTTP


def timed(session: Session, path: str, reps: int, warm: int = 2) -> tuple[dict, list[float]]:
    for _ in range(warm):
        status, _ = session.request("GET", path)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        status, _ = session.request("GET", path)
        times.append(time.perf_counter() - t0)
        if status != 200:
            raise SystemExit(f"{path}: HTTP {status}")
    return {"path": path, **summary_ms(times)}, times


def pages(base: str, plan: dict, reps: int) -> dict:
    sessions: dict[str, Session] = {}

    def session_of(username: str) -> Session:
        if username not in sessions:
            sessions[username] = Session(base)
            sessions[username].login(username, plan["password"])
        return sessions[username]

    out = {"user": plan["province_login"], "pages": {}}
    for name, page in plan["http_pages"].items():
        out["pages"][name], _ = timed(session_of(page["login"]), page["path"], reps)
        out["pages"][name]["user"] = page["login"]
    session = session_of(plan["province_login"])
    everything, per_query = [], []
    for query in plan["queries"]:
        result, times = timed(session, "/documents/search/?q=" + quote(query), max(3, reps // 4), warm=1)
        per_query.append({"query": query, "p50_ms": result["p50_ms"], "max_ms": result["max_ms"]})
        everything += times
    out["search"] = {"overall": summary_ms(everything), "queries": per_query}
    for each in sessions.values():
        each.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    fr = sub.add_parser("fixed-rate")
    fr.add_argument("--url", required=True)
    fr.add_argument("--rate", type=float, default=200)
    fr.add_argument("--seconds", type=float, default=30)
    fr.add_argument("--threads", type=int, default=8)
    pg = sub.add_parser("pages")
    pg.add_argument("--base", required=True)
    pg.add_argument("--plan", type=Path, required=True)
    pg.add_argument("--reps", type=int, default=20)
    args = parser.parse_args()
    if args.action == "fixed-rate":
        result = fixed_rate(args.url, args.rate, args.seconds, args.threads)
    else:
        result = pages(args.base, json.loads(args.plan.read_text(encoding="utf-8")), args.reps)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
