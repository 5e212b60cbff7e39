package dev.blt.encoding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.ModelFolders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shipped BLT continues an obvious pattern, and its first byte is the top prediction. */
class GreedyContinuationTest {

    @Test
    void continuesARepeatedLine() {
        LoadedModel model = ModelFolders.load(ModelFolders.shipped());
        String line = "GET /health HTTP/1.1 200\n";
        byte[] stream = line.repeat(12).getBytes(StandardCharsets.UTF_8);
        List<ClosedPatch> patches = new OfflinePatcher(model.patcherSettings(), model.entropyScorer())
                .patchStream(List.of(stream));
        List<EncodedPatch> encoded = OfflineEncoder.encodeDocument(model.encoderSettings(), model.bltScorer(),
                patches.stream().map(ClosedPatch::bytes).toList());
        EncodedPatch last = encoded.get(encoded.size() - 1);
        byte[] next = GreedyContinuation.continueAll(List.of(last), model.bltScorer(), 12,
                model.manifest().tokens().byteOffset()).get(0);
        assertEquals(Predictions.topK(last.nextByteLogprobs(), model.manifest().tokens().byteOffset(), 1).get(0).value(),
                next[0] & 0xFF);
        assertEquals("GET /health ", new String(next, StandardCharsets.UTF_8), "continuation of a repeated line");
    }
}
