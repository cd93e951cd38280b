package io.jvswitch.control.cli;

import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * {@code jvs demo} as the help, the man page and the CLI reference describe it. The demo and the
 * test harness it drives live in the lab module, outside the product jar: the {@code ./jvs}
 * launcher runs it from there ({@code io.jvswitch.control.lab.DemoMain}), and run through this CLI
 * directly it says so, as the other launcher commands do.
 */
@Command(name = "demo", description = "Show jvs at work in namespaces it creates and removes itself.")
final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new CliException("'demo' is run by the jvs launcher script at the project root: ./jvs demo");
    }
}
