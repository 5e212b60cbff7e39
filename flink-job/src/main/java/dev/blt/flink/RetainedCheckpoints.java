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
            List<FileStatus> metadata = new ArrayList<>();
            // DIR/<job id or "savepoints">/<chk-n or savepoint-...>/_metadata
            for (FileStatus group : list(fs, root)) {
                for (FileStatus candidate : list(fs, group.getPath())) {
                    Path file = new Path(candidate.getPath(), METADATA);
                    if (candidate.isDir() && fs.exists(file)) {
                        metadata.add(fs.getFileStatus(file));
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
