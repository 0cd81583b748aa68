#!/usr/bin/env python3
"""Expand a SAM template into plain CloudFormation JSON (printed to stdout).

Why: cfn-lint >= 1.58 no longer runs the SAM transform; it lints AWS::Serverless::*
against SAM schemas and misses e.g. a bad Runtime or AuthType. Linting the
transformed output restores those checks.

Usage: sam_to_cfn.py template.yaml > out.json && cfn-lint --regions us-east-1 out.json
Offline: no credentials or AWS calls are needed (AWS_DEFAULT_REGION must be set).
"""
import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# The translator wants an S3 URI; a local path is only meaningful to `sam build`.
PLACEHOLDER_URI = "s3://placeholder-bucket/code.zip"
CODE_URI_TYPES = {"AWS::Serverless::Function"}


class OfflinePolicyLoader:
    """Managed-policy name -> ARN lookups would call IAM; inline policies need none."""

    def load(self):
        return {}


def replace_local_code_uris(template):
    def fix(props):
        uri = props.get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            props["CodeUri"] = PLACEHOLDER_URI

    fix(template.get("Globals", {}).get("Function", {}))
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") in CODE_URI_TYPES:
            fix(resource.setdefault("Properties", {}))


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} TEMPLATE", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    replace_local_code_uris(template)
    try:
        output = transform(template, {}, OfflinePolicyLoader())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print(f"sam_to_cfn: {cause.message}", file=sys.stderr)
        return 1
    json.dump(output, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
