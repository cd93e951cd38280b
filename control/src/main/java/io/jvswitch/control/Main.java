package io.jvswitch.control;

import io.jvswitch.control.cli.JvsCommand;

import java.io.PrintWriter;

/** The {@code jvs} command. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tF %1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        final int code = JvsCommand.run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }
}
