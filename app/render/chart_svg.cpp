// Charts as SVG markup from chart_geometry's numbers. Every text from a report or
// a result (column names, labels) goes through append_escaped_html; colours,
// dashes and patterns are fixed attributes, not style, so nothing inline is
// needed beyond the markup itself.
#include "render/chart_svg.hpp"

#include <charconv>
#include <cmath>

#include "render/chart_geometry.hpp"
#include "render/html.hpp"
#include "render/value_format.hpp"

namespace asyncpage::render {
namespace {

using chart::Box;
using chart::ChartData;
using reports::Chart;
using reports::ChartKind;

constexpr double kWidth = 480;
constexpr double kHeight = 260;
constexpr std::size_t kMaxTitledMarks = 240;  // hover titles only on small charts
constexpr std::size_t kMaxMarkers = 60;       // points per series drawn with markers

// Okabe–Ito's colours, told apart by most colour-blind readers too.
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr const char* kDashes[] = {"", "6 4", "2 3", "8 3 2 3", "1 4"};
constexpr std::size_t kPatterns = 6;  // fills: solid, stripes, dots, grid, ...

const char* colour(std::size_t k) {
    return kColours[k % std::size(kColours)];
}

void num(std::string& out, double v) {
    char buf[32];
    if (std::fabs(v) < 0.05) v = 0;
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 1);
    std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
    if (s.size() > 2 && s.substr(s.size() - 2) == ".0") s.remove_suffix(2);
    out += s;
}

// Series k's line: its colour and, beyond the first, its dashes (a legend entry
// and the line itself look alike).
void line_style(std::string& out, std::size_t k) {
    out += " stroke=\"";
    out += colour(k);
    out += "\" stroke-width=\"2\"";
    if (const char* dashes = kDashes[k % std::size(kDashes)]; *dashes) {
        out += " stroke-dasharray=\"";
        out += dashes;
        out += '"';
    }
}

// "x y", as a path or polygon takes a point.
void point(std::string& out, double x, double y) {
    num(out, x);
    out += ' ';
    num(out, y);
}

void esc(std::string& out, std::string_view s) {
    append_escaped_html(out, s);
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0) s += i + 1 == v.size() ? " and " : ", ";
        s += v[i];
    }
    return s;
}

// Fill k: a colour and, past the first, a pattern of white lines or dots on it.
void append_patterns(std::string& out, std::string_view id, std::size_t count) {
    out += "<defs>";
    for (std::size_t k = 1; k < std::min(count, kPatterns); ++k) {
        out += "<pattern id=\"";
        esc(out, id);
        out += "-p" + std::to_string(k) +
               "\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\"";
        if (k == 1) out += " patternTransform=\"rotate(45)\"";
        if (k == 4) out += " patternTransform=\"rotate(-45)\"";
        out += "><rect width=\"6\" height=\"6\" fill=\"";
        out += colour(k);
        out += "\"/>";
        switch (k) {
            case 1:
            case 4:
                out += "<rect width=\"2\" height=\"6\" fill=\"#fff\"/>";
                break;
            case 2:
                out += "<circle cx=\"3\" cy=\"3\" r=\"1.3\" fill=\"#fff\"/>";
                break;
            case 3:
                out += "<path d=\"M0 0H6M0 0V6\" stroke=\"#fff\" stroke-width=\"1.5\"/>";
                break;
            default:
                out += "<rect width=\"6\" height=\"2\" fill=\"#fff\"/>";
                break;
        }
        out += "</pattern>";
    }
    out += "</defs>";
}

void fill_attr(std::string& out, std::string_view id, std::size_t k) {
    out += " fill=\"";
    if (k % kPatterns == 0 || k >= kPatterns) {
        out += colour(k);
    } else {
        out += "url(#";
        esc(out, id);
        out += "-p" + std::to_string(k) + ")";
    }
    out += "\" stroke=\"";
    out += colour(k);
    out += '"';
}

