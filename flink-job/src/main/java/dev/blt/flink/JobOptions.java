package dev.blt.flink;

import dev.blt.kafka.InputFormat;
import dev.blt.model.ModelSource;
import dev.blt.patching.Segmentation;
import java.io.Serializable;
import java.util.Properties;

/**
 * Everything a patching job needs; `blt run` fills it from flags, tests and `blt demo` directly.
 *
 * @param deadLetterTopic       where undecodable records go, with a reason
 * @param transactionalIdPrefix prefix of the sinks' Kafka transactional ids; unique per job
 * @param bounded               read the input to its current end, then finish (tests, demo)
 */
public record JobOptions(
        String bootstrapServers,
        String inputTopic,
        InputFormat inputFormat,
        String defaultStreamId,
        String groupId,
        String patchesTopic,
        String deadLetterTopic,
        String transactionalIdPrefix,
        Properties kafkaProperties,
        ModelSource model,
        Segmentation segmentation,
        BundleSettings bundle,
        long checkpointIntervalMs,
        String checkpointDirectory,
        int parallelism,
        boolean bounded) implements Serializable {

    public JobOptions {
        require(bootstrapServers, "bootstrap servers");
        require(inputTopic, "input topic");
        require(patchesTopic, "patches topic");
        require(deadLetterTopic, "dead-letter topic");
        require(transactionalIdPrefix, "transactional id prefix");
        if (checkpointIntervalMs < 10) {
            throw new IllegalArgumentException("checkpoint interval must be >= 10 ms: the exactly-once sinks "
                    + "commit on checkpoints, got " + checkpointIntervalMs);
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
    }

    private static void require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must be set");
        }
    }
}
