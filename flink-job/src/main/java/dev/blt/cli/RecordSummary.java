package dev.blt.cli;

import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.RecordEmbedding;
import dev.blt.bltstage.RecordSurprise;

/**
 * One record of {@code blt embed --per-record}, accumulated patch by patch: the job's RecordScore
 * figures (bytes, patches, bits per byte under BLT, from the same {@link RecordSurprise}) and the
 * record embedding, in memory that does not grow with the record.
 */
final class RecordSummary {

    private final RecordSurprise surprise = new RecordSurprise();
    private final RecordEmbedding embedding = new RecordEmbedding();

    void add(PatchOutputs patch) {
        surprise.add(patch);
        embedding.add(patch.embedding());
    }

    long bytes() {
        return surprise.bytes();
    }

    long patches() {
        return surprise.patches();
    }

    double bitsPerByte() {
        return surprise.meanBitsPerByte();
    }

    /** The L2-normalised mean patch embedding; empty for a record without patches. */
    float[] embedding() {
        return embedding.vector();
    }
}
