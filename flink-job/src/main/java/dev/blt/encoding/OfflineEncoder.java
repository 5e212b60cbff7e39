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
