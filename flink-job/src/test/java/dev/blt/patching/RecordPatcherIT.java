package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Records fed in pieces and scored in bounded batches patch exactly as whole records do. */
class RecordPatcherIT {

    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.tiny()); // the batching code, not the weights, is under test
    }

    /** What record segmentation has always given: every record appended whole, all scored at once. */
    private static List<List<ClosedPatch>> whole(List<byte[]> records) {
        return new OfflinePatcher(model.patcherSettings(), model.entropyScorer()).patchRecords(records);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(RecordContext.class)
    void slicedRecordsEqualWholeRecords(RecordContext context) {
        // Short lines, an empty one, and records of 1-2 KB: longer than the slices but the last.
        List<byte[]> records = new ArrayList<>(SampleText.lines());
        records.addAll(SampleText.streams());
        records.addAll(SampleText.lines());
        List<List<ClosedPatch>> whole = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchRecords(records, context);
        Random random = new Random(5);
        for (int slice : new int[] {1, 7, 64, 65536}) {
            for (int maxRecords : new int[] {3, 256}) {
                List<List<ClosedPatch>> sliced = sliced(records, context, slice, maxRecords, 1 + random.nextInt(100),
                        random, model.entropyScorer());
                assertSameRecords(whole, sliced, "slices of " + slice + " bytes, batches of " + maxRecords);
            }
        }
    }

    @Test
    void aRecordLongerThanABatchGoesOnAcrossBatchesInBoundedCalls() {
        // 80 KB of varied text: more than one 64 KiB batch, between short records.
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 80_000; i++) {
            text.append(new String(SampleText.lines().get(i % 5), StandardCharsets.UTF_8)).append(' ');
        }
        byte[] random = new byte[3000];
        new Random(9).nextBytes(random);
        byte[] prose = text.toString().getBytes(StandardCharsets.UTF_8);
        byte[] longRecord = Arrays.copyOf(prose, prose.length + random.length);
        System.arraycopy(random, 0, longRecord, prose.length, random.length);
        List<byte[]> records = List.of(SampleText.lines().get(0), longRecord, SampleText.lines().get(1));
        List<List<ClosedPatch>> whole = whole(records);

        int[] largestCall = {0};
        EntropyScorer counting = windows -> {
            largestCall[0] = Math.max(largestCall[0], windows.size());
            return model.entropyScorer().score(windows);
        };
        List<List<ClosedPatch>> sliced = sliced(records, RecordContext.RESET, RecordPatcher.DEFAULT_MAX_BYTES,
                RecordPatcher.DEFAULT_MAX_RECORDS, 65536, new Random(1), counting);
        assertSameRecords(whole, sliced, "a record of " + longRecord.length + " bytes");
        // A call scores one block per B bytes of the batch, plus a partial block per record at most.
        int bound = RecordPatcher.DEFAULT_MAX_BYTES / model.patcherSettings().blockBytes() + 2 * records.size();
        assertTrue(largestCall[0] <= bound, "a call scored " + largestCall[0] + " windows, above " + bound);
    }

    @Test
    void piecesOfAnotherRecordAndUnendedRecordsAreRejected() {
        RecordPatcher patcher = new RecordPatcher(model.patcherSettings(), model.entropyScorer(), RecordContext.RESET, new Collect());
        patcher.add(0, new byte[] {'a'}, true);
        assertThrows(IllegalArgumentException.class, () -> patcher.add(2, new byte[] {'b'}, true));
        patcher.add(1, new byte[] {'b'}, false);
        assertThrows(IllegalStateException.class, patcher::finish);
    }

    /** Records the sink's calls, checking their order: records in turn, each patch before its record's end. */
    static final class Collect implements RecordPatcher.Sink {
        final List<List<ClosedPatch>> records = new ArrayList<>();
        boolean open;
        int batches;

        @Override
        public void patch(long record, ClosedPatch patch) {
            if (!open) {
                records.add(new ArrayList<>());
                open = true;
            }
            assertEquals(records.size() - 1, record, "patch of record " + record + " out of turn");
            List<ClosedPatch> patches = records.get(records.size() - 1);
            assertEquals(patches.size(), patch.patchIndex(), "patch index in record " + record);
            patches.add(patch);
        }

        @Override
        public void endRecord(long record) {
            if (!open) {
                records.add(new ArrayList<>());
            }
            assertEquals(records.size() - 1, record, "end of record " + record + " out of turn");
            open = false;
        }

        @Override
        public void endBatch() {
            batches++;
        }
    }

    /** Feeds each record in random pieces of 1..maxPiece bytes, ending it with its last piece or after it. */
    static List<List<ClosedPatch>> sliced(List<byte[]> records, RecordContext context, int maxBytes, int maxRecords,
                                          int maxPiece, Random random, EntropyScorer scorer) {
        Collect sink = new Collect();
        RecordPatcher patcher = new RecordPatcher(model.patcherSettings(), scorer, context, CloseReason.END_OF_RECORD,
                maxRecords, maxBytes, sink);
        for (int r = 0; r < records.size(); r++) {
            byte[] record = records.get(r);
            List<byte[]> pieces = SampleText.chunk(record, maxPiece, random);
            boolean separateEnd = pieces.isEmpty() || random.nextBoolean();
            for (int i = 0; i < pieces.size(); i++) {
                patcher.add(r, pieces.get(i), !separateEnd && i == pieces.size() - 1);
            }
            if (separateEnd) {
                patcher.add(r, new byte[0], true);
            }
        }
        patcher.finish();
        assertTrue(sink.batches > 0);
        assertTrue(!sink.open);
        return sink.records;
    }

    static void assertSameRecords(List<List<ClosedPatch>> expected, List<List<ClosedPatch>> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": records");
        for (int r = 0; r < expected.size(); r++) {
            ChunkingInvarianceIT.assertSamePatches(expected.get(r), actual.get(r), what + ", record " + r);
            assertEquals(expected.get(r).size(), actual.get(r).size(), what + ", record " + r + ": patches");
            for (int p = 0; p < expected.get(r).size(); p++) {
                assertEquals(expected.get(r).get(p).patchIndex(), actual.get(r).get(p).patchIndex());
                assertEquals(expected.get(r).get(p).startOffset(), actual.get(r).get(p).startOffset());
            }
        }
    }
}
