package dev.blt.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.ByteChunk;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Avro input that lies about its lengths is a dead letter with a reason, never an allocation. */
class ChunkDecoderTest {

    private final ChunkDecoder decoder = new ChunkDecoder(InputFormat.AVRO, ChunkDecoder.DEFAULT_STREAM_ID);

    @Test
    void aChunkClaimingAHugePayloadIsRefusedBeforeAnyAllocation() {
        byte[] good = AvroBytes.encode(chunk("s", 3, new byte[] {1, 2, 3}));
        // single-object header (10 bytes), stream_id "s" (0x02 's'), sequence 3 (0x06): 13 bytes,
        // then a payload length of 1.5 GB and no payload
        byte[] length = zigZagVarint(1_500_000_000L);
        byte[] record = Arrays.copyOf(good, 13 + length.length);
        System.arraycopy(length, 0, record, 13, length.length);
        ChunkDecoder.BadRecordException e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> decoder.decodeAvro(input(record)));
        assertTrue(e.getMessage().contains("payload claims 1500000000 bytes"), e.getMessage());
    }

    @Test
    void aStreamIdLongerThanTheRecordIsRefused() {
        byte[] good = AvroBytes.encode(chunk("s", 0, new byte[] {9}));
        byte[] forged = good.clone();
        forged[10] = 0x7e; // stream_id length 63
        ChunkDecoder.BadRecordException e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> decoder.decodeAvro(input(forged)));
        assertTrue(e.getMessage().contains("stream_id claims 63 bytes"), e.getMessage());
    }

    @Test
    void aStreamIdOverTheKeyLimitIsRefusedInBothFormats() {
        byte[] longId = new byte[dev.blt.flink.DeadLetters.MAX_KEY_BYTES + 1];
        Arrays.fill(longId, (byte) 'k');
        ChunkDecoder raw = new ChunkDecoder(InputFormat.RAW, ChunkDecoder.DEFAULT_STREAM_ID);
        ChunkDecoder.BadRecordException e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> raw.decodeRaw(new KafkaInputRecord(longId, new byte[] {1}, "in", 0, 0, 0)));
        assertTrue(e.getMessage().contains("stream id of 4097 bytes"), e.getMessage());
        byte[] avro = AvroBytes.encode(chunk(new String(longId), 0, new byte[] {1}));
        e = assertThrows(ChunkDecoder.BadRecordException.class, () -> decoder.decodeAvro(input(avro)));
        assertTrue(e.getMessage().contains("stream id of 4097 bytes"), e.getMessage());
    }

    @Test
    void anHonestChunkStillDecodes() throws Exception {
        byte[] payload = new byte[300];
        Arrays.fill(payload, (byte) 'x');
        var decoded = decoder.decodeAvro(input(AvroBytes.encode(chunk("stream-7", 42, payload))));
        assertEquals("stream-7", decoded.streamId);
        assertEquals(42, decoded.sequence);
        assertArrayEquals(payload, decoded.payload);
    }

    private static ByteChunk chunk(String id, long sequence, byte[] payload) {
        return ByteChunk.newBuilder().setStreamId(id).setSequence(sequence).setPayload(ByteBuffer.wrap(payload))
                .setEventTimeMs(null).build();
    }

    private static byte[] zigZagVarint(long v) {
        long z = (v << 1) ^ (v >> 63);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        while ((z & ~0x7fL) != 0) {
            out.write((int) ((z & 0x7f) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    private static KafkaInputRecord input(byte[] value) {
        return new KafkaInputRecord("k".getBytes(), value, "in", 0, 0, 0);
    }
}
