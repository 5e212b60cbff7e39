package dev.blt.cli;

import dev.blt.avro.Patch;
import dev.blt.avro.RecordScore;
import dev.blt.flink.JobOptions;
import dev.blt.kafka.TopicReader;
import dev.blt.report.ReportLine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Everything the demo job wrote, read back from Kafka with read_committed. */
record DemoResults(List<Patch> patches, List<RecordScore> scores, long embeddings, long predictions, long deadLetters,
                   String modelId) {

    static DemoResults read(String bootstrap, JobOptions job) {
        Duration timeout = Duration.ofSeconds(60);
        List<Patch> patches = decode(TopicReader.readCommitted(bootstrap, job.patchesTopic(), timeout), Patch.getDecoder());
        List<RecordScore> scores = decode(TopicReader.readCommitted(bootstrap, job.recordScoresTopic(), timeout),
                RecordScore.getDecoder());
        long embeddings = TopicReader.readCommitted(bootstrap, job.embeddingsTopic(), timeout).size();
        long predictions = TopicReader.readCommitted(bootstrap, job.predictionsTopic(), timeout).size();
        long dead = TopicReader.readCommitted(bootstrap, job.deadLetterTopic(), timeout).size();
        patches.sort(Comparator.comparing((Patch p) -> p.getStreamId()).thenComparing(Patch::getRecordIndex)
                .thenComparing(Patch::getPatchIndex));
        String modelId = patches.isEmpty() ? "?" : patches.get(0).getModelId();
        return new DemoResults(patches, scores, embeddings, predictions, dead, modelId);
    }

    /** One report line per record: its patches joined, with the record's BLT surprise. */
    List<ReportLine> reportLines() {
        Map<String, List<Patch>> byRecord = new TreeMap<>();
        for (Patch p : patches) {
            byRecord.computeIfAbsent(p.getStreamId() + "\u0000" + String.format("%09d", p.getRecordIndex()),
                    k -> new ArrayList<>()).add(p);
        }
        Map<String, Double> bits = new TreeMap<>();
        for (RecordScore s : scores) {
            bits.put(s.getStreamId() + "\u0000" + String.format("%09d", s.getRecordIndex()), (double) s.getMeanBitsPerByte());
        }
        List<ReportLine> lines = new ArrayList<>();
        for (Map.Entry<String, List<Patch>> e : byRecord.entrySet()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            List<Float> entropies = new ArrayList<>();
            int[] starts = new int[e.getValue().size()];
            for (int i = 0; i < starts.length; i++) {
                Patch p = e.getValue().get(i);
                starts[i] = bytes.size();
                byte[] b = new byte[p.getBytes().remaining()];
                p.getBytes().duplicate().get(b);
                bytes.writeBytes(b);
                entropies.addAll(p.getEntropies());
            }
            float[] h = new float[entropies.size()];
            for (int i = 0; i < h.length; i++) {
                h[i] = entropies.get(i);
            }
            Patch first = e.getValue().get(0);
            lines.add(new ReportLine(first.getStreamId(), first.getRecordIndex(), bytes.toByteArray(), h, starts,
                    bits.getOrDefault(e.getKey(), Double.NaN)));
        }
        return lines;
    }

    private static <T> List<T> decode(List<ConsumerRecord<byte[], byte[]>> records, BinaryMessageDecoder<T> decoder) {
        List<T> out = new ArrayList<>(records.size());
        for (ConsumerRecord<byte[], byte[]> r : records) {
            try {
                out.add(decoder.decode(r.value()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }
}
