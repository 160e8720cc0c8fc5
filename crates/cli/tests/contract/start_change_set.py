"""Validates StartChangeSet request bodies with botocore's own parameter validation.

Reads a JSON object (one body) or array (several bodies) on stdin, checks each against the
`marketplace-catalog` StartChangeSet input shape exactly as the AWS CLI and boto3 do before
sending, and prints one line per body. Exits 1 when any body is rejected, 3 when botocore is
missing (install it with `pip install botocore`).
"""

import json
import sys

try:
    import botocore.session
    from botocore.validate import ParamValidator
except ImportError:
    print("botocore is not installed: pip install botocore", file=sys.stderr)
    sys.exit(3)


def main() -> int:
    data = json.load(sys.stdin)
    bodies = data if isinstance(data, list) else [data]
    model = botocore.session.get_session().get_service_model("marketplace-catalog")
    shape = model.operation_model("StartChangeSet").input_shape
    failed = 0
    for i, body in enumerate(bodies):
        report = ParamValidator().validate(body, shape)
        if report.has_errors():
            failed += 1
            print(f"body {i}: REJECTED\n{report.generate_report()}")
        else:
            print(f"body {i}: ok ({len(body.get('ChangeSet', []))} changes)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
