package dev.blt.kafka;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Checks the lengths and item counts that a record in Avro single-object encoding declares
 * against the bytes it really has, before Avro's decoder allocates what they claim: Avro sizes a
 * string, bytes or array buffer by the declared length (up to 2^31), so a 40-byte record that
 * claims a 2 GB string or a billion floats must be refused here, with a message, rather than end
 * in an OutOfMemoryError. Reads as Avro's binary decoder does (an int is at most 5 bytes and loses
 * the bits beyond 32, a long at most 10), so both see the same branches and lengths. For schemas
 * without recursion, such as this project's records.
 */
public final class AvroLengths {

    /** Single-object encoding: the marker C3 01, then the schema's 8-byte fingerprint. */
    private static final int HEADER = 10;

    private final Schema schema;
    private final long fingerprint;

    public AvroLengths(Schema schema) {
        this.schema = schema;
        this.fingerprint = SchemaNormalization.parsingFingerprint64(schema);
    }

    /**
     * Walks {@code record} as the schema says, and throws {@link IllegalArgumentException} at the
     * first length, count, branch or symbol it cannot hold. A record of another schema (or none)
     * is left to Avro's decoder, which refuses its fingerprint without allocating.
     */
    public void requireWithin(byte[] record) {
        if (record.length < HEADER || record[0] != (byte) 0xC3 || record[1] != 0x01
                || ByteBuffer.wrap(record, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() != fingerprint) {
            return;
        }
        new Walk(record, HEADER).value(schema, schema.getName());
    }

    /** The same walk over a body that starts at offset and was written with this schema (no header check). */
    public void requireWithin(byte[] record, int offset) {
        new Walk(record, offset).value(schema, schema.getName());
    }

    private static final class Walk {
        private final byte[] bytes;
        private int pos;

        Walk(byte[] bytes, int offset) {
            this.bytes = bytes;
            this.pos = offset;
        }

        void value(Schema s, String field) {
            switch (s.getType()) {
                case RECORD -> s.getFields().forEach(f -> value(f.schema(), field + "." + f.name()));
                case STRING, BYTES -> skip(readLong(field), field);
                case INT -> readInt(field);
                case LONG -> readLong(field);
                case FLOAT -> skip(4, field);
                case DOUBLE -> skip(8, field);
                case BOOLEAN -> skip(1, field);
                case FIXED -> skip(s.getFixedSize(), field);
                case ENUM -> index(s.getEnumSymbols().size(), field);
                case UNION -> value(s.getTypes().get(index(s.getTypes().size(), field)), field);
                case ARRAY -> items(field, s.getElementType(), null);
                case MAP -> items(field, s.getValueType(), Schema.create(Schema.Type.STRING));
                case NULL -> { }
            }
        }

        /** Blocks of items: a count (negative: its size in bytes follows), until a count of 0. */
        private void items(String field, Schema item, Schema key) {
            long least = Math.max(1, leastBytes(item) + (key == null ? 0 : 1));
            for (long count = readLong(field); count != 0; count = readLong(field)) {
                if (count < 0) {
                    readLong(field);
                    count = -count;
                }
                if (count < 0 || count > (bytes.length - pos) / least) {
                    throw new IllegalArgumentException(field + " claims " + count + " items but the record has only "
                            + (bytes.length - pos) + " bytes left");
                }
                for (long i = 0; i < count; i++) {
                    if (key != null) {
                        value(key, field + " key");
                    }
                    value(item, field + "[" + i + "]");
                }
            }
        }

        /** The fewest bytes a value of {@code s} can take, to bound an item count. */
        private static long leastBytes(Schema s) {
            return switch (s.getType()) {
                case RECORD -> s.getFields().stream().mapToLong(f -> leastBytes(f.schema())).sum();
                case FLOAT -> 4;
                case DOUBLE -> 8;
                case FIXED -> s.getFixedSize();
                case NULL -> 0;
                default -> 1;
            };
        }

        /** A union branch or enum symbol: an Avro int in [0, n). */
        private int index(int n, String field) {
            int index = readInt(field);
            if (index < 0 || index >= n) {
                throw new IllegalArgumentException(field + " has branch or symbol " + index + "; there are " + n);
            }
            return index;
        }

        private void skip(long length, String field) {
            if (length < 0 || length > bytes.length - pos) {
                throw new IllegalArgumentException(field + " claims " + length + " bytes but the record has only "
                        + (bytes.length - pos) + " left");
            }
            pos += (int) length;
        }

        /** As Avro reads an int: at most 5 bytes, bits beyond 32 dropped, then zig-zag. */
        private int readInt(String field) {
            return (int) readVarint(field, 32);
        }

        private long readLong(String field) {
            return readVarint(field, 64);
        }

        private long readVarint(String field, int bits) {
            long raw = 0;
            for (int shift = 0; shift < bits; shift += 7) {
                if (pos >= bytes.length) {
                    throw new IllegalArgumentException("record ends inside " + field);
                }
                int b = bytes[pos++] & 0xFF;
                raw |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    raw = bits == 32 ? raw & 0xFFFFFFFFL : raw;
                    return (raw >>> 1) ^ -(raw & 1);
                }
            }
            throw new IllegalArgumentException(field + " is not a valid Avro " + (bits == 32 ? "int" : "long"));
        }
    }
}
