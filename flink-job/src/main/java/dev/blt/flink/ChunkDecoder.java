package dev.blt.flink;

import dev.blt.avro.ByteChunk;
import dev.blt.avro.DeadLetter;
import dev.blt.kafka.InputFormat;
import dev.blt.kafka.InputLimits;
import dev.blt.kafka.KafkaInputRecord;
import dev.blt.kafka.RegistryFramedReader;
import dev.blt.kafka.SchemaRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Decodes input records into stream chunks. Anything it cannot decode goes to the dead-letter
 * output with a reason and the original bytes; the job keeps running.
 */
public class ChunkDecoder extends ProcessFunction<KafkaInputRecord, StreamChunk> {

    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("decoder-dead-letters") { };
    /** Stream id used for raw records that have no key. */
    public static final String DEFAULT_STREAM_ID = "default";

    private static final long serialVersionUID = 1L;

    /** Version 1 of ByteChunk (no producer_session): producers built against it keep working. */
    static final Schema BYTE_CHUNK_V1 = historicSchema("ByteChunk-v1.avsc");
    private static final long FINGERPRINT_V1 = SchemaNormalization.parsingFingerprint64(BYTE_CHUNK_V1);
    private static final long FINGERPRINT_CURRENT = SchemaNormalization.parsingFingerprint64(ByteChunk.getClassSchema());
    private static final BinaryMessageDecoder<ByteChunk> DECODER = decoderOfEveryVersion();

    private final InputFormat format;
    private final String defaultStreamId;
    private final InputLimits limits;
    private final RegistryFramedReader<ByteChunk> registryReader;
    private transient Counter deadLetters;
    private transient org.apache.flink.api.common.accumulators.LongCounter inputTotal;
    private transient org.apache.flink.api.common.accumulators.LongCounter deadLetterTotal;

    public ChunkDecoder(InputFormat format, String defaultStreamId) {
        this(format, defaultStreamId, InputLimits.DEFAULT);
    }

    public ChunkDecoder(InputFormat format, String defaultStreamId, InputLimits limits) {
        this(format, defaultStreamId, limits, null);
    }

    /**
     * @param registry where Avro input in the Schema Registry wire format finds its writer schemas, or null;
     *                 with one, both that format and single-object encoding are read (told apart by the first byte)
     */
    public ChunkDecoder(InputFormat format, String defaultStreamId, InputLimits limits, SchemaRegistry registry) {
        this.format = format;
        this.defaultStreamId = defaultStreamId;
        this.limits = limits;
        this.registryReader = registry == null ? null : new RegistryFramedReader<>(registry, ByteChunk.getClassSchema());
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
        deadLetters = getRuntimeContext().getMetricGroup().addGroup("blt").counter("deadLetters");
        inputTotal = RunTotal.INPUT_RECORDS.counter(getRuntimeContext());
        deadLetterTotal = RunTotal.DEAD_LETTERS.counter(getRuntimeContext());
    }

    @Override
    public void processElement(KafkaInputRecord r, Context ctx, Collector<StreamChunk> out) {
        if (inputTotal != null) {
            inputTotal.add(1);
        }
        try {
            out.collect(format == InputFormat.RAW ? decodeRaw(r) : decodeAvro(r));
        } catch (BadRecordException e) {
            if (deadLetters != null) {
                deadLetters.inc();
                deadLetterTotal.add(1);
            }
            ctx.output(DEAD_LETTERS, DeadLetters.of(e.getMessage(), r.key(), r.value(), r.topic(), r.partition(), r.offset(),
                    r.timestampMs()));
        }
    }

    /**
     * The record as the job would take it, or null where the job would send it to the dead-letter
     * topic; for readers outside a Flink job (`blt adapt`'s sample), so they take the same bytes.
     */
    public StreamChunk decodeOrNull(KafkaInputRecord r) {
        try {
            return format == InputFormat.RAW ? decodeRaw(r) : decodeAvro(r);
        } catch (BadRecordException e) {
            return null;
        }
    }

