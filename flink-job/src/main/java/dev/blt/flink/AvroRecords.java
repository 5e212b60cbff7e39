package dev.blt.flink;

import dev.blt.patching.CloseReason;
import dev.blt.patching.ClosedPatch;
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
        ClosedPatch p = e.patch();
        return Patch.newBuilder()
                .setStreamId(e.streamId())
                .setPatchIndex(p.patchIndex())
                .setStartOffset(p.startOffset())
                .setBytes(ByteBuffer.wrap(p.bytes()))
                .setEntropies(floats(p.entropies()))
                .setCloseReason(PatchCloseReason.valueOf(p.reason().name()))
                .setRecordIndex(e.recordIndex() < 0 ? null : e.recordIndex())
                .setLastInRecord(e.lastInRecord())
                .setEntropyModelLogprobs(floats(p.logprobs()))
                .setModelId(e.modelId())
                .build();
    }

    /** The inverse of {@link #patch}: a patch read back from the patches topic. */
    public static PatchEvent patchEvent(Patch p) {
        ByteBuffer b = p.getBytes().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        ClosedPatch patch = new ClosedPatch(p.getPatchIndex(), p.getStartOffset(), bytes, floats(p.getEntropies()),
                floats(p.getEntropyModelLogprobs()), CloseReason.valueOf(p.getCloseReason().name()));
        return new PatchEvent(p.getStreamId(), p.getRecordIndex() == null ? -1 : p.getRecordIndex(), patch,
                p.getLastInRecord(), p.getModelId());
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
