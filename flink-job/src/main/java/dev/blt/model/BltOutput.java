package dev.blt.model;

/**
 * The BLT graph's outputs for one {@link BltCall} with P patches and T tokens.
 *
 * @param patchEmbedding each patch's embedding (the embedding head's output, or the latent state), [P][d_latent]
 * @param nextLogprob log p(tokens[t+1]) in nats, [T]; 0 at the last position, which has no next token
 * @param patchEndLogprobs log-distribution of the token after each patch's last token, [P][vocab]
 */
public record BltOutput(float[][] patchEmbedding, float[] nextLogprob, float[][] patchEndLogprobs) {}
