package dev.blt.model;

/**
 * The entropy model's outputs for one row of T tokens.
 *
 * @param entropy entropy in nats of the distribution of token t+1 given tokens[0..t], [T]
 * @param nextLogprob log p(tokens[t+1]) in nats, [T]; 0 at the last position, which has no next token
 */
public record EntropyOutput(float[] entropy, float[] nextLogprob) {}
