package dev.blt.bltstage;

/**
 * BLT's outputs for one patch.
 *
 * @param embedding        the patch's embedding: the embedding head over its pooled bytes and latent state
 * @param byteLogprobs     log p(byte) of each of the patch's bytes under BLT, in nats
 * @param nextByteLogprobs log-distribution (260 tokens) of what follows the patch
 * @param context          the window that produced it, cut to end with this patch: the prompt of a
 *                         greedy continuation
 */
public record PatchOutputs(long patchIndex, float[] embedding, float[] byteLogprobs, float[] nextByteLogprobs,
                           Prompt context) {

    /**
     * Tokens and patch starts of a window that ends with the patch: the first tokenCount and
     * patchCount of arrays that the patches of one window share (copied only when a continuation
     * asks for them).
     */
    public record Prompt(long[] sharedTokens, long[] sharedStarts, int tokenCount, int patchCount) {

        public Prompt(long[] tokens, long[] patchStart) {
            this(tokens, patchStart, tokens.length, patchStart.length);
        }

        public long[] tokens() {
            return java.util.Arrays.copyOf(sharedTokens, tokenCount);
        }

        public long[] patchStart() {
            return java.util.Arrays.copyOf(sharedStarts, patchCount);
        }
    }

    /** Mean surprise of the patch's bytes, in bits per byte. */
    public double bitsPerByte() {
        return Predictions.bitsPerByte(byteLogprobs);
    }

    /** Total surprise of the patch's bytes, in bits: what a record's or a stream's bits per byte sum. */
    public double bits() {
        return Predictions.bits(byteLogprobs);
    }
}
