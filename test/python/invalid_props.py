"""A prop the construct refuses reaches a Python app as the construct's own sentence.

Each case builds a lake with one invalid prop and expects the exception's message to begin with
`HealthDataLake: <prop> must be` and to name the value given, as the TypeScript construct throws it
(src/prop-rules.ts). Prints one `ok - ...` / `not ok - ...` line per case.
"""
from aws_cdk import App, Duration, RemovalPolicy, Stack
from cdk_health_data_lake import HealthDataLake

CASES = [
    ("maxMessageBytes", "got 0", dict(max_message_bytes=0)),
    ("lakeName", 'got "lake with spaces"', dict(lake_name="lake with spaces")),
    ("credentialCacheTtl", "got 2 hours", dict(credential_cache_ttl=Duration.hours(2))),
    ("removalPolicy", "got RemovalPolicy.SNAPSHOT", dict(removal_policy=RemovalPolicy.SNAPSHOT)),
]

for prop, value, props in CASES:
    try:
        HealthDataLake(Stack(App(), "Invalid"), "Lake", **props)
        print(f"not ok - {prop}: an invalid value is refused in Python (nothing was raised)")
        continue
    except Exception as error:  # what jsii raises: the kernel's error, with the construct's message
        message = str(error)
    first_line = message.splitlines()[0] if message else ""
    expected = f"HealthDataLake: {prop} must be "
    if first_line.startswith(expected) and value in first_line:
        print(f"ok - {prop}: Python sees the construct's sentence: {first_line}")
    else:
        print(f"not ok - {prop}: Python should see a sentence beginning {expected!r} and naming {value!r}; it saw {message[:300]!r}")
