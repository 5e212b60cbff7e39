package dev.blt.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * Generated records as Kafka values: Avro single-object encoding (C3 01, the schema's 8-byte
 * fingerprint, the body) or the Schema Registry wire format (0x00, the 4-byte big-endian schema id,
 * the body).
 */
public final class AvroBytes {

    private AvroBytes() {
    }

    private static final Map<Class<?>, BinaryMessageEncoder<SpecificRecord>> ENCODERS = new ConcurrentHashMap<>();

    /** The Schema Registry wire format's first byte. */
    public static final byte REGISTRY_MAGIC = 0;

    private static final Map<Class<?>, org.apache.avro.specific.SpecificDatumWriter<SpecificRecord>> WRITERS =
            new ConcurrentHashMap<>();

    /** The record in the Schema Registry wire format, under the id its schema was registered with. */
    public static byte[] encodeForRegistry(int schemaId, SpecificRecord record) {
        org.apache.avro.specific.SpecificDatumWriter<SpecificRecord> writer = WRITERS.computeIfAbsent(record.getClass(),
                c -> new org.apache.avro.specific.SpecificDatumWriter<>(record.getSchema()));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            out.write(REGISTRY_MAGIC);
            out.write(java.nio.ByteBuffer.allocate(4).putInt(schemaId).array());
            org.apache.avro.io.BinaryEncoder encoder = org.apache.avro.io.EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record in single-object encoding. */
    public static byte[] encode(SpecificRecord record) {
        BinaryMessageEncoder<SpecificRecord> encoder = ENCODERS.computeIfAbsent(record.getClass(),
                c -> new BinaryMessageEncoder<>(SpecificData.getForClass(c), record.getSchema()));
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream(256);
            encoder.encode(record, out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
