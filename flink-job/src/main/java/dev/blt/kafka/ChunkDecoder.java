package dev.blt.kafka;

import dev.blt.avro.ByteChunk;
import dev.blt.avro.DeadLetter;
import dev.blt.flink.DeadLetters;
import dev.blt.flink.StreamChunk;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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

    private final InputFormat format;
    private final String defaultStreamId;
    private transient Counter deadLetters;

    public ChunkDecoder(InputFormat format, String defaultStreamId) {
        this.format = format;
        this.defaultStreamId = defaultStreamId;
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext context) {
        deadLetters = getRuntimeContext().getMetricGroup().addGroup("blt").counter("deadLetters");
    }

    @Override
    public void processElement(KafkaInputRecord r, Context ctx, Collector<StreamChunk> out) {
        try {
            out.collect(format == InputFormat.RAW ? decodeRaw(r) : decodeAvro(r));
        } catch (BadRecordException e) {
            if (deadLetters != null) {
                deadLetters.inc();
            }
            ctx.output(DEAD_LETTERS, DeadLetters.of(e.getMessage(), r.key, r.value, r.topic, r.partition, r.offset,
                    r.timestampMs));
        }
    }

    StreamChunk decodeRaw(KafkaInputRecord r) throws BadRecordException {
        if (r.value == null) {
            throw new BadRecordException("null value (tombstone): a raw record must carry bytes");
        }
        if (r.key != null && r.key.length > DeadLetters.MAX_KEY_BYTES) {
            throw new BadRecordException(tooLongStreamId(r.key.length));
        }
        String streamId = r.key == null ? defaultStreamId : strictUtf8(r.key, "record key (stream id)");
        return new StreamChunk(streamId, -1, r.value, r.topic, r.partition, r.offset, r.timestampMs);
    }

    StreamChunk decodeAvro(KafkaInputRecord r) throws BadRecordException {
        if (r.value == null) {
            throw new BadRecordException("null value (tombstone): expected an Avro ByteChunk");
        }
        requireLengthsWithin(r.value);
        ByteChunk chunk;
        try {
            chunk = ByteChunk.getDecoder().decode(r.value);
        } catch (Exception e) {
            throw new BadRecordException("not an Avro ByteChunk in single-object encoding: " + e);
        }
        if (chunk.getStreamId() == null || chunk.getStreamId().isEmpty()) {
            throw new BadRecordException("ByteChunk has an empty stream_id");
        }
        if (chunk.getSequence() < 0) {
            throw new BadRecordException("ByteChunk has a negative sequence " + chunk.getSequence());
        }
        ByteBuffer payload = chunk.getPayload();
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        long time = chunk.getEventTimeMs() == null ? r.timestampMs : chunk.getEventTimeMs();
        return new StreamChunk(chunk.getStreamId(), chunk.getSequence(), bytes, r.topic, r.partition, r.offset, time);
    }

    /** Single-object encoding header: 2 magic bytes and an 8-byte schema fingerprint. */
    private static final int SINGLE_OBJECT_HEADER = 10;

    /**
     * Checks the lengths that a ByteChunk declares for stream_id and payload against the bytes the
     * record really has, before Avro allocates a buffer of the declared size: a 17-byte record that
     * claims a 1.5 GB payload must be a dead letter, not an OutOfMemoryError.
     */
    static void requireLengthsWithin(byte[] value) throws BadRecordException {
        int[] pos = {SINGLE_OBJECT_HEADER};
        if (value.length < SINGLE_OBJECT_HEADER) {
            return; // too short for any ByteChunk: Avro's decoder reports it
        }
        long idLength = readVarLong(value, pos);
        skip(value, pos, idLength, "stream_id");
        if (idLength > DeadLetters.MAX_KEY_BYTES) {
            throw new BadRecordException(tooLongStreamId(idLength));
        }
        readVarLong(value, pos); // sequence
        long payloadLength = readVarLong(value, pos);
        skip(value, pos, payloadLength, "payload");
    }

    /** Every output record carries the stream id, so a huge one would make every output too large. */
    private static String tooLongStreamId(long length) {
        return "stream id of " + length + " bytes; at most " + DeadLetters.MAX_KEY_BYTES + " are allowed";
    }

    private static void skip(byte[] value, int[] pos, long length, String field) throws BadRecordException {
        if (length < 0 || length > value.length - pos[0]) {
            throw new BadRecordException("ByteChunk " + field + " claims " + length + " bytes but the record has only "
                    + Math.max(0, value.length - pos[0]) + " left");
        }
        pos[0] += (int) length;
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
