package dev.blt.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.blt.bltstage.PatchOutputs;
import dev.blt.bltstage.OfflineBltStage;
import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.testing.ModelFolders;
import dev.blt.testing.SampleText;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's HTML report renders in headless Chromium, shows its plots, and logs no errors. */
class HtmlReportChromiumTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Test
    void reportRendersWithoutErrors(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "skipped: no " + CHROMIUM + " (apt-get install chromium; .ci/run does)");
        LoadedModel model = ModelFolders.load(ModelFolders.shipped());
        List<ReportLine> lines = reportLines(model);
        java.util.Map<String, Long> topics = new java.util.LinkedHashMap<>();
        topics.put("blt.bytes (input, produced)", (long) lines.size());
        topics.put("blt.patches", 1234L);
        topics.put("blt.dlq (dead letters)", 3L);
        int perStream = 4;
        String html = HtmlReport.render("report test", model.modelId(), model.patcherSettings().rule().theta(), lines,
                perStream, 10, new HtmlReport.RunSummary(topics, 5000, 2.0));
        assertFalse(html.contains("http://") || html.contains("https://") || html.contains("<script"),
                "the report must be self-contained: no fetches, no scripts");
        assertStoryIsComplete(html, lines, topics, perStream);
        Path page = tmp.resolve("report.html");
        Files.writeString(page, html);
        Path png = tmp.resolve("shot.png");

        Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + tmp.resolve("profile"), "--enable-logging=stderr", "--v=0",
                "--window-size=1400,1800", "--screenshot=" + png, page.toUri().toString())
                .redirectErrorStream(true).start();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        chromium.getInputStream().transferTo(log);
        assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        String output = log.toString();
        assertEquals(0, chromium.exitValue(), output);

        BufferedImage shot = ImageIO.read(png.toFile());
        assertTrue(shot != null && shot.getWidth() >= 1000, "no screenshot: " + output);
        int bars = 0;
        int nonWhite = 0;
        for (int y = 0; y < shot.getHeight(); y += 2) {
            for (int x = 0; x < shot.getWidth(); x += 2) {
                int rgb = shot.getRGB(x, y) & 0xFFFFFF;
                if (rgb != 0xFFFFFF) {
                    nonWhite++;
                }
                if (near(rgb, 0x4a78c2) || near(rgb, 0xd9534f)) {
                    bars++;
                }
            }
        }
        assertTrue(nonWhite > 5000, "the page looks blank");
        assertTrue(bars > 200, "no entropy bars visible in the screenshot");
        for (String line : output.lines().toList()) {
            assertFalse(line.contains("CONSOLE") && line.contains("ERROR"), "console error: " + line);
            assertFalse(line.contains("Failed to load resource") || line.contains("net::ERR_"), "fetch failed: " + line);
        }
    }

    /** Every stream plotted, rows wrapped, an axis, a legend, every topic's count, the throughput, the words. */
    private static void assertStoryIsComplete(String html, List<ReportLine> lines, java.util.Map<String, Long> topics,
                                              int perStream) {
        List<String> streams = lines.stream().map(ReportLine::streamId).distinct().toList();
        assertTrue(streams.size() >= 2, "the test needs two streams");
        for (String stream : streams) {
            assertTrue(html.contains("<h3>stream " + stream + " "), "stream " + stream + " has no plots");
        }
        int rows = 0;
        boolean wraps = false;
        for (String stream : streams) {
            for (ReportLine l : lines.stream().filter(l -> l.streamId().equals(stream)).limit(perStream).toList()) {
                rows += Math.max(1, (l.bytes().length + HtmlReport.BYTES_PER_ROW - 1) / HtmlReport.BYTES_PER_ROW);
                wraps |= l.bytes().length > HtmlReport.BYTES_PER_ROW;
            }
        }
        assertTrue(wraps, "the test needs a line longer than a row");
        java.util.regex.Matcher svg = java.util.regex.Pattern.compile("<svg width=\"(\\d+)\" height=\"(\\d+)\" role=\"img\">")
                .matcher(html);
        int plotted = 0;
        int widest = 0;
        while (svg.find()) {
            widest = Math.max(widest, Integer.parseInt(svg.group(1)));
            plotted++;
        }
        assertEquals(rows + 1, plotted, "one plot per row of at most " + HtmlReport.BYTES_PER_ROW + " bytes, and the histogram");
        assertTrue(widest <= 1000, "a plot " + widest + " px wide would be cut off");
        assertTrue(html.contains(">nats</text>") && html.contains("text-anchor=\"end\">5</text>"), "no entropy axis");
        for (String key : List.of("H above theta", "H at or below theta", "a patch starts", ">theta</text>")) {
            assertTrue(html.contains(key), "legend lacks " + key);
        }
        for (var topic : topics.entrySet()) {
            assertTrue(html.contains("<tr><td>" + topic.getKey() + "</td><td class=\"num\">" + topic.getValue() + "</td></tr>"),
                    "no count for " + topic.getKey());
        }
        assertTrue(html.contains("2.5 KB/s"), "no throughput");
        assertTrue(html.contains("<b>theta</b>") && html.contains("<b>Bits per byte</b>"), "theta and bits per byte unexplained");
    }

    private static boolean near(int rgb, int target) {
        int dr = Math.abs(((rgb >> 16) & 0xFF) - ((target >> 16) & 0xFF));
        int dg = Math.abs(((rgb >> 8) & 0xFF) - ((target >> 8) & 0xFF));
        int db = Math.abs((rgb & 0xFF) - (target & 0xFF));
        return dr + dg + db < 30;
    }

    static List<ReportLine> reportLines(LoadedModel model) {
        OfflinePatcher patcher = new OfflinePatcher(model.patcherSettings(), model.entropyScorer());
        List<byte[]> records = SampleText.lines().stream().filter(l -> l.length > 0).toList();
        List<List<ClosedPatch>> patched = patcher.patchRecords(records);
        List<List<byte[]>> docs = new ArrayList<>();
        patched.forEach(d -> docs.add(d.stream().map(ClosedPatch::bytes).toList()));
        List<List<PatchOutputs>> encoded = OfflineBltStage.encodeDocuments(model.encoderSettings(), model.bltScorer(), docs);
        List<ReportLine> lines = new ArrayList<>();
        for (int r = 0; r < records.size(); r++) {
            float[] h = new float[records.get(r).length];
            int[] starts = new int[patched.get(r).size()];
            double bits = 0;
            for (int p = 0; p < starts.length; p++) {
                ClosedPatch cp = patched.get(r).get(p);
                starts[p] = (int) cp.startOffset();
                System.arraycopy(cp.entropies(), 0, h, starts[p], cp.length());
                bits += encoded.get(r).get(p).bitsPerByte() * cp.length();
            }
            lines.add(new ReportLine(r % 2 == 0 ? "app-a" : "app-b", r / 2, records.get(r), h, starts,
                    bits / records.get(r).length));
        }
        return lines;
    }
}
