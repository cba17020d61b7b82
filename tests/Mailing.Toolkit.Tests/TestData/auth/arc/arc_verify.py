#!/usr/bin/python3
"""Independent ARC oracle for the tests: validates the ARC chain of a message with dkimpy (python3-dkim).

usage: arc_verify.py MESSAGE RECORDS.json
RECORDS.json maps DNS names to TXT values; there is no DNS here, so dnsfunc answers from it alone.
Prints one JSON object:
  cv      the chain result: "pass", "fail", "none", or null when the newest seal says cv=fail (dkimpy ends the chain)
  reason  dkimpy's explanation
  sets    per instance, newest first: instance, cv, as_valid, ams_valid (dkimpy checks each seal over every set up to it)
  newest_seal_alone  whether the newest ARC-Seal verifies over its own set only, the scope RFC 8617 section 5.1.2
                     gives a cv=fail seal (null when there is no ARC set)
"""
import json
import logging
import re
import sys

import dkim

logging.basicConfig(level=logging.CRITICAL)


def main():
    message = open(sys.argv[1], "rb").read()
    records = {k.lower().rstrip("."): v for k, v in json.load(open(sys.argv[2])).items()}

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        value = records.get(name.lower().rstrip("."))
        return value.encode("ascii") if value is not None else None

    try:
        cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)
    except dkim.DKIMException as error:
        cv, results, reason = b"fail", [], str(error)

    out = {
        "cv": cv.decode() if cv is not None else None,
        "reason": reason,
        "sets": [
            {
                "instance": r["instance"],
                "cv": r.get("cv", b"").decode(),
                "as_valid": bool(r.get("as-valid")),
                "ams_valid": bool(r.get("ams-valid")),
            }
            for r in results
        ],
        "newest_seal_alone": newest_seal_alone(message, dnsfunc),
    }
    print(json.dumps(out))
    return 0


def newest_seal_alone(message, dnsfunc):
    """Verifies the newest seal in a copy of the message that keeps only the newest ARC set's three header fields."""
    highest, _ = dkim.ARC(message).sorted_arc_headers()
    if highest == 0:
        return None
    head, _, body = message.partition(b"\r\n\r\n")
    fields = split_fields(head)
    newest = [f for f in fields if f.lower().startswith(b"arc-") and instance_of(f) == highest]
    kept = [f for f in fields if not f.lower().startswith(b"arc-")]
    only = b"".join(newest) + b"".join(kept) + b"\r\n" + body
    alone = dkim.ARC(only)
    _, alone_headers = alone.sorted_arc_headers()
    try:
        return bool(alone.verify_instance(alone_headers, highest, dnsfunc=dnsfunc)["as-valid"])
    except dkim.DKIMException:
        return False


def instance_of(field):
    """The i= of an ARC header field (the first tag of an ARC-Authentication-Results, any tag of the others)."""
    value = field.split(b":", 1)[1].replace(b"\r\n", b"")
    match = re.search(rb"(?:^|;)\s*i\s*=\s*(\d+)", value)
    return int(match.group(1)) if match else None


def split_fields(head):
    """The header fields of a message head, each with its folded lines and final CRLF."""
    fields = []
    for line in (head + b"\r\n").split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line + b"\r\n"
        else:
            fields.append(line + b"\r\n")
    return fields


if __name__ == "__main__":
    sys.exit(main())
