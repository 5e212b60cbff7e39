package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.Patch;
import dev.blt.kafka.AvroLengths;
import dev.blt.flink.AvroRecords;
import dev.blt.kafka.KafkaInputRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Reads Patch records from the patches topic, for the BLT stage run as its own job. */
public class PatchDecoder extends ProcessFunction<KafkaInputRecord, PatchEvent> {

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("patch-dead-letters") { };

    private static final long serialVersionUID = 1L;

    /** A record that claims more bytes or floats than it has is a dead letter before Avro allocates them. */
    private static final AvroLengths LENGTHS = new AvroLengths(Patch.getClassSchema());

    private transient Counter deadLetters;

    @Override
    public void open(OpenContext context) {
        // The same counter as the input decoder's: every dead letter of the job is counted once.
        deadLetters = getRuntimeContext().getMetricGroup().addGroup("blt").counter("deadLetters");
    }

    @Override
    public void processElement(KafkaInputRecord r, Context ctx, Collector<PatchEvent> out) {
        try {
            if (r.value == null) {
                throw new IllegalArgumentException("null value (tombstone): expected an Avro Patch");
            }
            LENGTHS.requireWithin(r.value);
            out.collect(AvroRecords.patchEvent(Patch.getDecoder().decode(r.value)));
        } catch (Exception e) {
            if (deadLetters != null) {
                deadLetters.inc();
            }
            ctx.output(DEAD_LETTERS, DeadLetters.of("not an Avro Patch in single-object encoding: " + e.getMessage(),
                    r.key, r.value, r.topic, r.partition, r.offset, r.timestampMs));
        }
    }
}
