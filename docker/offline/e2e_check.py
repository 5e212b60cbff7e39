#!/usr/bin/python3
"""Reads the Compose stack's topics from the host, as a client outside the stack (librdkafka,
read_committed, every partition from the start to its end), for compose-e2e.sh:

    e2e_check.py count [--topics T...]  # one line: committed records per topic (default: all), as JSON
    e2e_check.py check --jar BLT_JAR    # checks the outputs against the input and an offline run
    e2e_check.py models [--switches]    # per model_id of the record scores: records, bytes, bits/byte

`check`, in record segmentation (the compose job's --segmentation record):
  - per key of blt.bytes: the patches' bytes, in (record_index, patch_index) order, concatenate to
    the key's records, and each record's patches concatenate to that record;
  - no (stream, record, patch) twice in patches, embeddings or predictions, and the same set in
    all three; exactly one record score per input record, with its byte and patch counts;
  - per key, the job's patches equal, byte for byte, those of the offline CLI on the same records
    (`blt patch --segmentation record --format jsonl`, one record per line); --no-offline skips
    this one (after a model rollout the offline definition is two models', which ModelRolloutIT
    checks).
Exit status 1 on any mismatch. Needs Debian's python3-confluent-kafka and python3-avro.
"""
import argparse
import base64
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
from blt_avro import SingleObjectCodec  # noqa: E402

OUTPUTS = ["blt.patches", "blt.embeddings", "blt.predictions", "blt.record-scores", "blt.dlq"]


