package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Records patched with the earlier records as context (issue 10): each record keeps its own
 * patches, but the entropy model sees what came before it; the result does not depend on how the
 * records' bytes arrived or on restarts, with a separator still pending or not.
 */
class RecordContextTest {


    private static LoadedModel model;
    private static OfflinePatcher offline;
    private static List<byte[]> records;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
        offline = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        records = SampleText.lines().stream().filter(l -> l.length > 0).limit(40).toList();
    }

    @Test
    void everyRecordIsCutIntoItsOwnPatchesNumberedFromZero() {
        List<List<ClosedPatch>> patched = offline.patchRecordsInContext(records);
        assertEquals(records.size(), patched.size());
        for (int r = 0; r < records.size(); r++) {
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            long offset = 0;
            for (int i = 0; i < patched.get(r).size(); i++) {
                ClosedPatch p = patched.get(r).get(i);
                assertEquals(i, p.patchIndex(), "record " + r + ": patch indices from 0");
                assertEquals(offset, p.startOffset(), "record " + r + ": offsets within the record");
                offset += p.length();
                joined.writeBytes(p.bytes());
            }
            assertArrayEquals(records.get(r), joined.toByteArray(), "record " + r + ": patches cover it exactly");
        }
    }

    @Test
    void theModelSeesTheEarlierRecords() {
        List<List<ClosedPatch>> inContext = offline.patchRecordsInContext(records);
        List<List<ClosedPatch>> alone = offline.patchRecords(records);
        assertArrayEquals(alone.get(0).get(0).entropies(), inContext.get(0).get(0).entropies(), 1e-4f,
                "the first record has no earlier context either way");
        int differing = 0;
        for (int r = 1; r < records.size(); r++) {
            if (Math.abs(alone.get(r).get(0).entropies()[0] - inContext.get(r).get(0).entropies()[0]) > 1e-3) {
                differing++;
            }
        }
        assertNotEquals(0, differing, "a record's first byte is scored after the previous record, not after BOS");
    }

    @Test
    void bytesArrivingInAnyPiecesWithRestartsGiveTheSamePatches() {
        List<List<ClosedPatch>> expected = offline.patchRecordsInContext(records);
        Random random = new Random(11);
        for (int trial = 0; trial < 3; trial++) {
            PatcherSettings settings = model.patcherSettings();
            StreamPatcher patcher = new StreamPatcher(settings);
            List<ClosedPatch> out = new ArrayList<>();
            List<Long> starts = new ArrayList<>();
            int maxPiece = trial == 0 ? 1 : 1 + random.nextInt(60);
            for (byte[] record : records) {
                starts.add(patcher.received());
                for (byte[] piece : SampleText.chunk(record, maxPiece, random)) {
                    patcher.append(piece);
                    if (random.nextInt(3) == 0) {
                        BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
                        out.addAll(patcher.drain());
                    }
                }
                patcher.endRecord();
                if (random.nextBoolean()) { // a restart, sometimes with the separator not yet ruled
                    patcher = StreamPatcher.restore(settings, patcher.snapshot());
                }
                if (random.nextBoolean()) {
                    BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
                    out.addAll(patcher.drain());
                }
            }
            BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
            out.addAll(patcher.drain());
            List<ClosedPatch> flat = new ArrayList<>();
            expected.forEach(flat::addAll);
            assertEquals(flat.size(), out.size(), "max piece " + maxPiece + ": patch count");
            int next = 0;
            for (int r = 0; r < records.size(); r++) {
                for (ClosedPatch e : expected.get(r)) {
                    ClosedPatch a = out.get(next++);
                    assertEquals(e.startOffset(), a.startOffset() - starts.get(r), "record " + r + ": boundary");
                    assertEquals(ByteBuffer.wrap(e.bytes()), ByteBuffer.wrap(a.bytes()), "record " + r + ": bytes");
                    assertEquals(e.reason(), a.reason(), "record " + r + ": close reason");
                    assertArrayEquals(e.entropies(), a.entropies(), 1e-4f, "record " + r + ": entropies");
                }
            }
        }
    }

    @Test
    void stateWrittenBeforeSeparatorsExistedStillRestores() {
        StreamPatcher patcher = new StreamPatcher(model.patcherSettings());
        patcher.append(records.get(0));
        BatchScoring.scoreAll(List.of(patcher), model.entropyScorer());
        patcher.drain();
        byte[] v3 = patcher.snapshot(3); // version 4 adds only the afresh bases, 0 here
        StreamPatcher restored = StreamPatcher.restore(model.patcherSettings(), asVersion1(v3));
        assertArrayEquals(v3, restored.snapshot(3), "a version-1 state restores to the same patcher");
        assertArrayEquals(patcher.snapshot(), restored.snapshot(), "... in the current version too");
    }

    /**
     * The state as version 1 wrote it: scores for every buffered byte (version 3 keeps them from the
     * first unruled byte; the ones before are never read, so zeros do) and no separators.
     */
    static byte[] asVersion1(byte[] v3) {
        ByteBuffer in = ByteBuffer.wrap(v3);
        assertEquals(3, in.getInt());
        ByteBuffer out = ByteBuffer.allocate(v3.length * 10 + 64);
        out.putInt(1);
        for (int i = 0; i < 5; i++) {
            out.putLong(in.getLong());
        }
        int buffered = in.getInt();
        out.putInt(buffered);
        byte[] buffer = new byte[buffered];
        in.get(buffer);
        out.put(buffer);
        int scoresFrom = in.getInt();
        for (int i = 0; i < scoresFrom; i++) {
            out.putFloat(0f).putFloat(0f);
        }
        for (int i = scoresFrom; i <= buffered; i++) {
            out.putFloat(in.getFloat()).putFloat(in.getFloat());
        }
        out.putLong(in.getLong()); // open patch start
        int open = in.getInt();
        out.putInt(open);
        byte[] openBytes = new byte[open];
        in.get(openBytes);
        out.put(openBytes);
        for (int i = 0; i < open; i++) {
            out.putFloat(in.getFloat()).putFloat(in.getFloat());
        }
        out.putLong(in.getLong()); // next patch index
        out.putFloat(in.getFloat()); // previous entropy
        assertEquals(0, in.getInt(), "no separators pending");
        return java.util.Arrays.copyOf(out.array(), out.position());
    }
}
