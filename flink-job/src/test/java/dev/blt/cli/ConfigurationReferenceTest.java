package dev.blt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The README's configuration reference lists every option of `blt run`, and where it gives a
 * default as one literal value, it is the value the command really has: defaults live in the
 * options, and the table is checked against them. Every option of every command has its help text
 * in {@code flags.properties}, and every text there belongs to an option.
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

    @Test
    void everyOptionHasHelpTextAndEveryHelpTextAnOption() {
        ResourceBundle bundle = ResourceBundle.getBundle("dev.blt.cli.flags");
        Set<String> unused = new TreeSet<>(bundle.keySet());
        List<String> problems = new ArrayList<>();
        CommandLine blt = BltMain.commandLine();
        for (Map.Entry<String, CommandLine> command : blt.getSubcommands().entrySet()) {
            for (OptionSpec option : command.getValue().getCommandSpec().options()) {
                if (option.usageHelp() || option.versionHelp()) {
                    continue;
                }
                // picocli's lookup: the command's own key first, then the plain option name.
                String name = option.longestName().replaceFirst("^-+", "");
                String ownKey = "blt." + command.getKey() + "." + name;
                String key = bundle.containsKey(ownKey) ? ownKey : name;
                if (!bundle.containsKey(key)) {
                    problems.add("blt " + command.getKey() + " " + option.longestName() + " has no help text");
                }
                unused.remove(key);
                if (String.join(" ", option.description()).isBlank()) {
                    problems.add("blt " + command.getKey() + " " + option.longestName() + " shows an empty description");
                }
            }
        }
        unused.forEach(key -> problems.add("flags.properties: " + key + " belongs to no option"));
        assertEquals(List.of(), problems);
    }
}
