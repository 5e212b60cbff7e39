package dev.blt.bltstage;

import java.util.List;

/** Runs the BLT stage without Flink: the CLI, the benchmarks and the tests use this. */
public final class OfflineBltStage {

    private OfflineBltStage() {
    }

    /** All patches of one document (or stream) at once. */
    public static List<PatchOutputs> encodeDocument(BltStageSettings settings, BltScorer scorer, List<byte[]> patches) {
        BltStage encoder = new BltStage(settings);
        patches.forEach(encoder::add);
        return BatchedBltStages.runAll(List.of(encoder), scorer).get(0);
    }

    /**
     * Records of one key with RecordContext.CARRY: every record's patches see the earlier records
     * (each followed by the record separator) as context; outputs per record, indices from 0.
     */
    public static List<List<PatchOutputs>> encodeRecordsInContext(BltStageSettings settings, BltScorer scorer,
                                                                  List<List<byte[]>> records) {
        BltStage encoder = new BltStage(settings);
        for (List<byte[]> record : records) {
            record.forEach(encoder::add);
            encoder.endRecord();
        }
        List<PatchOutputs> all = BatchedBltStages.runAll(List.of(encoder), scorer).get(0);
        List<List<PatchOutputs>> out = new java.util.ArrayList<>(records.size());
        int next = 0;
        for (List<byte[]> record : records) {
            out.add(all.subList(next, next + record.size()));
            next += record.size();
        }
        return out;
    }

    /** Many documents (records), batched into one call per bound. */
    public static List<List<PatchOutputs>> encodeDocuments(BltStageSettings settings, BltScorer scorer,
                                                           List<List<byte[]>> documents) {
        List<BltStage> encoders = new java.util.ArrayList<>(documents.size());
        for (List<byte[]> doc : documents) {
            BltStage e = new BltStage(settings);
            doc.forEach(e::add);
            encoders.add(e);
        }
        return BatchedBltStages.runAll(encoders, scorer);
    }
}
