#!/usr/bin/python3
"""Validates Kubernetes manifests against the schemas vendored in k8s/schemas/, offline.

    kubectl kustomize k8s/overlays/cpu | k8s/validate.py        # or: k8s/validate.py FILE...

Every document must match a known apiVersion/kind: the core kinds in schemas/core.json (from the
Kubernetes OpenAPI models) or one of the CRD schemas (FlinkDeployment, Kafka, KafkaNodePool,
KafkaTopic). An object schema that lists its properties is closed, as the API server's strict
field validation (kubectl's default) is: an unknown or misspelt field is an error. A custom
resource's metadata is checked against the core ObjectMeta schema. Needs python3-yaml and
python3-jsonschema.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

SCHEMAS = pathlib.Path(__file__).resolve().parent / "schemas"
CRDS = {
    ("flink.apache.org/v1beta1", "FlinkDeployment"): "flink.apache.org_v1beta1_FlinkDeployment.json",
    ("kafka.strimzi.io/v1", "Kafka"): "kafka.strimzi.io_v1_Kafka.json",
    ("kafka.strimzi.io/v1", "KafkaNodePool"): "kafka.strimzi.io_v1_KafkaNodePool.json",
    ("kafka.strimzi.io/v1", "KafkaTopic"): "kafka.strimzi.io_v1_KafkaTopic.json",
}


def closed(node):
    """Copy of a schema where objects with listed properties admit no other field, as in a
    structural CRD schema without x-kubernetes-preserve-unknown-fields."""
    if isinstance(node, list):
        return [closed(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        # property names and definition names are names, not schemas: keep them, close their values
        out[key] = {k: closed(v) for k, v in value.items()} if key in ("properties", "definitions") \
            else closed(value)
    if "properties" in node and "additionalProperties" not in node \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def load_validators():
    core = json.loads((SCHEMAS / "core.json").read_text(encoding="utf-8"))
    definitions = core["definitions"]
    validators = {}
    for key, model in core["kinds"].items():
        api_version, kind = key.rsplit("/", 1)
        schema = {"$ref": "#/definitions/" + model, "definitions": definitions}
        validators[(api_version, kind)] = jsonschema.Draft7Validator(schema)
    for key, file_name in CRDS.items():
        schema = closed(json.loads((SCHEMAS / file_name).read_text(encoding="utf-8")))
        # the API server adds these to every custom resource schema
        schema["properties"].update(apiVersion={"type": "string"}, kind={"type": "string"},
                                    metadata={"$ref": "#/definitions/V1ObjectMeta"})
        schema.setdefault("definitions", {}).update(definitions)
        validators[key] = jsonschema.Draft7Validator(schema)
    return validators


def problems(doc, validators):
    if not isinstance(doc, dict):
        return ["not a mapping"]
    validator = validators.get((doc.get("apiVersion"), doc.get("kind")))
    if validator is None:
        return [f"no schema for apiVersion {doc.get('apiVersion')!r} kind {doc.get('kind')!r}"]
    found = [f"{'/'.join(map(str, e.absolute_path)) or '.'}: {e.message}"
             for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    if not (doc.get("metadata") or {}).get("name"):
        found.append("metadata.name: missing")
    return found


def main(paths):
    validators = load_validators()
    sources = [(p, pathlib.Path(p).read_text(encoding="utf-8")) for p in paths] or [("-", sys.stdin.read())]
    passed = failed = 0
    for source, text in sources:
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            meta = doc.get("metadata") or {} if isinstance(doc, dict) else {}
            name = f"{source}: {doc.get('kind') if isinstance(doc, dict) else '?'} " \
                   f"{meta.get('namespace', '-')}/{meta.get('name', '?')}"
            found = problems(doc, validators)
            if found:
                failed += 1
                print(f"FAIL {name}")
                for problem in found:
                    print(f"     {problem}")
            else:
                passed += 1
                print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
