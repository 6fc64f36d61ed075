"""schemathesis hooks for the role runs (`tests/fuzz/fuzz.py` loads them
through SCHEMATHESIS_HOOKS).

Idempotency-Key: the generator sends the spec's example key (or another
short value) again and again; the server keeps a caller's key with its
first 2xx answer and refuses the same key on any other request (409
`idempotency_key_reused`, the contract), so after the first success every
create of a run met that 409 and went unfuzzed. In positive cases (data
the schema accepts) the key is made fresh for each call; negative cases
are sent as generated (changing them would make schemathesis revalidate
the case as positive and put back a header the case meant to leave out). Reuse itself is tested end to end (`tests/e2e/push.rs`,
`tests/e2e/integrators.rs`) where the same key is meant.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[\x21-\x7E]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = case.meta
    if meta is None or meta.generation.mode.is_negative:
        return
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and VALID_KEY.match(headers[name]):
            headers[name] = str(uuid.uuid4())
