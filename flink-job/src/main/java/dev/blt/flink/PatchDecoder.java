package dev.blt.flink;

import dev.blt.avro.DeadLetter;
import dev.blt.avro.Patch;
import dev.blt.kafka.AvroLengths;
import dev.blt.flink.AvroRecords;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.kafka.RegistryFramedReader;
import dev.blt.kafka.SchemaRegistry;
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

    /** Patch before MODEL_SWITCH joined its close reasons: patches topics written by earlier jobs still read. */
    static final org.apache.avro.Schema PATCH_V1 = ChunkDecoder.historicSchema("Patch-v1.avsc");
    private static final AvroLengths LENGTHS_V1 = new AvroLengths(PATCH_V1);
    private static final org.apache.avro.message.BinaryMessageDecoder<Patch> DECODER = decoderOfEveryVersion();

    private static org.apache.avro.message.BinaryMessageDecoder<Patch> decoderOfEveryVersion() {
        org.apache.avro.message.BinaryMessageDecoder<Patch> decoder = Patch.createDecoder(null);
        decoder.addSchema(PATCH_V1);
        return decoder;
    }

    private final RegistryFramedReader<Patch> registryReader;
    private transient Counter deadLetters;

    public PatchDecoder() {
        this(null);
    }

    /** @param registry where patches in the Schema Registry wire format find their schemas, or null */
    public PatchDecoder(SchemaRegistry registry) {
        this.registryReader = registry == null ? null : new RegistryFramedReader<>(registry, Patch.getClassSchema());
    }

    @Override
    public void open(OpenContext context) {
        // The same counter as the input decoder's: every dead letter of the job is counted once.
        deadLetters = getRuntimeContext().getMetricGroup().addGroup("blt").counter("deadLetters");
    }

    @Override
    public void processElement(KafkaInputRecord r, Context ctx, Collector<PatchEvent> out) {
        try {
            if (r.value() == null) {
                throw new IllegalArgumentException("null value (tombstone): expected an Avro Patch");
            }
            if (registryReader != null && RegistryFramedReader.isFramed(r.value())) {
                out.collect(AvroRecords.patchEvent(registryReader.read(r.value())));
                return;
            }
            LENGTHS.requireWithin(r.value());
            LENGTHS_V1.requireWithin(r.value());
            out.collect(AvroRecords.patchEvent(DECODER.decode(r.value())));
        } catch (java.io.UncheckedIOException registryDown) {
            throw registryDown; // not the record's fault: fail the task, read it again after the restart
        } catch (Exception e) {
            if (deadLetters != null) {
                deadLetters.inc();
            }
            String format = registryReader == null ? "in single-object encoding" : "(single-object or registry framed)";
            ctx.output(DEAD_LETTERS, DeadLetters.of("not an Avro Patch " + format + ": " + e.getMessage(),
                    r.key(), r.value(), r.topic(), r.partition(), r.offset(), r.timestampMs()));
        }
    }
}
