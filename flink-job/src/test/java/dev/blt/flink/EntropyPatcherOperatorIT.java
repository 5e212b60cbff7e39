package dev.blt.flink;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.DeadLetter;
import dev.blt.model.LoadedModel;
import dev.blt.model.ModelSource;
import dev.blt.patching.CloseReason;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.BatchScoring;
import dev.blt.patching.StreamPatcher;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.RecordContext;
import dev.blt.patching.Segmentation;
import dev.blt.testing.FloatAsserts;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The keyed entropy patcher alone, on Flink's operator test harness with the small test model: bundles,
 * timers (one per key, idle flush, state TTL), 64 KiB rounds, snapshots, Avro sequences and dead
 * letters. Processing time only moves when a test sets it, so every timer fires exactly when asked.
 */
class EntropyPatcherOperatorIT {

    /** The bundle's delay bound: advancing time by this runs the bundle. */
    private static final long DELAY = 10;
    private static final FloatAsserts.Tolerance TOLERANCE = new FloatAsserts.Tolerance(0, 1e-4);

    private static ModelSource source;
    private static LoadedModel model;
    private static OfflinePatcher offline;

    /** The Kafka offset of the next chunk: names a chunk in its dead letter. */
    private long nextOffset;

    @BeforeAll
    static void load() {
        source = new ModelSource(ModelFolders.tiny().toString(), "cpu", 1, null);
        model = source.open(); // held for the whole class: the operators share it instead of reloading
        offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
    }

    @AfterAll
    static void release() {
        model.release();
    }

    static KeyedHarness<StreamChunk, PatchEvent> harness(Segmentation segmentation, RecordContext context,
                                                        BundleSettings bundle, long ttlMs) throws Exception {
        return harness(segmentation, context, bundle, ttlMs, EntropyPatcherOperator.DEFAULT_WINDOW_CACHE_BYTES);
    }

    static KeyedHarness<StreamChunk, PatchEvent> harness(Segmentation segmentation, RecordContext context,
                                                        BundleSettings bundle, long ttlMs, long cacheBytes)
            throws Exception {
        return KeyedHarness.of(new EntropyPatcherOperator(source, segmentation, context, bundle, ttlMs, cacheBytes),
                c -> c.streamId());
    }

    static KeyedHarness<StreamChunk, PatchEvent> opened(Segmentation segmentation, BundleSettings bundle, long ttlMs)
            throws Exception {
        return opened(segmentation, RecordContext.CARRY, bundle, ttlMs);
    }

    static KeyedHarness<StreamChunk, PatchEvent> opened(Segmentation segmentation, RecordContext context,
                                                       BundleSettings bundle, long ttlMs) throws Exception {
        KeyedHarness<StreamChunk, PatchEvent> h = harness(segmentation, context, bundle, ttlMs);
        h.open();
        return h;
    }

    static KeyedHarness<StreamChunk, PatchEvent> restart(KeyedHarness<StreamChunk, PatchEvent> h,
                                                        Segmentation segmentation, BundleSettings bundle, long ttlMs,
                                                        List<PatchEvent> collected, List<DeadLetter> deadLetters)
            throws Exception {
        return restart(h, segmentation, RecordContext.CARRY, bundle, ttlMs, collected, deadLetters);
    }

    /** Snapshots h as a checkpoint does (the bundle runs before the barrier), closes it, restores a new one. */
    static KeyedHarness<StreamChunk, PatchEvent> restart(KeyedHarness<StreamChunk, PatchEvent> h,
                                                        Segmentation segmentation, RecordContext context,
                                                        BundleSettings bundle, long ttlMs,
                                                        List<PatchEvent> collected, List<DeadLetter> deadLetters)
            throws Exception {
        return restart(h, harness(segmentation, context, bundle, ttlMs), collected, deadLetters);
    }

    /** Snapshots h as a checkpoint does, closes it, and restores {@code restored} (not yet opened) from it. */
    static KeyedHarness<StreamChunk, PatchEvent> restart(KeyedHarness<StreamChunk, PatchEvent> h,
                                                        KeyedHarness<StreamChunk, PatchEvent> restored,
                                                        List<PatchEvent> collected, List<DeadLetter> deadLetters)
            throws Exception {
        h.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState state = h.snapshot(1, h.getProcessingTime());
        collected.addAll(h.extractOutputValues());
        deadLetters.addAll(h.side(EntropyPatcherOperator.DEAD_LETTERS));
        h.close();
        restored.initializeState(state);
        restored.open();
        return restored;
    }

