package dev.blt.cli;

import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.RecordEmbedding;

/**
 * One record of {@code blt embed --per-record}, accumulated patch by patch: bytes, patches, bits
 * per byte under BLT and the record embedding (the same vector as the job's RecordScore), in
 * memory that does not grow with the record.
 */
final class RecordSummary {

    private long bytes;
    private long patches;
    private double bits;
    private final RecordEmbedding embedding = new RecordEmbedding();

    void add(int length, PatchOutputs patch) {
        bytes += length;
        patches++;
        bits += patch.bitsPerByte() * length;
        embedding.add(patch.embedding());
    }

    long bytes() {
        return bytes;
    }

    long patches() {
        return patches;
    }

    double bitsPerByte() {
        return bytes == 0 ? 0 : bits / bytes;
    }

    /** The L2-normalised mean patch embedding; empty for a record without patches. */
    float[] embedding() {
        return embedding.vector();
    }
}
