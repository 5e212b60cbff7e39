package dev.blt.kafka;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * The newest committed records of a topic, about a given number of value bytes in all, shared
 * evenly between its partitions (a partition with fewer gives all it has): what `blt adapt` learns
 * from. Reads with read_committed, so records of open or aborted transactions never get in, and
 * each partition up to its last stable offset at the time of the call. Joins no consumer group and
 * commits nothing: the job reading the same topic is not disturbed.
 */
public final class TopicSample {

    /** Records read back from each partition's end on the first try, to learn their size. */
    static final int FIRST_GUESS_RECORDS = 1000;

    private TopicSample() {
    }

    /** One partition's newest records, oldest first, and the offsets they span. */
    public record Partition(TopicPartition partition, List<ConsumerRecord<byte[], byte[]>> records, long fromOffset,
                            long endOffset) {
    }

    /**
     * @throws IllegalArgumentException when the topic does not exist (no partitions)
     * @throws IllegalStateException when a partition cannot be read to its end within the timeout
     */
    public static List<Partition> newest(String bootstrapServers, String topic, long maxBytes, Duration timeout) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("sample must be at least 1 byte, got " + maxBytes);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = ByteClients.readCommittedConsumer(bootstrapServers)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic '" + topic + "' does not exist on " + bootstrapServers);
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition()))
                    .sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList();
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout); // last stable offsets
            long share = Math.max(1, maxBytes / partitions.size());
            List<Partition> out = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                out.add(newestOf(consumer, tp, begin.get(tp), end.get(tp), share, timeout));
            }
            return out;
        }
    }

    /** Reads back from the end, further each time, until the records hold share bytes or the partition's start is reached. */
    private static Partition newestOf(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, long begin, long end,
                                      long share, Duration timeout) {
        long back = FIRST_GUESS_RECORDS;
        while (true) {
            long from = Math.max(begin, end - back);
            List<ConsumerRecord<byte[], byte[]>> records = read(consumer, tp, from, end, timeout);
            long bytes = records.stream().mapToLong(r -> r.value() == null ? 0 : r.value().length).sum();
            if (bytes >= share || from == begin) {
                return new Partition(tp, newestWithin(records, share), from, end);
            }
            // Offsets of transaction markers and aborted records hold no bytes: guess from what came back, with room.
            double perOffset = Math.max(1.0, (double) bytes / Math.max(1, end - from));
            back = Math.max(back * 2, (long) Math.ceil(share / perOffset * 1.25));
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> newestWithin(List<ConsumerRecord<byte[], byte[]>> records, long share) {
        Deque<ConsumerRecord<byte[], byte[]>> kept = new ArrayDeque<>();
        long bytes = 0;
        for (int i = records.size() - 1; i >= 0 && bytes < share; i--) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            kept.addFirst(r);
            bytes += r.value() == null ? 0 : r.value().length;
        }
        return new ArrayList<>(kept);
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp,
                                                            long from, long end, Duration timeout) {
        consumer.assign(List.of(tp));
        consumer.seek(tp, from);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (consumer.position(tp, timeout) < end) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out reading " + tp + " from offset " + from + " to " + end
                        + " (at " + consumer.position(tp) + ")");
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200)).records(tp)) {
                if (r.offset() < end) {
                    records.add(r);
                }
            }
        }
        return records;
    }
}
