package dev.blt.flink;

import dev.blt.patching.CloseReason;
import dev.blt.patching.ClosedPatch;

/**
 * A closed patch as it travels between operators: the Kafka Patch record's fields plus the
 * entropy model's per-byte log-probabilities, which the BLT stage compares against.
 */
public class PatchEvent {
    public String streamId;
    /** Record of the patch in record segmentation; -1 in stream segmentation. */
    public long recordIndex = -1;
    public long patchIndex;
    public long startOffset;
    public byte[] bytes;
    public float[] entropies;
    public float[] logprobs;
    public CloseReason closeReason;
    /** True for the last patch of a record (record segmentation). */
    public boolean lastInRecord;
    public String modelId;

    public PatchEvent() {
    }

    public static PatchEvent of(String streamId, long recordIndex, ClosedPatch patch, boolean lastInRecord,
                                String modelId) {
        PatchEvent e = new PatchEvent();
        e.streamId = streamId;
        e.recordIndex = recordIndex;
        e.patchIndex = patch.patchIndex();
        e.startOffset = patch.startOffset();
        e.bytes = patch.bytes();
        e.entropies = patch.entropies();
        e.logprobs = patch.logprobs();
        e.closeReason = patch.reason();
        e.lastInRecord = lastInRecord;
        e.modelId = modelId;
        return e;
    }

    /** The patch as the cores know it (the inverse of {@link #of}, less the stream and record). */
    public ClosedPatch toClosedPatch() {
        return new ClosedPatch(patchIndex, startOffset, bytes, entropies, logprobs, closeReason);
    }
}
