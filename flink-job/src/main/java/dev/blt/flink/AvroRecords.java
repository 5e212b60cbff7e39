package dev.blt.flink;

import dev.blt.patching.CloseReason;
import dev.blt.avro.Patch;
import dev.blt.avro.PatchCloseReason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Maps the job's internal events to the Avro records published on Kafka. */
public final class AvroRecords {

    private AvroRecords() {
    }

    public static Patch patch(PatchEvent e) {
        return Patch.newBuilder()
                .setStreamId(e.streamId)
                .setPatchIndex(e.patchIndex)
                .setStartOffset(e.startOffset)
                .setBytes(ByteBuffer.wrap(e.bytes))
                .setEntropies(floats(e.entropies))
                .setCloseReason(PatchCloseReason.valueOf(e.closeReason.name()))
                .setRecordIndex(e.recordIndex < 0 ? null : e.recordIndex)
                .setLastInRecord(e.lastInRecord)
                .setEntropyModelLogprobs(floats(e.logprobs))
                .setModelId(e.modelId)
                .build();
    }

    /** The inverse of {@link #patch}: a patch read back from the patches topic. */
    public static PatchEvent patchEvent(Patch p) {
        PatchEvent e = new PatchEvent();
        e.streamId = p.getStreamId();
        e.recordIndex = p.getRecordIndex() == null ? -1 : p.getRecordIndex();
        e.patchIndex = p.getPatchIndex();
        e.startOffset = p.getStartOffset();
        ByteBuffer b = p.getBytes().duplicate();
        e.bytes = new byte[b.remaining()];
        b.get(e.bytes);
        e.entropies = floats(p.getEntropies());
        e.logprobs = floats(p.getEntropyModelLogprobs());
        e.closeReason = CloseReason.valueOf(p.getCloseReason().name());
        e.lastInRecord = p.getLastInRecord();
        e.modelId = p.getModelId();
        return e;
    }

    public static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    public static List<Float> floats(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float v : values) {
            out.add(v);
        }
        return out;
    }
}
