package dev.blt.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blt.avro.ByteChunk;
import dev.blt.kafka.AvroBytes;
import dev.blt.kafka.InputFormat;
import dev.blt.kafka.InputLimits;
import dev.blt.kafka.KafkaInputRecord;
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
        assertEquals("stream-7", decoded.streamId());
        assertEquals(42, decoded.sequence());
        assertArrayEquals(payload, decoded.payload());
    }

    @Test
    void aVersionOneChunkFromAnOlderProducerDecodesWithoutASession() throws Exception {
        org.apache.avro.generic.GenericRecord v1 = new org.apache.avro.generic.GenericData.Record(ChunkDecoder.BYTE_CHUNK_V1);
        v1.put("stream_id", "old-producer");
        v1.put("sequence", 7L);
        v1.put("payload", ByteBuffer.wrap(new byte[] {'h', 'i'}));
        v1.put("event_time_ms", null);
        ByteBuffer encoded = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
                org.apache.avro.generic.GenericData.get(), ChunkDecoder.BYTE_CHUNK_V1).encode(v1);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        var decoded = decoder.decodeAvro(input(bytes));
        assertEquals("old-producer", decoded.streamId());
        assertEquals(7, decoded.sequence());
        assertEquals(null, decoded.producerSession());
        assertArrayEquals(new byte[] {'h', 'i'}, decoded.payload());
    }

    @Test
    void aSessionClaimingMoreBytesThanTheRecordHasIsRefused() {
        byte[] good = AvroBytes.encode(ByteChunk.newBuilder(chunk("s", 0, new byte[] {1})).setProducerSession("ab").build());
        byte[] forged = good.clone();
        forged[forged.length - 3] = 0x7e; // the session's length: 63 bytes, of which 2 exist
        ChunkDecoder.BadRecordException e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> decoder.decodeAvro(input(forged)));
        assertTrue(e.getMessage().contains("producer_session claims 63 bytes"), e.getMessage());
    }

    @Test
    void aSessionDecodes() throws Exception {
        byte[] bytes = AvroBytes.encode(ByteChunk.newBuilder(chunk("s", 0, new byte[] {1})).setProducerSession("p-2").build());
        assertEquals("p-2", decoder.decodeAvro(input(bytes)).producerSession());
    }

    @Test
    void aRecordOverTheSizeLimitIsRefusedInBothFormats() {
        InputLimits limits = new InputLimits(64, 100);
        ChunkDecoder raw = new ChunkDecoder(InputFormat.RAW, ChunkDecoder.DEFAULT_STREAM_ID, limits);
        ChunkDecoder avro = new ChunkDecoder(InputFormat.AVRO, ChunkDecoder.DEFAULT_STREAM_ID, limits);
        ChunkDecoder.BadRecordException e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> raw.decodeRaw(input(new byte[101])));
        assertTrue(e.getMessage().contains("record of 101 bytes is larger than the maximum record size of 100"),
                e.getMessage());
        byte[] big = AvroBytes.encode(chunk("s", 0, new byte[95]));
        e = assertThrows(ChunkDecoder.BadRecordException.class, () -> avro.decodeAvro(input(big)));
        assertTrue(e.getMessage().contains("larger than the maximum record size"), e.getMessage());
    }

    @Test
    void anEmptyRecordIsADeadLetterInBothFormats() {
        ChunkDecoder raw = new ChunkDecoder(InputFormat.RAW, ChunkDecoder.DEFAULT_STREAM_ID);
        ChunkDecoder.BadRecordException e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> raw.decodeRaw(input(new byte[0])));
        assertEquals(ChunkDecoder.EMPTY, e.getMessage());
        e = assertThrows(ChunkDecoder.BadRecordException.class,
                () -> decoder.decodeAvro(input(AvroBytes.encode(chunk("s", 0, new byte[0])))));
        assertEquals(ChunkDecoder.EMPTY, e.getMessage());
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
