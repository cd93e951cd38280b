package io.jvswitch.control.service;

import io.jvswitch.control.ipam.Cidr;
import io.jvswitch.control.netns.CommandRunner;
import io.jvswitch.nat.PortMapping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host's policy routing that sends connections from beyond the host to a published port down
 * the host link, so the switch translates them (DNAT) and the container sees the client's own
 * address, with no relay and no firewall rule.
 *
 * <p>The arrangement, in the daemon's namespace (every rule carries {@code proto 242}, so jvs's own
 * are told apart from the host's):
 * <pre>
 *   90:  iif lo goto 100                              this host's own clients: to the listener, as before
 *   95:  [to ADDRESS/32] ipproto tcp dport 8080 lookup T   one per published port
 *   100: lookup local                                 the host's local table, moved here from 0
 *   table T: HOST_ADDRESS/32 via ROUTER dev jvs0      one route per address of the host
 * </pre>
 * The local table's rule must come after the port rules (at 0 it answers every packet for a host
 * address first); table T holds only the host's own addresses, so traffic the host forwards to a
 * port 8080 elsewhere finds no route there and goes on to the main table. Replies come back up the
 * link from a host address, which the link accepts ({@code accept_local}) and the host forwards.
 *
 * <p>Several daemons share the rules at 90 and 100: the last one to leave puts the local rule back at
 * 0. A daemon killed with {@code kill -9} leaves its rules; the next start of a daemon on the same
 * state directory removes them (the table number is kept there) before it adds any.
 *
 * <p>IPv6 has the same arrangement in its own rule list ({@code ip -6 rule}), from {@link
 * #ipv6Twin}: the same table number (IPv6's tables are apart from IPv4's), {@code /128} routes via the
 * router's link-local address, port rules only for mappings on IPv6 host addresses. IPv6 has no
 * {@code accept_local} or {@code rp_filter}: the host forwards replies from its own addresses as
 * they are.
 */
public final class HostPortRules implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("jvs.nat");
    /** Marks every rule jvs adds; {@code ip rule} shows it as {@code proto 242}. */
    static final String PROTOCOL = "242";

    static final int GOTO_PREF = 90;
    static final int PORT_PREF = 95;
    static final int LOCAL_PREF = 100;
    private static final int FIRST_TABLE = 4242;
    private static final int TABLES = 100;
    private static final String TABLE_FILE = "host-rules-table";

    private final CommandRunner runner;
    private final Path stateDir;
    private final String link;
    /** The next hop in the table: the router's address on the link (its link-local one for IPv6). */
    private final String router;
    /** Which rule list and routes this is: IPv4's or, for {@link #ipv6Twin}, IPv6's. */
    private final boolean ipv6;

    private int table = -1;
    /** Rule selectors installed, e.g. {@code ipproto tcp dport 8080}. */
    private final Set<String> rules = new LinkedHashSet<>();
    /** Host addresses routed in the table. */
    private final Set<String> routed = new LinkedHashSet<>();

    public HostPortRules(CommandRunner runner, Path stateDir, String link, int routerIp) {
        this(runner, stateDir, link, Cidr.format(routerIp), false);
    }

    private HostPortRules(CommandRunner runner, Path stateDir, String link, String router, boolean ipv6) {
        this.runner = runner;
        this.stateDir = stateDir;
        this.link = link;
        this.router = router;
        this.ipv6 = ipv6;
    }

    /**
     * The IPv6 rules of the same daemon: the same link and table number, routes via the router's
     * link-local address. Start it after this one, which picks the table.
     */
    HostPortRules ipv6Twin(String routerLinkLocal) {
        return new HostPortRules(runner, stateDir, link, routerLinkLocal, true);
    }

    /**
     * Removes what an earlier daemon on this state directory left behind, picks this daemon's
     * table, and lets the host link take replies from the host's own addresses.
     */
    public void start() {
        final Path file = stateDir.resolve(TABLE_FILE);
        if (ipv6 || Files.exists(file)) {
            // IPv6 takes the table IPv4's start picked (or read), and cleans up after an earlier daemon too.
            removeLeftovers(file);
            if (ipv6) {
                return;
            }
        } else {
            table = freeTable();
            writeTable(file);
        }
        runner.check(
                "cannot let " + link + " take replies from the host's addresses",
                List.of("sysctl", "-q", "-w", "net.ipv4.conf." + link + ".accept_local=1"));
        runner.check(
                "cannot set reverse-path filtering on " + link,
                List.of("sysctl", "-q", "-w", "net.ipv4.conf." + link + ".rp_filter=0"));
        if ("1".equals(readSysctl("net/ipv4/conf/all/rp_filter"))) {
            LOG.log(
                    System.Logger.Level.WARNING,
                    "net.ipv4.conf.all.rp_filter is 1 (strict): the replies of published ports to clients beyond"
                            + " the host are dropped; set it to 2 (loose)");
        }
    }

    /** Reads the table an earlier daemon on this state directory used, and removes what it left there. */
    private void removeLeftovers(Path file) {
        try {
            table = Integer.parseInt(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        final int left = removeRulesOf(table);
        if (left > 0) {
            LOG.log(System.Logger.Level.INFO, "removed {0} host rule(s) an earlier daemon left", left);
        }
        runner.run(List.of("ip", family(), "route", "flush", "table", Integer.toString(table)));
        tidyShared();
    }

    /** The routing table this daemon's port rules look up. */
    public int table() {
        return table;
    }

    /**
     * Makes the rules and the table match {@code mappings} and {@code hostAddresses}: adds what is
     * missing, removes what is no longer wanted.
     *
     * @throws IllegalStateException when a rule cannot be installed; what was added is kept, so call
     *     again with the previous mappings to undo
     */
    public void sync(Collection<PortMapping> mappings, Collection<String> hostAddresses) {
        final Set<String> wanted = new LinkedHashSet<>();
        for (PortMapping m : mappings) {
            final String selector = ipv6 ? ipv6SelectorOf(m) : selectorOf(m);
            if (selector != null) {
                wanted.add(selector);
            }
        }
        for (String selector : List.copyOf(rules)) {
            if (!wanted.contains(selector)) {
                deleteRule(PORT_PREF, selector + " lookup " + table);
                rules.remove(selector);
            }
        }
        if (wanted.isEmpty()) {
            runner.run(List.of("ip", family(), "route", "flush", "table", Integer.toString(table)));
            routed.clear();
            tidyShared();
            return;
        }
        ensureShared();
        final Set<String> addresses = new LinkedHashSet<>(hostAddresses);
        final String hostPrefix = ipv6 ? "/128" : "/32";
        for (String address : List.copyOf(routed)) {
            if (!addresses.contains(address)) {
                runner.run(List.of(
                        "ip", family(), "route", "del", address + hostPrefix, "table", Integer.toString(table)));
                routed.remove(address);
            }
        }
        for (String address : addresses) {
            if (routed.add(address)) {
                runner.check(
                        "cannot route " + address + " to the switch in table " + table,
                        List.of(
                                "ip",
                                family(),
                                "route",
                                "replace",
                                address + hostPrefix,
                                "via",
                                router,
                                "dev",
                                link,
                                "table",
                                Integer.toString(table)));
            }
        }
        for (String selector : wanted) {
            if (!rules.contains(selector)) {
                addRule(PORT_PREF, selector + " lookup " + table);
                rules.add(selector);
            }
        }
    }

    /** What jvs has in the host's routing: its rules (shared ones included) and its table. */
    public List<String> describe() {
        final List<String> out = new ArrayList<>();
        for (String line : ruleLines()) {
            if (isOurs(line)
                    && (!line.contains(" lookup ")
                            || line.contains(" lookup " + table + " ")
                            || line.contains("lookup local"))) {
                out.add("rule  " + line.strip());
            }
        }
        if (table >= 0) {
            final CommandRunner.Result routes =
                    runner.run(List.of("ip", family(), "route", "show", "table", Integer.toString(table)));
            routes.stdout()
                    .lines()
                    .filter(l -> !l.isBlank())
                    .forEach(l -> out.add("route " + l.strip() + " table " + table));
        }
        return out;
    }

    /** Removes this daemon's rules, and the shared ones when no other daemon needs them. */
    @Override
    public void close() {
        if (table < 0) {
            return;
        }
        removeRulesOf(table);
        rules.clear();
        runner.run(List.of("ip", family(), "route", "flush", "table", Integer.toString(table)));
        routed.clear();
        tidyShared();
    }

    /**
     * The IPv4 rule selector for a mapping, or null for one that only this host's own clients can
     * reach (loopback) or one on an IPv6 host address.
     */
    static String selectorOf(PortMapping m) {
        if (m.hostPort() == 0 || m.hostIp().startsWith("127.") || m.ipv6Host()) {
            return null;
        }
        final String to = "0.0.0.0".equals(m.hostIp()) ? "" : "to " + m.hostIp() + "/32 ";
        return to + "ipproto " + m.protocol() + " dport " + m.hostPort();
    }

    /** The IPv6 rule selector: for a mapping on an IPv6 host address but the loopback one, else null. */
    static String ipv6SelectorOf(PortMapping m) {
        if (m.hostPort() == 0 || !m.ipv6Host() || "::1".equals(m.hostIp())) {
            return null;
        }
        final String to = "::".equals(m.hostIp()) ? "" : "to " + m.hostIp() + "/128 ";
        return to + "ipproto " + m.protocol() + " dport " + m.hostPort();
    }

    /** Moves the local table's rule after the port rules, and sends this host's own clients past them. */
    private void ensureShared() {
        final List<String> lines = ruleLines();
        if (lines.stream().noneMatch(l -> l.startsWith(GOTO_PREF + ":") && l.contains("iif lo goto " + LOCAL_PREF))) {
            addRule(GOTO_PREF, "iif lo goto " + LOCAL_PREF);
        }
        final boolean localAtZero = lines.stream().anyMatch(l -> l.matches("0:\\s+from all lookup local\\s*"));
        if (lines.stream().noneMatch(l -> l.startsWith(LOCAL_PREF + ":") && l.contains("lookup local"))) {
            addRule(LOCAL_PREF, "lookup local");
        }
        if (localAtZero) {
            runner.check(
                    "cannot move the local table's rule",
                    List.of("ip", family(), "rule", "del", "pref", "0", "lookup", "local"));
        }
    }

    /** When no jvs port rule is left (this daemon's or another's), puts the host's rules back as they were. */
    private void tidyShared() {
        final List<String> lines = ruleLines();
        if (lines.stream().anyMatch(l -> l.startsWith(PORT_PREF + ":") && isOurs(l))) {
            return;
        }
        if (lines.stream().anyMatch(l -> l.startsWith(LOCAL_PREF + ":") && isOurs(l) && l.contains("lookup local"))) {
            if (lines.stream().noneMatch(l -> l.startsWith("0:") && l.contains("lookup local"))) {
                runner.check(
                        "cannot put the local table's rule back",
                        List.of("ip", family(), "rule", "add", "pref", "0", "lookup", "local", "protocol", "kernel"));
            }
            deleteRule(LOCAL_PREF, "lookup local");
        }
        if (lines.stream().anyMatch(l -> l.startsWith(GOTO_PREF + ":") && isOurs(l))) {
            deleteRule(GOTO_PREF, "iif lo goto " + LOCAL_PREF);
        }
    }

    /** Deletes every jvs rule that looks up {@code table}; returns how many. */
    private int removeRulesOf(int table) {
        int removed = 0;
        for (String line : ruleLines()) {
            if (isOurs(line) && line.contains(" lookup " + table + " ")) {
                final int colon = line.indexOf(':');
                final String selector = line.substring(colon + 1).strip().replaceFirst("^from all ", "");
                final String withoutProto = selector.replaceFirst("\\s*proto " + PROTOCOL + "\\s*$", "");
                deleteRule(Integer.parseInt(line.substring(0, colon).strip()), withoutProto);
                removed++;
            }
        }
        return removed;
    }

    private void addRule(int pref, String selector) {
        final List<String> command =
                new ArrayList<>(List.of("ip", family(), "rule", "add", "pref", Integer.toString(pref)));
        command.addAll(List.of(selector.split(" ")));
        command.addAll(List.of("protocol", PROTOCOL));
        runner.check("cannot add the host rule '" + selector + "'", command);
    }

    private void deleteRule(int pref, String selector) {
        final List<String> command =
                new ArrayList<>(List.of("ip", family(), "rule", "del", "pref", Integer.toString(pref)));
        command.addAll(List.of(selector.split(" ")));
        command.addAll(List.of("protocol", PROTOCOL));
        final CommandRunner.Result result = runner.run(command);
        if (!result.ok()) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove the host rule ''{0}'': {1}", selector, result.stderr());
        }
    }

    private static boolean isOurs(String line) {
        return line.stripTrailing().endsWith("proto " + PROTOCOL);
    }

    private List<String> ruleLines() {
        final String out = runner.check("cannot list the host's rules", List.of("ip", family(), "rule", "show"));
        // "ip rule" ends a line with the protocol only when it is not the default: pad for the matches above.
        final List<String> lines = new ArrayList<>();
        out.lines().filter(l -> !l.isBlank()).forEach(l -> lines.add(l.replace('\t', ' ') + " "));
        return lines;
    }

    private String family() {
        return ipv6 ? "-6" : "-4";
    }

    /** The first table number in jvs's range that no rule and no route of the host uses, of either family. */
    private int freeTable() {
        final Set<Integer> used = new LinkedHashSet<>();
        final String rulesAndRoutes = runner.check("cannot list the host's rules", List.of("ip", "-4", "rule", "show"))
                + "\n"
                + runner.check("cannot list the host's routes", List.of("ip", "-4", "route", "show", "table", "all"))
                + "\n"
                + runner.run(List.of("ip", "-6", "rule", "show")).stdout()
                + "\n"
                + runner.run(List.of("ip", "-6", "route", "show", "table", "all"))
                        .stdout();
        for (String word : rulesAndRoutes.split("\\s+")) {
            try {
                used.add(Integer.parseInt(word));
            } catch (NumberFormatException ignored) {
                // not a number: not a table
            }
        }
        for (int t = FIRST_TABLE; t < FIRST_TABLE + TABLES; t++) {
            if (!used.contains(t)) {
                return t;
            }
        }
        throw new IllegalStateException("no free routing table in " + FIRST_TABLE + "-" + (FIRST_TABLE + TABLES - 1));
    }

    private void writeTable(Path file) {
        try {
            Files.createDirectories(stateDir);
            final Path tmp = file.resolveSibling(TABLE_FILE + ".tmp");
            Files.writeString(tmp, table + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String readSysctl(String path) {
        try {
            return Files.readString(Path.of("/proc/sys", path)).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
