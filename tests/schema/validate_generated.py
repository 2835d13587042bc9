#!/usr/bin/python3
"""Validates every policy netpolgen generates for the golden cases against the networking.k8s.io/v1
NetworkPolicy JSON schema in ../shared/schemas (strict: unknown fields are errors).

Both outputs are checked: the JSON (`--format json`, its `apply` list) and the YAML people apply
(the default output, parsed with PyYAML, not netpolgen's reader). The YAML must hold the same
policies as the JSON, object for object, and at least MIN_POLICIES policies must have been
validated in all, so that a run that validates nothing (no cases found, empty output) fails.

usage: validate_generated.py NETPOLGEN_BINARY
"""
import json
import os
import string
import subprocess
import sys

import jsonschema
import yaml

MIN_POLICIES = 40

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
    args = [a for a in args if a not in ("--format", "json", "-o", "--output")]
    out = subprocess.run([binary] + args + ["--format", "json", "--quiet"], capture_output=True, text=True)
    out_yaml = subprocess.run([binary] + args + ["--quiet"], capture_output=True, text=True)
    if out.returncode != 0 or out_yaml.returncode != 0:
        print(f"FAIL {name}: exit {out.returncode}/{out_yaml.returncode}: {out.stderr.strip()} {out_yaml.stderr.strip()}")
        failed += 1
        continue
    from_json = json.loads(out.stdout)["apply"]
    from_yaml = [d for d in yaml.safe_load_all(out_yaml.stdout) if d is not None]
    if from_yaml != from_json:
        failed += 1
        print(f"FAIL {name}: the YAML holds {len(from_yaml)} documents that differ from the "
              f"{len(from_json)} policies of the JSON")
    for source, policies in (("json", from_json), ("yaml", from_yaml)):
        for policy in policies:
            errors = sorted(validator.iter_errors(policy), key=lambda e: list(e.path))
            if errors:
                failed += 1
                print(f"FAIL {name} ({source}): {policy['metadata']['namespace']}/{policy['metadata']['name']}: "
                      f"{errors[0].message} at {list(errors[0].path)}")
            else:
                passed += 1
if passed < MIN_POLICIES:
    failed += 1
    print(f"FAIL: only {passed} policies validated, fewer than {MIN_POLICIES}")
print(f"schema: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
