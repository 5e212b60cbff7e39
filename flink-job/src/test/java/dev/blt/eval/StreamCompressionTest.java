package dev.blt.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.bltstage.OfflineBltStage;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.SampleText;
import dev.blt.testing.ShippedModel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The eval's figures agree with the patcher and encoder run whole, and the baselines are real tools. */
class StreamCompressionTest {

    @RegisterExtension
    static final ShippedModel SHIPPED = new ShippedModel();

    @Test
    void bitsPerByteEqualTheWholeStreamRunOfBothModels() {
        LoadedModel model = SHIPPED.get();
        byte[] data = SampleText.streams().get(0);
        StreamCompression.Result r = StreamCompression.measure("sample", data, model);

        List<ClosedPatch> patches = new OfflinePatcher(model.patcherSettings(), model.entropyScorer()).patchStream(List.of(data));
        double loss = 0;
        double entropy = 0;
        for (ClosedPatch p : patches) {
            for (int i = 0; i < p.length(); i++) {
                loss -= p.logprobs()[i] / Math.log(2);
                entropy += p.entropies()[i] / Math.log(2);
            }
        }
        double blt = 0;
        for (PatchOutputs e : OfflineBltStage.encodeDocument(model.encoderSettings(), model.bltScorer(),
                patches.stream().map(ClosedPatch::bytes).toList())) {
            blt += e.bitsPerByte() * e.byteLogprobs().length;
        }
        assertEquals(data.length, r.bytes());
        assertEquals(patches.size(), r.patches());
        assertEquals(loss / data.length, r.entropyModelBits(), 1e-6);
        assertEquals(entropy / data.length, r.predictedBits(), 1e-6);
        assertEquals(blt / data.length, r.bltBits(), 1e-4);
    }

    @Test
    void compressorsAndTheTokenizerAreMeasuredOnTheSameBytes() {
        byte[] repetitive = "GET /index.html 200\n".repeat(500).getBytes(StandardCharsets.US_ASCII);
        double gzip = StreamCompression.compressedBits(List.of("gzip", "-9", "-c"), repetitive);
        assertTrue(gzip > 0 && gzip < 0.5, "gzip on a repeated line: " + gzip + " bits/byte");
        assertTrue(Double.isNaN(StreamCompression.compressedBits(List.of("no-such-compressor-here"), repetitive)));
        assertEquals(2, StreamCompression.cl100kTokens("hello world".getBytes(StandardCharsets.UTF_8)));
    }
}
