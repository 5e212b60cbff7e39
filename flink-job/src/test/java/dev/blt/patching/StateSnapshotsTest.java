package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.bltstage.BatchedBltStages;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.bltstage.BltStage;
import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keyed state written by an earlier build restores in this one: checked-in snapshot bytes, one file
 * per format version (src/test/resources/state), each restored and continued on the rest of its
 * stream, which must give the patches (or patch outputs) of the whole stream in one piece. A new
 * format version adds its file with {@code -Dblt.state.write=true} and keeps the old ones.
 *
 * <p>The snapshots carry scores of the shipped model; a retrained shipped model can move a boundary
 * near the cut, and then these files are regenerated with the model (the reason is the model, not
 * the format).
 */
class StateSnapshotsTest {

    private static final Path DIR = Path.of(System.getProperty("basedir", "")).toAbsolutePath()
            .resolve("src/test/resources/state");
    /** Where the snapshots cut their stream: inside the second entropy block, mid-patch. */
    private static final int CUT = 300;

    private static LoadedModel model;

    @BeforeAll
    static void load() {
        model = ModelFolders.load(ModelFolders.shipped());
    }

    @AfterAll
    static void release() {
        model.release();
    }

    private static byte[] stream() {
        return SampleText.streams().get(0);
    }

    @Test
    void streamPatcherStateOfVersion3ContinuesAsOnePiece() throws IOException {
        byte[] stream = stream();
        byte[] snapshot = snapshotFile("stream-patcher-v3.bin", () -> {
            StreamPatcher p = new StreamPatcher(model.patcherSettings());
            p.append(stream, 0, CUT);
            BatchScoring.scoreAll(List.of(p), model.entropyScorer());
            p.drain();
            return p.snapshot();
        });
        StreamPatcher restored = StreamPatcher.restore(model.patcherSettings(), snapshot);
        assertArrayEquals(snapshot, restored.snapshot(), "the current version writes what it read");
        restored.append(stream, CUT, stream.length - CUT);
        BatchScoring.scoreAll(List.of(restored), model.entropyScorer());
        List<ClosedPatch> rest = new ArrayList<>(restored.drain());
        rest.addAll(restored.finish(CloseReason.END_OF_STREAM));

        List<ClosedPatch> whole = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchStream(List.of(stream));
        assertTrue(rest.size() > 10 && rest.size() < whole.size(), "patches after the cut: " + rest.size());
        List<ClosedPatch> expected = whole.subList(whole.size() - rest.size(), whole.size());
        for (int i = 0; i < rest.size(); i++) {
            ClosedPatch e = expected.get(i);
            ClosedPatch a = rest.get(i);
            assertEquals(e.patchIndex(), a.patchIndex());
            assertEquals(e.startOffset(), a.startOffset());
            assertArrayEquals(e.bytes(), a.bytes(), "patch " + e.patchIndex());
            assertEquals(e.reason(), a.reason(), "patch " + e.patchIndex());
        }
    }

    @Test
    void patchEncoderStateOfVersion2ContinuesAsOnePiece() throws IOException {
        List<byte[]> patches = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchStream(List.of(stream())).stream().map(ClosedPatch::bytes).toList();
        int cut = patches.size() / 3;
        byte[] snapshot = snapshotFile("blt-stage-v2.bin", () -> {
            BltStage e = new BltStage(model.encoderSettings());
            patches.subList(0, cut).forEach(e::add);
            BatchedBltStages.runAll(List.of(e), model.bltScorer());
            return e.snapshot();
        });
        BltStage restored = BltStage.restore(model.encoderSettings(), snapshot);
        assertArrayEquals(snapshot, restored.snapshot(), "the current version writes what it read");
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

    /** The checked-in snapshot; written from the current code only when asked (a new version). */
    private static byte[] snapshotFile(String name, java.util.function.Supplier<byte[]> current) throws IOException {
        Path file = DIR.resolve(name);
        if (Boolean.getBoolean("blt.state.write") && !Files.exists(file)) {
            Files.createDirectories(DIR);
            Files.write(file, current.get());
        }
        assertTrue(Files.exists(file), file + " is missing: state of this version must be checked in");
        return Files.readAllBytes(file);
    }
}
