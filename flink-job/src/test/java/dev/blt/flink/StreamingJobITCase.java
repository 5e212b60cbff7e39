package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.Patch;
import dev.blt.avro.PatchEmbedding;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.SampleText;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The job as `blt run` runs it by default: unbounded, input arriving while it runs, output read
 * back as it is committed; and resumed from its retained checkpoint after a cancel and from its
 * savepoint after a stop, at another parallelism, with every patch exactly once.
 */
class StreamingJobITCase extends KafkaJobTestBase {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int STREAMS = 3;

    @Test
    void defaultUnboundedJobPatchesAndEmbedsEachRoundAsItArrives() throws Exception {
        String prefix = "unbounded";
        createTopics(prefix);
        Map<String, ByteArrayOutputStream> sent = new TreeMap<>();
        // Only the topics and a test-sized checkpoint interval differ from `blt run`'s defaults.
        JobClient job = startJob(prefix, "--parallelism", "1", "--checkpoint-interval-ms", "300");
        try {
            for (int round = 0; round < 3; round++) {
                produceRound(prefix, round, sent);
                List<Patch> patches = awaitPatchesOfEverythingSent(prefix, sent);
                assertEquals(JobStatus.RUNNING, job.getJobStatus().get(), "an unbounded job keeps running");
                int expected = patches.size();
                List<PatchEmbedding> embeddings = awaitCommitted(prefix + ".embeddings",
                        b -> decode(PatchEmbedding.getDecoder(), b), e -> e.size() >= expected, WAIT);
                assertEquals(patchIds(patches), embeddingIds(embeddings), "one embedding per patch, exactly once");
            }
        } finally {
            job.cancel().get();
        }
    }

    @Test
    void resumesExactlyOnceAfterCancelAndAfterStopWithSavepointAtAnotherParallelism() throws Exception {
        String prefix = "resume";
        createTopics(prefix);
        String checkpoints = freshCheckpointDirectory();
        Map<String, ByteArrayOutputStream> sent = new TreeMap<>();
        String[] flags = {"--stage", "patch", "--checkpoint-dir", checkpoints, "--checkpoint-interval-ms", "200"};

        JobClient first = startJob(prefix, flags);
        produceRound(prefix, 0, sent);
        awaitPatchesOfEverythingSent(prefix, sent);
        first.cancel().get(); // retains its checkpoints; its open transaction is aborted

        JobClient second = startJob(prefix, concat(flags, "--resume", "latest", "--parallelism", "2"));
        produceRound(prefix, 1, sent);
        awaitPatchesOfEverythingSent(prefix, sent);
        String savepoint = second.stopWithSavepoint(false, RetainedCheckpoints.savepointDirectory(checkpoints),
                SavepointFormatType.CANONICAL).get();
        assertEquals(java.nio.file.Path.of(java.net.URI.create(savepoint)),
                java.nio.file.Path.of(java.net.URI.create(RetainedCheckpoints.latest(checkpoints).orElseThrow())),
                "--resume latest picks the savepoint just taken");

        JobClient third = startJob(prefix, concat(flags, "--resume", "latest", "--parallelism", "1"));
        try {
            produceRound(prefix, 2, sent);
            awaitPatchesOfEverythingSent(prefix, sent);
        } finally {
            third.cancel().get();
        }
    }

