package dev.blt.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a model runs: the CPU, or one CUDA GPU by index. Parsed from the {@code --device} option,
 * spelled {@code cpu} or {@code cuda:N}.
 *
 * @param gpu the CUDA device index, or -1 for the CPU
 */
public record Device(int gpu) {

    public static final Device CPU = new Device(-1);

    private static final Pattern CUDA = Pattern.compile("cuda:(\\d{1,4})");

    public Device {
        if (gpu < -1) {
            throw new IllegalArgumentException("GPU index must be >= 0 (or -1 for the CPU), was " + gpu);
        }
    }

    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("GPU index must be >= 0, was " + index);
        }
        return new Device(index);
    }

    /** Parses {@code cpu} or {@code cuda:N} (case and surrounding blanks ignored). */
    public static Device parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("cpu")) {
            return CPU;
        }
        Matcher m = CUDA.matcher(s);
        if (m.matches()) {
            return cuda(Integer.parseInt(m.group(1)));
        }
        throw new IllegalArgumentException("unknown device '" + spec + "': use 'cpu' or 'cuda:N' (for example cuda:0)");
    }

    public boolean isCuda() {
        return gpu >= 0;
    }

    @Override
    public String toString() {
        return isCuda() ? "cuda:" + gpu : "cpu";
    }
}
