package dev.blt.flink;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.PatchEmbedding;
import dev.blt.avro.Prediction;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import dev.blt.patching.ClosedPatch;
import java.util.Map;
import dev.blt.avro.RecordScore;
import dev.blt.bltstage.RecentRecords;
import dev.blt.testing.RecordVectors;
import dev.blt.patching.RecordContext;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The keyed BLT stage alone, on Flink's operator test harness with the shipped model: its
 * embeddings against the offline encoder, replays, restarts, gaps and the state TTL.
 */
class BltStageOperatorIT {

    private static final long DELAY = 10;
    private static final BundleSettings BUNDLE = new BundleSettings(256, DELAY, 0);
    private static final FloatAsserts.Tolerance TOLERANCE = new FloatAsserts.Tolerance(0, 1e-4);

    private static ModelSource source;
    private static LoadedModel model;
    /** Offline patches of two streams, the stage's input. */
    private static List<ClosedPatch> streamA;
    private static List<ClosedPatch> streamB;

    @BeforeAll
    static void load() {
        source = new ModelSource(ModelFolders.shipped().toString(), "cpu", 1, null);
        model = source.open(); // held for the whole class: the operators share it instead of reloading
        OfflinePatcher offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        streamA = offline.patchStream(List.of(SampleText.streams().get(0)));
        streamB = offline.patchStream(List.of(SampleText.streams().get(1)));
    }

    @AfterAll
    static void release() {
        model.release();
    }

    static KeyedHarness<PatchEvent, PatchEmbedding> harness(long ttlMs) throws Exception {
        return KeyedHarness.of(new BltStageOperator(source, BUNDLE, 3, 0, ttlMs), e -> e.streamId());
    }

    static KeyedHarness<PatchEvent, PatchEmbedding> opened(long ttlMs) throws Exception {
        KeyedHarness<PatchEvent, PatchEmbedding> h = harness(ttlMs);
        h.open();
        return h;
    }

    /** Outputs collected over harnesses that replace each other on restore. */
    static final class Collected {
        final List<PatchEmbedding> embeddings = new ArrayList<>();
        final List<Prediction> predictions = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();

        void takeFrom(KeyedHarness<PatchEvent, PatchEmbedding> h) {
            embeddings.addAll(h.extractOutputValues());
            predictions.addAll(h.side(BltStageOperator.PREDICTIONS));
            deadLetters.addAll(h.side(BltStageOperator.DEAD_LETTERS));
        }

        List<PatchEmbedding> of(String key) {
            return embeddings.stream().filter(e -> e.getStreamId().equals(key)).toList();
        }
    }

    /** A checkpoint (bundle before the barrier), then a new operator restored from it. */
    static KeyedHarness<PatchEvent, PatchEmbedding> restart(KeyedHarness<PatchEvent, PatchEmbedding> h, Collected out)
            throws Exception {
        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = h.snapshot(1, h.getProcessingTime());
        out.takeFrom(h);
        h.close();
        KeyedHarness<PatchEvent, PatchEmbedding> restored = harness(0);
        restored.initializeState(state);
        restored.open();
        return restored;
    }

    static PatchEvent event(String key, ClosedPatch patch) {
        return new PatchEvent(key, -1, patch, false, model.modelId());
    }

    /** The offline encoder over patches, as one document. */
    static List<PatchOutputs> encode(List<ClosedPatch> patches) {
        return OfflineBltStage.encodeDocument(model.encoderSettings(), model.bltScorer(),
                patches.stream().map(ClosedPatch::bytes).toList());
    }

