package dev.blt.patching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.model.LoadedModel;
import dev.blt.testing.SampleText;
import dev.blt.testing.ShippedModel;
import dev.blt.testing.StateFiles;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Patcher state written by an earlier build restores in this one: checked-in snapshot bytes, one
 * file per format version ({@link StateFiles}), each restored and continued on the rest of its
 * stream, which must give the patches of the whole stream in one piece. Versions 1 to 3 were
 * written in their layouts by {@code StreamPatcher.snapshot(version)}, which mirrors the reader.
 *
 * <p>The snapshots carry scores of the shipped model; a retrained shipped model can move a boundary
 * near the cut, and then these files are regenerated with the model (the reason is the model, not
 * the format).
 */
class StateSnapshotsTest {

    /** Where the snapshots cut their stream: inside the second entropy block, mid-patch. */
    private static final int CUT = 300;

    @RegisterExtension
    static final ShippedModel SHIPPED = new ShippedModel();

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void streamPatcherStateContinuesAsOnePiece(int version) throws IOException {
        LoadedModel model = SHIPPED.get();
        byte[] stream = SampleText.streams().get(0);
        byte[] snapshot = StateFiles.read("stream-patcher-v" + version + ".bin", () -> {
            StreamPatcher p = new StreamPatcher(model.patcherSettings());
            p.append(stream, 0, CUT);
            BatchScoring.scoreAll(List.of(p), model.entropyScorer());
            p.drain();
            return p.snapshot(version);
        });
        StreamPatcher restored = StreamPatcher.restore(model.patcherSettings(), snapshot);
        assertArrayEquals(snapshot, restored.snapshot(version), "version " + version + " writes what it read");
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
}