def read_topic(bootstrap, topic, timeout_s=60.0):
    """[(key, value)] of every committed record of the topic, partition by partition in order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "blt-e2e-check",
                         "isolation.level": "read_committed", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    try:
        meta = consumer.list_topics(topic, timeout=10)
        parts = sorted(meta.topics[topic].partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in parts])  # offset 0: from the start
        out = {p: [] for p in parts}
        at_end = set()
        idle = 0
        while len(at_end) < len(parts):
            msg = consumer.poll(0.5)
            if msg is None:
                idle += 0.5
                if idle > timeout_s:
                    raise TimeoutError(f"{topic}: no end of partitions {set(parts) - at_end} within {timeout_s} s")
                continue
            idle = 0
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                    continue
                raise KafkaException(msg.error())
            out[msg.partition()].append((msg.key(), msg.value()))
        return [kv for p in parts for kv in out[p]]
    finally:
        consumer.close()


def count(args):
    topics = args.topics or ["blt.bytes"] + OUTPUTS
    print(json.dumps({t: len(read_topic(args.bootstrap_servers, t)) for t in topics}))


def offline_patches(jar, records):
    """The offline CLI's patches of one key's records: [(record_index, patch_index, bytes)]."""
    with tempfile.NamedTemporaryFile(suffix=".log") as f:
        f.write(b"\n".join(records) + b"\n")
        f.flush()
        run = subprocess.run(["java", "-jar", jar, "patch", "--segmentation", "record", "--format", "jsonl", f.name],
                             check=True, capture_output=True)
    out = []
    for line in run.stdout.decode().splitlines():
        p = json.loads(line)
        out.append((p["record"], p["index"], base64.b64decode(p["bytes_base64"])))
    return out


def check(args):
    codec = SingleObjectCodec()
    problems = []
    inputs = collections.defaultdict(list)  # key -> [record bytes], in order
    for key, value in read_topic(args.bootstrap_servers, "blt.bytes"):
        inputs[key.decode()].append(value or b"")

    decoded = {}
    for topic in OUTPUTS:
        decoded[topic] = [codec.decode(v)[1] for _, v in read_topic(args.bootstrap_servers, topic)]

    def ids(topic):
        keys = [(r["stream_id"], r["record_index"], r["patch_index"]) for r in decoded[topic]]
        dup = len(keys) - len(set(keys))
        if dup:
            problems.append(f"{topic}: {dup} duplicate (stream, record, patch) ids")
        return set(keys)

    patch_ids = ids("blt.patches")
    for topic in ("blt.embeddings", "blt.predictions"):
        if ids(topic) != patch_ids:
            problems.append(f"{topic}: its (stream, record, patch) ids differ from blt.patches'")

    patches = collections.defaultdict(list)
    for p in decoded["blt.patches"]:
        patches[p["stream_id"]].append(p)
    scores = collections.defaultdict(dict)
    for s in decoded["blt.record-scores"]:
        if s["record_index"] in scores[s["stream_id"]]:
            problems.append(f"record score {s['stream_id']}#{s['record_index']} twice")
        scores[s["stream_id"]][s["record_index"]] = s

    offline_total = 0
    for key in sorted(set(inputs) | set(patches)):
        records = inputs.get(key, [])
        mine = sorted(patches.get(key, []), key=lambda p: (p["record_index"], p["patch_index"]))
        if b"".join(p["bytes"] for p in mine) != b"".join(records):
            problems.append(f"{key}: the patches' bytes do not concatenate to the key's records")
        per_record = collections.defaultdict(list)
        for p in mine:
            per_record[p["record_index"]].append(p["bytes"])
        for i, rec in enumerate(records):
            if b"".join(per_record.get(i, [])) != rec:
                problems.append(f"{key}#{i}: the record's patches do not join to the record")
            s = scores[key].get(i)
            if s is None:
                problems.append(f"{key}#{i}: no record score")
            elif s["bytes"] != len(rec) or s["patches"] != len(per_record.get(i, [])):
                problems.append(f"{key}#{i}: record score says {s['bytes']} bytes / {s['patches']} patches")
        if set(scores[key]) - set(range(len(records))):
            problems.append(f"{key}: record scores for records that are not in the input")
        if args.no_offline:
            continue
        off = offline_patches(args.jar, records)
        offline_total += len(off)
        if [(p["record_index"], p["patch_index"], p["bytes"]) for p in mine] != off:
            problems.append(f"{key}: {len(mine)} patches, the offline CLI gives {len(off)} (or other bytes)")

    n_in = sum(len(r) for r in inputs.values())
    summary = {
        "keys": len(inputs),
        "input_records": n_in,
        "input_bytes": sum(len(x) for r in inputs.values() for x in r),
        "patches": len(decoded["blt.patches"]),
        "patch_bytes": sum(len(p["bytes"]) for p in decoded["blt.patches"]),
        "offline_patches": None if args.no_offline else offline_total,
        "embeddings": len(decoded["blt.embeddings"]),
        "predictions": len(decoded["blt.predictions"]),
        "record_scores": len(decoded["blt.record-scores"]),
        "dead_letters": len(decoded["blt.dlq"]),
        "problems": len(problems),
    }
    print(json.dumps(summary))
    for p in problems[:20]:
        print("PROBLEM: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


def models(args):
    """One JSON line per model_id of blt.record-scores, in the order the models first appear: the
    records and bytes scored under it and their bits per byte (byte-weighted mean of the records'
    mean_bits_per_byte), and with --switches how many streams it handed over (its patches closed
    with MODEL_SWITCH; that reads all of blt.patches, the largest topic)."""
    codec = SingleObjectCodec()
    per_model = {}
    for _, v in read_topic(args.bootstrap_servers, "blt.record-scores"):
        s = codec.decode(v)[1]
        m = per_model.setdefault(s["model_id"], {"model_id": s["model_id"], "records": 0, "bytes": 0, "bits": 0.0})
        m["records"] += 1
        m["bytes"] += s["bytes"]
        m["bits"] += s["bytes"] * s["mean_bits_per_byte"]
    switches = collections.Counter()
    if args.switches:
        switches.update(p["model_id"] for p in
                        (codec.decode(v)[1] for _, v in read_topic(args.bootstrap_servers, "blt.patches"))
                        if p["close_reason"] == "MODEL_SWITCH")
    for m in per_model.values():
        m["bits_per_byte"] = round(m.pop("bits") / max(1, m["bytes"]), 4)
        if args.switches:
            m["streams_switched_from"] = switches.get(m["model_id"], 0)
        print(json.dumps(m))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default="localhost:29092")
    sub = parser.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("count")
    # The waits poll often: reading only the topics they need keeps the embeddings (the bulk) out.
    n.add_argument("--topics", nargs="+")
    c = sub.add_parser("check")
    c.add_argument("--jar", required=True)
    c.add_argument("--no-offline", action="store_true", help="skip the comparison with the offline CLI")
    m = sub.add_parser("models")
    m.add_argument("--switches", action="store_true", help="also count each model's MODEL_SWITCH patches")
    args = parser.parse_args()
    {"count": count, "check": check, "models": models}[args.cmd](args)


if __name__ == "__main__":
    main()
