package dev.blt.report;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A self-contained HTML report (inline CSS and SVG, no scripts, no network fetches): per line an
 * entropy plot in the style of the BLT paper's figure (entropy per byte, the theta line, patch
 * boundaries under the characters), a histogram of patch sizes, and the most surprising lines.
 */
public final class HtmlReport {

    private static final int CELL = 9;          // px per byte
    private static final int PLOT_HEIGHT = 90;
    private static final double MAX_NATS = Math.log(256);

    private HtmlReport() {
    }

    public static String render(String title, String modelId, double theta, List<ReportLine> lines, int plotLines,
                                int mostSurprising, String summary) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fff}\n")
                .append("h1{font-size:20px}h2{font-size:16px;margin-top:28px}\n")
                .append(".line{margin:14px 0;overflow-x:auto}.meta{font-size:12px;color:#555}\n")
                .append("svg text{font-family:ui-monospace,monospace}\n")
                .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\n")
                .append("td.num{text-align:right}code{white-space:pre}\n</style></head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<p class=\"meta\">model ").append(esc(modelId))
                .append(String.format(Locale.ROOT, ", theta = %.4f nats; ", theta)).append(esc(summary)).append("</p>\n");

        h.append("<h2>Entropy per byte and patch boundaries</h2>\n<p class=\"meta\">Bars: the entropy model's H_t "
                + "(nats) for each byte; dashed: theta; a red tick under a character starts a patch; patches "
                + "alternate in shade.</p>\n");
        for (ReportLine line : lines.subList(0, Math.min(plotLines, lines.size()))) {
            plot(h, line, theta);
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

    private static void plot(StringBuilder h, ReportLine line, double theta) {
        int n = line.bytes().length;
        int width = Math.max(1, n) * CELL + 40;
        int height = PLOT_HEIGHT + 40;
        h.append("<div class=\"line\"><div class=\"meta\">").append(esc(line.streamId())).append(" #")
                .append(line.recordIndex()).append(String.format(Locale.ROOT, " &middot; %.2f bits/byte", line.bitsPerByte()))
                .append("</div>\n<svg width=\"").append(width)
                .append("\" height=\"").append(height).append("\" role=\"img\">\n");
        boolean[] starts = new boolean[n];
        for (int s : line.patchStarts()) {
            if (s >= 0 && s < n) {
                starts[s] = true;
            }
        }
        int patch = -1;
        for (int t = 0; t < n; t++) {
            if (starts[t]) {
                patch++;
            }
            int x = 30 + t * CELL;
            h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"%s\"/>",
                    x, CELL, PLOT_HEIGHT, patch % 2 == 0 ? "#f3f6fb" : "#e4ebf5"));
            double v = Math.min(line.entropies()[t], MAX_NATS) / MAX_NATS;
            int bar = (int) Math.round(v * (PLOT_HEIGHT - 4));
            h.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s H=%.3f</title></rect>",
                    x + 1, PLOT_HEIGHT - bar, CELL - 2, bar, line.entropies()[t] > theta ? "#d9534f" : "#4a78c2",
                    esc(charAt(line.bytes(), t)), line.entropies()[t]));
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
                "<line x1=\"30\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>"
                        + "<text x=\"0\" y=\"%d\" font-size=\"10\">&#952;</text>\n", y, width, y, y + 4));
        h.append("</svg></div>\n");
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
