"""The public API under schemathesis: generated requests — at the schema's edges
(coverage), at random (fuzzing) and in sequences that follow the document's links
(stateful) — as an admin and as a member. None may be answered with a 5xx, and every
answer must match the OpenAPI document (status documented, content type, schema).

The fuzzer changes whatever it may (settings, users, units...), so it gets a stack of
its own; calls that would lock the fuzzing accounts out are aimed at a decoy
(``fuzz_hooks.py``). The run is bounded — examples per operation, steps per sequence —
to stay within about three minutes on a two-core machine.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpdesk_devstack.stack import Stack

# Its own stack starts (minutes on a busy two-core machine), then about three minutes of requests.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "fuzz-" + secrets.token_hex(8)
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Who runs which phases, with how many examples per operation (fuzzing) and per state
# machine (stateful): the run's bound. The member's random fuzzing adds little to its
# coverage phase (which already sends every edge case as a member, mostly met by 403/404)
# and cost about forty seconds, so the member runs coverage and sequences only.
PLAN = {"admin": (4, ("coverage", "fuzzing", "stateful")), "member": (2, ("coverage", "stateful"))}


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {"HELPDESK_ADMIN_PASSWORD": PASSWORD, "HELPDESK_LOG_LEVEL": "WARNING"}
    stack = Stack(
        ROOT / "devstack.toml", tmp_path_factory.mktemp("fuzz"), durable=False, env=env, ready_timeout=240
    )
    stack.start()
    yield stack
    stack.stop()


def _accounts(url: str) -> dict[str, Any]:
    """An admin and a member, each with a personal API token, and a decoy user."""
    with httpx.Client(base_url=url, timeout=10) as http:
        login = http.post("/api/v1/auth/login", json={"login": "system", "password": PASSWORD})
        admin = login.raise_for_status().json()
        auth = {"Authorization": f"Bearer {admin['access_token']}"}
        unit = http.post("/api/v1/units", json={"name": "Fuzz"}, headers=auth).raise_for_status().json()
        people = {}
        for login_name in ("member", "decoy"):
            body = {
                "login": login_name,
                "password": PASSWORD,
                "full_name": login_name.title(),
                "kind": "staff",
                "role": "unit_member",
                "unit_ids": [unit["id"]],
            }
            people[login_name] = http.post("/api/v1/users", json=body, headers=auth).raise_for_status().json()
        member_login = http.post("/api/v1/auth/login", json={"login": "member", "password": PASSWORD})
        member_auth = {"Authorization": f"Bearer {member_login.raise_for_status().json()['access_token']}"}
        tokens = {
            "admin": http.post("/api/v1/me/tokens", json={"name": "fuzz"}, headers=auth).json(),
            "member": http.post("/api/v1/me/tokens", json={"name": "fuzz"}, headers=member_auth).json(),
        }
    return {
        "tokens": {who: t["token"] for who, t in tokens.items()},
        "env": {
            "FUZZ_PROTECTED_USERS": f"{admin['user']['id']},{people['member']['id']}",
            "FUZZ_PROTECTED_TOKENS": ",".join(str(t["id"]) for t in tokens.values()),
            "FUZZ_DECOY_USER": str(people["decoy"]["id"]),
        },
    }


def _run(
    url: str, token: str, phase: str, examples: int, env: dict[str, str], report: Path
) -> dict[str, Any]:
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "run",
        f"{url}/api/v1/openapi.json",
        "--phases",
        phase,
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        str(examples),
        "--seed",
        "20261203",
        "--no-shrink",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    hooks = {"SCHEMATHESIS_HOOKS": str(Path(__file__).resolve().parent / "fuzz_hooks.py")}
    # Run where the report goes: schemathesis keeps a cache folder in its working directory.
    done = subprocess.run(
        command,
        env={**os.environ, **env, **hooks},
        cwd=report.parent,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    result: dict[str, Any] = json.loads(report.read_text())
    result["output"] = done.stdout[-6000:] + done.stderr[-2000:]
    return result


def test_no_generated_request_is_a_server_error_or_breaks_the_document(
    fuzz_stack: Stack, tmp_path: Path
) -> None:
    url = fuzz_stack.gateway_url
    accounts = _accounts(url)
    rows, failed = [], []
    for who, (examples, phases) in PLAN.items():
        for phase in phases:
            result = _run(
                url,
                accounts["tokens"][who],
                phase,
                examples,
                accounts["env"],
                tmp_path / f"{who}-{phase}.json",
            )
            cases = result["test_cases"]
            rows.append(f"{who:7} {phase:9} {cases['generated']:6} requests {result['running_time']:6.1f} s")
            if result["failures"] or result["errors"] or cases["errored"]:
                failed.append(
                    f"--- {who} {phase}: {result['failures']} {result['errors']}\n{result['output']}"
                )
    print("\nschemathesis (who, phase, requests, seconds):\n" + "\n".join(rows))  # noqa: T201
    assert not failed, "\n".join(failed)