// Marker k at (x, y): circle, square, triangle, diamond, cross.
void append_marker(std::string& out, std::size_t k, double x, double y) {
    const char* c = colour(k);
    switch (k % 5) {
        case 0:
            out += "<circle cx=\"";
            num(out, x);
            out += "\" cy=\"";
            num(out, y);
            out += "\" r=\"3\" fill=\"";
            out += c;
            out += "\"";
            break;
        case 1:
            out += "<rect x=\"";
            num(out, x - 3);
            out += "\" y=\"";
            num(out, y - 3);
            out += "\" width=\"6\" height=\"6\" fill=\"";
            out += c;
            out += "\"";
            break;
        case 2:
        case 3:
        case 4: {
            out += "<path d=\"M";
            if (k % 5 == 2) {
                point(out, x, y - 4);
                out += 'L';
                point(out, x + 4, y + 3);
                out += 'L';
                point(out, x - 4, y + 3);
                out += "Z\" fill=\"";
            } else if (k % 5 == 3) {
                point(out, x, y - 4);
                out += 'L';
                point(out, x + 4, y);
                out += 'L';
                point(out, x, y + 4);
                out += 'L';
                point(out, x - 4, y);
                out += "Z\" fill=\"";
            } else {
                point(out, x - 3, y - 3);
                out += 'L';
                point(out, x + 3, y + 3);
                out += 'M';
                point(out, x - 3, y + 3);
                out += 'L';
                point(out, x + 3, y - 3);
                out += "\" stroke-width=\"2\" stroke=\"";
                out += c;
                out += "\" fill=\"";
            }
            out += c;
            out += "\"";
            break;
        }
    }
}

void open_mark_title(std::string& out, bool titled, std::string_view text) {
    if (!titled) {
        out += "/>";
        return;
    }
    out += "><title>";
    esc(out, text);
    out += "</title>";
}

void close_mark(std::string& out, bool titled, std::string_view tag) {
    if (!titled) return;
    out += "</";
    out += tag;
    out += '>';
}

std::string_view marker_tag(std::size_t k) {
    switch (k % 5) {
        case 0:
            return "circle";
        case 1:
            return "rect";
        default:
            return "path";
    }
}

// Grid lines and labels of the y axis, the x axis line, and the axis titles.
void append_axes(std::string& out, const chart::Axis& y, const Box& box, const Chart& c,
                 const std::vector<chart::XLabel>& x_labels, const std::vector<double>& x_grid) {
    out += "<g class=\"axis y\">";
    for (const chart::Tick& t : y.ticks) {
        double at = box.bottom() - box.height * y.fraction(t.value);
        out += "<line x1=\"";
        num(out, box.left);
        out += "\" x2=\"";
        num(out, box.right());
        out += "\" y1=\"";
        num(out, at);
        out += "\" y2=\"";
        num(out, at);
        out += t.value == 0 ? "\" class=\"zero\"/>" : "\" class=\"grid\"/>";
        out += "<text x=\"";
        num(out, box.left - 6);
        out += "\" y=\"";
        num(out, at + 4);
        out += "\" text-anchor=\"end\">";
        esc(out, t.label);
        out += "</text>";
    }
    out += "</g><g class=\"axis x\">";
    for (double x : x_grid) {
        out += "<line x1=\"";
        num(out, x);
        out += "\" x2=\"";
        num(out, x);
        out += "\" y1=\"";
        num(out, box.bottom());
        out += "\" y2=\"";
        num(out, box.bottom() + 4);
        out += "\" class=\"tick\"/>";
    }
    out += "<line x1=\"";
    num(out, box.left);
    out += "\" x2=\"";
    num(out, box.right());
    out += "\" y1=\"";
    num(out, box.bottom());
    out += "\" y2=\"";
    num(out, box.bottom());
    out += "\" class=\"base\"/>";
    for (const chart::XLabel& l : x_labels) {
        // A label centred on a tick at the plot's edge would run out of the
        // drawing: near the edges it ends (or starts) at its tick instead.
        const double half = 4.2 * static_cast<double>(l.text.size());
        const char* anchor = "middle";
        if (l.x + half > kWidth - 2) anchor = "end";
        if (l.x - half < 2) anchor = "start";
        out += "<text x=\"";
        num(out, l.x);
        out += "\" y=\"";
        num(out, box.bottom() + 16);
        out += "\" text-anchor=\"";
        out += anchor;
        out += "\">";
        esc(out, l.text);
        out += "</text>";
    }
    out += "</g>";
    // Axis titles: the x column under the labels; the y column (one series) along
    // the y axis; several series are named by the legend.
    out += "<text class=\"axis-title\" x=\"";
    num(out, box.left + box.width / 2);
    out += "\" y=\"";
    num(out, box.bottom() + 34);
    out += "\" text-anchor=\"middle\">";
    esc(out, c.x);
    out += "</text>";
    if (c.y.size() == 1) {
        out += "<text class=\"axis-title\" transform=\"translate(14 ";
        num(out, box.top + box.height / 2);
        out += ") rotate(-90)\" text-anchor=\"middle\">";
        esc(out, c.y[0]);
        out += "</text>";
    }
}

