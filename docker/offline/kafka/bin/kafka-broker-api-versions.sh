#!/usr/bin/env bash
# kafka-broker-api-versions.sh: thin wrapper over org.apache.kafka.tools.BrokerApiVersionsCommand (stand-in for Kafka's script of the same name).
exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
