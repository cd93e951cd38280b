package io.jvswitch.control.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The CLI's documentation, generated from its picocli model so it cannot drift from the code: the
 * bash (and zsh, through bashcompinit) completion script, the man page jvs(1) in troff, and the
 * Markdown reference docs/user/cli.md. Every visible command and subcommand, in declaration order.
 */
final class CliDocs {
    /** Read by the Markdown reference and the man page: how to install the generated files. */
    static final String[] INSTALL = {
        "sudo ln -sf \"$PWD/jvs\" /usr/local/bin/jvs                # the completion applies to 'jvs'",
        "sudo sh -c 'jvs completion > /etc/bash_completion.d/jvs'    # bash, from the next shell on",
        "sudo mkdir -p /usr/local/share/man/man1",
        "sudo sh -c 'jvs man > /usr/local/share/man/man1/jvs.1'      # then: man jvs",
        "# zsh, in ~/.zshrc: autoload -U +X bashcompinit && bashcompinit && source <(jvs completion)",
    };

    private final CommandLine root;

    CliDocs() {
        this(JvsCommand.commandLine());
    }

    CliDocs(CommandLine root) {
        this.root = root;
    }

    /** The completion script: source it in bash, or in zsh after {@code autoload -U +X bashcompinit && bashcompinit}. */
    String bashCompletion() {
        return AutoComplete.bash(root.getCommandName(), root);
    }

    /** Every visible command below the root (the root first), depth first. */
    List<CommandLine> commands() {
        final List<CommandLine> all = new ArrayList<>();
        collect(root, all);
        return all;
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        into.add(command);
        for (CommandLine sub : uniqueSubcommands(command)) {
            if (!sub.getCommandSpec().usageMessage().hidden()) {
                collect(sub, into);
            }
        }
    }

    /** Subcommands once each (picocli lists a command again under each alias). */
    private static List<CommandLine> uniqueSubcommands(CommandLine command) {
        final List<CommandLine> subs = new ArrayList<>();
        for (CommandLine sub : command.getSubcommands().values()) {
            if (!subs.contains(sub)) {
                subs.add(sub);
            }
        }
        return subs;
    }

