package dev.blt.cli;

import dev.blt.model.LoadedModel;
import dev.blt.patching.ClosedPatch;
import dev.blt.patching.OfflinePatcher;
import dev.blt.patching.RecordPatcher;
import dev.blt.patching.Segmentation;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blt patch}: patch a file offline, on the same core the Flink operator runs. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = "Cut a file (or stdin) into entropy patches, offline.")
public class PatchCommand implements Callable<Integer> {

    static final int RECORD_BATCH = RecordPatcher.DEFAULT_MAX_RECORDS;

    @Mixin
    ModelOptions model;

    @Option(names = "--segmentation", defaultValue = "stream", paramLabel = "stream|record") Segmentation segmentation;

    @Mixin
    RecordContextOption recordContext;

    @Option(names = "--chunk-size", defaultValue = "65536", paramLabel = "N") int chunkSize;
    @Option(names = "--format", defaultValue = "pretty", paramLabel = "jsonl|pretty") PatchPrinter.Format format;

    @Parameters(index = "0", paramLabel = "FILE|-", description = "Input file, or - for stdin.")
    String file;

    @Override
    public Integer call() throws Exception {
        if (chunkSize < 1) {
            throw new IllegalArgumentException("--chunk-size must be >= 1, got " + chunkSize);
        }
        LoadedModel loaded = model.source().open();
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        PatchPrinter printer = new PatchPrinter(out, format, System.console() != null,
                loaded.patcherSettings().rule().theta());
        try (InputStream in = InputFiles.open(file)) {
            if (segmentation == Segmentation.STREAM) {
                OfflinePatcher patcher = new OfflinePatcher(loaded.patcherSettings(), loaded.entropyScorer());
                patcher.patchStream(InputFiles.chunks(in, chunkSize), p -> printer.print(-1, p));
                printer.endRecord();
            } else {
                // Lines in pieces, batched: memory does not grow with the length of a line.
                RecordPatcher records = new RecordPatcher(loaded.patcherSettings(), loaded.entropyScorer(),
                        recordContext.value, new RecordPatcher.Sink() {
                            @Override
                            public void patch(long record, ClosedPatch patch) {
                                printer.print(record, patch);
                            }

                            @Override
                            public void endRecord(long record) {
                                printer.endRecord();
                            }

                            @Override
                            public void endBatch() {
                                out.flush();
                            }
                        });
                LinePieces lines = new LinePieces(in, RecordPatcher.DEFAULT_MAX_BYTES);
                for (LinePieces.Piece piece = lines.next(); piece != null; piece = lines.next()) {
                    records.add(piece.record(), piece.bytes(), piece.endOfRecord());
                }
                records.finish();
            }
        }
        out.flush();
        return 0;
    }
}
