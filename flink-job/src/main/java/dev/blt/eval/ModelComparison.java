package dev.blt.eval;

import dev.blt.bltstage.Predictions;
import dev.blt.bltstage.BltScorer;
import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.EntropyScorer;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.PatcherSettings;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a model variant (an int8 folder, an adapted one) changes against its base on the same bytes:
 * both run the whole pipeline on one stream, the variant's BLT on the variant's own patches.
 */
public final class ModelComparison {

    private ModelComparison() {
    }

    /** One model's pipeline: its patching (settings and entropy model) and its BLT stage. */
    public record Pipeline(PatcherSettings patcher, EntropyScorer entropyModel, BltStageSettings encoder, BltScorer blt) {
    }

    /** One model's figures on the stream; boundaries are the offsets where its patches start. */
    public record Figures(double entropyModelBitsPerByte, double bltBitsPerByte, double bytesPerPatch,
                          Set<Long> boundaries) {
    }

    /**
     * @param identicalBoundaries patch starts both models chose, over the starts either chose
     *                            (1 = the same patches)
     */
    public record Result(Figures base, Figures variant, double identicalBoundaries) {
    }

    public static Result compare(Pipeline base, Pipeline variant, List<byte[]> chunks) {
        Figures a = figures(base, chunks);
        Figures b = figures(variant, chunks);
        Set<Long> union = new HashSet<>(a.boundaries());
        union.addAll(b.boundaries());
        long shared = a.boundaries().stream().filter(b.boundaries()::contains).count();
        return new Result(a, b, union.isEmpty() ? 1.0 : (double) shared / union.size());
    }

    /** The stream (given as chunks) through one pipeline. */
    public static Figures figures(Pipeline pipeline, List<byte[]> chunks) {
        List<ClosedPatch> patches = new OfflinePatcher(pipeline.patcher(), pipeline.entropyModel()).patchStream(chunks);
        long bytes = 0;
        double entropyBits = 0;
        Set<Long> boundaries = new HashSet<>();
        for (ClosedPatch p : patches) {
            bytes += p.length();
            boundaries.add(p.startOffset());
            entropyBits += Predictions.bits(p.logprobs());
        }
        List<PatchOutputs> encoded = OfflineBltStage.encodeDocument(pipeline.encoder(), pipeline.blt(),
                patches.stream().map(ClosedPatch::bytes).toList());
        double bltBits = encoded.stream().mapToDouble(PatchOutputs::bits).sum();
        long perByte = Math.max(1, bytes);
        return new Figures(entropyBits / perByte, bltBits / perByte, (double) bytes / Math.max(1, patches.size()),
                boundaries);
    }
}
