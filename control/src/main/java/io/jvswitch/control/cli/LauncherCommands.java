package io.jvswitch.control.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The commands the {@code ./jvs} launcher script runs itself (they build, or start Maven or other
 * JVMs). They are described here so that {@code jvs --help}, the man page, the completion script
 * and the CLI reference list them; run through the CLI directly, they say where they live.
 */
final class LauncherCommands {
    private LauncherCommands() {}

    /** What these commands share: extra arguments passed on, and a refusal outside the launcher. */
    abstract static class LauncherOnly implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ARG", arity = "0..*", description = "Passed on unchanged.")
        List<String> args = new ArrayList<>();

        /** Options such as --quick or -pl belong to the launcher or Maven, not to this parser. */
        @Unmatched
        List<String> options = new ArrayList<>();

        @Override
        public Integer call() {
            final List<String> all = new ArrayList<>(options);
            all.addAll(args);
            throw new CliException("'" + spec.name() + "' is run by the jvs launcher script at the project root: ./jvs "
                    + spec.name() + (all.isEmpty() ? "" : " " + String.join(" ", all)));
        }
    }

    @Command(
            name = "test",
            description = {
                "Install the Debian packages the tests use (when missing) and run the full test suite (mvn verify).",
                "Needs root: the tests create network namespaces and TAP devices. ARGs go to Maven,",
                "e.g. ./jvs test -pl lab -Dit.test=DebuggingIT"
            })
    static final class Test extends LauncherOnly {}

    @Command(
            name = "build",
            description = "Build jvs without running tests (the launcher also builds by itself when sources changed).")
    static final class Build extends LauncherOnly {}

    @Command(
            name = "bench",
            description = {
                "Measure jvs against the Linux bridge and Open vSwitch side by side, in namespaces it creates.",
                "Needs root and iperf3. ARGs: --quick for a short run."
            })
    static final class Bench extends LauncherOnly {}

    @Command(
            name = "format",
            description =
                    "Format the Java sources as the build's style gate wants them (Spotless, palantir-java-format).")
    static final class Format extends LauncherOnly {}

    @Command(
            name = "jmh",
            description = {
                "Run the JMH microbenchmarks; ARGs go to JMH (e.g. -l lists them, a regular expression selects)."
            })
    static final class Jmh extends LauncherOnly {}
}
