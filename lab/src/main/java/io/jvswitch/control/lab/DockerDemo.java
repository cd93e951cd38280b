package io.jvswitch.control.lab;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The demo's Docker step, when an engine is installed: a private dockerd (in a namespace of the
 * demo, with its own directories and a private /run, never the machine's engine) and a jvs daemon
 * beside it serving the network and IPAM plugin; two containers on a jvs network reach each other
 * by name, one publishes a port, and a restart keeps its address, name and port.
 */
final class DockerDemo implements AutoCloseable {
    private final Demo demo;
    private final NetnsLab lab;
    /** Made only when an engine is installed. */
    private DockerEngineLab docker;

    private DaemonProcess dockerDaemon;

    DockerDemo(Demo demo, NetnsLab lab) {
        this.demo = demo;
        this.lab = lab;
    }

    /** Runs the step (or says why it is skipped); true when every check held. */
    boolean show() throws Exception {
        if (!DockerEngineLab.available()) {
            demo.step("Docker: skipped, no Docker engine here (needs dockerd and docker, Debian's docker.io, and"
                    + " busybox-static for the image)");
            return true;
        }
        final String dockerHost = lab.add("docker");
        docker = new DockerEngineLab();
        docker.start(dockerHost);
        final Path socket = docker.dir().resolve("jvs.sock");
        dockerDaemon = DaemonProcess.startWith(
                docker.enter(),
                socket,
                docker.dir().resolve("state"),
                docker.dir().resolve("jvs.log"),
                "--docker-plugin-socket",
                DockerEngineLab.PLUGIN_SOCKET.toString(),
                "--docker-host",
                docker.host());
        demo.step(
                "Docker: a private dockerd in " + dockerHost + ", and a jvs daemon beside it serving the plugin 'jvs'");
        final String image = "jvs-demo/busybox";
        final String page = "hello from a container on a jvs network";
        docker.importBusybox(image, page);
        dockerCli("network", "create", "-d", "jvs", "--ipam-driver", "jvs", "--subnet", "172.30.0.0/24", "frontend");
        dockerCli(
                "run",
                "-d",
                "--name",
                "web",
                "--network",
                "frontend",
                "-p",
                "8080:80",
                image,
                "httpd",
                "-f",
                "-p",
                "80",
                "-h",
                "/www");
        dockerCli("run", "-d", "--name", "client", "--network", "frontend", image, "sleep", "600");
        final String webIp = docker.check("inspect", "-f", "{{.NetworkSettings.Networks.frontend.IPAddress}}", "web");
        final boolean byName =
                page.equals(dockerUntil("exec", "client", "wget", "-q", "-O", "-", "http://web.frontend/"));
        final List<String> curl =
                List.of("nsenter", "--net=/run/netns/" + dockerHost, "curl", "-s", "-m", "5", "http://127.0.0.1:8080/");
        final boolean published = page.equals(until(() -> DockerEngineLab.run(curl)));
        dockerCli("restart", "web");
        final String webIpAfter =
                docker.check("inspect", "-f", "{{.NetworkSettings.Networks.frontend.IPAddress}}", "web");
        final boolean restarted = webIp.equals(webIpAfter)
                && page.equals(dockerUntil("exec", "client", "wget", "-q", "-O", "-", "http://web/"))
                && page.equals(until(() -> DockerEngineLab.run(curl)));
        demo.say("");
        dockerCli("network", "inspect", "-f", "{{range .Containers}}{{.Name}} {{.IPv4Address}} {{end}}", "frontend");
        demo.cli(socket, "network", "ls");
        demo.say("");
        demo.cli(socket, "ports");
        demo.say("Report (Docker)");
        demo.say(String.format(
                "  %-46s %s",
                "client -> web.frontend (" + webIp + "):", byName ? "reachable by name" : "NOT reachable"));
        demo.say(String.format(
                "  %-46s %s",
                "-p 8080:80 from the engine's namespace:", published ? "published by jvs" : "NOT reachable"));
        demo.say(String.format(
                "  %-46s %s",
                "docker restart web:",
                restarted ? "same address " + webIpAfter + ", name and port" : "CHANGED or unreachable"));
        dockerCli("rm", "-f", "web", "client");
        dockerCli("network", "rm", "frontend");
        return byName && published && restarted;
    }

    /** Runs a docker command against the demo's engine, echoing it and its output. */
    private String dockerCli(String... args) {
        demo.say("$ docker " + String.join(" ", args));
        final DockerEngineLab.Result result = docker.docker(args);
        demo.echo(result.output());
        if (!result.ok()) {
            throw new IllegalStateException("docker " + String.join(" ", args) + " failed");
        }
        return result.stdout().strip();
    }

    /** A docker command repeated until it succeeds (a server that is still starting), for at most 30 s. */
    private String dockerUntil(String... args) throws InterruptedException {
        return until(() -> docker.docker(args));
    }

    private static String until(Supplier<DockerEngineLab.Result> command) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        DockerEngineLab.Result last = command.get();
        while (!last.ok() && System.nanoTime() < deadline) {
            Thread.sleep(250);
            last = command.get();
        }
        return last.stdout().strip();
    }

    /** Stops the jvs daemon, then the engine; safe to call when the step never ran. */
    @Override
    public void close() throws InterruptedException {
        if (dockerDaemon != null) {
            dockerDaemon.close();
        }
        if (docker != null) {
            docker.close();
        }
    }
}