// Series names across the top, each with its line (dash and marker) or fill.
void append_legend(std::string& out, const Chart& c, std::string_view id, bool bars) {
    if (c.y.size() < 2) return;
    out += "<g class=\"legend\">";
    double x = 56;
    for (std::size_t k = 0; k < c.y.size(); ++k) {
        if (bars) {
            out += "<rect x=\"";
            num(out, x);
            out += "\" y=\"6\" width=\"14\" height=\"10\"";
            fill_attr(out, id, k);
            out += "/>";
        } else {
            out += "<line x1=\"";
            num(out, x);
            out += "\" x2=\"";
            num(out, x + 18);
            out += "\" y1=\"11\" y2=\"11\"";
            line_style(out, k);
            out += "/>";
            append_marker(out, k, x + 9, 11);
            out += "/>";
        }
        out += "<text x=\"";
        num(out, x + 22);
        out += "\" y=\"15\">";
        esc(out, c.y[k]);
        out += "</text>";
        // About 8.4 units a character (the 14-unit font of a narrow screen), then
        // a gap.
        x += 40 + 8.4 * static_cast<double>(c.y[k].size());
    }
    out += "</g>";
}

std::string value_text(const ChartData& d, std::size_t series, std::size_t row) {
    std::string s = d.labels[row];
    s += ": ";
    s += d.series[series].name;
    s += ' ';
    const auto& v = d.series[series].values[row];
    if (v) {
        char buf[64];
        auto r = std::to_chars(buf, buf + sizeof buf, *v);
        s += group_thousands(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
    }
    return s;
}

void append_no_data(std::string& out) {
    out += "<text class=\"no-data\" x=\"";
    num(out, kWidth / 2);
    out += "\" y=\"";
    num(out, kHeight / 2);
    out += "\" text-anchor=\"middle\">No values to chart</text>";
}

Box plot_box(const Chart& c) {
    Box b;
    b.left = 64;
    b.top = c.y.size() > 1 ? 28 : 12;
    b.width = kWidth - b.left - 14;
    b.height = kHeight - b.top - 44;
    return b;
}

void append_line(std::string& out, const ChartData& d, const Chart& c, std::string_view id) {
    Box box = plot_box(c);
    chart::LinePlot p = chart::line_plot(d, box);
    append_axes(out, p.y, box, c, p.x_labels, p.x_grid);
    append_legend(out, c, id, false);
    if (p.empty) {
        append_no_data(out);
        return;
    }
    std::size_t points = 0;
    for (const auto& runs : p.runs)
        for (const auto& run : runs)
            points += run.size();
    const bool titled = points <= kMaxTitledMarks;
    for (std::size_t k = 0; k < p.runs.size(); ++k) {
        out += "<g class=\"series\">";
        std::size_t n = 0;
        for (const auto& run : p.runs[k])
            n += run.size();
        for (const auto& run : p.runs[k]) {
            if (run.size() < 2) continue;
            out += "<path fill=\"none\"";
            line_style(out, k);
            out += " d=\"";
            for (std::size_t i = 0; i < run.size(); ++i) {
                out += i == 0 ? 'M' : 'L';
                point(out, run[i].x, run[i].y);
            }
            out += "\"/>";
        }
        // Markers: on every point of a short series, and always on a point that
        // has no neighbour (a line of one point would not show).
        std::size_t row = 0;
        const auto& values = d.series[k].values;
        std::size_t run_index = 0, in_run = 0;
        for (; row < values.size() && run_index < p.runs[k].size(); ++row) {
            if (!values[row] || (d.x_kind != chart::XKind::Category && !d.x[row])) continue;
            const auto& run = p.runs[k][run_index];
            const chart::Point& pt = run[in_run];
            if (n <= kMaxMarkers || run.size() == 1) {
                append_marker(out, k, pt.x, pt.y);
                open_mark_title(out, titled, value_text(d, k, row));
                close_mark(out, titled, marker_tag(k));
            }
            if (++in_run == run.size()) {
                ++run_index;
                in_run = 0;
            }
        }
        out += "</g>";
    }
}

void append_bars(std::string& out, const ChartData& d, const Chart& c, std::string_view id) {
    Box box = plot_box(c);
    chart::BarPlot p = chart::bar_plot(d, box);
    append_axes(out, p.y, box, c, p.x_labels, {});
    append_legend(out, c, id, true);
    if (p.empty) {
        append_no_data(out);
        return;
    }
    const bool titled = p.bars.size() <= kMaxTitledMarks;
    out += "<g class=\"series\">";
    for (const chart::Bar& b : p.bars) {
        out += "<rect x=\"";
        num(out, b.x);
        out += "\" y=\"";
        num(out, b.y);
        out += "\" width=\"";
        num(out, b.width);
        out += "\" height=\"";
        num(out, std::max(b.height, 0.5));
        out += '"';
        fill_attr(out, id, b.series);
        open_mark_title(out, titled, value_text(d, b.series, b.row));
        close_mark(out, titled, "rect");
    }
    out += "</g>";
}

void append_pie(std::string& out, const ChartData& d, std::string_view id) {
    auto slices = chart::pie_slices(d);
    if (slices.empty()) {
        append_no_data(out);
        return;
    }
    const double cx = 120, cy = kHeight / 2, r = 100;
    out += "<g class=\"series\">";
    for (std::size_t i = 0; i < slices.size(); ++i) {
        const chart::Slice& s = slices[i];
        std::string title = d.labels[s.row];
        title += ": ";
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, s.share * 100, std::chars_format::fixed, 1);
        title.append(buf, res.ptr);
        title += '%';
        if (slices.size() == 1) {
            out += "<circle cx=\"";
            num(out, cx);
            out += "\" cy=\"";
            num(out, cy);
            out += "\" r=\"";
            num(out, r);
            out += '"';
            fill_attr(out, id, i);
            open_mark_title(out, true, title);
            close_mark(out, true, "circle");
            continue;
        }
        double x0 = cx + r * std::sin(s.start), y0 = cy - r * std::cos(s.start);
        double x1 = cx + r * std::sin(s.end), y1 = cy - r * std::cos(s.end);
        out += "<path d=\"M";
        point(out, cx, cy);
        out += 'L';
        point(out, x0, y0);
        out += 'A';
        point(out, r, r);
        out += s.end - s.start > 3.14159265358979 ? " 0 1 1 " : " 0 0 1 ";
        point(out, x1, y1);
        out += "Z\"";
        fill_attr(out, id, i);
        out += " stroke-width=\"1\"";
        open_mark_title(out, true, title);
        close_mark(out, true, "path");
    }
    out += "</g><g class=\"legend\">";
    const std::size_t shown = std::min<std::size_t>(slices.size(), 14);
    for (std::size_t i = 0; i < shown; ++i) {
        double y = 16 + 16 * static_cast<double>(i);
        out += "<rect x=\"250\" y=\"";
        num(out, y - 10);
        out += "\" width=\"12\" height=\"12\"";
        fill_attr(out, id, i);
        out += "/><text x=\"268\" y=\"";
        num(out, y);
        out += "\">";
        esc(out, d.labels[slices[i].row]);
        char buf[32];
        auto res = std::to_chars(buf, buf + sizeof buf, slices[i].share * 100,
                                 std::chars_format::fixed, 1);
        out += " (";
        out.append(buf, res.ptr);
        out += "%)</text>";
    }
    if (shown < slices.size()) {
        out += "<text x=\"268\" y=\"";
        num(out, 16 + 16 * static_cast<double>(shown));
        out += "\">and " + std::to_string(slices.size() - shown) + " more</text>";
    }
    out += "</g>";
}

}  // namespace

