package dev.blt.bltstage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import dev.blt.testing.ShippedModel;
import dev.blt.testing.StateFiles;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * BLT stage and recent-records state written by an earlier build restores in this one: checked-in
 * bytes per format version ({@link StateFiles}). A restored BLT stage continued on the rest of its
 * document gives the outputs of the whole document in one piece. Version 1 of the BLT stage was
 * written in its layout by {@code BltStage.snapshot(1)}, which mirrors the reader. A rolling stage
 * restored without its cache runs its held patches again first: the same outputs.
 */
class BltStageSnapshotsTest {

    @RegisterExtension
    static final ShippedModel SHIPPED = new ShippedModel();

    /**
     * Versions 1 and 2 were written by an aligned-block stage (the shipped model's of their time), so
     * they continue under an aligned-block BLT (blt-tiny); version 3 under the shipped rolling one.
     * The patches are the shipped patcher's in both.
     */
    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {1, 2, 3})
    void bltStageStateContinuesAsOnePiece(int version) throws IOException {
        LoadedModel shipped = SHIPPED.get();
        List<byte[]> patches = new OfflinePatcher(shipped.patcherSettings(), shipped.entropyScorer())
                .patchStream(List.of(SampleText.streams().get(0))).stream().map(ClosedPatch::bytes).toList();
        LoadedModel model = version >= 3 ? shipped : ModelFolders.load(ModelFolders.tiny());
        assertEquals(version >= 3, model.encoderSettings().rolling() != null, "the scheme that wrote version " + version);
        int cut = patches.size() / 3;
        String file = "blt-stage-v" + version + ".bin";
        byte[] snapshot = StateFiles.read(file, () -> {
            BltStage e = new BltStage(model.encoderSettings());
            patches.subList(0, cut).forEach(e::add);
            BatchedBltStages.runAll(List.of(e), model.bltScorer());
            return e.snapshot(version);
        });
        BltStage restored = BltStage.restore(model.encoderSettings(), snapshot);
        assertArrayEquals(snapshot, restored.snapshot(version), "version " + version + " writes what it read");
        patches.subList(cut, patches.size()).forEach(restored::add);
        List<PatchOutputs> rest = BatchedBltStages.runAll(List.of(restored), model.bltScorer()).get(0);

        List<PatchOutputs> whole = OfflineBltStage.encodeDocument(model.encoderSettings(), model.bltScorer(), patches);
        assertEquals(patches.size() - cut, rest.size(), "outputs after the cut");
        for (int i = 0; i < rest.size(); i++) {
            PatchOutputs e = whole.get(cut + i);
            PatchOutputs a = rest.get(i);
            assertEquals(e.patchIndex(), a.patchIndex());
            for (int j = 0; j < e.embedding().length; j++) {
                assertEquals(e.embedding()[j], a.embedding()[j], 1e-4, "embedding of patch " + e.patchIndex());
            }
            assertEquals(e.bitsPerByte(), a.bitsPerByte(), 1e-4, "bits per byte of patch " + e.patchIndex());
        }
    }

    @Test
    void recentRecordsStateOfVersion1RestoresItsVectors() throws IOException {
        float[][] vectors = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0.6f, 0.8f, 0, 0}};
        byte[] snapshot = StateFiles.read("recent-records-v1.bin", () -> {
            RecentRecords r = new RecentRecords(8);
            for (float[] v : vectors) {
                r.add(v);
            }
            return r.snapshot();
        });
        RecentRecords restored = RecentRecords.restore(snapshot, 8);
        assertArrayEquals(snapshot, restored.snapshot(), "the current version writes what it read");
        assertEquals(0, restored.novelty(new float[] {0, 1, 0, 0}), 0.02, "a vector it holds is not novel");
        assertEquals(1, restored.novelty(new float[] {0, 0, 1, 0}), 0.02, "one orthogonal to all it holds is");
    }
}