    StreamChunk chunk(String key, byte[] payload) {
        return chunk(key, -1, null, payload);
    }

    StreamChunk chunk(String key, long sequence, String session, byte[] payload) {
        return new StreamChunk(key, sequence, session, payload, "in", 0, nextOffset++, 0L);
    }

    static List<PatchEvent> patchesOf(String key, List<PatchEvent> all) {
        return all.stream().filter(p -> p.streamId().equals(key)).toList();
    }

    static ClosedPatch withReason(ClosedPatch p, CloseReason reason) {
        return new ClosedPatch(p.patchIndex(), p.startOffset(), p.bytes(), p.entropies(), p.logprobs(), reason);
    }

    static void assertPatches(List<ClosedPatch> expected, List<PatchEvent> actual, String what) {
        assertArrayEquals(expected.stream().mapToLong(ClosedPatch::startOffset).toArray(),
                actual.stream().mapToLong(p -> p.patch().startOffset()).toArray(), what + ": patch boundaries");
        for (int i = 0; i < expected.size(); i++) {
            ClosedPatch e = expected.get(i);
            PatchEvent a = actual.get(i);
            assertEquals(e.patchIndex(), a.patchIndex(), what + ": index of patch " + i);
            assertArrayEquals(e.bytes(), a.bytes(), what + ": bytes of patch " + i);
            assertEquals(e.reason(), a.patch().reason(), what + ": close reason of patch " + i);
            FloatAsserts.assertClose(what + ": entropies of patch " + i, e.entropies(), a.patch().entropies(), TOLERANCE);
            FloatAsserts.assertClose(what + ": logprobs of patch " + i, e.logprobs(), a.patch().logprobs(), TOLERANCE);
            assertEquals(model.modelId(), a.modelId());
        }
    }

    /** The longest head of {@code data} whose last patch the patcher keeps open, waiting for more bytes. */
    static byte[] withOpenEnd(byte[] data) {
        return withOpenEnd(new byte[0], data);
    }

    /** As {@link #withOpenEnd(byte[])}, for data that follows {@code before} in the stream. */
    static byte[] withOpenEnd(byte[] before, byte[] data) {
        for (int n = data.length; n > 1; n--) {
            StreamPatcher p = new StreamPatcher(model.patcherSettings());
            p.append(before);
            p.append(java.util.Arrays.copyOf(data, n));
            BatchScoring.scoreAll(List.of(p), model.entropyScorer());
            p.drain();
            if (p.openPatchLength() > 0) {
                return java.util.Arrays.copyOf(data, n);
            }
        }
        throw new IllegalStateException("no head of the sample keeps a patch open");
    }

