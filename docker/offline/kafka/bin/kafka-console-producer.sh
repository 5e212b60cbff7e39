#!/usr/bin/env bash
# kafka-console-producer.sh: thin wrapper over org.apache.kafka.tools.ConsoleProducer (stand-in for Kafka's script of the same name).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.ConsoleProducer "$@"
