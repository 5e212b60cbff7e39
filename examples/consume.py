#!/usr/bin/python3
"""Read the job's output topics as a consumer that is not the job's code: read_committed, every
value decoded from Avro (single-object encoding, or with --schema-registry-url the Schema Registry
wire format), one JSON object per line on stdout.

    /usr/bin/python3 examples/consume.py --bootstrap-servers localhost:9092 [--topics blt.patches ...]
    /usr/bin/python3 examples/consume.py --schema-registry-url http://registry:8081   # job run with it

Needs Debian's python3-confluent-kafka and python3-avro. Stops after --idle-seconds without a new
record (default 10), or never with --follow.
"""
import argparse
import base64
import json
import sys
import time

from confluent_kafka import Consumer

from blt_avro import NeedsSchemaRegistry, RegistryCodec, SingleObjectCodec

DEFAULT_TOPICS = ["blt.patches", "blt.embeddings", "blt.predictions", "blt.record-scores", "blt.dlq"]


def plain(value):
    """JSON-friendly: bytes as base64 (and as text when they are UTF-8), floats rounded."""
    if isinstance(value, bytes):
        try:
            return {"text": value.decode("utf-8"), "base64": base64.b64encode(value).decode()}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode()}
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--topics", nargs="+", default=DEFAULT_TOPICS)
    parser.add_argument("--group-id", default=f"blt-example-{int(time.time())}")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--follow", action="store_true", help="keep reading")
    parser.add_argument("--schema-registry-url", help="the registry the job was run with (--schema-registry-url)")
    args = parser.parse_args()

    codec = RegistryCodec(args.schema_registry_url) if args.schema_registry_url else SingleObjectCodec()
    consumer = Consumer({"bootstrap.servers": args.bootstrap_servers, "group.id": args.group_id,
                         "isolation.level": "read_committed", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    consumer.subscribe(args.topics)
    counts = {t: 0 for t in args.topics}
    last = time.time()
    try:
        while args.follow or time.time() - last < args.idle_seconds:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                print(f"consume.py: {msg.error()}", file=sys.stderr)
                continue
            last = time.time()
            try:
                name, record = codec.decode(msg.value())
            except NeedsSchemaRegistry as e:
                sys.exit(f"consume.py: {msg.topic()}: {e}")
            except ValueError as e:
                print(f"consume.py: {msg.topic()} partition {msg.partition()} offset {msg.offset()}: {e}", file=sys.stderr)
                continue
            counts[msg.topic()] += 1
            print(json.dumps({"topic": msg.topic(), "schema": name, "value": plain(record)}, ensure_ascii=False))
    finally:
        consumer.close()
    print("consume.py: " + ", ".join(f"{t} {n}" for t, n in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
