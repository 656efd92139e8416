"""Schemathesis hooks for tests/e2e/test_api_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

The fuzzer may do anything an admin or a member may do, which includes disabling,
demoting or re-passwording its own account and revoking its own API token — after
which every later request would be a 401 and test nothing. So the calls that would
change the fuzzing accounts or their tokens are aimed at a decoy instead; everything
else goes out as generated.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis


def _ids(name: str) -> set[int]:
    return {int(v) for v in os.environ.get(name, "").split(",") if v}


PROTECTED_USERS = _ids("FUZZ_PROTECTED_USERS")
PROTECTED_TOKENS = _ids("FUZZ_PROTECTED_TOKENS")
DECOY_USER = int(os.environ.get("FUZZ_DECOY_USER", "0") or 0)
NO_SUCH_TOKEN = 2**62


# Webhooks the fuzzer makes stay harmless: off, and aimed at a closed port of this
# machine (allowed by their range, so they save and the routes past saving are fuzzed too).
HARMLESS_WEBHOOK = {"enabled": False, "url": "http://127.0.0.1:9/fuzz", "allowed_cidr": "127.0.0.1/32"}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.path in ("/api/v1/webhooks", "/api/v1/webhooks/{webhook_id}") and isinstance(case.body, dict):
        case.body.update(HARMLESS_WEBHOOK)
    params = case.path_parameters
    if not params or case.method.upper() not in ("PATCH", "DELETE", "PUT", "POST"):
        return
    # Generated values may be ints or their text (the coverage phase sends strings too).
    if _id(params.get("user_id")) in PROTECTED_USERS and DECOY_USER:
        params["user_id"] = DECOY_USER
    if _id(params.get("token_id")) in PROTECTED_TOKENS:
        params["token_id"] = NO_SUCH_TOKEN
    if os.environ.get("FUZZ_HOOK_LOG"):
        with open(os.environ["FUZZ_HOOK_LOG"], "a") as log:
            log.write(f"{case.method} {case.path} {params}\n")


def _id(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None
