#!/usr/bin/python3
"""Produce a file's lines as Avro ByteChunk records (for `blt run --input-format avro`): one record
per line, stream_id = --stream-id, sequence counting from 0, keyed by the stream id so a stream
stays in one partition, in order.

    /usr/bin/python3 examples/produce_avro.py --bootstrap-servers localhost:9092 --stream-id web-01 access.log

Use a new --session (any string, for example a start time) when a producer restarts from scratch:
the job then accepts sequence 0 again instead of dead-lettering it as a replay. Needs Debian's
python3-confluent-kafka and python3-avro.
"""
import argparse
import time

from confluent_kafka import Producer

from blt_avro import SingleObjectCodec


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--topic", default="blt.bytes")
    parser.add_argument("--stream-id", required=True)
    parser.add_argument("--session", default=None, help="producer session; default: none")
    args = parser.parse_args()
    codec = SingleObjectCodec()
    producer = Producer({"bootstrap.servers": args.bootstrap_servers, "enable.idempotence": True})
    sent = 0
    with open(args.file, "rb") as f:
        for sequence, line in enumerate(f):
            value = codec.encode("ByteChunk", {"stream_id": args.stream_id, "sequence": sequence, "payload": line,
                                               "event_time_ms": int(time.time() * 1000),
                                               "producer_session": args.session})
            producer.produce(args.topic, key=args.stream_id.encode(), value=value)
            producer.poll(0)
            sent += 1
    producer.flush()
    print(f"produced {sent} ByteChunk records to {args.topic} (stream {args.stream_id})")


if __name__ == "__main__":
    main()