    static void assertEmbeddings(List<ClosedPatch> patches, List<PatchOutputs> expected, List<PatchEmbedding> actual,
                                 String what) {
        assertEquals(expected.size(), actual.size(), what + ": number of embeddings");
        for (int i = 0; i < expected.size(); i++) {
            PatchEmbedding a = actual.get(i);
            assertEquals(patches.get(i).patchIndex(), a.getPatchIndex(), what + ": patch index of embedding " + i);
            assertEquals(patches.get(i).startOffset(), a.getStartOffset(), what + ": start offset of embedding " + i);
            float[] embedding = new float[a.getEmbedding().size()];
            for (int j = 0; j < embedding.length; j++) {
                embedding[j] = a.getEmbedding().get(j);
            }
            FloatAsserts.assertClose(what + ": embedding of patch " + a.getPatchIndex(), expected.get(i).embedding(),
                    embedding, TOLERANCE);
            assertEquals(model.modelId(), a.getModelId());
        }
    }

    @Test
    void embeddingsEqualTheOfflineEncoderAcrossBundlesKeysAndRestore() throws Exception {
        Random random = new Random(31);
        Collected out = new Collected();
        KeyedHarness<PatchEvent, PatchEmbedding> h = opened(0);
        try {
            int a = 0;
            int b = 0;
            boolean restarted = false;
            while (a < streamA.size() || b < streamB.size()) {
                if (b == streamB.size() || (a < streamA.size() && random.nextBoolean())) {
                    h.processElement(event("a", streamA.get(a++)), 0);
                } else {
                    h.processElement(event("b", streamB.get(b++)), 0);
                }
                if (random.nextInt(8) == 0) {
                    h.advance(DELAY);
                }
                if (!restarted && a == streamA.size() / 2) {
                    assertEquals(0, h.counter("contextResets"));
                    h = restart(h, out);
                    restarted = true;
                }
            }
            h.endInput();
            assertEquals(0, h.counter("contextResets"));
            out.takeFrom(h);
        } finally {
            h.close();
        }
        assertTrue(out.deadLetters.isEmpty(), "dead letters: " + out.deadLetters);
        List<PatchOutputs> expectedA = encode(streamA);
        assertEmbeddings(streamA, expectedA, out.of("a"), "stream a");
        assertEmbeddings(streamB, encode(streamB), out.of("b"), "stream b");

        List<Prediction> predictionsA = out.predictions.stream().filter(p -> p.getStreamId().equals("a")).toList();
        assertEquals(streamA.size(), predictionsA.size());
        for (int i = 0; i < streamA.size(); i++) {
            assertEquals(i, predictionsA.get(i).getPatchIndex());
            assertEquals(expectedA.get(i).bitsPerByte(), predictionsA.get(i).getBltBitsPerByte(), 1e-4, "bits of patch " + i);
            assertEquals(3, predictionsA.get(i).getNextByteTopK().size());
        }
    }

    @Test
    void aReplayedPatchIsADeadLetterAndChangesNothing() throws Exception {
        try (KeyedHarness<PatchEvent, PatchEmbedding> h = opened(0)) {
            for (int i = 0; i < streamA.size(); i++) {
                h.processElement(event("a", streamA.get(i)), 0);
                if (i == 9) {
                    h.processElement(event("a", streamA.get(5)), 0); // in the same bundle as its document
                }
                if (i == 30) {
                    h.advance(DELAY);
                    h.processElement(event("a", streamA.get(20)), 0); // against the document in state
                }
            }
            h.endInput();
            List<DeadLetter> dead = h.side(BltStageOperator.DEAD_LETTERS);
            assertEquals(2, dead.size());
            assertTrue(dead.get(0).getReason().startsWith("patch 5 of stream 'a' arrived after patch 9"),
                    dead.get(0).getReason());
            assertTrue(dead.get(1).getReason().startsWith("patch 20 of stream 'a' arrived after patch 30"),
                    dead.get(1).getReason());
            for (DeadLetter d : dead) {
                assertTrue(d.getReason().contains("replay"), d.getReason());
                assertArrayEquals("a".getBytes(UTF_8), EntropyPatcherOperatorIT.bytes(d.getOriginalKey()));
            }
            assertEquals(2, h.counter("deadLetters"));
            assertEquals(0, h.counter("contextResets"));
            assertEmbeddings(streamA, encode(streamA), h.extractOutputValues(), "with replays");
        }
    }

