package dev.blt.patching;

/** Why a patch ended. The first three are the patching rule; the rest end a patch from outside. */
public enum CloseReason {
    /** The next byte's entropy exceeded theta. */
    ENTROPY,
    /** The next byte's entropy rose by more than theta_monotonic over the byte before. */
    MONOTONIC,
    /** The patch reached max_patch_length. */
    MAX_LENGTH,
    /** The record ended (record segmentation). */
    END_OF_RECORD,
    /** The input ended (end of a bounded stream, or the CLI's end of file). */
    END_OF_STREAM,
    /** A processing-time idle flush closed it early; stream segmentation only, trades exactness. */
    IDLE_FLUSH,
    /** The job was resumed with another model: the old one's open patch ends where the stream stood. */
    MODEL_SWITCH
}
