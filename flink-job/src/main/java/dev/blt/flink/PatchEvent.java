package dev.blt.flink;

import dev.blt.patching.ClosedPatch;

/**
 * A closed patch as it travels between operators: the patch as the cores made it (with the entropy
 * model's per-byte log-probabilities, which the BLT stage compares against) and where it belongs.
 *
 * @param recordIndex  the patch's record in record segmentation; -1 in stream segmentation
 * @param lastInRecord true for the last patch of a record (record segmentation)
 * @param modelId      the model that cut it
 */
public record PatchEvent(String streamId, long recordIndex, ClosedPatch patch, boolean lastInRecord, String modelId) {

    /** The patch's index in its stream (or record). */
    public long patchIndex() {
        return patch.patchIndex();
    }

    public byte[] bytes() {
        return patch.bytes();
    }
}