    static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }

    static byte[] bytesOf(List<PatchEvent> patches) {
        return concat(patches.stream().map(p -> p.bytes()).toList());
    }

    static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }

    /** Log-like text of exactly n bytes: varied enough for many patches, predictable enough for long ones. */
    static byte[] logText(int n, long seed) {
        Random random = new Random(seed);
        List<byte[]> lines = SampleText.lines();
        ByteArrayOutputStream out = new ByteArrayOutputStream(n + 200);
        while (out.size() < n) {
            if (random.nextInt(4) == 0) {
                out.writeBytes(lines.get(random.nextInt(lines.size())));
            } else {
                out.writeBytes(String.format("2024-03-01 12:%02d:%02d,%03d INFO  [worker-%d] job %d processed %d records in %dms",
                        random.nextInt(60), random.nextInt(60), random.nextInt(1000), random.nextInt(16),
                        random.nextInt(100_000), random.nextInt(5000), random.nextInt(900)).getBytes(UTF_8));
            }
            out.write('\n');
        }
        byte[] text = new byte[n];
        System.arraycopy(out.toByteArray(), 0, text, 0, n);
        return text;
    }

    @Test
    void keysHaveOneTimerEachHoweverManyBundlesTheyAreIn() throws Exception {
        int keys = 1000;
        long idle = 1000;
        long ttl = 3000;
        Map<String, List<byte[]>> sent = new LinkedHashMap<>();
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.STREAM, new BundleSettings(1 << 20, DELAY, idle),
                ttl)) {
            for (int round = 0; round < 3; round++) {
                h.setProcessingTime(100L * round);
                for (int k = 0; k < keys; k++) {
                    byte[] payload = ("k" + k + " r" + round + ";").getBytes(UTF_8);
                    sent.computeIfAbsent("key-" + k, x -> new ArrayList<>()).add(payload);
                    h.processElement(chunk("key-" + k, payload), 0);
                }
                assertEquals(round == 0 ? 0 : keys, h.numProcessingTimeTimers(), "round " + round + " before its bundle");
                h.advance(DELAY); // one bundle over all keys
                assertEquals(keys, h.numProcessingTimeTimers(), "round " + round + ": one timer per key");
            }
            long lastBundle = 200 + DELAY;
            int closedBeforeIdle = h.extractOutputValues().size();

            h.setProcessingTime(lastBundle + idle - 1); // the first timers (10 + idle) fire early and re-arm
            assertEquals(keys, h.numProcessingTimeTimers(), "re-armed from the latest activity");
            assertEquals(closedBeforeIdle, h.extractOutputValues().size(), "no key is idle yet");

            h.setProcessingTime(lastBundle + idle);
            List<PatchEvent> patches = h.extractOutputValues();
            long idleFlushes = patches.stream().filter(p -> p.patch().reason() == CloseReason.IDLE_FLUSH).count();
            assertTrue(idleFlushes > 0 && idleFlushes <= keys, "at most one idle flush per key: " + idleFlushes);
            for (Map.Entry<String, List<byte[]>> e : sent.entrySet()) {
                assertArrayEquals(concat(e.getValue()), bytesOf(patchesOf(e.getKey(), patches)),
                        e.getKey() + ": after the idle flush every byte is in a patch");
            }
            assertEquals(keys, h.numProcessingTimeTimers(), "armed again for the state TTL");

            h.setProcessingTime(lastBundle + ttl - 1);
            assertEquals(keys, h.numProcessingTimeTimers());
            h.setProcessingTime(lastBundle + ttl);
            assertEquals(0, h.numProcessingTimeTimers(), "expired keys keep no timer");
            assertEquals(0, h.numKeyedStateEntries(), "expired keys keep no state");
            assertEquals(keys, h.counter("expiredKeys"));
            assertEquals(patches.size(), h.extractOutputValues().size(), "nothing was open any more");
        }
    }

    @Test
    void idleFlushClosesTheOpenPatchAfterEveryQuietSpell() throws Exception {
        long idle = 1000;
        byte[] first = withOpenEnd(SampleText.streams().get(0)); // its last patch stays open until the end
        byte[] second = withOpenEnd(first, "And then the stream went on after its idle flush, with more words."
                .getBytes(UTF_8));
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.STREAM, new BundleSettings(1 << 20, DELAY, idle),
                60_000)) {
            for (byte[] c : SampleText.chunk(first, 50, new Random(5))) {
                h.processElement(chunk("s", c), 0);
            }
            h.advance(DELAY);
            List<ClosedPatch> expected = new ArrayList<>(offline.patchStream(List.of(first)));
            int closed = h.extractOutputValues().size();
            assertTrue(closed < expected.size(), "the last patch waits for more input");

            h.setProcessingTime(DELAY + idle - 1);
            assertEquals(closed, h.extractOutputValues().size(), "not idle yet");
            h.setProcessingTime(DELAY + idle);
            expected.set(expected.size() - 1, withReason(expected.get(expected.size() - 1), CloseReason.IDLE_FLUSH));
            assertPatches(expected, h.extractOutputValues(), "closed by the idle flush");

            // Idle flush is not expiry: the stream goes on at its offset, and the next quiet spell flushes again.
            h.setProcessingTime(5000);
            h.processElement(chunk("s", second), 0);
            h.advance(DELAY);
            assertEquals(1, h.numProcessingTimeTimers());
            h.setProcessingTime(5000 + DELAY + idle - 1);
            List<PatchEvent> more = h.extractOutputValues().subList(expected.size(), h.extractOutputValues().size());
            assertTrue(bytesOf(more).length < second.length, "a patch of the second burst is open");
            h.setProcessingTime(5000 + DELAY + idle);
            more = h.extractOutputValues().subList(expected.size(), h.extractOutputValues().size());
            assertFalse(more.isEmpty());
            assertEquals(expected.size(), more.get(0).patchIndex(), "patch indices go on");
            assertEquals(first.length, more.get(0).patch().startOffset(), "offsets go on");
            assertEquals(CloseReason.IDLE_FLUSH, more.get(more.size() - 1).patch().reason(),
                    "the second quiet spell flushes " + idle + " ms after its input, not at the state TTL");
            assertArrayEquals(second, bytesOf(more));
            assertEquals(0, h.counter("expiredKeys"));
        }
    }

    @Test
    void stateTtlEmitsTheOpenPatchAndForgetsTheKey() throws Exception {
        long ttl = 1000;
        byte[] first = withOpenEnd(SampleText.streams().get(0));
        byte[] second = SampleText.streams().get(1);
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.STREAM, new BundleSettings(1 << 20, DELAY, 0),
                ttl)) {
            long sequence = 100;
            for (byte[] c : SampleText.chunk(first, 60, new Random(9))) {
                h.processElement(chunk("s", sequence++, "session-1", c), 0);
            }
            h.advance(DELAY);
            assertEquals(1, h.numProcessingTimeTimers());
            h.setProcessingTime(DELAY + ttl - 1);
            List<ClosedPatch> expected = new ArrayList<>(offline.patchStream(List.of(first)));
            assertTrue(h.extractOutputValues().size() < expected.size(), "no idle flush: the last patch stays open");

            h.setProcessingTime(DELAY + ttl);
            expected.set(expected.size() - 1, withReason(expected.get(expected.size() - 1), CloseReason.IDLE_FLUSH));
            assertPatches(expected, h.extractOutputValues(), "the expired key's open patch");
            assertEquals(0, h.numProcessingTimeTimers());
            assertEquals(0, h.numKeyedStateEntries(), "patcher, sequence, session and timer state are gone");
            assertEquals(1, h.counter("expiredKeys"));

            // The key comes back: a new stream from offset 0, and its sequences are not replays of the old ones.
            h.getOutput().clear();
            long restart = 0;
            for (byte[] c : SampleText.chunk(second, 80, new Random(10))) {
                h.processElement(chunk("s", restart++, null, c), 0);
            }
            h.advance(DELAY);
            assertEquals(1, h.numProcessingTimeTimers());
            h.endInput();
            assertPatches(offline.patchStream(List.of(second)), h.extractOutputValues(), "after expiry");
            assertTrue(h.side(EntropyPatcherOperator.DEAD_LETTERS).isEmpty());
        }
    }

    @Test
    void stateTtlRestartsRecordIndices() throws Exception {
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.RECORD, new BundleSettings(1 << 20, DELAY, 0),
                1000)) {
            h.processElement(chunk("r", "first record".getBytes(UTF_8)), 0);
            h.processElement(chunk("r", "second record".getBytes(UTF_8)), 0);
            h.advance(DELAY);
            h.setProcessingTime(DELAY + 1000);
            assertEquals(0, h.numKeyedStateEntries());
            h.getOutput().clear();
            h.processElement(chunk("r", "third record".getBytes(UTF_8)), 0);
            h.advance(DELAY);
            List<PatchEvent> out = h.extractOutputValues();
            assertFalse(out.isEmpty());
            assertTrue(out.stream().allMatch(p -> p.recordIndex() == 0), "the forgotten key numbers records from 0 again");
        }
    }

    @Test
    void streamSegmentationEqualsTheOnePieceRunUnderChunkingRoundsAndRestore() throws Exception {
        BundleSettings bundle = new BundleSettings(8 * 1024, DELAY, 0);
        int big = EntropyPatcherOperator.SLICE_BYTES + 464; // scored in two rounds
        byte[] head = logText(2000, 1);
        byte[] large = logText(big, 2);
        byte[] tail = logText(1500, 3);
        byte[] bigStream = concat(List.of(head, large, tail));
        byte[] smallStream = SampleText.streams().get(1);

        Random random = new Random(11);
        List<byte[]> bigChunks = new ArrayList<>(SampleText.chunk(head, 300, random));
        int largeIndex = bigChunks.size();
        bigChunks.add(large);
        bigChunks.addAll(SampleText.chunk(tail, 300, random));
        List<byte[]> smallChunks = SampleText.chunk(smallStream, 20, random);

        List<PatchEvent> out = new ArrayList<>();
        List<DeadLetter> dead = new ArrayList<>();
        KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.STREAM, bundle, 0);
        try {
            int b = 0;
            int s = 0;
            boolean restarted = false;
            while (b < bigChunks.size() || s < smallChunks.size()) {
                boolean takeBig = s == smallChunks.size() || (b < bigChunks.size() && random.nextBoolean());
                if (takeBig) {
                    h.processElement(chunk("big", bigChunks.get(b++)), 0);
                } else {
                    h.processElement(chunk("small", smallChunks.get(s++)), 0);
                }
                if (random.nextInt(5) == 0) {
                    h.advance(DELAY);
                }
                if (!restarted && b > largeIndex + 3) {
                    h = restart(h, Segmentation.STREAM, bundle, 0, out, dead);
                    restarted = true;
                }
            }
            h.endInput();
            out.addAll(h.extractOutputValues());
            dead.addAll(h.side(EntropyPatcherOperator.DEAD_LETTERS));
        } finally {
            h.close();
        }
        assertTrue(dead.isEmpty(), "dead letters: " + dead);
        assertPatches(offline.patchStream(List.of(bigStream)), patchesOf("big", out), "a " + big + "-byte chunk, restored");
        assertPatches(offline.patchStream(List.of(smallStream)), patchesOf("small", out), "the key beside it");
    }

    /**
     * A model rollout at a restore (docs/DESIGN.md, "Model rollout"): state the shipped model wrote,
     * restored under its int8 variant (same windows), gives the old model's patches up to where the
     * stream stood, its open patch closed there, then the new model's, with the earlier bytes as
     * context; a second restore under the new model switches nothing again.
     */
    @Test
    void aRestoreUnderAnotherModelSwitchesEachStreamOnceWhereItStands() throws Exception {
        switchModels(ModelFolders.shipped(), ModelFolders.shippedInt8(), dev.blt.testing.ModelSwitchDefinition::patches);
    }

    @Test
    void aRestoreUnderAModelWithOtherWindowsStartsEachStreamAfreshWhereItStands() throws Exception {
        switchModels(ModelFolders.tiny(), ModelFolders.shipped(), dev.blt.testing.ModelSwitchDefinition::afresh);
    }

    /** What one stream's patches must be when the job switches models: before, after, old, new. */
    interface SwitchDefinition {
        List<ClosedPatch> patches(byte[] before, byte[] after, dev.blt.model.LoadedModel oldModel,
                dev.blt.model.LoadedModel newModel);
    }

    /**
     * One stream under the old model, then a restore under the new one part-way through the rest and
     * another restore later (the switch happens once): the output must be the definition's, each
     * patch tagged with the model that emitted it.
     */
    private void switchModels(java.nio.file.Path oldFolder, java.nio.file.Path newFolder, SwitchDefinition definition)
            throws Exception {
        ModelSource oldSource = new ModelSource(oldFolder.toString(), "cpu", 1, null);
        ModelSource newSource = new ModelSource(newFolder.toString(), "cpu", 1, null);
        dev.blt.model.LoadedModel oldModel = oldSource.open();
        dev.blt.model.LoadedModel newModel = newSource.open();
        BundleSettings bundle = new BundleSettings(2048, DELAY, 0);
        byte[] before = logText(3000, 41);
        byte[] after = logText(3000, 42);
        List<PatchEvent> out = new ArrayList<>();
        List<DeadLetter> dead = new ArrayList<>();
        KeyedHarness<StreamChunk, PatchEvent> h = KeyedHarness.of(new EntropyPatcherOperator(oldSource, Segmentation.STREAM,
                RecordContext.CARRY, bundle, 0, EntropyPatcherOperator.DEFAULT_WINDOW_CACHE_BYTES), c -> c.streamId());
        h.open();
        try {
            Random random = new Random(5);
            for (byte[] c : SampleText.chunk(before, 200, random)) {
                h.processElement(chunk("s", c), 0);
            }
            List<byte[]> rest = SampleText.chunk(after, 200, random);
            for (int round = 0; round < 2; round++) { // the switch, then a restore under the new model
                h = restart(h, KeyedHarness.of(new EntropyPatcherOperator(newSource, Segmentation.STREAM, RecordContext.CARRY,
                        bundle, 0, EntropyPatcherOperator.DEFAULT_WINDOW_CACHE_BYTES), c -> c.streamId()), out, dead);
                List<byte[]> part = round == 0 ? rest.subList(0, rest.size() / 2) : rest.subList(rest.size() / 2, rest.size());
                for (byte[] c : part) {
                    h.processElement(chunk("s", c), 0);
                }
            }
            h.endInput();
            out.addAll(h.extractOutputValues());
            dead.addAll(h.side(EntropyPatcherOperator.DEAD_LETTERS));
        } finally {
            h.close();
        }
        assertTrue(dead.isEmpty(), "dead letters: " + dead);
        List<ClosedPatch> expected = definition.patches(before, after, oldModel, newModel);
        oldModel.release();
        newModel.release();
        assertArrayEquals(expected.stream().mapToLong(ClosedPatch::startOffset).toArray(),
                out.stream().mapToLong(p -> p.patch().startOffset()).toArray(), "patch boundaries");
        long switchedAt = expected.stream().filter(p -> p.reason() == CloseReason.MODEL_SWITCH).findFirst().orElseThrow()
                .patchIndex();
        for (int i = 0; i < expected.size(); i++) {
            ClosedPatch e = expected.get(i);
            PatchEvent a = out.get(i);
            assertEquals(e.patchIndex(), a.patchIndex());
            assertArrayEquals(e.bytes(), a.bytes(), "bytes of patch " + i);
            if (e.patchIndex() != switchedAt) { // the old lookahead may have closed it already (ENTROPY)
                assertEquals(e.reason(), a.patch().reason(), "close reason of patch " + i);
            }
            FloatAsserts.assertClose("entropies of patch " + i, e.entropies(), a.patch().entropies(), TOLERANCE);
            FloatAsserts.assertClose("logprobs of patch " + i, e.logprobs(), a.patch().logprobs(), TOLERANCE);
            boolean emittedBefore = e.patchIndex() < switchedAt
                    || (e.patchIndex() == switchedAt && a.patch().reason() != CloseReason.MODEL_SWITCH);
            assertEquals(emittedBefore ? oldModel.modelId() : newModel.modelId(), a.modelId(), "model of patch " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(RecordContext.class)
    void recordsOverOneRoundEqualTheOfflineRecords(RecordContext context) throws Exception {
        List<byte[]> records = List.of(SampleText.lines().get(0), logText(EntropyPatcherOperator.SLICE_BYTES + 300, 4),
                SampleText.lines().get(1), "x".getBytes(UTF_8));
        List<byte[]> other = List.of(SampleText.lines().get(2), SampleText.lines().get(4));
        try (KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.RECORD, context,
                new BundleSettings(1 << 20, DELAY, 0), 0)) {
            for (int i = 0; i < records.size(); i++) { // one bundle: the rounds cut inside the large record
                h.processElement(chunk("r", records.get(i)), 0);
                if (i < other.size()) {
                    h.processElement(chunk("q", other.get(i)), 0);
                }
            }
            h.advance(DELAY);
            assertRecords(offline.patchRecords(records, context), patchesOf("r", h.extractOutputValues()), "r");
            assertRecords(offline.patchRecords(other, context), patchesOf("q", h.extractOutputValues()), "q");
        }
    }

    /** Record indices 0, 1, ...; each record's patches as offline; lastInRecord on its last patch only. */
    static void assertRecords(List<List<ClosedPatch>> expected, List<PatchEvent> actual, String what) {
        Map<Long, List<PatchEvent>> byRecord = new LinkedHashMap<>();
        actual.forEach(p -> byRecord.computeIfAbsent(p.recordIndex(), r -> new ArrayList<>()).add(p));
        assertEquals(java.util.stream.LongStream.range(0, expected.size()).boxed().toList(), List.copyOf(byRecord.keySet()),
                what + ": record indices in order");
        for (int r = 0; r < expected.size(); r++) {
            List<PatchEvent> patches = byRecord.get((long) r);
            assertPatches(expected.get(r), patches, what + " record " + r);
            for (int i = 0; i < patches.size(); i++) {
                assertEquals(i == patches.size() - 1, patches.get(i).lastInRecord(), what + " record " + r + " patch " + i);
            }
        }
    }

    @Test
    void avroSequencesDeadLetterReplaysAndHonourProducerSessions() throws Exception {
        BundleSettings bundle = new BundleSettings(1 << 20, DELAY, 0);
        List<PatchEvent> out = new ArrayList<>();
        List<DeadLetter> dead = new ArrayList<>();
        Map<Long, String> deadExpected = new LinkedHashMap<>(); // offset -> what the reason must say
        List<byte[]> accepted = new ArrayList<>();
        KeyedHarness<StreamChunk, PatchEvent> h = opened(Segmentation.RECORD, bundle, 0);
        try {
            Object[][] steps = { // sequence, session, accepted?, (flush after)
                {1L, null, true}, {2L, null, true}, {2L, null, false}, {1L, null, false}, {3L, null, true, "flush"},
                {3L, null, false}, {0L, "p1", true, "flush"}, {0L, "p1", false}, {0L, null, false}, {1L, null, true,
                "restart"}, {1L, "p1", false}, {0L, "p2", true}, {7L, "p2", true}, {5L, "p2", false}, {5L, null, false},
                {8L, null, true, "flush"},
            };
            for (int i = 0; i < steps.length; i++) {
                Object[] step = steps[i];
                byte[] payload = ("record " + i).getBytes(UTF_8);
                StreamChunk c = chunk("a", (Long) step[0], (String) step[1], payload);
                h.processElement(c, 0);
                if ((Boolean) step[2]) {
                    accepted.add(payload);
                } else {
                    deadExpected.put(c.offset(), "sequence " + step[0] + " of stream 'a'");
                }
                String after = step.length > 3 ? (String) step[3] : "";
                if (after.equals("flush")) {
                    h.advance(DELAY);
                } else if (after.equals("restart")) {
                    h = restart(h, Segmentation.RECORD, bundle, 0, out, dead);
                }
            }
            h.endInput();
            out.addAll(h.extractOutputValues());
            dead.addAll(h.side(EntropyPatcherOperator.DEAD_LETTERS));
        } finally {
            h.close();
        }
        assertEquals(List.copyOf(deadExpected.keySet()), dead.stream().map(DeadLetter::getOffset).toList(),
                "the replays, by offset");
        for (DeadLetter d : dead) {
            assertTrue(d.getReason().startsWith(deadExpected.get(d.getOffset())), d.getReason());
            assertTrue(d.getReason().contains("not after the last accepted sequence"), d.getReason());
            assertArrayEquals(("record " + d.getOffset()).getBytes(UTF_8), // offsets count from 0 in each test
                    bytes(d.getOriginalValue()), "the original bytes");
        }
        assertRecords(offline.patchRecordsInContext(accepted), out, "accepted records, numbered without the replays");
    }

    @ParameterizedTest
    @CsvSource({"STREAM,CARRY,268435456", "RECORD,CARRY,268435456", "RECORD,CARRY,0", "RECORD,RESET,268435456"})
    void randomInterleavingsAccountForEveryByte(Segmentation segmentation, RecordContext context, long cacheBytes)
            throws Exception {
        Random random = new Random(20240301L + segmentation.ordinal());
        BundleSettings bundle = new BundleSettings(256, DELAY, 0);
        int keys = 4;

        // Per key: random chunks with producer sequences that sometimes replay, skip, restart a session or drop it.
        List<StreamChunk> input = new ArrayList<>();
        List<List<StreamChunk>> perKey = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            List<StreamChunk> chunks = new ArrayList<>();
            long next = random.nextInt(3);
            String session = null;
            int sessions = 0;
            for (byte[] payload : SampleText.chunk(logText(300 + random.nextInt(300), 100 + k), 40, random)) {
                long sequence;
                int dice = random.nextInt(10);
                if (dice < 6) {
                    sequence = next;
                    next += 1 + (random.nextInt(4) == 0 ? random.nextInt(3) : 0);
                } else if (dice == 6) {
                    sequence = Math.max(0, next - 1 - random.nextInt(3)); // a replay (or, at 0, maybe not)
                } else if (dice == 7) {
                    session = "session-" + (++sessions);
                    sequence = random.nextInt(3);
                    next = sequence + 1;
                } else if (dice == 8) {
                    session = null; // the producer stopped naming its session: sequences must still increase
                    sequence = next - 2 + random.nextInt(4);
                    next = Math.max(next, sequence + 1);
                } else {
                    sequence = -1; // no sequence at all: never a replay
                }
                chunks.add(new StreamChunk("key-" + k, sequence, session, payload, "in", k, 0, 0L));
            }
            perKey.add(chunks);
        }
        int[] taken = new int[keys];
        int total = perKey.stream().mapToInt(List::size).sum();
        while (input.size() < total) {
            int k = random.nextInt(keys);
            if (taken[k] < perKey.get(k).size()) {
                StreamChunk c = perKey.get(k).get(taken[k]++);
                input.add(new StreamChunk(c.streamId(), c.sequence(), c.producerSession(), c.payload(), c.topic(),
                        c.partition(), input.size(), c.timestampMs()));
            }
        }

        // The rule, per key: a sequence must exceed the last accepted one unless a new session starts.
        Set<Long> expectedDead = new HashSet<>();
        Map<String, Long> last = new HashMap<>();
        Map<String, String> sessionOf = new HashMap<>();
        for (StreamChunk c : input) {
            if (c.sequence() < 0) {
                continue;
            }
            boolean newSession = c.producerSession() != null && !c.producerSession().equals(sessionOf.get(c.streamId()));
            Long previous = last.get(c.streamId());
            if (!newSession && previous != null && c.sequence() <= previous) {
                expectedDead.add(c.offset());
                continue;
            }
            last.put(c.streamId(), c.sequence());
            if (newSession) {
                sessionOf.put(c.streamId(), c.producerSession());
            }
        }
        assertTrue(expectedDead.size() >= 3, "the seed must produce some replays: " + expectedDead.size());

        List<PatchEvent> out = new ArrayList<>();
        List<DeadLetter> dead = new ArrayList<>();
        int restartAt = total / 2 + random.nextInt(total / 4);
        // cacheBytes 0: no live patcher, every bundle restores its keys from state
        KeyedHarness<StreamChunk, PatchEvent> h = harness(segmentation, context, bundle, 0, cacheBytes);
        h.open();
        try {
            for (int i = 0; i < total; i++) {
                h.processElement(input.get(i), 0);
                if (random.nextInt(4) == 0) {
                    h.advance(DELAY);
                }
                if (i == restartAt) {
                    h = restart(h, segmentation, context, bundle, 0, out, dead);
                }
            }
            h.endInput();
            out.addAll(h.extractOutputValues());
            dead.addAll(h.side(EntropyPatcherOperator.DEAD_LETTERS));
        } finally {
            h.close();
        }

        Set<Long> deadOffsets = new HashSet<>();
        for (DeadLetter d : dead) {
            assertTrue(deadOffsets.add(d.getOffset()), "chunk " + d.getOffset() + " dead-lettered twice");
            assertFalse(d.getReason().isBlank(), "a dead letter says why");
            StreamChunk c = input.get((int) d.getOffset());
            assertArrayEquals(c.payload(), bytes(d.getOriginalValue()), "dead letter of chunk " + d.getOffset());
            assertArrayEquals(c.streamId().getBytes(UTF_8), bytes(d.getOriginalKey()));
        }
        assertEquals(expectedDead, deadOffsets, "dead-lettered chunks");
        for (int k = 0; k < keys; k++) {
            String key = "key-" + k;
            List<byte[]> kept = input.stream().filter(c -> c.streamId().equals(key) && !deadOffsets.contains(c.offset()))
                    .map(c -> c.payload()).toList();
            List<PatchEvent> patches = patchesOf(key, out);
            if (segmentation == Segmentation.STREAM) {
                assertArrayEquals(concat(kept), bytesOf(patches), key + ": every kept byte once, in order");
                assertPatches(offline.patchStream(kept), patches, key);
            } else {
                assertRecords(offline.patchRecords(kept, context), patches, key);
            }
        }
    }
}
