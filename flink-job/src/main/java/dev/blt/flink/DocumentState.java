package dev.blt.flink;

import dev.blt.bltstage.BltStage;
import dev.blt.bltstage.BltStageSettings;
import dev.blt.bltstage.RecordEmbedding;
import dev.blt.bltstage.RecordSurprise;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The keyed state of the BLT stage's open document ({@link BltStageOperator.Document}), in every
 * format version it has had; the current one is written, all are read:
 * <ul>
 *   <li>v1 (no header): record index, the record's surprise (five longs), the BLT stage snapshot
 *       (length, bytes);</li>
 *   <li>v2: the header {@link #V2}, the patch index of the document's patch 0, the finished flag,
 *       then v1's fields;</li>
 *   <li>v3: the header {@link #V3}, v2's fields with the open record's embedding sum after the
 *       surprise;</li>
 *   <li>v4: the header {@link #V4}, v3's fields; the BLT stage inside is written in its version 3
 *       (the earlier ones hold its version 2; it reads them all).</li>
 * </ul>
 * A v1 state began with the record index as a long, whose first four bytes are 0x00000000 or
 * 0xFFFFFFFF: never a header, which spells "BLT" and the version.
 */
final class DocumentState {

    static final int V2 = 0x424C5402;
    static final int V3 = 0x424C5403;
    static final int V4 = 0x424C5404;
    static final int CURRENT_VERSION = 4;
    /** The BLT stage snapshot version that document states before v4 hold. */
    private static final int STAGE_VERSION_BEFORE_V4 = 2;

    private DocumentState() {
    }

    static byte[] write(BltStageOperator.Document doc) throws IOException {
        return write(doc, CURRENT_VERSION);
    }

    /** Earlier versions are written only by the format tests, to pin what their reader reads. */
    static byte[] write(BltStageOperator.Document doc, int version) throws IOException {
        if (version < 1 || version > CURRENT_VERSION) {
            throw new IllegalArgumentException("no BLT document state version " + version);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (version >= 2) {
                out.writeInt(version == 2 ? V2 : version == 3 ? V3 : V4);
                out.writeLong(doc.firstPatchIndex);
                out.writeBoolean(doc.finished);
            }
            out.writeLong(doc.recordIndex);
            doc.surprise.writeTo(out);
            if (version >= 3) {
                doc.embedding.writeTo(out);
            }
            byte[] stage = version >= 4 ? doc.encoder.snapshot() : doc.encoder.snapshot(STAGE_VERSION_BEFORE_V4);
            out.writeInt(stage.length);
            out.write(stage);
        }
        return bytes.toByteArray();
    }

    static BltStageOperator.Document read(BltStageSettings settings, byte[] state) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            int header = state.length >= 4 ? java.nio.ByteBuffer.wrap(state).getInt() : 0;
            int version = header == V4 ? 4 : header == V3 ? 3 : header == V2 ? 2 : 1;
            long firstPatchIndex = 0;
            boolean finished = false;
            if (version >= 2) {
                in.readInt();
                firstPatchIndex = in.readLong();
                finished = in.readBoolean();
            }
            long record = in.readLong();
            RecordSurprise surprise = RecordSurprise.readFrom(in);
            // Before v3 the open record's embedding was not kept: its vector then covers the patches after the upgrade.
            RecordEmbedding embedding = version >= 3 ? RecordEmbedding.readFrom(in) : new RecordEmbedding();
            int stageLength = in.readInt();
            if (stageLength < 0 || stageLength > in.available()) {
                throw new IOException("corrupt BLT-stage document state: BLT stage snapshot of " + stageLength
                        + " bytes, " + in.available() + " left");
            }
            byte[] stage = new byte[stageLength];
            in.readFully(stage);
            BltStageOperator.Document doc = new BltStageOperator.Document(record, firstPatchIndex,
                    BltStage.restore(settings, stage), surprise, embedding);
            doc.finished = finished;
            return doc;
        }
    }
}
