package dev.blt.fault;

import dev.blt.avro.Patch;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.RecordScore;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.kafka.TopicReader;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.Segmentation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Compares a job's committed (read_committed) output with the offline result of the same bytes,
 * computed here with the same core code as `blt patch` and `blt embed`: every expected output must
 * be there once, with the same content, and nothing else. In stream segmentation a stream's last
 * patch may still be open, so it may be missing.
 */
final class ExactlyOnceCheck {

    /** What one output topic holds against what it should. */
    record Counts(long expected, long committed, long lost, long duplicated, long mismatched) {
        boolean exact() {
            return lost == 0 && duplicated == 0 && mismatched == 0;
        }
    }

    /** The counts per topic; embeddings and scores are checked in record segmentation (BLT stage on). */
    record Outcome(Counts patches, Counts embeddings, Counts scores) {
        boolean complete() {
            return patches.lost == 0 && (embeddings == null || embeddings.lost == 0) && (scores == null || scores.lost == 0);
        }

        boolean exact() {
            return patches.exact() && (embeddings == null || embeddings.exact()) && (scores == null || scores.exact());
        }

        long lost() {
            return patches.lost + (embeddings == null ? 0 : embeddings.lost) + (scores == null ? 0 : scores.lost);
        }

        long duplicated() {
            return patches.duplicated + (embeddings == null ? 0 : embeddings.duplicated)
                    + (scores == null ? 0 : scores.duplicated);
        }

        long mismatched() {
            return patches.mismatched + (embeddings == null ? 0 : embeddings.mismatched)
                    + (scores == null ? 0 : scores.mismatched);
        }
    }

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(120);

    private final String bootstrapServers;
    private final String prefix;
    private final boolean withBltStage;
    /** Patch identity -> "offset:bytes". */
    private final Map<String, String> expectedPatches = new HashMap<>();
    /** Identities of patches that may still be open (the last of each stream). */
    private final Set<String> mayBeOpen = new HashSet<>();
    private final Map<String, float[]> expectedEmbeddings = new HashMap<>();
    private final Set<String> expectedScores = new HashSet<>();

    /**
     * @param prefix topic prefix: PREFIX.patches, PREFIX.embeddings, PREFIX.scores
     */
    ExactlyOnceCheck(FaultWorkload workload, LoadedModel model, String bootstrapServers, String prefix) {
        this.bootstrapServers = bootstrapServers;
        this.prefix = prefix;
        this.withBltStage = workload.segmentation() == Segmentation.RECORD;
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        if (workload.segmentation() == Segmentation.STREAM) {
            workload.streams().forEach((id, bytes) -> {
                List<ClosedPatch> patches = patcher.patchStream(List.of(bytes));
                for (ClosedPatch p : patches) {
                    expectedPatches.put(id + "#" + p.patchIndex(), content(p.startOffset(), p.bytes()));
                }
                mayBeOpen.add(id + "#" + patches.get(patches.size() - 1).patchIndex());
            });
            return;
        }
        workload.records().forEach((id, records) -> {
            // blt run's default record context: each record after the key's earlier ones
            List<List<ClosedPatch>> perRecord = patcher.patchRecordsInContext(records);
            List<List<byte[]>> docs = new ArrayList<>();
            perRecord.forEach(r -> docs.add(r.stream().map(ClosedPatch::bytes).toList()));
            List<List<PatchOutputs>> encoded = OfflineBltStage.encodeRecordsInContext(model.encoderSettings(),
                    model.bltScorer(), docs);
            for (int r = 0; r < perRecord.size(); r++) {
                expectedScores.add(id + "#" + r);
                for (int p = 0; p < perRecord.get(r).size(); p++) {
                    ClosedPatch patch = perRecord.get(r).get(p);
                    String key = id + "#" + r + "#" + patch.patchIndex();
                    expectedPatches.put(key, content(patch.startOffset(), patch.bytes()));
                    expectedEmbeddings.put(key, encoded.get(r).get(p).embedding());
                }
            }
        });
    }

