package dev.blt.report;

/**
 * One line of the report: its bytes, each byte's entropy (nats), where patches start, and its
 * surprise under BLT.
 */
public record ReportLine(String streamId, long recordIndex, byte[] bytes, float[] entropies, int[] patchStarts,
                         double bitsPerByte) {
}
