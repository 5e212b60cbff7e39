package dev.blt.flink;

import dev.blt.kafka.KafkaInputRecord;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/**
 * The types that travel between operators are serialized by Flink's POJO serializer (records
 * included), not by Kryo, which is slower and breaks silently when a type changes.
 */
class StreamTypesTest {

    @Test
    void streamTypesAreSerializedAsPojosWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(KafkaInputRecord.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(StreamChunk.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(PatchEvent.class);
    }
}
