"""helm test: is the installed release serving? Run by the test hook Pod in the gateway image.

Three requests, each through the path users and other services take:
- the gateway's readiness (port ops): it answers 200 only when identity, tickets,
  notify and sla answer its gRPC health checks;
- the web UI (port http): the page every user opens;
- a sign-in with an account that does not exist (port http): the gateway asks
  identity, which looks in PostgreSQL and refuses it with a problem+json 401.
  (A made-up login: the real accounts' failed-sign-in limits are not touched.)
Realtime's readiness is asked too when SMOKE_REALTIME_OPS_URL is set.
Prints one line per check; exits 1 if any fails.
"""

import json
import os
import secrets
import sys
import urllib.error
import urllib.request


def status(url: str, body: dict[str, str] | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", "")
    except OSError as error:
        return 0, str(error)


def main() -> int:
    gateway, ops = os.environ["SMOKE_GATEWAY_URL"], os.environ["SMOKE_GATEWAY_OPS_URL"]
    login = {"login": f"helm-test-{secrets.token_hex(4)}", "password": secrets.token_hex(8)}
    checks = [
        ("gateway ready (its own process: readiness waits for no backend)", ops + "/readyz", None, 200, ""),
        ("web UI", gateway + "/", None, 200, "text/html"),
        ("unknown account refused", gateway + "/api/v1/auth/login", login, 401, "application/problem+json"),
    ]
    if os.environ.get("SMOKE_REALTIME_OPS_URL"):
        checks.append(("realtime ready", os.environ["SMOKE_REALTIME_OPS_URL"] + "/readyz", None, 200, ""))
    failed = 0
    for name, url, body, want, kind in checks:
        got, content_type = status(url, body)
        ok = got == want and content_type.startswith(kind)
        failed += not ok
        sys.stdout.write(f"{'ok  ' if ok else 'FAIL'} {name}: {url} -> {got} {content_type}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
