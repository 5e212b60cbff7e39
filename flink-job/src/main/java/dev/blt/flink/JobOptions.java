package dev.blt.flink;

import dev.blt.kafka.InputFormat;
import dev.blt.kafka.InputLimits;
import dev.blt.kafka.KafkaSinks;
import dev.blt.model.ModelSource;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import java.util.Properties;

/**
 * Everything a patching job needs; `blt run` fills it from flags, tests and `blt demo` directly.
 *
 * @param stage                 which half runs: both, the patcher only, or the BLT stage alone reading
 *                              the patches topic as its input
 * @param embeddingsTopic       PatchEmbedding output; null switches it off (likewise the next two)
 * @param continuationBytes     greedy continuation bytes per Prediction; 0 = off (one BLT call per byte)
 * @param noveltyWindow         record segmentation: a record's novelty is measured against this many of its
 *                              key's last records (RecordScore.novelty); 0 = off
 * @param deadLetterTopic       where undecodable records go, with a reason
 * @param stateTtlMs            a key without input for this long is forgotten (its open patch emitted first);
 *                              0 = never
 * @param limits                key and record size limits; records over them are dead letters
 * @param transactionalIdPrefix prefix of the sinks' Kafka transactional ids; unique per job
 * @param checkpointDirectory   checkpoint storage URI (a filesystem, never the JobManager's memory);
 *                              retained checkpoints and savepoints are found here by {@code --resume latest}
 * @param stateBackend          where keyed state lives between checkpoints: {@link #STATE_HASHMAP} (JVM heap,
 *                              fastest) or {@link #STATE_ROCKSDB} (local disk, for many keys; incremental checkpoints)
 * @param resume                where to restore from: {@link #RESUME_LATEST} (the newest retained checkpoint
 *                              or savepoint under the checkpoint directory, if any), {@link #RESUME_NONE},
 *                              or the path of a checkpoint or savepoint
 * @param maxRestarts           restarts after failures before the job gives up and fails
 * @param flinkConfiguration    further Flink options (`-D key=value`), applied last
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
        dev.blt.kafka.SchemaRegistry schemaRegistry,
        ModelSource model,
        Segmentation segmentation,
        RecordContext recordContext,
        long windowCacheBytes,
        int noveltyWindow,
        BundleSettings bundle,
        long stateTtlMs,
        DriftSettings drift,
        InputLimits limits,
        long checkpointIntervalMs,
        String checkpointDirectory,
        String stateBackend,
        String resume,
        int maxRestarts,
        Map<String, String> flinkConfiguration,
        int parallelism,
        boolean bounded) implements Serializable {

    /**
     * --parallelism's default (0 here): one subtask per core the JVM sees when the job runs on a local
     * MiniCluster (`blt run`'s own), the cluster's parallelism.default when it is submitted to one.
     */
    public static final String PARALLELISM_AUTO = "auto";
    public static final String RESUME_LATEST = "latest";
    public static final String RESUME_NONE = "none";
    public static final String STATE_HASHMAP = "hashmap";
    public static final String STATE_ROCKSDB = "rocksdb";

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
        require(checkpointDirectory, "checkpoint directory");
        require(resume, "resume (latest, none or a path)");
        if (!STATE_HASHMAP.equals(stateBackend) && !STATE_ROCKSDB.equals(stateBackend)) {
            throw new IllegalArgumentException("state backend must be " + STATE_HASHMAP + " or " + STATE_ROCKSDB + ", got '"
                    + stateBackend + "'");
        }
        if (stateTtlMs < 0) {
            throw new IllegalArgumentException("state TTL must be >= 0 (0 = never), got " + stateTtlMs + " ms");
        }
        limits = limits == null ? InputLimits.DEFAULT : limits;
        drift = drift == null ? DriftSettings.DEFAULT : drift;
        recordContext = recordContext == null ? RecordContext.CARRY : recordContext;
        if (noveltyWindow < 0) {
            throw new IllegalArgumentException("novelty window must be >= 0 records (0 = off), got " + noveltyWindow);
        }
        if (windowCacheBytes < 0) {
            throw new IllegalArgumentException("window cache must be >= 0 MB, got " + windowCacheBytes + " bytes");
        }
        if (maxRestarts < 0) {
            throw new IllegalArgumentException("max restarts must be >= 0, got " + maxRestarts);
        }
        flinkConfiguration = flinkConfiguration == null ? Map.of() : Map.copyOf(flinkConfiguration);
        if (checkpointIntervalMs < 10) {
            throw new IllegalArgumentException("checkpoint interval must be >= 10 ms: the exactly-once sinks "
                    + "commit on checkpoints, got " + checkpointIntervalMs);
        }
        if (stage != Stage.PATCH && embeddingsTopic == null && predictionsTopic == null && recordScoresTopic == null) {
            throw new IllegalArgumentException("the BLT stage runs but every BLT output topic is switched off");
        }
        TransactionTimeouts.check(transactionTimeoutMs(kafkaProperties), checkpointIntervalMs, bundle.maxDelayMs());
        if (parallelism < 0) {
            throw new IllegalArgumentException("parallelism must be >= 1, or 0 for auto, got " + parallelism);
        }
    }

    /** These options, restoring from resume instead (a path, {@link #RESUME_LATEST} or {@link #RESUME_NONE}). */
    public JobOptions withResume(String newResume) {
        return new JobOptions(bootstrapServers, inputTopic, inputFormat, defaultStreamId, groupId, patchesTopic,
                embeddingsTopic, predictionsTopic, recordScoresTopic, deadLetterTopic, stage, topK, continuationBytes,
                transactionalIdPrefix, kafkaProperties, schemaRegistry, model, segmentation, recordContext,
                windowCacheBytes, noveltyWindow, bundle, stateTtlMs, drift, limits, checkpointIntervalMs, checkpointDirectory,
                stateBackend, newResume, maxRestarts, flinkConfiguration, parallelism, bounded);
    }

    /** The sinks' Kafka transaction timeout: the -K transaction.timeout.ms given, or the default. */
    public long transactionTimeoutMs() {
        return transactionTimeoutMs(kafkaProperties);
    }

    private static long transactionTimeoutMs(Properties kafkaProperties) {
        String value = kafkaProperties.getProperty("transaction.timeout.ms", KafkaSinks.DEFAULT_TRANSACTION_TIMEOUT_MS);
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("transaction.timeout.ms must be a number of milliseconds, got '" + value + "'");
        }
    }

    /** Every topic the job reads or writes. */
    public List<String> topics() {
        List<String> topics = new ArrayList<>();
        topics.add(stage == Stage.BLT ? patchesTopic : inputTopic);
        if (stage != Stage.BLT) {
            topics.add(patchesTopic);
        }
        topics.add(deadLetterTopic);
        if (runsBlt()) {
            Stream.of(embeddingsTopic, predictionsTopic, recordScoresTopic).filter(Objects::nonNull).forEach(topics::add);
        }
        return topics;
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
