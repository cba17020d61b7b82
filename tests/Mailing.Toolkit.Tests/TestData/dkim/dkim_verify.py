#!/usr/bin/python3
"""Independent DKIM oracle for the tests: verifies every DKIM-Signature of a message with dkimpy (python3-dkim).

usage: dkim_verify.py MESSAGE RECORDS.json
RECORDS.json maps DNS names to TXT values, e.g. {"sel._domainkey.example.test": "v=DKIM1; k=rsa; p=..."}; there is no
DNS here, so dnsfunc answers from it alone. Prints one line per signature: "<index> <d> <s> pass|fail <reason>".
Exit code 0 when there is at least one signature and every one verifies, 1 when one fails, 2 when there is none.
"""
import json
import logging
import sys

import dkim

logging.basicConfig(level=logging.ERROR)


def main():
    message = open(sys.argv[1], "rb").read()
    records = {k.lower().rstrip("."): v for k, v in json.load(open(sys.argv[2])).items()}

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        value = records.get(name.lower().rstrip("."))
        return value.encode("ascii") if value is not None else None

    parsed = dkim.DKIM(message)
    count = sum(1 for name, _ in parsed.headers if name.lower() == b"dkim-signature")
    if count == 0:
        print("no DKIM-Signature")
        return 2

    failed = 0
    for index in range(count):
        verifier = dkim.DKIM(message)
        try:
            ok = verifier.verify(idx=index, dnsfunc=dnsfunc)
            reason = "" if ok else "signature did not verify"
        except dkim.DKIMException as error:
            ok, reason = False, str(error)
        sig = verifier.signature_fields or {}
        d = sig.get(b"d", b"?").decode()
        s = sig.get(b"s", b"?").decode()
        print(f"{index} {d} {s} {'pass' if ok else 'fail'} {reason}".rstrip())
        failed += 0 if ok else 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
