"""The package's description (what PyPI shows, from the wheel's METADATA), checked and written out.

Checks that every ```python example of the description is Python (it parses, and holds no TypeScript:
`new `, `const `, `let `, `=>`, `import {`, `;` at a line's end), that there are as many as the README has
TypeScript and Python examples together, and writes each one to OUT_DIR, ready to synthesize, with its
TypeScript twin from the README:
  NN.py, NN.ts  a whole app (it makes an `App()`): test:python synthesizes both and compares the templates.
                The twin of a translated example is the README's TypeScript example it was translated from;
                the twin of the README's own Python example is the TypeScript example before it.
  NN.py alone   a fragment (the README's compliance example, which plugs cdk-nag into an `app`): it runs
                after a prelude that makes that `app` with a lake, and must synthesize with no finding.
An app runs as written, as `cdk synth` runs it: it must call `app.synth()` itself (a Python app is not
synthesized at exit, unlike a Node.js one); a fragment gets `app.synth()` after it.
Prints `ok - ...` / `not ok - ...` per check, and a line `example NN app|fragment` per example written.

Usage: python description.py WHEEL README OUT_DIR
"""
import ast
import email
import os
import re
import sys
import zipfile

wheel, readme_path, out_dir = sys.argv[1:4]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
TYPESCRIPT = [
    ("new ", re.compile(r"\bnew [A-Z_a-z]")),
    ("const ", re.compile(r"^\s*(const|let) ", re.M)),
    ("=>", re.compile(r"=>")),
    ("import {", re.compile(r"^\s*import \{", re.M)),
    ("; at a line's end", re.compile(r";\s*(#.*)?$", re.M)),
]
PRELUDE = '''from aws_cdk import App, Stack
from cdk_health_data_lake import HealthDataLake

app = App()
HealthDataLake(Stack(app, "Lake"), "Lake")
'''


def ok(condition, text):
    print(("ok - " if condition else "not ok - ") + text, flush=True)
    return condition


with zipfile.ZipFile(wheel) as archive:
    metadata = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
    description = email.message_from_bytes(archive.read(metadata)).get_payload()

readme_blocks = [(language, text) for language, text in FENCE.findall(open(readme_path, encoding="utf8").read())]
examples = [text for language, text in FENCE.findall(description) if language == "python"]
left = [language for language, _ in FENCE.findall(description) if language in ("ts", "typescript", "js", "javascript")]
ok(not left, f"the description has no TypeScript or JavaScript examples left ({len(left)} found)")

# The README's TypeScript examples become Python ones, in the same order, and its Python ones stay.
sources = [(language, text) for language, text in readme_blocks if language in ("ts", "python")]
ok(len(examples) == len(sources) and len(examples) > 0,
   f"the description has a Python example for each of the README's {len(sources)} TypeScript and Python examples ({len(examples)} found)")

os.makedirs(out_dir, exist_ok=True)
last_typescript = None
for number, (python, (language, source)) in enumerate(zip(examples, sources), start=1):
    name = f"{number:02d}"
    where = f"example {name} of the description (README: the {'TypeScript' if language == 'ts' else 'Python'} example beginning {source.splitlines()[0]!r})"
    found = [label for label, pattern in TYPESCRIPT if pattern.search(python)]
    ok(not found, f"{where} holds no TypeScript" + (f" (found: {', '.join(found)})" if found else ""))
    try:
        ast.parse(python)
        ok(True, f"{where} is valid Python")
    except SyntaxError as error:
        ok(False, f"{where} is valid Python ({error})")
    if language == "ts":
        last_typescript = source
    twin = source if language == "ts" else last_typescript
    whole = "App()" in python
    with open(os.path.join(out_dir, f"{name}.py"), "w", encoding="utf8") as f:
        f.write(python if whole else PRELUDE + python + "\napp.synth()\n")
    if whole:
        with open(os.path.join(out_dir, f"{name}.ts"), "w", encoding="utf8") as f:
            f.write(twin)
    print(f"example {name} {'app' if whole else 'fragment'}", flush=True)
