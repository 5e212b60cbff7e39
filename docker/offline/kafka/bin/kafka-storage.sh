#!/usr/bin/env bash
# kafka-storage.sh: thin wrapper over kafka.tools.StorageTool (stand-in for Kafka's script of the same name).
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