    StreamChunk decodeRaw(KafkaInputRecord r) throws BadRecordException {
        if (r.value() == null) {
            throw new BadRecordException("null value (tombstone): a raw record must carry bytes");
        }
        requireRecordSize(r.value().length);
        if (r.key() != null && r.key().length > limits.maxKeyBytes()) {
            throw new BadRecordException(tooLongStreamId(r.key().length));
        }
        if (r.value().length == 0) {
            throw new BadRecordException(EMPTY);
        }
        String streamId = r.key() == null ? defaultStreamId : strictUtf8(r.key(), "record key (stream id)");
        return new StreamChunk(streamId, -1, r.value(), r.topic(), r.partition(), r.offset(), r.timestampMs());
    }

    StreamChunk decodeAvro(KafkaInputRecord r) throws BadRecordException {
        if (r.value() == null) {
            throw new BadRecordException("null value (tombstone): expected an Avro ByteChunk");
        }
        requireRecordSize(r.value().length);
        ByteChunk chunk;
        if (registryReader != null && RegistryFramedReader.isFramed(r.value())) {
            chunk = decodeRegistryFramed(r.value());
        } else {
            requireLengthsWithin(r.value(), limits.maxKeyBytes());
            try {
                chunk = DECODER.decode(r.value());
            } catch (Exception e) {
                throw new BadRecordException("not an Avro ByteChunk in single-object encoding: " + e);
            }
        }
        if (chunk.getStreamId() == null || chunk.getStreamId().isEmpty()) {
            throw new BadRecordException("ByteChunk has an empty stream_id");
        }
        if (chunk.getSequence() < 0) {
            throw new BadRecordException("ByteChunk has a negative sequence " + chunk.getSequence());
        }
        ByteBuffer payload = chunk.getPayload();
        if (!payload.hasRemaining()) {
            throw new BadRecordException(EMPTY);
        }
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        long time = chunk.getEventTimeMs() == null ? r.timestampMs() : chunk.getEventTimeMs();
        return new StreamChunk(chunk.getStreamId(), chunk.getSequence(), chunk.getProducerSession(), bytes, r.topic(),
                r.partition(), r.offset(), time);
    }

    /**
     * A ByteChunk in the Schema Registry wire format, read with the writer schema its id names. An id
     * the registry does not know is the record's fault (a dead letter); a registry that does not
     * answer is not, so that error fails the task and the record is read again after the restart.
     */
    private ByteChunk decodeRegistryFramed(byte[] value) throws BadRecordException {
        ByteChunk chunk;
        try {
            chunk = registryReader.read(value);
        } catch (IllegalArgumentException e) {
            throw new BadRecordException(e.getMessage());
        }
        for (CharSequence field : new CharSequence[] {chunk.getStreamId(), chunk.getProducerSession()}) {
            int length = field == null ? 0 : field.toString().getBytes(StandardCharsets.UTF_8).length;
            if (length > limits.maxKeyBytes()) {
                throw new BadRecordException(tooLongStreamId(length));
            }
        }
        return chunk;
    }

    /** Why an empty record is a dead letter: it would produce nothing at all, silently. */
    static final String EMPTY = "empty record: no bytes to patch";

    private void requireRecordSize(int length) throws BadRecordException {
        if (length > limits.maxRecordBytes()) {
            throw new BadRecordException("record of " + length + " bytes is larger than the maximum record size of "
                    + limits.maxRecordBytes() + " bytes (--max-record-bytes)");
        }
    }

    /** Single-object encoding header: 2 magic bytes and an 8-byte schema fingerprint. */
    private static final int SINGLE_OBJECT_HEADER = 10;