    @Test
    void aReplayedPatchOfAnEndedRecordIsADeadLetterEvenAfterARestore() throws Exception {
        List<ClosedPatch> record0 = streamA.subList(0, 6);
        List<ClosedPatch> record1 = streamB.subList(0, 6);
        Collected out = new Collected();
        KeyedHarness<PatchEvent, PatchEmbedding> h = opened(0);
        for (int i = 0; i < record0.size(); i++) {
            h.processElement(new PatchEvent("r", 0, record0.get(i), i == record0.size() - 1, model.modelId()), 0);
        }
        h = restart(h, out); // record 0 ended before the checkpoint
        h.processElement(new PatchEvent("r", 0, record0.get(1), false, model.modelId()), 0); // replay of the ended record
        for (int i = 0; i < record1.size(); i++) {
            h.processElement(new PatchEvent("r", 1, record1.get(i), i == record1.size() - 1, model.modelId()), 0);
            if (i == 2) {
                h.processElement(new PatchEvent("r", 0, record0.get(3), false, model.modelId()), 0); // an earlier record
            }
        }
        h.endInput();
        out.takeFrom(h);
        h.close();
        assertEquals(2, out.deadLetters.size(), "dead letters: " + out.deadLetters);
        assertTrue(out.deadLetters.get(0).getReason().startsWith("patch 1 of record 0 of stream 'r' arrived after record 0 ended"),
                out.deadLetters.get(0).getReason());
        assertTrue(out.deadLetters.get(1).getReason().startsWith("patch 3 of record 0 of stream 'r' arrived after record 1 began"),
                out.deadLetters.get(1).getReason());
        assertEquals(0, h.counter("contextResets"));
        assertEmbeddings(record0, encode(record0), out.of("r").stream().filter(e -> e.getRecordIndex() == 0).toList(),
                "record 0");
        List<PatchOutputs> inContext = OfflineBltStage.encodeRecordsInContext(model.encoderSettings(), model.bltScorer(),
                List.of(bytesOf(record0), bytesOf(record1))).get(1); // the default record context
        assertEmbeddings(record1, inContext, out.of("r").stream().filter(e -> e.getRecordIndex() == 1).toList(),
                "record 1");
    }

    static List<byte[]> bytesOf(List<ClosedPatch> patches) {
        return patches.stream().map(ClosedPatch::bytes).toList();
    }

