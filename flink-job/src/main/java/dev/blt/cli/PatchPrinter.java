package dev.blt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blt.patching.ClosedPatch;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Prints patches as JSON lines or as coloured text for people. */
final class PatchPrinter {

    enum Format { JSONL, PRETTY }

    private static final ObjectMapper JSON = new ObjectMapper();
    // Two alternating backgrounds mark patch boundaries; the foreground shades by entropy.
    private static final String[] BACKGROUNDS = {"\u001b[48;5;236m", "\u001b[48;5;239m"};
    private static final String RESET = "\u001b[0m";

    private final PrintStream out;
    private final Format format;
    private final boolean colour;
    private final double theta;

    PatchPrinter(PrintStream out, Format format, boolean colour, double theta) {
        this.out = out;
        this.format = format;
        this.colour = colour;
        this.theta = theta;
    }

    /** The fields every JSON line of a patch starts with; record -1 (stream segmentation) leaves it out. */
    static ObjectNode patchJson(long record, ClosedPatch patch) {
        ObjectNode o = JSON.createObjectNode();
        if (record >= 0) {
            o.put("record", record);
        }
        o.put("index", patch.patchIndex());
        o.put("start", patch.startOffset());
        o.put("length", patch.length());
        JsonBytes.put(o, "text", "bytes_base64", patch.bytes());
        return o;
    }

    /** @param record the record index in record segmentation, or -1 */
    void print(long record, ClosedPatch patch) {
        if (format == Format.JSONL) {
            ObjectNode o = patchJson(record, patch);
            o.put("reason", patch.reason().name());
            ArrayNode entropies = o.putArray("entropies");
            for (float h : patch.entropies()) {
                entropies.add(Math.round(h * 1e4) / 1e4);
            }
            out.println(o);
        } else if (colour) {
            StringBuilder sb = new StringBuilder(BACKGROUNDS[(int) (patch.patchIndex() & 1)]);
            String text = visible(patch.bytes());
            sb.append(shade(patch.entropies()[0])).append(text).append(RESET);
            out.print(sb);
        } else {
            out.print(visible(patch.bytes()) + "|");
        }
    }

    /** Ends a record (record segmentation) or the output (stream segmentation). */
    void endRecord() {
        if (format == Format.PRETTY) {
            out.println();
        }
    }

    /** Bright for surprising patch starts, dim for predictable ones (relative to theta). */
    private String shade(float entropy) {
        double x = Math.min(1.0, entropy / (2 * theta));
        int grey = 244 + (int) Math.round(x * 11);
        return "\u001b[38;5;" + grey + "m";
    }

    private static String visible(byte[] bytes) {
        // A newline shows as a return arrow and breaks the line, so stream output stays readable.
        return new String(bytes, StandardCharsets.UTF_8).replace("\n", "\u21b5\n").replace("\r", "");
    }
}
