package dev.blt.bltstage;

/**
 * What a stream's next rolling BLT call continues from: the keys and values of the positions just
 * before it, the last patch's latent state and next-byte distribution, and the tokens its hashed
 * n-grams read. Transient, like the entropy model's caches: never checkpointed, rebuilt from the
 * patches a stage holds (docs/DESIGN.md, "Rolling BLT stage").
 *
 * @param owner        the {@link BltStage#owner()} it belongs to: a cache is used only by its own stage
 * @param nextPatch    the stage's index of the patch it continues at
 * @param byteCached   present positions among the last of the byte caches
 * @param patchCached  present patches among the last of the latent caches
 * @param history      the tokens before nextPatch (the pad token before the stream's start)
 * @param byteKey      [layers][heads][byte window - 1][head dim] (byteValue the same)
 * @param latentKey    [layers][heads][patch window - 1][head dim] (latentValue the same)
 * @param lastLatent   the latent state of the patch before nextPatch
 * @param endLogprobs  the next-byte log-distribution after that patch: it scores nextPatch's first byte
 */
public record BltRollingCache(long owner, long nextPatch, int byteCached, int patchCached, long[] history,
                              float[] byteKey, float[] byteValue, float[] latentKey, float[] latentValue,
                              float[] lastLatent, float[] endLogprobs) {
}
