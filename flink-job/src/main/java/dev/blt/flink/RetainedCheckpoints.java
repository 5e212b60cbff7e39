package dev.blt.flink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Finds the newest retained checkpoint or savepoint under a job's checkpoint directory, for
 * {@code --resume latest}. Flink writes checkpoints to {@code DIR/<job id>/chk-<n>/_metadata} and
 * (as this job configures it) savepoints to {@code DIR/savepoints/savepoint-.../_metadata}; one is
 * complete once its {@code _metadata} file exists. The directory is read through Flink's file
 * systems, so any scheme Flink can checkpoint to (file, s3, hdfs, ...) works here too.
 */
public final class RetainedCheckpoints {

    public static final String SAVEPOINTS_SUBDIRECTORY = "savepoints";
    /**
     * Written when a bounded run ends: Flink discards a finished job's checkpoints, so the newest
     * state left is older than what that run processed and committed. Resuming it would process
     * that input again; state retained before this mark is therefore not a resume point.
     */
    public static final String BOUNDED_RUN_ENDED = "blt-bounded-run-ended";
    private static final String METADATA = "_metadata";

    private RetainedCheckpoints() {
    }

    /** Where savepoints of a job with this checkpoint directory go. */
    public static String savepointDirectory(String checkpointDirectory) {
        return checkpointDirectory.replaceAll("/+$", "") + "/" + SAVEPOINTS_SUBDIRECTORY;
    }

    /**
     * The newest complete checkpoint or savepoint (by the time its metadata was written), as a
     * path Flink can restore from; empty when there is none.
     */
    public static Optional<String> latest(String checkpointDirectory) {
        Path root = new Path(checkpointDirectory);
        try {
            FileSystem fs = root.getFileSystem();
            if (!fs.exists(root)) {
                return Optional.empty();
            }
            long endedAt = boundedRunEndedAt(fs, root);
            List<FileStatus> metadata = new ArrayList<>();
            // DIR/<job id or "savepoints">/<chk-n or savepoint-...>/_metadata
            for (FileStatus group : list(fs, root)) {
                for (FileStatus candidate : list(fs, group.getPath())) {
                    Path file = new Path(candidate.getPath(), METADATA);
                    if (candidate.isDir() && fs.exists(file)) {
                        FileStatus status = fs.getFileStatus(file);
                        if (status.getModificationTime() > endedAt) {
                            metadata.add(status);
                        }
                    }
                }
            }
            return metadata.stream()
                    .max(Comparator.comparingLong(FileStatus::getModificationTime)
                            .thenComparing(s -> s.getPath().toString()))
                    .map(s -> s.getPath().getParent().toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the checkpoints under " + checkpointDirectory
                    + " for --resume latest; pass --resume with the path of a checkpoint or savepoint instead", e);
        }
    }

    /** Marks that a bounded run with this checkpoint directory ended now (see {@link #BOUNDED_RUN_ENDED}). */
    public static void markBoundedRunEnded(String checkpointDirectory) {
        Path file = new Path(checkpointDirectory, BOUNDED_RUN_ENDED);
        try {
            FileSystem fs = file.getFileSystem();
            try (var out = fs.create(file, FileSystem.WriteMode.OVERWRITE)) {
                out.write(Long.toString(System.currentTimeMillis()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + "; the next --resume latest would resume state older "
                    + "than this bounded run: pass --resume none to it", e);
        }
    }

    /** When the last bounded run under root ended (epoch ms), or Long.MIN_VALUE. */
    private static long boundedRunEndedAt(FileSystem fs, Path root) throws IOException {
        Path file = new Path(root, BOUNDED_RUN_ENDED);
        if (!fs.exists(file)) {
            return Long.MIN_VALUE;
        }
        try (var in = fs.open(file)) {
            return Long.parseLong(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            throw new IOException(file + " holds no time", e);
        }
    }

    private static List<FileStatus> list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] entries = fs.listStatus(dir);
        List<FileStatus> dirs = new ArrayList<>();
        if (entries != null) {
            for (FileStatus e : entries) {
                if (e.isDir()) {
                    dirs.add(e);
                }
            }
        }
        return dirs;
    }
}
