package dev.blt.kafka;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads generated records from values in the Schema Registry wire format (0x00, 4-byte big-endian
 * schema id, Avro binary), each with the writer schema its id names at the registry, resolved to the
 * reader's schema. Writer schemas are fetched once per id. Not thread-safe: one per operator instance.
 *
 * <p>Two kinds of failure, kept apart: a value that cannot be read (an id the registry does not
 * know, a body that does not fit its schema, lengths that overrun it) is {@link IllegalArgumentException},
 * the record's fault; a registry that does not answer is {@link java.io.UncheckedIOException}, not the
 * record's fault, so the caller lets it fail the task and reads the record again after the restart.
 */
public final class RegistryFramedReader<T extends SpecificRecord> implements Serializable {

    /** 0x00 and the 4-byte schema id. */
    public static final int HEADER = 5;

    private static final long serialVersionUID = 1L;

    private final SchemaRegistry registry;
    private final Schema readerSchema;
    private transient Map<Integer, SpecificDatumReader<T>> readers;

    public RegistryFramedReader(SchemaRegistry registry, Schema readerSchema) {
        this.registry = registry;
        this.readerSchema = readerSchema;
    }

    /** Whether value is in the wire format (its first byte 0x00 and a whole header). */
    public static boolean isFramed(byte[] value) {
        return value != null && value.length >= HEADER && value[0] == AvroBytes.REGISTRY_MAGIC;
    }

    public T read(byte[] value) {
        int id = ByteBuffer.wrap(value, 1, 4).getInt();
        if (readers == null) {
            readers = new HashMap<>();
        }
        SpecificDatumReader<T> reader = readers.get(id);
        if (reader == null) {
            Schema writer;
            try {
                writer = registry.schemaById(id);
            } catch (IllegalStateException refused) {
                throw new IllegalArgumentException("schema id " + id + " could not be read from the registry: "
                        + refused.getMessage());
            }
            reader = new SpecificDatumReader<>(writer, readerSchema);
            readers.put(id, reader);
        }
        new AvroLengths(reader.getSchema()).requireWithin(value, HEADER);
        try {
            return reader.read(null, DecoderFactory.get().binaryDecoder(value, HEADER, value.length - HEADER, null));
        } catch (Exception e) {
            throw new IllegalArgumentException("not a " + readerSchema.getName() + " under registry schema id " + id
                    + ": " + e);
        }
    }
}