void append_chart(std::string& out, const model::Table& table, const Chart& c,
                  std::string_view id) {
    ChartData d = chart::chart_data(table, c);
    if (!d.problem.empty()) {
        out += "<p class=\"notice warn\">No chart: ";
        esc(out, d.problem);
        out += " (asyncpage check names such lines).</p>\n";
        return;
    }
    std::string title;
    switch (c.kind) {
        case ChartKind::Line:
            title = "Line chart of " + join(c.y) + " by " + c.x;
            break;
        case ChartKind::Bar:
            title = "Bar chart of " + join(c.y) + " by " + c.x;
            break;
        case ChartKind::Pie:
            title = "Pie chart of " + c.y[0] + " by " + c.x;
            break;
    }
    // "chart-line", not "line": a plain class such as "bar" is the trace timeline's.
    out += "<figure class=\"chart\"><svg role=\"img\" class=\"chart chart-";
    out += reports::to_string(c.kind);
    out += "\" viewBox=\"0 0 ";
    point(out, kWidth, kHeight);
    out += "\" aria-labelledby=\"";
    esc(out, id);
    out += "-title\"><title id=\"";
    esc(out, id);
    out += "-title\">";
    esc(out, title);
    out += "</title>";
    append_patterns(out, id, c.kind == ChartKind::Pie ? d.labels.size() : c.y.size());
    switch (c.kind) {
        case ChartKind::Line:
            append_line(out, d, c, id);
            break;
        case ChartKind::Bar:
            append_bars(out, d, c, id);
            break;
        case ChartKind::Pie:
            append_pie(out, d, id);
            break;
    }
    out += "</svg></figure>\n";
}

}  // namespace asyncpage::render