    @Test
    void rocksDbStateBackendCheckpointsIncrementallyAndResumesExactlyOnce() throws Exception {
        String prefix = "rocksdb";
        createTopics(prefix);
        String checkpoints = freshCheckpointDirectory();
        Map<String, ByteArrayOutputStream> sent = new TreeMap<>();
        String[] flags = {"--stage", "patch", "--state-backend", "rocksdb", "--checkpoint-dir", checkpoints,
                "--checkpoint-interval-ms", "200", "--parallelism", "1"};

        JobClient first = startJob(prefix, flags);
        produceRound(prefix, 0, sent);
        awaitPatchesOfEverythingSent(prefix, sent);
        first.cancel().get();
        java.nio.file.Path root = java.nio.file.Path.of(java.net.URI.create(checkpoints));
        try (var files = java.nio.file.Files.walk(root)) {
            // RocksDB's incremental checkpoints keep their SST files under <job>/shared
            assertTrue(files.anyMatch(f -> f.toString().contains("/shared/")),
                    "no RocksDB files under " + root + "/*/shared");
        }

        JobClient second = startJob(prefix, concat(flags, "--resume", "latest"));
        try {
            produceRound(prefix, 1, sent);
            awaitPatchesOfEverythingSent(prefix, sent);
        } finally {
            second.cancel().get();
        }
    }

    /** Appends a chunk of each stream's sample text, cut at random, to the input and to sent. */
    private static void produceRound(String prefix, int round, Map<String, ByteArrayOutputStream> sent) {
        Random random = new Random(round);
        List<byte[]> samples = SampleText.streams();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int s = 0; s < STREAMS; s++) {
            String id = "stream-" + s;
            byte[] data = samples.get((s + round) % samples.size());
            for (byte[] chunk : SampleText.chunk(data, 1 + random.nextInt(90), random)) {
                records.add(new ProducerRecord<>(prefix + ".in", id.getBytes(StandardCharsets.UTF_8), chunk));
            }
            sent.computeIfAbsent(id, k -> new ByteArrayOutputStream()).writeBytes(data);
        }
        produce(records);
    }

    /**
     * Waits until every stream's committed patches cover all it was sent but the open patch, then
     * checks they are exactly the offline patches of the whole stream so far (none lost, none twice).
     */
    private List<Patch> awaitPatchesOfEverythingSent(String prefix, Map<String, ByteArrayOutputStream> sent)
            throws InterruptedException {
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        Map<String, List<ClosedPatch>> expected = new TreeMap<>();
        sent.forEach((id, bytes) -> expected.put(id, offline.patchStream(List.of(bytes.toByteArray()))));
        // A live stream's last patch is still open, unless the entropy after its last byte closed it.
        int atLeast = expected.values().stream().mapToInt(all -> all.size() - 1).sum();
        List<Patch> patches = awaitCommitted(prefix + ".patches", b -> decode(Patch.getDecoder(), b),
                p -> p.size() >= atLeast, WAIT);
        Map<String, List<Patch>> byStream = patches.stream().collect(Collectors.groupingBy(
                p -> p.getStreamId().toString(), TreeMap::new, Collectors.toList()));
        assertEquals(expected.keySet(), byStream.keySet());
        for (Map.Entry<String, List<ClosedPatch>> e : expected.entrySet()) {
            List<Patch> actual = byStream.get(e.getKey());
            int all = e.getValue().size();
            assertTrue(actual.size() == all || actual.size() == all - 1, e.getKey() + ": " + actual.size()
                    + " patches, expected " + all + " or " + (all - 1) + " (no loss, no duplicates)");
            for (int i = 0; i < actual.size(); i++) {
                ClosedPatch want = e.getValue().get(i);
                Patch got = actual.get(i);
                assertEquals(i, got.getPatchIndex(), e.getKey() + ": patch index");
                assertEquals(want.startOffset(), got.getStartOffset(), e.getKey() + ": start of patch " + i);
                assertEquals(ByteBuffer.wrap(want.bytes()), got.getBytes(), e.getKey() + ": bytes of patch " + i);
            }
        }
        return patches;
    }

    private static List<String> patchIds(List<Patch> patches) {
        return patches.stream().map(p -> p.getStreamId() + "#" + p.getPatchIndex()).sorted().toList();
    }

    private static List<String> embeddingIds(List<PatchEmbedding> embeddings) {
        return embeddings.stream().sorted(Comparator.comparing(e -> e.getStreamId().toString()))
                .map(e -> e.getStreamId() + "#" + e.getPatchIndex()).sorted().toList();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
