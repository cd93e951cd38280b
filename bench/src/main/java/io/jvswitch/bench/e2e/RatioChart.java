package io.jvswitch.bench.e2e;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A PNG bar chart of every path's ratio to its own reference (the switch paths to the kernel
 * bridge, jvs VXLAN to the kernel's vxlan, the jvs published port to iptables DNAT), one group
 * of bars per figure, with a line at 1.0 (the reference) and whiskers for the spread. A figure
 * that is n/a on a path has no bar there. Drawn with java.awt, headless.
 */
public final class RatioChart {
    static final int WIDTH = 960;
    static final int HEIGHT = 540;
    private static final Color[] PALETTE = {
        new Color(0x1f77b4),
        new Color(0xff7f0e),
        new Color(0x2ca02c),
        new Color(0xd62728),
        new Color(0x9467bd),
        new Color(0x8c564b)
    };

    private RatioChart() {}

    public static void write(BenchResults results, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        final BufferedImage image = draw(results);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    static BufferedImage draw(BenchResults results) {
        final List<BenchResults.PathInfo> paths = new ArrayList<>();
        for (BenchResults.PathInfo p : results.paths()) {
            if (p.skippedBecause() == null && !p.key().equals(p.reference())) {
                paths.add(p);
            }
        }
        final List<Figure> figures = new ArrayList<>();
        for (Figure f : Figure.values()) {
            if (f.hasRatio() && !f.isCost() && !ResultTable.notAsked(results, f)) {
                figures.add(f);
            }
        }
        double top = 1.2;
        for (BenchResults.PathInfo p : paths) {
            for (Figure f : figures) {
                final Spread s = results.ratio(p.key(), p.reference(), f);
                if (s.measured()) {
                    top = Math.max(top, s.max() * 1.1);
                }
            }
        }
        final BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            final int left = 70;
            final int right = WIDTH - 20;
            final int plotTop = 60;
            final int bottom = HEIGHT - 90;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(
                    "ratio to the kernel's path (median of " + results.runs() + " run"
                            + (results.runs() == 1 ? "" : "s") + "; RTT: lower is better)",
                    left,
                    30);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            final FontMetrics fm = g.getFontMetrics();
            // axis and grid
            for (double tick = 0; tick <= top + 1e-9; tick += tickStep(top)) {
                final int y = y(tick, top, plotTop, bottom);
                g.setColor(new Color(0xe0e0e0));
                g.drawLine(left, y, right, y);
                g.setColor(Color.DARK_GRAY);
                final String label = String.format(Locale.ROOT, "%.1f", tick);
                g.drawString(label, left - 8 - fm.stringWidth(label), y + 4);
            }
            g.setColor(Color.BLACK);
            g.drawLine(left, plotTop, left, bottom);
            g.drawLine(left, bottom, right, bottom);
            final int groupWidth = (right - left) / Math.max(1, figures.size());
            final int barWidth = Math.max(6, (groupWidth - 30) / Math.max(1, paths.size()));
            for (int fi = 0; fi < figures.size(); fi++) {
                final Figure f = figures.get(fi);
                final int groupLeft = left + fi * groupWidth + 15;
                for (int pi = 0; pi < paths.size(); pi++) {
                    final Spread s =
                            results.ratio(paths.get(pi).key(), paths.get(pi).reference(), f);
                    if (!s.measured()) {
                        continue;
                    }
                    final int x = groupLeft + pi * barWidth;
                    final int yTop = y(s.median(), top, plotTop, bottom);
                    g.setColor(PALETTE[pi % PALETTE.length]);
                    g.fillRect(x + 2, yTop, barWidth - 4, bottom - yTop);
                    g.setColor(Color.BLACK);
                    final int cx = x + barWidth / 2;
                    g.drawLine(cx, y(s.min(), top, plotTop, bottom), cx, y(s.max(), top, plotTop, bottom));
                    final String v = String.format(Locale.ROOT, "%.2f", s.median());
                    g.drawString(v, cx - fm.stringWidth(v) / 2, yTop - 4);
                }
                final String label = f.label();
                g.setColor(Color.BLACK);
                g.drawString(label, left + fi * groupWidth + groupWidth / 2 - fm.stringWidth(label) / 2, bottom + 18);
            }
            // the reference line
            final int one = y(1.0, top, plotTop, bottom);
            g.setColor(Color.RED);
            g.setStroke(
                    new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            g.drawLine(left, one, right, one);
            g.setStroke(new BasicStroke(1f));
            g.drawString("kernel = 1.0", right - fm.stringWidth("kernel = 1.0"), one - 4);
            // legend: "path / reference", on a second line when the first is full
            int lx = left;
            int ly = HEIGHT - 52;
            for (int pi = 0; pi < paths.size(); pi++) {
                final String label = paths.get(pi).title() + " / " + referenceTitle(results, paths.get(pi));
                if (lx > left && lx + 20 + fm.stringWidth(label) > right) {
                    lx = left;
                    ly += 22;
                }
                g.setColor(PALETTE[pi % PALETTE.length]);
                g.fillRect(lx, ly, 14, 14);
                g.setColor(Color.BLACK);
                g.drawString(label, lx + 20, ly + 12);
                lx += 40 + fm.stringWidth(label);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    private static String referenceTitle(BenchResults results, BenchResults.PathInfo path) {
        final BenchResults.PathInfo reference = results.path(path.reference());
        return reference != null ? reference.title() : path.reference();
    }

    private static double tickStep(double top) {
        return top <= 2 ? 0.2 : top <= 5 ? 0.5 : Math.ceil(top / 10);
    }

    private static int y(double value, double top, int plotTop, int bottom) {
        final double clamped = Math.max(0, Math.min(value, top));
        return bottom - (int) Math.round((bottom - plotTop) * clamped / top);
    }
}
