package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.blt.bltstage.BltStage;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.RecordEmbedding;
import dev.blt.bltstage.RecordSurprise;
import dev.blt.model.LoadedModel;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.StateFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The BLT stage's document state of every format version restores: checked-in bytes per version
 * ({@link StateFiles}; versions 1 and 2 written in their layouts by {@code DocumentState.write}),
 * read back field by field, and written again as the same bytes. The BLT stage snapshot inside has
 * its own versions ({@code BltStageSnapshotsTest}).
 */
class DocumentStateSnapshotsTest {

    private static final long RECORD = 7;
    private static final long FIRST_PATCH = 3;

    /** An open document of record 7 that began at patch 3, two patches in, one of them encoded. */
    private static BltStageOperator.Document document(BltStageSettings settings) {
        BltStage stage = new BltStage(settings);
        stage.add("GET /index".getBytes(StandardCharsets.UTF_8));
        stage.add(".html".getBytes(StandardCharsets.UTF_8));
        RecordSurprise surprise = new RecordSurprise();
        RecordEmbedding embedding = new RecordEmbedding();
        for (PatchOutputs p : new PatchOutputs[] {
                new PatchOutputs(3, new float[] {1, 2, 2}, new float[] {-0.5f, -2f}, new float[260], null),
                new PatchOutputs(4, new float[] {0, 3, 4}, new float[] {-4f}, new float[260], null)}) {
            surprise.add(p);
            embedding.add(p.embedding());
        }
        return new BltStageOperator.Document(RECORD, FIRST_PATCH, stage, surprise, embedding);
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(ints = {1, 2, 3, 4})
    void documentStateRestores(int version) throws IOException {
        LoadedModel model = ModelFolders.load(ModelFolders.tiny());
        BltStageSettings settings = model.encoderSettings();
        model.release();
        BltStageOperator.Document written = document(settings);
        byte[] state = StateFiles.read("blt-document-v" + version + ".bin", () -> {
            try {
                return DocumentState.write(written, version);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        BltStageOperator.Document read = DocumentState.read(settings, state);

        assertEquals(RECORD, read.recordIndex);
        assertEquals(version >= 2 ? FIRST_PATCH : 0, read.firstPatchIndex, "patch 0 of the document (v2 on)");
        assertFalse(read.finished);
        assertEquals(2, read.surprise.patches());
        assertEquals(3, read.surprise.bytes());
        assertEquals(written.surprise.meanBitsPerByte(), read.surprise.meanBitsPerByte(), 0);
        assertEquals(4, read.surprise.maxPatchIndex());
        if (version >= 3) {
            assertArrayEquals(written.embedding.vector(), read.embedding.vector(), "open record's embedding (v3 on)");
        } else {
            assertEquals(0, read.embedding.vector().length, "no embedding before v3");
        }
        // Version 2 of the stage: its content, without the cache owner that each new stage draws.
        assertArrayEquals(written.encoder.snapshot(2), read.encoder.snapshot(2), "the BLT stage inside");
        assertArrayEquals(state, DocumentState.write(read, version), "version " + version + " writes what it read");
    }
}