    /** Patches of a stream cut into records: each record's patches renumbered and re-based from 0. */
    static List<List<ClosedPatch>> asRecords(List<ClosedPatch> stream, int... sizes) {
        List<List<ClosedPatch>> records = new ArrayList<>();
        int next = 0;
        for (int size : sizes) {
            List<ClosedPatch> record = new ArrayList<>();
            long start = stream.get(next).startOffset();
            for (int i = 0; i < size; i++, next++) {
                ClosedPatch p = stream.get(next);
                record.add(new ClosedPatch(i, p.startOffset() - start, p.bytes(), p.entropies(), p.logprobs(), p.reason()));
            }
            records.add(record);
        }
        return records;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(RecordContext.class)
    void recordsEqualTheOfflineEncoderAcrossBundlesKeysAndRestore(RecordContext context) throws Exception {
        List<List<ClosedPatch>> recordsA = asRecords(streamA, 3, 40, 1, 17, 9);
        List<List<ClosedPatch>> recordsB = asRecords(streamB, 12, 5, 30);
        List<PatchEvent> eventsA = events("a", recordsA);
        List<PatchEvent> eventsB = events("b", recordsB);
        Random random = new Random(37);
        Collected out = new Collected();
        List<RecordScore> scores = new ArrayList<>();
        KeyedHarness<PatchEvent, PatchEmbedding> h = KeyedHarness.of(
                new BltStageOperator(source, BUNDLE, 3, 0, context, 0), e -> e.streamId());
        h.open();
        try {
            int a = 0;
            int b = 0;
            while (a < eventsA.size() || b < eventsB.size()) {
                if (b == eventsB.size() || (a < eventsA.size() && random.nextBoolean())) {
                    h.processElement(eventsA.get(a++), 0);
                } else {
                    h.processElement(eventsB.get(b++), 0);
                }
                if (random.nextInt(6) == 0) {
                    h.advance(DELAY);
                }
                if (a == eventsA.size() / 2 && random.nextInt(3) == 0) {
                    h.prepareSnapshotPreBarrier(1);
                    OperatorSubtaskState state = h.snapshot(1, h.getProcessingTime());
                    out.takeFrom(h);
                    scores.addAll(h.side(BltStageOperator.RECORD_SCORES));
                    h.close();
                    h = KeyedHarness.of(new BltStageOperator(source, BUNDLE, 3, 0, context, 0), e -> e.streamId());
                    h.initializeState(state);
                    h.open();
                }
            }
            h.endInput();
            assertEquals(0, h.counter("contextResets"));
            out.takeFrom(h);
            scores.addAll(h.side(BltStageOperator.RECORD_SCORES));
        } finally {
            h.close();
        }
        assertTrue(out.deadLetters.isEmpty(), "dead letters: " + out.deadLetters);
        assertEquals(recordsA.size() + recordsB.size(), scores.size(), "one record score per record");
        for (var entry : Map.of("a", recordsA, "b", recordsB).entrySet()) {
            List<List<byte[]>> bytes = entry.getValue().stream().map(BltStageOperatorIT::bytesOf).toList();
            List<List<PatchOutputs>> expected = context == RecordContext.CARRY
                    ? OfflineBltStage.encodeRecordsInContext(model.encoderSettings(), model.bltScorer(), bytes)
                    : OfflineBltStage.encodeDocuments(model.encoderSettings(), model.bltScorer(), bytes);
            RecentRecords recent = new RecentRecords(BltStageOperator.DEFAULT_NOVELTY_WINDOW);
            for (int r = 0; r < entry.getValue().size(); r++) {
                final long record = r;
                String what = entry.getKey() + " record " + r;
                assertEmbeddings(entry.getValue().get(r), expected.get(r), out.of(entry.getKey()).stream()
                        .filter(e -> e.getRecordIndex() == record).toList(), what);
                // the record embedding and its novelty, whose state crossed the restore
                RecordScore score = scores.stream().filter(x -> x.getStreamId().equals(entry.getKey())
                        && x.getRecordIndex() == record).findFirst().orElseThrow();
                float[] unit = RecordVectors.unitMean(expected.get(r));
                for (int i = 0; i < unit.length; i++) {
                    assertEquals(unit[i], score.getEmbedding().get(i), 1e-4, what + " embedding[" + i + "]");
                }
                double novelty = recent.novelty(unit);
                recent.add(unit);
                if (r == 0) {
                    assertEquals(null, score.getNovelty(), what);
                } else {
                    assertEquals(novelty, score.getNovelty(), 1e-3, what + " novelty");
                }
            }
        }
    }

    static List<PatchEvent> events(String key, List<List<ClosedPatch>> records) {
        List<PatchEvent> events = new ArrayList<>();
        for (int r = 0; r < records.size(); r++) {
            List<ClosedPatch> record = records.get(r);
            for (int i = 0; i < record.size(); i++) {
                events.add(new PatchEvent(key, r, record.get(i), i == record.size() - 1, model.modelId()));
            }
        }
        return events;
    }

    @Test
    void aStreamThatRestartsAtPatchZeroIsANewDocument() throws Exception {
        try (KeyedHarness<PatchEvent, PatchEmbedding> h = opened(0)) {
            for (int i = 0; i < streamA.size(); i++) {
                h.processElement(event("a", streamA.get(i)), 0);
                if (i == streamA.size() / 2) {
                    h.advance(DELAY);
                }
            }
            // No flush in between: the new document starts inside the bundle that ends the old one.
            for (int i = 0; i < streamB.size(); i++) {
                h.processElement(event("a", streamB.get(i)), 0);
                if (i == 10) {
                    h.advance(DELAY);
                }
            }
            h.endInput();
            List<PatchEmbedding> out = h.extractOutputValues();
            assertEmbeddings(streamA, encode(streamA), out.subList(0, streamA.size()), "the first stream");
            assertEmbeddings(streamB, encode(streamB), out.subList(streamA.size(), out.size()),
                    "the restarted stream, without the first one's context");
            assertEquals(1, h.counter("contextResets"), "a restart loses the open document's context");
            assertTrue(h.side(BltStageOperator.DEAD_LETTERS).isEmpty());
        }
    }

    @Test
    void aGapStartsANewDocumentAtItsFirstPatch() throws Exception {
        List<ClosedPatch> before = streamA.subList(0, 10);
        List<ClosedPatch> after = streamA.subList(15, streamA.size());
        Collected out = new Collected();
        KeyedHarness<PatchEvent, PatchEmbedding> h = opened(0);
        try {
            for (ClosedPatch p : before) {
                h.processElement(event("a", p), 0);
            }
            h.advance(DELAY);
            for (int i = 0; i < after.size(); i++) {
                h.processElement(event("a", after.get(i)), 0);
                if (i == 6) {
                    h.advance(DELAY);
                    assertEquals(1, h.counter("contextResets"));
                    h = restart(h, out); // the restarted document's first index survives in state
                }
            }
            h.endInput();
            out.takeFrom(h);
        } finally {
            h.close();
        }
        assertTrue(out.deadLetters.isEmpty(), "dead letters: " + out.deadLetters);
        List<PatchEmbedding> embeddings = out.of("a");
        assertEmbeddings(before, encode(before), embeddings.subList(0, before.size()), "before the gap");
        assertEmbeddings(after, encode(after), embeddings.subList(before.size(), embeddings.size()), "after the gap");
    }

    private static void process(KeyedHarness<PatchEvent, PatchEmbedding> h, PatchEvent e) {
        try {
            h.processElement(e, 0);
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    @Test
    void stateTtlForgetsTheDocument() throws Exception {
        long ttl = 1000;
        List<ClosedPatch> first = streamA.subList(0, 20);
        List<ClosedPatch> later = streamA.subList(20, 40);
        // A byte bound no 20 patches reach, whatever their sizes under the model: the bundle runs at
        // the delay, which is when the key was last active, so the TTL counts from there.
        BltStageOperator operator = new BltStageOperator(source, new BundleSettings(1 << 20, DELAY, 0), 3, 0, ttl);
        try (KeyedHarness<PatchEvent, PatchEmbedding> h = KeyedHarness.of(operator, e -> e.streamId())) {
            h.open();
            first.forEach(p -> process(h, event("a", p)));
            h.advance(DELAY);
            assertEquals(1, h.numProcessingTimeTimers());
            assertTrue(h.numKeyedStateEntries() > 0);
            h.setProcessingTime(DELAY + ttl - 1);
            assertEquals(1, h.numProcessingTimeTimers());
            h.setProcessingTime(DELAY + ttl);
            assertEquals(0, h.numProcessingTimeTimers(), "an expired key keeps no timer");
            assertEquals(0, h.numKeyedStateEntries(), "an expired key keeps no state");
            assertEquals(1, h.counter("expiredKeys"));

            // The stream goes on after the stage forgot it: a new document, without the forgotten context.
            later.forEach(p -> process(h, event("a", p)));
            h.advance(DELAY);
            assertEquals(1, h.numProcessingTimeTimers());
            List<PatchEmbedding> out = h.extractOutputValues();
            assertEmbeddings(first, encode(first), out.subList(0, first.size()), "before expiry");
            assertEmbeddings(later, encode(later), out.subList(first.size(), out.size()), "after expiry");
            assertEquals(1, h.counter("contextResets"));
        }
    }
}
