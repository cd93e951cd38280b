package io.jvswitch.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

class ReportFilesTest {
    @TempDir
    Path dir;

    @Test
    void pngIsWrittenAndReadableWithBarsDrawn() throws Exception {
        final Path file = dir.resolve("ratios.png");
        RatioChart.write(ResultsFixture.threeRuns(), file);
        final BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(RatioChart.WIDTH, image.getWidth());
        assertEquals(RatioChart.HEIGHT, image.getHeight());
        // the jvs TCP bar (ratio 0.9, first group, first bar) is filled with the first palette colour
        boolean bar = false;
        for (int y = 0; y < image.getHeight() && !bar; y++) {
            for (int x = 0; x < 200 && !bar; x++) {
                bar = (image.getRGB(x, y) & 0xFFFFFF) == 0x1f77b4;
            }
        }
        assertTrue(bar, "no bar in the first group");
    }

    @Test
    void jsonHoldsEveryRawFigureAndTheSummaries() throws Exception {
        final Path file = dir.resolve("bench.json");
        final BenchOptions options =
                new BenchOptions(3, 5, 20, 0, List.of(), List.of("bridge", "jvs", "ovs"), Map.of(), file, null);
        BenchJson.write(options, ResultsFixture.threeRuns(), file);
        final JsonNode root = new ObjectMapper().readTree(file.toFile());
        assertEquals(3 * 5, root.path("raw").size());
        final JsonNode jvs = root.path("paths").get(1);
        assertEquals("jvs", jvs.path("key").asText());
        assertEquals(3, jvs.path("figures").path("TCP_1").path("runs").size());
        assertEquals(
                0.9,
                jvs.path("figures")
                        .path("TCP_1")
                        .path("ratioToReference")
                        .path("median")
                        .asDouble(),
                1e-9);
        assertTrue(jvs.path("figures").path("TCP_4").path("runs").get(0).isNull());
        assertEquals(
                "ovs-vswitchd is not installed",
                root.path("paths").get(2).path("skipped").asText());
        assertEquals(1, root.path("failures").size());
        assertNotEquals(0, root.path("targets").size());
    }

    @Test
    void optionsOutOfRangeAreRefused() {
        assertEquals(
                "--runs must be within 1..20: 0",
                refused(() -> new BenchOptions(0, 5, 20, 0, List.of(), List.of("jvs"), Map.of(), null, null)));
        assertEquals(
                "unknown path 'ovs-dpdk': use bridge, jvs, ovs, ovs-tso, kernel-vxlan, jvs-vxlan, kernel-nat, jvs-nat,"
                        + " bridge6, jvs6",
                refused(() -> new BenchOptions(1, 5, 20, 0, List.of(), List.of("ovs-dpdk"), Map.of(), null, null)));
        assertEquals(
                "--warmup must be within 0..60: 61",
                refused(() -> new BenchOptions(1, 5, 20, 61, List.of(), List.of("jvs"), Map.of(), null, null)));
        assertEquals(
                "jvs variant name 'Spin!' must be 1 to 8 of a-z, 0-9",
                refused(() -> new BenchOptions(
                        1,
                        5,
                        20,
                        0,
                        List.of(),
                        List.of("jvs"),
                        Map.of("Spin!", List.of("--idle", "busy-spin")),
                        null,
                        null)));
        assertEquals(
                "--jvs-variant is measured beside a jvs path: --paths names none of jvs, jvs-vxlan, jvs-nat, jvs6",
                refused(() -> new BenchOptions(
                        1,
                        5,
                        20,
                        0,
                        List.of(),
                        List.of("bridge", "kernel-vxlan"),
                        Map.of("spin", List.of("--idle", "busy-spin")),
                        null,
                        null)));
    }

    @Test
    void aVariantIsMeasuredBesideEveryJvsPathAskedForAgainstTheSameReference() {
        final BenchOptions variants = new BenchOptions(
                1,
                5,
                20,
                0,
                List.of(),
                List.of("bridge", "jvs", "kernel-vxlan", "jvs-vxlan", "kernel-nat", "jvs-nat"),
                Map.of("spin", List.of("--idle", "busy-spin")),
                null,
                null);
        final List<DataplanePath> paths = BenchRunner.pathsFor(variants);
        assertEquals(
                List.of(
                        "bridge",
                        "jvs",
                        "kernel-vxlan",
                        "jvs-vxlan",
                        "kernel-nat",
                        "jvs-nat",
                        "jvs-spin",
                        "jvs-vxlan-spin",
                        "jvs-nat-spin"),
                paths.stream().map(DataplanePath::key).toList());
        assertEquals(
                List.of("bridge", "kernel-vxlan", "kernel-nat"),
                paths.subList(6, 9).stream().map(DataplanePath::referenceKey).toList());
        assertEquals(
                List.of(
                        "jvs --idle busy-spin",
                        "jvs VTEPs (2 hosts) --idle busy-spin",
                        "jvs published port --idle busy-spin"),
                paths.subList(6, 9).stream().map(DataplanePath::title).toList());
        assertTrue(paths.get(7).hasPairs(), "an overlay variant is loaded with pairs as the overlay is");
        assertEquals(
                paths.get(5).notMeasured(Figure.PING_RTT),
                paths.get(8).notMeasured(Figure.PING_RTT),
                "a published-port variant measures what the published port does");
    }

