"""Schemathesis hooks and checks of our own (loaded by scripts/fuzz-api through SCHEMATHESIS_HOOKS).

before_call: the fuzzer's own user and session (FUZZ_PROTECTED_IDS) are never the target of a
path, so that changing that user's password or revoking that session -- which correctly ends the
session -- cannot leave the rest of the run answering 401. Applied to every call, the stateful
phase's included: its ids come from responses (GET /token lists the fuzzer's own session), not
from the generator, and a generation-time hook let one `DELETE /token/{id}` end the run's session.

no_secret_in_response: no response carries a secret -- neither the known ones the fuzz run set
up (a bucket secret, a password; FUZZ_SECRETS) nor any long secret or password the request itself
sent, except where the contract shows it once (a new repository key's own, generated secret).
"""
import json
import os
import uuid

import schemathesis

KNOWN = [s for s in os.environ.get("FUZZ_SECRETS", "").split(",") if s]
SECRET_FIELDS = {"secret", "password"}
PROTECTED = {s for s in os.environ.get("FUZZ_PROTECTED_IDS", "").split(",") if s}


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    for name, value in list((case.path_parameters or {}).items()):
        if isinstance(value, str) and any(protected in value.lower() for protected in PROTECTED):
            case.path_parameters[name] = str(uuid.uuid4())


def _sent_secrets(body):
    """Secret-named values of at least 12 characters the request sent, unless the same text was
    also sent in a field that may be echoed (then finding it proves nothing)."""
    if not isinstance(body, dict):
        return []
    others = {str(v) for k, v in body.items() if k not in SECRET_FIELDS}
    return [
        v for k, v in body.items()
        if k in SECRET_FIELDS and isinstance(v, str) and len(v) >= 12 and v not in others
        and not any(v in o for o in others)
    ]


@schemathesis.check
def no_secret_in_response(ctx, response, case):
    text = response.content.decode("utf-8", errors="replace") if response.content else ""
    for secret in KNOWN + _sent_secrets(case.body):
        if secret in text or json.dumps(secret)[1:-1] in text:
            raise AssertionError(f"a secret appears in the response of {case.method} {case.path}")
