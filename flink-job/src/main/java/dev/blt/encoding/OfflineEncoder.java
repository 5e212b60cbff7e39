package dev.blt.encoding;

import java.util.List;

/** Runs the BLT stage without Flink: the CLI, the benchmarks and the tests use this. */
public final class OfflineEncoder {

    private OfflineEncoder() {
    }

    /** All patches of one document (or stream) at once. */
    public static List<EncodedPatch> encodeDocument(EncoderSettings settings, BltScorer scorer, List<byte[]> patches) {
        PatchEncoder encoder = new PatchEncoder(settings);
        patches.forEach(encoder::add);
        return BatchEncoding.runAll(List.of(encoder), scorer).get(0);
    }

    /**
     * Records of one key with RecordContext.CARRY: every record's patches see the earlier records
     * (each followed by the record separator) as context; outputs per record, indices from 0.
     */
    public static List<List<EncodedPatch>> encodeRecordsInContext(EncoderSettings settings, BltScorer scorer,
                                                                  List<List<byte[]>> records) {
        PatchEncoder encoder = new PatchEncoder(settings);
        for (List<byte[]> record : records) {
            record.forEach(encoder::add);
            encoder.endRecord();
        }
        List<EncodedPatch> all = BatchEncoding.runAll(List.of(encoder), scorer).get(0);
        List<List<EncodedPatch>> out = new java.util.ArrayList<>(records.size());
        int next = 0;
        for (List<byte[]> record : records) {
            out.add(all.subList(next, next + record.size()));
            next += record.size();
        }
        return out;
    }

    /** Many documents (records), batched into one call per bound. */
    public static List<List<EncodedPatch>> encodeDocuments(EncoderSettings settings, BltScorer scorer,
                                                           List<List<byte[]>> documents) {
        List<PatchEncoder> encoders = new java.util.ArrayList<>(documents.size());
        for (List<byte[]> doc : documents) {
            PatchEncoder e = new PatchEncoder(settings);
            doc.forEach(e::add);
            encoders.add(e);
        }
        return BatchEncoding.runAll(encoders, scorer);
    }
}
