package io.jvswitch.control.cli;

import io.jvswitch.control.lab.Demo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "demo", description = "Show jvs at work in namespaces it creates and removes itself.")
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return new Demo(spec.commandLine().getOut()).run();
    }
}
