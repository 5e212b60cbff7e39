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
        String streamId = r.key == null ? defaultStreamId : strictUtf8(r.key, "record key (stream id)");
        return new StreamChunk(streamId, -1, r.value, r.topic, r.partition, r.offset, r.timestampMs);
    }

    StreamChunk decodeAvro(KafkaInputRecord r) throws BadRecordException {
        if (r.value == null) {
            throw new BadRecordException("null value (tombstone): expected an Avro ByteChunk");
        }
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
