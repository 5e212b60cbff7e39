package dev.blt.cli;

/** Placeholder entry point of {@code blt.jar}; the real CLI replaces it. */
public final class BltMain {

    private BltMain() {}

    public static void main(String[] args) {
        System.out.println("Usage: java -jar blt.jar <command> [options]");
        System.out.println("  (placeholder: no commands are implemented yet)");
    }
}
