#!/usr/bin/env bash
# kafka-get-offsets.sh: thin wrapper over org.apache.kafka.tools.GetOffsetShell (stand-in for Kafka's script of the same name).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.GetOffsetShell "$@"
