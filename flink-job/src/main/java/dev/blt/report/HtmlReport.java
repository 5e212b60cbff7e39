package dev.blt.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, no network fetches): what ran and what
 * came out (records per topic, dead letters included, and throughput), what theta and bits per byte
 * mean, per stream its first lines as entropy plots in the style of the BLT paper's figure (entropy per
 * byte on an axis in nats, the theta line, patch boundaries under the characters, wrapped so that no
 * byte is cut off), a histogram of patch sizes, and the most surprising lines.
 */
public final class HtmlReport {

    /** What the run did: records per output topic (in the order to show them), input bytes, seconds. */
    public record RunSummary(java.util.Map<String, Long> recordsPerTopic, long inputBytes, double seconds) {
    }

    static final int CELL = 9;             // px per byte
    static final int BYTES_PER_ROW = 100;  // a longer line wraps onto further rows
    static final int AXIS = 34;            // px left of the bars: the entropy axis and its labels
    private static final int PLOT_HEIGHT = 90;
    private static final double MAX_NATS = Math.log(256);

    private HtmlReport() {
    }

    /**
     * @param plotLinesPerStream how many of each stream's first lines to plot
     * @param mostSurprising     rows of the most-surprising table
     */
    public static String render(String title, String modelId, double theta, List<ReportLine> lines,
                                int plotLinesPerStream, int mostSurprising, RunSummary run) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fff;max-width:1100px}\n")
                .append("h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin:18px 0 4px}\n")
                .append(".line{margin:10px 0}.line svg{display:block}.meta{font-size:12px;color:#555}\n")
                .append("svg text{font-family:ui-monospace,monospace}\n")
                .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\n")
                .append("td.num{text-align:right}code{white-space:pre-wrap;word-break:break-all}\n</style></head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<p class=\"meta\">model ").append(esc(modelId))
                .append(String.format(Locale.ROOT, ", theta = %.4f nats</p>\n", theta));
        summary(h, lines, run);
        explanation(h, theta);

        h.append("<h2>Entropy per byte and patch boundaries</h2>\n");
        legend(h);
        Map<String, List<ReportLine>> byStream = new LinkedHashMap<>();
        for (ReportLine line : lines) {
            byStream.computeIfAbsent(line.streamId(), k -> new ArrayList<>()).add(line);
        }
        for (Map.Entry<String, List<ReportLine>> stream : byStream.entrySet()) {
            List<ReportLine> own = stream.getValue();
            h.append("<section class=\"stream\"><h3>stream ").append(esc(stream.getKey()))
                    .append(String.format(Locale.ROOT, " <span class=\"meta\">(%d lines; the first %d)</span></h3>\n",
                            own.size(), Math.min(plotLinesPerStream, own.size())));
            for (ReportLine line : own.subList(0, Math.min(plotLinesPerStream, own.size()))) {
                plot(h, line, theta);
            }
            h.append("</section>\n");
        }

        h.append("<h2>Patch sizes</h2>\n");
        histogram(h, lines);

        h.append("<h2>Most surprising lines</h2>\n<table><tr><th>stream</th><th>record</th><th>bits/byte</th><th>line</th></tr>\n");
        List<ReportLine> sorted = new ArrayList<>(lines);
        sorted.sort(Comparator.comparingDouble(ReportLine::bitsPerByte).reversed());
        for (ReportLine l : sorted.subList(0, Math.min(mostSurprising, sorted.size()))) {
            h.append("<tr><td>").append(esc(l.streamId())).append("</td><td class=\"num\">").append(l.recordIndex())
                    .append(String.format(Locale.ROOT, "</td><td class=\"num\">%.2f</td><td><code>", l.bitsPerByte()))
                    .append(esc(text(l.bytes()))).append("</code></td></tr>\n");
        }
        h.append("</table>\n</body></html>\n");
        return h.toString();
    }

    private static void summary(StringBuilder h, List<ReportLine> lines, RunSummary run) {
        long patches = lines.stream().mapToLong(l -> l.patchStarts().length).sum();
        h.append("<h2>What ran</h2>\n<p>").append(String.format(Locale.ROOT,
                "%d input bytes in %d lines from %d streams; %d patches (average %.2f bytes); %.1f s end to end "
                        + "(%.1f KB/s, Flink start-up included).", run.inputBytes(), lines.size(),
                lines.stream().map(ReportLine::streamId).distinct().count(), patches,
                (double) run.inputBytes() / Math.max(1, patches), run.seconds(),
                run.inputBytes() / 1e3 / Math.max(1e-9, run.seconds()))).append("</p>\n");
        h.append("<table class=\"topics\"><tr><th>topic</th><th>records</th></tr>\n");
        for (Map.Entry<String, Long> topic : run.recordsPerTopic().entrySet()) {
            h.append("<tr><td>").append(esc(topic.getKey())).append("</td><td class=\"num\">").append(topic.getValue())
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static void explanation(StringBuilder h, double theta) {
        h.append("<p class=\"meta\">A small byte-level model predicts each next byte; its <b>entropy</b> H (in nats) "
                + "says how unsure it is. Where H exceeds <b>theta</b>").append(String.format(Locale.ROOT, " (%.2f nats)", theta))
                .append(", the next byte is hard to predict and a new <b>patch</b> starts: predictable runs (timestamps' "
                + "fixed parts, repeated words) become long patches, surprising places short ones. <b>Bits per byte</b> is "
                + "the BLT model's surprise at the bytes that did come, averaged over a line: about 0 for a line it "
                + "expected, 8 for random bytes; unusual lines stand out by it.</p>\n");
    }

    private static void legend(StringBuilder h) {
        h.append("<svg class=\"legend\" width=\"760\" height=\"26\" role=\"img\" aria-label=\"legend\">")
                .append("<rect x=\"0\" y=\"6\" width=\"12\" height=\"12\" fill=\"#4a78c2\"/>")
                .append("<text x=\"16\" y=\"16\" font-size=\"11\">H at or below theta</text>")
                .append("<rect x=\"150\" y=\"6\" width=\"12\" height=\"12\" fill=\"#d9534f\"/>")
                .append("<text x=\"166\" y=\"16\" font-size=\"11\">H above theta</text>")
                .append("<line x1=\"280\" y1=\"12\" x2=\"304\" y2=\"12\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>")
                .append("<text x=\"310\" y=\"16\" font-size=\"11\">theta</text>")
                .append("<line x1=\"360\" y1=\"4\" x2=\"360\" y2=\"20\" stroke=\"#c00\" stroke-width=\"2\"/>")
                .append("<text x=\"366\" y=\"16\" font-size=\"11\">a patch starts</text>")
                .append("<rect x=\"470\" y=\"4\" width=\"14\" height=\"16\" fill=\"#f3f6fb\"/>")
                .append("<rect x=\"484\" y=\"4\" width=\"14\" height=\"16\" fill=\"#e4ebf5\"/>")
                .append("<text x=\"504\" y=\"16\" font-size=\"11\">patches alternate in shade</text></svg>\n");
    }

    /** One line: rows of at most BYTES_PER_ROW bytes, each with its entropy axis. */
    private static void plot(StringBuilder h, ReportLine line, double theta) {
        int n = line.bytes().length;
        h.append("<div class=\"line\"><div class=\"meta\">").append(esc(line.streamId())).append(" #")
                .append(line.recordIndex()).append(String.format(Locale.ROOT, " &middot; %d bytes &middot; %.2f bits/byte",
                        n, line.bitsPerByte())).append("</div>\n");
        boolean[] starts = new boolean[n];
        for (int s : line.patchStarts()) {
            if (s >= 0 && s < n) {
                starts[s] = true;
            }
        }
        int[] patchOf = new int[n];
        for (int t = 0, patch = -1; t < n; t++) {
            patch += starts[t] ? 1 : 0;
            patchOf[t] = patch;
        }
        for (int from = 0; from < Math.max(1, n); from += BYTES_PER_ROW) {
            plotRow(h, line, theta, starts, patchOf, from, Math.min(n, from + BYTES_PER_ROW));
        }
        h.append("</div>\n");
    }

    private static void plotRow(StringBuilder h, ReportLine line, double theta, boolean[] starts, int[] patchOf,
                                int from, int to) {
        int width = AXIS + Math.max(1, to - from) * CELL + 6;
        h.append("<svg width=\"").append(width).append("\" height=\"").append(PLOT_HEIGHT + 32)
                .append("\" role=\"img\">\n");
        for (int nats = 0; nats <= (int) MAX_NATS; nats++) {
            int y = PLOT_HEIGHT - (int) Math.round(nats / MAX_NATS * (PLOT_HEIGHT - 4));
            h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"9\" text-anchor=\"end\">%d</text>", AXIS - 4, y, AXIS, y,
                    AXIS - 6, y + 3, nats));
        }
        h.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"8\" font-size=\"9\">nats</text>"
                + "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", AXIS, AXIS, PLOT_HEIGHT));
        for (int t = from; t < to; t++) {
            int x = AXIS + (t - from) * CELL;
            float entropy = line.entropies()[t];
            h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"%s\"/>",
                    x, CELL, PLOT_HEIGHT, patchOf[t] % 2 == 0 ? "#f3f6fb" : "#e4ebf5"));
            int bar = (int) Math.round(Math.min(entropy, MAX_NATS) / MAX_NATS * (PLOT_HEIGHT - 4));
            h.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s H=%.3f</title></rect>",
                    x + 1, PLOT_HEIGHT - bar, CELL - 2, bar, entropy > theta ? "#d9534f" : "#4a78c2",
                    esc(charAt(line.bytes(), t)), entropy));
            h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", x + 1,
                    PLOT_HEIGHT + 14, esc(charAt(line.bytes(), t))));
            if (starts[t]) {
                h.append(String.format(Locale.ROOT,
                        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c00\" stroke-width=\"2\"/>",
                        x, PLOT_HEIGHT + 18, x, PLOT_HEIGHT + 28));
            }
            h.append('\n');
        }
        int y = PLOT_HEIGHT - (int) Math.round(Math.min(theta, MAX_NATS) / MAX_NATS * (PLOT_HEIGHT - 4));
        h.append(String.format(Locale.ROOT,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n",
                AXIS, y, width, y));
        h.append("</svg>\n");
    }

    private static void histogram(StringBuilder h, List<ReportLine> lines) {
        int[] counts = new int[65];
        int max = 1;
        for (ReportLine l : lines) {
            int[] s = l.patchStarts();
            for (int i = 0; i < s.length; i++) {
                int size = (i + 1 < s.length ? s[i + 1] : l.bytes().length) - s[i];
                counts[Math.min(size, 64)]++;
            }
        }
        int last = 1;
        for (int i = 1; i < counts.length; i++) {
            max = Math.max(max, counts[i]);
            if (counts[i] > 0) {
                last = i;
            }
        }
        int barWidth = 14;
        int height = 140;
        h.append("<svg width=\"").append(40 + last * barWidth + 20)
                .append("\" height=\"").append(height + 30).append("\" role=\"img\">\n");
        for (int i = 1; i <= last; i++) {
            int bar = (int) Math.round((double) counts[i] / max * height);
            int x = 30 + (i - 1) * barWidth;
            h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#4a78c2\">"
                    + "<title>%d bytes: %d patches</title></rect>", x, height - bar, barWidth - 2, bar, i, counts[i]));
            if (i % 4 == 1 || i == last) {
                h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\">%d</text>", x, height + 14, i));
            }
            h.append('\n');
        }
        h.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"12\" font-size=\"10\">%d</text>", max))
                .append("<text x=\"30\" y=\"").append(height + 28).append("\" font-size=\"10\">patch size (bytes)</text></svg>\n");
    }

    private static String charAt(byte[] bytes, int t) {
        int b = bytes[t] & 0xFF;
        if (b == ' ') {
            return "\u2423";
        }
        return b >= 0x21 && b < 0x7F ? String.valueOf((char) b) : "\u00b7";
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> out.append(c < 0x20 ? ' ' : c);
            }
        }
        return out.toString();
    }
}
