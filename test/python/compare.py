"""Compares the CloudFormation templates of two cloud assemblies (Python app, TypeScript twin).

Every `*.template.json` of either folder must exist in both and be equal as JSON: nothing is normalised
(asset hashes are content hashes of the same bundles, so they agree too). Prints one `ok - ...` or
`not ok - ...` line, with a diff of the first differing template.

Usage: python compare.py NAME PYTHON_CDK_OUT TYPESCRIPT_CDK_OUT
"""
import difflib
import json
import os
import sys

name, python_out, typescript_out = sys.argv[1:4]


def templates(folder):
    if not os.path.isdir(folder):
        return {}
    return {
        file: json.load(open(os.path.join(folder, file), encoding="utf8"))
        for file in sorted(os.listdir(folder)) if file.endswith(".template.json")
    }


python, typescript = templates(python_out), templates(typescript_out)
if not python or not typescript:
    print(f"not ok - {name}: a template from both apps (Python: {len(python)}, TypeScript: {len(typescript)});"
          " an app run by `cdk synth` must synthesize itself (in Python: `app.synth()` as its last line)")
    sys.exit(0)
if python.keys() != typescript.keys():
    print(f"not ok - {name}: the same stacks (Python: {sorted(python)}, TypeScript: {sorted(typescript)})")
    sys.exit(0)
for file in python:
    if python[file] != typescript[file]:
        dump = lambda template: json.dumps(template, indent=1, sort_keys=True).splitlines()
        diff = list(difflib.unified_diff(dump(typescript[file]), dump(python[file]), "typescript/" + file, "python/" + file, lineterm=""))
        print(f"not ok - {name}: {file} of the Python app differs from the TypeScript app's")
        print("\n".join(diff[:80]))
        sys.exit(0)
resources = sum(len(template.get("Resources", {})) for template in python.values())
print(f"ok - {name}: the Python app's {len(python)} template(s) ({resources} resources) equal the TypeScript app's")
