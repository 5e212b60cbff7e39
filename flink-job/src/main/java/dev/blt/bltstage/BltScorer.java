package dev.blt.bltstage;

import java.util.List;

/** Runs the BLT graph over windows in one batched call: one-pass windows, rolling ones, or both. */
public interface BltScorer {

    List<Outputs> score(List<BltStage.Window> windows);

    /**
     * The graph's outputs for one window of P patches and T tokens, trimmed to its own tokens and patches.
     *
     * @param patchEmbedding   each patch's embedding (the embedding head's output, or the latent state), [P][d_latent]
     * @param nextLogprob      log p(tokens[t+1]) in nats, [T]; 0 at the last position, which has no next token
     * @param patchEndLogprobs log-distribution of the token after each patch's last token, [P][vocab]
     * @param next             a rolling window's cache for the stream's next window; null for a one-pass one
     */
    record Outputs(float[][] patchEmbedding, float[] nextLogprob, float[][] patchEndLogprobs, BltRollingCache next) {

        /** A one-pass window's outputs. */
        public Outputs(float[][] patchEmbedding, float[] nextLogprob, float[][] patchEndLogprobs) {
            this(patchEmbedding, nextLogprob, patchEndLogprobs, null);
        }
    }
}
