package io.jvswitch.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Help on every command, and the generated docs: up to date, sourceable by bash, rendered by man. */
class CliDocsTest {
    /** The checked-in reference, relative to the control module (where Maven runs the tests). */
    private static final Path REFERENCE = Path.of("..", "docs", "user", "cli.md");

    record Run(int exit, String out, String err) {}

    static Run jvs(List<String> args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exit =
                JvsCommand.run(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    static List<String> words(CommandLine command) {
        final List<String> words = new ArrayList<>(
                List.of(command.getCommandSpec().qualifiedName(" ").split(" ")));
        words.removeFirst(); // "jvs"
        return words;
    }

    @Test
    void everyCommandAnswersHelpAndH() {
        final List<CommandLine> commands = new CliDocs().commands();
        assertTrue(commands.size() > 20, "all commands and subcommands: " + commands.size());
        for (CommandLine command : commands) {
            for (String flag : List.of("--help", "-h")) {
                final List<String> args = new ArrayList<>(words(command));
                args.add(flag);
                final Run run = jvs(args);
                assertEquals(0, run.exit(), String.join(" ", args) + ": " + run.err());
                assertTrue(
                        // jvs help colours its own help even where the others do not
                        run.out()
                                .replaceAll("\u001B\\[[0-9;]*m", "")
                                .contains("Usage: " + command.getCommandSpec().qualifiedName(" ") + " "),
                        String.join(" ", args) + " printed: " + run.out() + run.err());
                assertEquals("", run.err(), String.join(" ", args));
            }
        }
    }

    @Test
    void topLevelHelpListsEveryCommandIncludingTheLaunchers() {
        final String help = jvs(List.of("--help")).out();
        for (String command : List.of(
                "daemon",
                "network",
                "cluster",
                "attach",
                "detach",
                "fdb",
                "ports",
                "conntrack",
                "stats",
                "capture",
                "trace",
                "replay",
                "demo",
                "test",
                "build",
                "bench",
                "jmh",
                "format",
                "completion",
                "man",
                "help")) {
            assertTrue(help.contains("\n  " + command + " "), command + " missing from:\n" + help);
        }
        assertTrue(!help.contains("generate-docs"), "the docs generator stays hidden");
    }

    @Test
    void launcherCommandsRunOutsideTheLauncherSayWhereTheyLive() {
        final Run run = jvs(List.of("bench", "--quick"));
        assertEquals(1, run.exit());
        assertEquals(
                "jvs: 'bench' is run by the jvs launcher script at the project root: ./jvs bench --quick\n", run.err());
    }

    /** The demo lives in the lab module, outside this jar: the launcher runs it from there. */
    @Test
    void theDemoRunOutsideTheLauncherSaysWhereItLives() {
        final Run run = jvs(List.of("demo"));
        assertEquals(1, run.exit());
        assertEquals("jvs: 'demo' is run by the jvs launcher script at the project root: ./jvs demo\n", run.err());
    }

    @Test
    void theCheckedInReferenceIsWhatTheGeneratorWrites() throws IOException {
        final String generated = new CliDocs().markdown();
        assertEquals(generated, jvs(List.of("generate-docs")).out(), "the hidden command prints the same");
        assertTrue(Files.exists(REFERENCE), REFERENCE.toAbsolutePath() + " is missing");
        assertEquals(
                generated,
                Files.readString(REFERENCE),
                "docs/user/cli.md is out of date: run ./jvs generate-docs > docs/user/cli.md");
        for (CommandLine command : new CliDocs().commands()) {
            assertTrue(generated.contains("## " + command.getCommandSpec().qualifiedName(" ") + "\n"));
        }
    }

    @Test
    void bashSourcesTheCompletionScriptAndCompletesCommands(@TempDir Path dir) throws Exception {
        final Path script = dir.resolve("jvs.bash");
        Files.writeString(script, jvs(List.of("completion")).out());
        assertEquals("network", complete(script, "jvs net"));
        assertEquals("create", complete(script, "jvs network cr"));
        assertEquals("--point", complete(script, "jvs capture --poi"));
        assertEquals("build bench", complete(script, "jvs b"));
    }

    /**
     * zsh runs the same script through bashcompinit: the function finds the subcommand and offers
     * its words (zsh's completion system then filters them by the typed prefix itself).
     */
    @Test
    void zshSourcesTheCompletionScriptThroughBashcompinit(@TempDir Path dir) throws Exception {
        final Path script = dir.resolve("jvs.bash");
        Files.writeString(script, jvs(List.of("completion")).out());
        final String network = zshComplete(dir, script, "jvs network c");
        assertTrue(network.startsWith("create ls list inspect rm remove peer"), network);
        assertTrue(!network.contains("daemon"), network);
        assertTrue(zshComplete(dir, script, "jvs capture --poi").contains("--point"));
    }

    private static String zshComplete(Path dir, Path script, String line) throws Exception {
        final String sh = "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(" + line + ");"
                + " COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); compopt() { :; };"
                + " _complete_jvs jvs \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\";"
                + " echo \"${COMPREPLY[*]}\"";
        final String program = "autoload -U +X compinit && compinit -u -d " + dir.resolve("zcompdump") + "\n"
                + "autoload -U +X bashcompinit && bashcompinit\n"
                + "source " + script + "\n"
                // bash's arrays count from 0: the function runs as bash functions do under bashcompinit
                + "emulate sh -c '" + sh.replace("'", "'\\''") + "'\n";
        final Process zsh;
        try {
            zsh = new ProcessBuilder("zsh", "-f", "-c", program)
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new AssertionError("zsh is missing: scripts/install-test-deps installs it", e);
        }
        final String out = new String(zsh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(zsh.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, zsh.exitValue(), out);
        return out.strip();
    }

    /** What bash offers for the last word of {@code line}, the way readline calls the function. */
    private static String complete(Path script, String line) throws Exception {
        // compopt changes readline's options and works only while readline runs the completion: here a no-op
        final String program = "source " + script + "\ncompopt() { :; }\n"
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}\n"
                + "read -ra COMP_WORDS <<< \"$COMP_LINE\"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "_complete_jvs jvs \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                + "echo \"${COMPREPLY[*]}\"\n";
        final Process bash = new ProcessBuilder("bash", "--norc", "--noprofile", "-c", program)
                .redirectErrorStream(true)
                .start();
        final String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, bash.exitValue(), out);
        return out.strip();
    }

    @Test
    void manRendersThePageWithoutWarnings(@TempDir Path dir) throws Exception {
        final Path page = dir.resolve("jvs.1");
        Files.writeString(page, jvs(List.of("man")).out());
        final ProcessBuilder man = new ProcessBuilder("man", "--warnings", "-l", page.toString());
        man.environment().put("MANWIDTH", "100");
        man.environment().put("MANPAGER", "cat");
        final Path err = dir.resolve("man.err");
        final Process p = man.redirectError(err.toFile()).start();
        final String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(err));
        assertEquals("", Files.readString(err), "groff warnings");
        assertTrue(text.startsWith("JVS(1)"), text);
        for (CommandLine command : new CliDocs().commands()) {
            assertTrue(text.contains(command.getCommandSpec().qualifiedName(" ")), command.getCommandName());
        }
        assertTrue(text.contains("--point POINTS"), "options with their parameter");
    }
}
