#!/usr/bin/python3
"""Validates every policy netpolgen generates for the golden cases against the networking.k8s.io/v1
NetworkPolicy JSON schema in ../shared/schemas (strict: unknown fields are errors).

usage: validate_generated.py NETPOLGEN_BINARY
"""
import json
import os
import string
import subprocess
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
shared = os.environ.get("NETPOLGEN_SHARED_DIR", os.path.join(root, "..", "shared"))
schema = json.load(open(os.path.join(shared, "schemas", "networkpolicy-networking-v1.json")))
validator = jsonschema.Draft7Validator(schema)

binary = sys.argv[1]
cases = os.path.join(root, "tests", "golden", "cases")
env = {"SHARED": shared, "ROOT": root, "GOLDEN": os.path.join(root, "tests", "golden")}
passed = failed = 0
for name in sorted(os.listdir(cases)):
    if not name.endswith(".args") or name.startswith("bad-"):
        continue
    args = string.Template(open(os.path.join(cases, name)).read()).substitute(env).split()
    if args[0] not in ("generate", "demo"):
        continue  # other commands print reports, not policies
    args = [a for a in args if a not in ("--format", "json")] + ["--format", "json", "--quiet"]
    out = subprocess.run([binary] + args, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"FAIL {name}: exit {out.returncode}: {out.stderr.strip()}")
        failed += 1
        continue
    for policy in json.loads(out.stdout)["apply"]:
        errors = sorted(validator.iter_errors(policy), key=lambda e: list(e.path))
        if errors:
            failed += 1
            print(f"FAIL {name}: {policy['metadata']['namespace']}/{policy['metadata']['name']}: "
                  f"{errors[0].message} at {list(errors[0].path)}")
        else:
            passed += 1
print(f"schema: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
