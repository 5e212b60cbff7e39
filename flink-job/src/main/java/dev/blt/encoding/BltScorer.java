package dev.blt.encoding;

import java.util.List;

/** Runs the BLT graph over windows in one batched call. */
public interface BltScorer {

    List<Outputs> score(List<PatchEncoder.Window> windows);

    /** The graph's outputs for one window, trimmed to its own tokens and patches. */
    record Outputs(float[][] patchEmbedding, float[] nextLogprob, float[][] patchEndLogprobs) {
    }
}
