package dev.blt.encoding;

/**
 * BLT's outputs for one patch.
 *
 * @param embedding        the latent transformer's state of the patch
 * @param byteLogprobs     log p(byte) of each of the patch's bytes under BLT, in nats
 * @param nextByteLogprobs log-distribution (260 tokens) of what follows the patch
 */
public record EncodedPatch(long patchIndex, float[] embedding, float[] byteLogprobs, float[] nextByteLogprobs) {

    /** Mean surprise of the patch's bytes, in bits per byte. */
    public double bitsPerByte() {
        return Predictions.bitsPerByte(byteLogprobs);
    }
}