    /** The Markdown reference (docs/user/cli.md). */
    String markdown() {
        final StringBuilder md = new StringBuilder();
        md.append("# jvs command reference\n\n");
        md.append("<!-- Generated from the CLI's picocli model by `./jvs generate-docs > docs/user/cli.md`;"
                + " a test fails when this file and the code disagree. Edit the code, not this file. -->\n\n");
        md.append("Every command answers `--help` (or `-h`); `jvs help COMMAND` says the same.\n\n");
        md.append("## Shell completion and the man page\n\n");
        md.append("Both are generated from the same model as this page. From the project root:\n\n```sh\n");
        for (String line : INSTALL) {
            md.append(line).append('\n');
        }
        md.append("```\n\n");
        md.append("## Commands\n\n");
        for (CommandLine c : commands()) {
            if (c != root) {
                md.append("- [")
                        .append(qualifiedName(c))
                        .append("](#")
                        .append(anchor(c))
                        .append(") — ");
                md.append(firstLine(c)).append('\n');
            }
        }
        md.append('\n');
        for (CommandLine c : commands()) {
            final CommandSpec spec = c.getCommandSpec();
            md.append("## ").append(qualifiedName(c)).append("\n\n");
            // Consecutive text lines are one paragraph; lines indented by two spaces are examples.
            Boolean inExample = null;
            for (String line : description(c)) {
                final boolean example = line.startsWith("  ");
                if (inExample == null || example != inExample) {
                    if (inExample != null) {
                        md.append(inExample ? "```\n\n" : "\n");
                    }
                    md.append(example ? "```text\n" : "");
                    inExample = example;
                }
                md.append(example ? line.substring(2) : line).append('\n');
            }
            if (inExample != null) {
                md.append(inExample ? "```\n\n" : "\n");
            }
            md.append("```text\n").append(synopsis(c)).append("```\n\n");
            final List<String> subs = new ArrayList<>();
            for (CommandLine sub : uniqueSubcommands(c)) {
                if (!sub.getCommandSpec().usageMessage().hidden()) {
                    subs.add("- `" + sub.getCommandName() + "`" + aliases(sub) + ": " + firstLine(sub));
                }
            }
            if (!subs.isEmpty()) {
                md.append("Commands:\n\n").append(String.join("\n", subs)).append("\n\n");
            }
            final List<String> args = new ArrayList<>();
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (!p.hidden()) {
                    args.add("- `" + p.paramLabel() + "`" + (p.description().length == 0 ? "" : ": " + describe(p)));
                }
            }
            for (OptionSpec o : spec.options()) {
                if (shown(c, o)) {
                    args.add("- `" + optionWords(o) + "`: " + describe(o));
                }
            }
            if (!args.isEmpty()) {
                md.append(String.join("\n", args)).append("\n\n");
            }
        }
        return md.toString().strip() + "\n";
    }

    /** The man page jvs(1), in troff: one page with every command. */
    String manPage() {
        final StringBuilder man = new StringBuilder();
        final CommandSpec top = root.getCommandSpec();
        man.append(".\\\" Generated from the jvs CLI's picocli model (jvs man); edit the code, not this page.\n");
        man.append(".TH JVS 1 \"\" \"").append(troff(top.version()[0])).append("\" \"jvs manual\"\n");
        man.append(".SH NAME\njvs \\- ").append(troff(firstLine(root))).append('\n');
        man.append(".SH SYNOPSIS\n.B jvs\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n");
        man.append(".SH DESCRIPTION\n");
        man.append(troff("Every command answers --help (or -h); jvs help COMMAND says the same."))
                .append('\n');
        man.append(".PP\nShell completion and this page are generated from the same model:\n.PP\n.nf\n");
        for (String line : INSTALL) {
            man.append(troffLine(line)).append('\n');
        }
        man.append(".fi\n");
        man.append(".SH COMMANDS\n");
        for (CommandLine c : commands()) {
            final CommandSpec spec = c.getCommandSpec();
            man.append(".SS \"").append(troff(qualifiedName(c))).append("\"\n");
            for (String line : description(c)) {
                if (line.startsWith("  ")) {
                    man.append(".nf\n").append(troffLine("    " + line.strip())).append("\n.fi\n");
                } else {
                    man.append(".PP\n").append(troffLine(line)).append('\n');
                }
            }
            man.append(".PP\n.nf\n");
            for (String line : synopsis(c).split("\n")) {
                man.append(troffLine(line)).append('\n');
            }
            man.append(".fi\n");
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (!p.hidden() && p.description().length > 0) {
                    man.append(".TP\n\\fI").append(troff(p.paramLabel())).append("\\fR\n");
                    man.append(troffLine(describe(p))).append('\n');
                }
            }
            for (OptionSpec o : spec.options()) {
                if (shown(c, o)) {
                    man.append(".TP\n\\fB")
                            .append(troff(String.join(", ", o.names())))
                            .append("\\fR");
                    if (o.arity().max() > 0) {
                        man.append(" \\fI").append(troff(o.paramLabel())).append("\\fR");
                    }
                    man.append('\n').append(troffLine(describe(o))).append('\n');
                }
            }
        }
        man.append(".SH ENVIRONMENT\n.TP\n.B JVS_SOCKET\n");
        man.append(troffLine(
                        "The daemon's API socket when --socket is not given (default: " + SocketOption.DEFAULT + ")."))
                .append('\n');
        man.append(".TP\n.B JVS_JAVA\n").append(troffLine("The java binary the launcher runs (JDK 25 or newer)."));
        man.append('\n');
        return man.toString();
    }

    private static String qualifiedName(CommandLine c) {
        return c.getCommandSpec().qualifiedName(" ");
    }

    private static String anchor(CommandLine c) {
        return qualifiedName(c).replace(' ', '-');
    }

    private static String aliases(CommandLine c) {
        final String[] aliases = c.getCommandSpec().aliases();
        return aliases.length == 0 ? "" : " (or `" + String.join("`, `", aliases) + "`)";
    }

    /** What the command list shows: the header when there is one (jvs help has), else the first description line. */
    private static String firstLine(CommandLine c) {
        final String[] header = c.getCommandSpec().usageMessage().header();
        if (header.length > 0) {
            return formatted(header).getFirst();
        }
        final List<String> description = description(c);
        return description.isEmpty() ? "" : description.getFirst();
    }

    /** The description's lines as help prints them (picocli formats them: %n is a line break). */
    private static List<String> description(CommandLine c) {
        final List<String> lines =
                new ArrayList<>(formatted(c.getCommandSpec().usageMessage().description()));
        lines.removeIf(String::isBlank);
        return lines;
    }

    private static List<String> formatted(String[] lines) {
        final List<String> out = new ArrayList<>();
        for (String line : lines) {
            out.addAll(List.of(line.replace("%n", "\n").replace("%%", "%").split("\n", -1)));
        }
        return out;
    }

    /** --help and --version are on every command: the page says so once, and lists them under jvs only. */
    private boolean shown(CommandLine c, OptionSpec o) {
        return !o.hidden() && (c == root || !(o.usageHelp() || o.versionHelp()));
    }

    /** The synopsis as the help prints it, without colours, ending in a newline. */
    private static String synopsis(CommandLine c) {
        final Help help = new Help(c.getCommandSpec(), Help.defaultColorScheme(Help.Ansi.OFF));
        return help.synopsis(0).stripTrailing() + "\n";
    }

    private static String optionWords(OptionSpec o) {
        final String names = String.join(", ", o.names());
        return o.arity().max() > 0 ? names + " " + o.paramLabel() : names;
    }

    /** The description with the variables picocli fills in only when it prints help. */
    private static String describe(ArgSpec arg) {
        final String text = String.join(" ", arg.description());
        final String defaultValue = arg.defaultValueString();
        return text.replace("${DEFAULT-VALUE}", defaultValue == null ? "" : defaultValue);
    }

    /** Text safe in a troff line: backslashes escaped, hyphens literal. */
    private static String troff(String text) {
        return text.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A whole troff text line: also not starting with a control character. */
    private static String troffLine(String text) {
        final String escaped = troff(text);
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }
}
