#!/usr/bin/python3
"""Create the job's topics (input, outputs, dead letters) with a partition count of your choice.

    /usr/bin/python3 examples/create_topics.py --bootstrap-servers localhost:9092 --partitions 4

--with-sql also creates the output topics of the Flink SQL example (examples/sql/blt.sql).

A stream (one Kafka key) stays in one partition, so partitions bound the job's useful parallelism.
Existing topics are left as they are. Needs Debian's python3-confluent-kafka.
"""
import argparse
import sys

from confluent_kafka.admin import AdminClient, NewTopic

TOPICS = ["blt.bytes", "blt.patches", "blt.embeddings", "blt.predictions", "blt.record-scores", "blt.dlq"]
SQL_TOPICS = ["blt.sql.patches", "blt.sql.record-scores"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--with-sql", action="store_true", help="also the SQL example's output topics")
    args = parser.parse_args()
    topics = TOPICS + (SQL_TOPICS if args.with_sql else [])
    admin = AdminClient({"bootstrap.servers": args.bootstrap_servers})
    existing = set(admin.list_topics(timeout=10).topics)
    wanted = [NewTopic(t, args.partitions, args.replication_factor) for t in topics if t not in existing]
    for topic, future in admin.create_topics(wanted).items() if wanted else []:
        future.result()
        print(f"created {topic} ({args.partitions} partitions)")
    for t in topics:
        if t in existing:
            print(f"exists  {t}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
