package dev.blt.kafka;

import dev.blt.avro.Patch;
import dev.blt.avro.PatchCloseReason;
import dev.blt.flink.PatchEvent;
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
                .setCloseReason(PatchCloseReason.valueOf(e.closeReason))
                .setRecordIndex(e.recordIndex < 0 ? null : e.recordIndex)
                .setModelId(e.modelId)
                .build();
    }

    public static List<Float> floats(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float v : values) {
            out.add(v);
        }
        return out;
    }
}
