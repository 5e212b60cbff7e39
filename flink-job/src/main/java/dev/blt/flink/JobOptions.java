package dev.blt.flink;

import dev.blt.kafka.InputFormat;
import dev.blt.model.ModelSource;
import dev.blt.patching.Segmentation;
import java.io.Serializable;
import java.util.Properties;

/**
 * Everything a patching job needs; `blt run` fills it from flags, tests and `blt demo` directly.
 *
 * @param stage                 which half runs: both, the patcher only, or the BLT stage alone reading
 *                              the patches topic as its input
 * @param embeddingsTopic       PatchEmbedding output; null switches it off (likewise the next two)
 * @param continuationBytes     greedy continuation bytes per Prediction; 0 = off (one BLT call per byte)
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
        String embeddingsTopic,
        String predictionsTopic,
        String recordScoresTopic,
        String deadLetterTopic,
        Stage stage,
        int topK,
        int continuationBytes,
        String transactionalIdPrefix,
        Properties kafkaProperties,
        ModelSource model,
        Segmentation segmentation,
        BundleSettings bundle,
        long checkpointIntervalMs,
        String checkpointDirectory,
        int parallelism,
        boolean bounded) implements Serializable {

    /** Which operators the job runs. */
    public enum Stage {
        /** bytes -> patches -> embeddings, predictions, record scores */
        ALL,
        /** bytes -> patches */
        PATCH,
        /** patches topic -> embeddings, predictions, record scores */
        BLT
    }

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
        if (stage != Stage.PATCH && embeddingsTopic == null && predictionsTopic == null && recordScoresTopic == null) {
            throw new IllegalArgumentException("the BLT stage runs but every BLT output topic is switched off");
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be >= 1, got " + parallelism);
        }
    }

    /** Whether the BLT stage runs. */
    public boolean runsBlt() {
        return stage != Stage.PATCH;
    }

    private static void require(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " must be set");
        }
    }
}
