package io.jvswitch.control.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** The commands that print what {@link CliDocs} generates. */
final class DocsCommands {
    private DocsCommands() {}

    @Command(
            name = "completion",
            description = {
                "Print the shell completion script for jvs (bash; zsh after bashcompinit).",
                "  sudo sh -c 'jvs completion > /etc/bash_completion.d/jvs'",
                "  source <(jvs completion)                    this shell only",
                "zsh: autoload -U +X bashcompinit && bashcompinit && source <(jvs completion)"
            })
    static final class Completion implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return print(spec, new CliDocs().bashCompletion());
        }
    }

    @Command(
            name = "man",
            description = {
                "Print the man page jvs(1), every command on one page, in troff.",
                "  sudo sh -c 'jvs man > /usr/local/share/man/man1/jvs.1'; man jvs",
                "  jvs man | man -l -                          read it without installing"
            })
    static final class Man implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return print(spec, new CliDocs().manPage());
        }
    }

    @Command(
            name = "generate-docs",
            hidden = true,
            description = "Print the Markdown CLI reference: ./jvs generate-docs > docs/user/cli.md")
    static final class Markdown implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            return print(spec, new CliDocs().markdown());
        }
    }

    private static int print(CommandSpec spec, String text) {
        final PrintWriter out = spec.commandLine().getOut();
        out.print(text);
        out.flush();
        return 0;
    }
}