    /**
     * Checks the lengths that a ByteChunk declares for its strings and bytes against the bytes the
     * record really has, before Avro allocates a buffer of the declared size: a 17-byte record that
     * claims a 1.5 GB payload must be a dead letter, not an OutOfMemoryError. Knows versions 1 and 2
     * of the schema; any other fingerprint is left to Avro's decoder, which rejects it.
     */
    static void requireLengthsWithin(byte[] value, int maxKeyBytes) throws BadRecordException {
        if (value.length < SINGLE_OBJECT_HEADER) {
            return; // too short for any ByteChunk: Avro's decoder reports it
        }
        long fingerprint = ByteBuffer.wrap(value, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        requireLengthsWithin(value, SINGLE_OBJECT_HEADER, fingerprint, maxKeyBytes);
    }

    /** The same check for a body that starts at offset, written with the schema of this fingerprint. */
    static void requireLengthsWithin(byte[] value, int offset, long fingerprint, int maxKeyBytes) throws BadRecordException {
        int[] pos = {offset};
        if (fingerprint != FINGERPRINT_CURRENT && fingerprint != FINGERPRINT_V1) {
            return;
        }
        long idLength = readVarLong(value, pos);
        skip(value, pos, idLength, "stream_id");
        if (idLength > maxKeyBytes) {
            throw new BadRecordException(tooLongStreamId(idLength, maxKeyBytes));
        }
        readVarLong(value, pos); // sequence
        long payloadLength = readVarLong(value, pos);
        skip(value, pos, payloadLength, "payload");
        if (fingerprint == FINGERPRINT_V1) {
            return;
        }
        if (readBranch(value, pos, "event_time_ms")) {
            readVarLong(value, pos);
        }
        if (readBranch(value, pos, "producer_session")) {
            long sessionLength = readVarLong(value, pos);
            skip(value, pos, sessionLength, "producer_session");
            if (sessionLength > maxKeyBytes) {
                throw new BadRecordException("producer_session of " + sessionLength + " bytes; at most " + maxKeyBytes
                        + " are allowed");
            }
        }
    }

    private static String tooLongStreamId(long length, int maxKeyBytes) {
        return "stream id of " + length + " bytes; at most " + maxKeyBytes + " are allowed (--max-key-bytes)";
    }

    private String tooLongStreamId(long length) {
        return tooLongStreamId(length, limits.maxKeyBytes());
    }

    private static BinaryMessageDecoder<ByteChunk> decoderOfEveryVersion() {
        BinaryMessageDecoder<ByteChunk> decoder = ByteChunk.createDecoder(null);
        decoder.addSchema(BYTE_CHUNK_V1);
        return decoder;
    }

    /** An earlier version of one of the job's schemas, from schemas/src/main/avro-history. */
    static Schema historicSchema(String file) {
        try (InputStream in = ChunkDecoder.class.getResourceAsStream("/avro/history/" + file)) {
            if (in == null) {
                throw new IllegalStateException("schema avro/history/" + file + " is missing from the classpath");
            }
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void skip(byte[] value, int[] pos, long length, String field) throws BadRecordException {
        if (length < 0 || length > value.length - pos[0]) {
            throw new BadRecordException("ByteChunk " + field + " claims " + length + " bytes but the record has only "
                    + Math.max(0, value.length - pos[0]) + " left");
        }
        pos[0] += (int) length;
    }

    /**
     * The branch of a ["null", X] union: 0 or 1. Avro reads it as an int and drops the bits beyond
     * 32, so a branch that is neither, read as a long, is refused here: 2 + 2^32 would be branch 1
     * to Avro and null to this check, and the length after it would go unchecked.
     */
    private static boolean readBranch(byte[] value, int[] pos, String field) throws BadRecordException {
        long branch = readVarLong(value, pos);
        if (branch != 0 && branch != 1) {
            throw new BadRecordException("ByteChunk " + field + " has union branch " + branch
                    + "; only 0 (null) and 1 exist");
        }
        return branch == 1;
    }

    /** An Avro long: zig-zag varint. */
    private static long readVarLong(byte[] value, int[] pos) throws BadRecordException {
        long raw = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= value.length) {
                throw new BadRecordException("not an Avro ByteChunk: truncated at byte " + pos[0]);
            }
            int b = value[pos[0]++] & 0xff;
            raw |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new BadRecordException("not an Avro ByteChunk: malformed varint");
    }

    private static String strictUtf8(byte[] bytes, String what) throws BadRecordException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadRecordException(what + " is not valid UTF-8");
        }
    }

    /** A record that cannot be decoded; its message is the dead letter's reason. */
    static final class BadRecordException extends Exception {
        BadRecordException(String reason) {
            super(reason);
        }
    }
}
