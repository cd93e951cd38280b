package io.jvswitch.control.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;

@Command(
        name = "jvs",
        mixinStandardHelpOptions = true,
        // --help, -h, --version and -V on every subcommand too
        scope = ScopeType.INHERIT,
        version = "jvs 0.1.0",
        description = "A userspace virtual switch for containers: TAP endpoints, learning switch, proxy-ARP.",
        subcommands = {
            DaemonCommand.class,
            NetworkCommand.class,
            ClusterCommand.class,
            AttachCommand.class,
            DetachCommand.class,
            FdbCommand.class,
            PortsCommand.class,
            ConntrackCommand.class,
            StatsCommand.class,
            CaptureCommand.class,
            TraceCommand.class,
            ReplayCommand.class,
            DemoCommand.class,
            LauncherCommands.Test.class,
            LauncherCommands.Build.class,
            LauncherCommands.Bench.class,
            LauncherCommands.Jmh.class,
            LauncherCommands.Format.class,
            DocsCommands.Completion.class,
            DocsCommands.Man.class,
            DocsCommands.Markdown.class,
            CommandLine.HelpCommand.class
        })
public final class JvsCommand {

    /** The CLI's model: what runs, and what the help, the man page and the completion script describe. */
    static CommandLine commandLine() {
        return new CommandLine(new JvsCommand());
    }

    /** Runs the CLI; returns the exit code. Errors are one line on stderr, prefixed "jvs: ". */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        final CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CliException) {
                err.println("jvs: " + e.getMessage());
            } else {
                err.println("jvs: " + e);
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }
}