    /** Reads every output topic as a read_committed consumer and counts. */
    Outcome read() {
        Map<String, List<String>> patches = new HashMap<>();
        for (Patch p : readTopic(prefix + ".patches", Patch.getDecoder())) {
            patches.computeIfAbsent(identity(p.getStreamId(), p.getRecordIndex(), p.getPatchIndex()), k -> new ArrayList<>())
                    .add(content(p.getStartOffset(), bytes(p.getBytes())));
        }
        Counts patchCounts = count(expectedPatches, patches, (want, got) -> want.equals(got));
        if (!withBltStage) {
            return new Outcome(patchCounts, null, null);
        }
        Map<String, List<float[]>> embeddings = new HashMap<>();
        for (PatchEmbedding e : readTopic(prefix + ".embeddings", PatchEmbedding.getDecoder())) {
            float[] v = new float[e.getEmbedding().size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = e.getEmbedding().get(i);
            }
            embeddings.computeIfAbsent(identity(e.getStreamId(), e.getRecordIndex(), e.getPatchIndex()),
                    k -> new ArrayList<>()).add(v);
        }
        Map<String, List<Boolean>> scores = new HashMap<>();
        for (RecordScore s : readTopic(prefix + ".scores", RecordScore.getDecoder())) {
            scores.computeIfAbsent(s.getStreamId() + "#" + s.getRecordIndex(), k -> new ArrayList<>()).add(Boolean.TRUE);
        }
        Map<String, Boolean> wantScores = new HashMap<>();
        expectedScores.forEach(k -> wantScores.put(k, Boolean.TRUE));
        return new Outcome(patchCounts, count(expectedEmbeddings, embeddings, ExactlyOnceCheck::close),
                count(wantScores, scores, Boolean::equals));
    }

    private <T> Counts count(Map<String, T> expected, Map<String, List<T>> actual, java.util.function.BiPredicate<T, T> same) {
        long committed = actual.values().stream().mapToLong(List::size).sum();
        long lost = 0;
        long duplicated = 0;
        long mismatched = 0;
        for (Map.Entry<String, T> e : expected.entrySet()) {
            List<T> got = actual.get(e.getKey());
            if (got == null) {
                lost += mayBeOpen.contains(e.getKey()) ? 0 : 1;
                continue;
            }
            duplicated += got.size() - 1;
            mismatched += got.stream().filter(g -> !same.test(e.getValue(), g)).count();
        }
        for (Map.Entry<String, List<T>> a : actual.entrySet()) {
            if (!expected.containsKey(a.getKey())) {
                mismatched += a.getValue().size(); // output that should not exist at all
            }
        }
        return new Counts(expected.size(), committed, lost, duplicated, mismatched);
    }

    private static boolean close(float[] want, float[] got) {
        if (want.length != got.length) {
            return false;
        }
        for (int i = 0; i < want.length; i++) {
            if (Math.abs(want[i] - got[i]) > 1e-4 * Math.max(1, Math.abs(want[i]))) {
                return false;
            }
        }
        return true;
    }

    private <T> List<T> readTopic(String topic, BinaryMessageDecoder<T> decoder) {
        List<T> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(bootstrapServers, topic, READ_TIMEOUT)) {
            try {
                out.add(decoder.decode(r.value()));
            } catch (IOException e) {
                throw new UncheckedIOException("undecodable record in " + topic, e);
            }
        }
        return out;
    }

    private static String identity(CharSequence streamId, Long recordIndex, long patchIndex) {
        return recordIndex == null ? streamId + "#" + patchIndex : streamId + "#" + recordIndex + "#" + patchIndex;
    }

    /** A patch's identity-free content: its offset and bytes. */
    static String content(long offset, byte[] bytes) {
        return offset + ":" + Base64.getEncoder().encodeToString(bytes);
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
