package dev.blt.bltstage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.ModelFolders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The shipped BLT continues a line the way its training logs go on (the synthetic cron lines always
 * run /usr/local/bin/backup.sh), and the first byte it writes is its top prediction.
 */
class GreedyContinuationTest {

    @Test
    void continuesALogLineAsTrained() {
        LoadedModel model = ModelFolders.load(ModelFolders.shipped());
        byte[] record = "Mar 01 00:00:04 db-primary cron[61861]: (deploy) CMD (/usr/local/bin"
                .getBytes(StandardCharsets.UTF_8);
        List<ClosedPatch> patches = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchRecords(List.of(record)).get(0);
        List<PatchOutputs> encoded = OfflineBltStage.encodeDocument(model.encoderSettings(), model.bltScorer(),
                patches.stream().map(ClosedPatch::bytes).toList());
        PatchOutputs last = encoded.get(encoded.size() - 1);
        byte[] next = GreedyContinuation.continueAll(List.of(last), model.bltScorer(), 12,
                model.manifest().tokens().byteOffset()).get(0);
        assertEquals(Predictions.topK(last.nextByteLogprobs(), model.manifest().tokens().byteOffset(), 1).get(0).value(),
                next[0] & 0xFF);
        assertEquals("/backup.sh", new String(next, 0, 10, StandardCharsets.UTF_8), "continuation");
    }
}
