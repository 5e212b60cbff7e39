package dev.blt.kafka.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/** Writing a test's input: every record acknowledged, or the test fails saying which and why. */
public final class Producing {

    private Producing() {
    }

    /**
     * Sends the records in order and waits for every acknowledgement. A bare {@code send} drops a
     * failed record silently, and the test then fails later on output that is merely short.
     */
    public static <K, V> void sendAll(Producer<K, V> producer, List<ProducerRecord<K, V>> records) {
        List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
        for (ProducerRecord<K, V> record : records) {
            acks.add(producer.send(record));
        }
        producer.flush();
        for (int i = 0; i < acks.size(); i++) {
            try {
                acks.get(i).get();
            } catch (ExecutionException e) {
                throw new AssertionError("input record " + i + " of " + records.size() + " to "
                        + records.get(i).topic() + " was not written: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while writing the input", e);
            }
        }
    }
}
