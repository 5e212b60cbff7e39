#!/usr/bin/env bash
# kafka-console-consumer.sh: thin wrapper over org.apache.kafka.tools.consumer.ConsoleConsumer (stand-in for Kafka's script of the same name).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
