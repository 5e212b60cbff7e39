package dev.blt.patching;

/**
 * A finished patch.
 *
 * @param patchIndex  index of the patch in its stream (stream segmentation) or record
 * @param startOffset offset of its first byte in the stream (or record)
 * @param entropies   H_t of each byte, in nats
 * @param logprobs    log p(byte t) under the entropy model, in nats
 */
public record ClosedPatch(long patchIndex, long startOffset, byte[] bytes, float[] entropies, float[] logprobs,
                          CloseReason reason) {

    public int length() {
        return bytes.length;
    }
}