    @Test
    void everyPathIsBuiltForItsKeyAndRatedAgainstTheKernelsWayOfDoingTheSame() {
        final BenchOptions all = new BenchOptions(1, 5, 20, 0, List.of(), BenchOptions.ALL_PATHS, Map.of(), null, null);
        final List<DataplanePath> paths = BenchRunner.pathsFor(all);
        assertEquals(
                BenchOptions.ALL_PATHS, paths.stream().map(DataplanePath::key).toList());
        assertEquals(
                List.of(
                        "bridge",
                        "bridge",
                        "bridge",
                        "bridge",
                        "kernel-vxlan",
                        "kernel-vxlan",
                        "kernel-nat",
                        "kernel-nat",
                        "bridge6",
                        "bridge6"),
                paths.stream().map(DataplanePath::referenceKey).toList());
        final DataplanePath jvs6 = paths.get(9);
        assertEquals(null, jvs6.notMeasured(Figure.TCP_1));
        assertTrue(jvs6.notMeasured(Figure.UDP_64_NDR).contains("IPv6"), jvs6.notMeasured(Figure.UDP_64_NDR));
        assertTrue(paths.get(8).notMeasured(Figure.CPU_PER_GB).contains("kernel"));
        final DataplanePath nat = paths.get(7);
        assertTrue(nat.notMeasured(Figure.PING_RTT).contains("published port"), nat.notMeasured(Figure.PING_RTT));
        assertEquals(null, nat.notMeasured(Figure.CONNECTIONS));
        assertEquals(null, nat.notMeasured(Figure.TCP_4));
        assertEquals(null, paths.get(5).notMeasured(Figure.PING_RTT), "jvs-vxlan is pinged");
        assertNotEquals(
                null, paths.get(5).notMeasured(Figure.CONNECTIONS), "the connection rate is the published port's");
        assertEquals(DataplanePath.KERNEL_CPU_NOTE, paths.get(4).notMeasured(Figure.CPU_PER_GB));
        assertEquals(DataplanePath.KERNEL_CPU_NOTE, paths.get(6).notMeasured(Figure.CPU_PER_GB));
    }

    @Test
    void jsonRatesEachPathAgainstItsOwnReferenceAndSaysWhyAFigureIsNotMeasured() {
        final JsonNode root = BenchJson.toJson(
                new BenchOptions(1, 5, 20, 0, List.of(), BenchOptions.ALL_PATHS, Map.of(), null, null),
                ResultsFixture.everyKind());
        final JsonNode jvsNat = root.path("paths").get(5);
        assertEquals("kernel-nat", jvsNat.path("reference").asText());
        assertEquals(
                0.25,
                jvsNat.path("figures")
                        .path("TCP_1")
                        .path("ratioToReference")
                        .path("median")
                        .asDouble(),
                1e-9);
        assertEquals(
                0.75,
                jvsNat.path("figures")
                        .path("CONNECTIONS")
                        .path("ratioToReference")
                        .path("median")
                        .asDouble(),
                1e-9);
        assertEquals(
                "ping means nothing here",
                jvsNat.path("figures").path("PING_RTT").path("notMeasured").asText());
        final JsonNode jvsVxlan = root.path("paths").get(2);
        assertEquals(
                0.75,
                jvsVxlan.path("figures")
                        .path("TCP_1")
                        .path("ratioToReference")
                        .path("median")
                        .asDouble(),
                1e-9);
        assertTrue(
                root.path("paths")
                        .get(3)
                        .path("figures")
                        .path("TCP_1")
                        .path("ratioToReference")
                        .isMissingNode(),
                "a reference has no ratio to itself");
    }

    @Test
    void pngHasABarForEveryPathAgainstItsOwnReference() throws Exception {
        final BufferedImage image = RatioChart.draw(ResultsFixture.everyKind());
        // TCP x1 group: jvs/bridge 0.5, jvs-vxlan/kernel-vxlan 0.75, jvs-nat/kernel-nat 0.25, in palette order
        for (int colour : new int[] {0x1f77b4, 0xff7f0e, 0x2ca02c}) {
            assertTrue(
                    hasPixel(image, colour, RatioChart.WIDTH / 5),
                    Integer.toHexString(colour) + " bar in the first group");
        }
        assertTrue(!hasPixel(image, 0xd62728, RatioChart.WIDTH), "three paths have a reference: no fourth colour");
    }

    private static boolean hasPixel(BufferedImage image, int rgb, int maxX) {
        for (int y = 0; y < RatioChart.HEIGHT - 60; y++) {
            for (int x = 0; x < maxX; x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String refused(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return "accepted";
    }
}
