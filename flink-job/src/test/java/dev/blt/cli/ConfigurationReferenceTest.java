package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The README's configuration reference lists every option of `blt run`, and where it gives a
 * default as one literal value, it is the value the command really has: defaults live in the
 * options, and the table is checked against them.
 */
class ConfigurationReferenceTest {

    private static final Pattern ROW = Pattern.compile("^\\| `(-[^` ]+)[^`]*` \\|([^|]*)\\|");
    private static final Pattern LITERAL = Pattern.compile("^`([^`]*)`$");

    @Test
    void everyRunOptionIsDocumentedWithItsDefault() throws Exception {
        Path readme = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("../README.md").normalize();
        Map<String, String> documented = new HashMap<>();
        for (String line : Files.readAllLines(readme)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                documented.put(m.group(1), m.group(2).trim());
            }
        }
        List<String> problems = new ArrayList<>();
        int compared = 0;
        for (OptionSpec option : new CommandLine(new RunCommand()).getCommandSpec().options()) {
            if (option.usageHelp() || option.versionHelp()) {
                continue;
            }
            String name = java.util.Arrays.stream(option.names()).filter(documented::containsKey).findFirst().orElse(null);
            if (name == null) {
                problems.add(option.longestName() + " is not in the README's configuration reference");
                continue;
            }
            Matcher literal = LITERAL.matcher(documented.get(name));
            if (option.defaultValue() != null && literal.find()) {
                compared++;
                if (!literal.group(1).equals(option.defaultValue())) {
                    problems.add(name + ": README says `" + literal.group(1) + "`, the option's default is `"
                            + option.defaultValue() + "`");
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(compared >= 15, "only " + compared + " defaults compared: has the table's layout changed?");
    }
}
