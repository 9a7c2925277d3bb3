// Chart geometry: values from a result, nice ticks, and where each mark goes.
// All in the SVG's own units; chart_svg turns it into markup.
#include "render/chart_geometry.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "model/pg_types.hpp"
#include "render/value_format.hpp"

namespace asyncpage::render::chart {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Width of a label's character in the drawing's units: the labels are 12 units
// high, 14 on a narrow screen (asyncpage.css), where a character takes about 8.4.
constexpr double kCharWidth = 8.4;

std::string fixed(double v, int decimals) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    return std::string(buf, r.ptr);
}

// A tick value as a label: grouped, as many decimals as the step needs, and k, M,
// B once the values reach them (a y axis has little room).
std::string number_label(double v, double step, double magnitude) {
    struct Unit {
        double size;
        const char* suffix;
    };
    static constexpr Unit kUnits[] = {{1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
    double div = 1;
    const char* suffix = "";
    for (const Unit& u : kUnits) {
        if (magnitude >= 10 * u.size) {
            div = u.size;
            suffix = u.suffix;
            break;
        }
    }
    double s = step / div;
    int decimals = s >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(s) - 1e-9));
    decimals = std::clamp(decimals, 0, 12);
    double shown = v / div;
    if (std::fabs(shown) < s * 1e-9) return "0";  // no "-0", no "0M"
    return group_thousands(fixed(shown, decimals)) + suffix;
}

bool is_number_type(Oid t) {
    namespace p = model::pg_type;
    return t == p::kInt2 || t == p::kInt4 || t == p::kInt8 || t == p::kFloat4 || t == p::kFloat8 ||
           t == p::kNumeric || t == p::kOid;
}

bool is_time_type(Oid t) {
    namespace p = model::pg_type;
    return t == p::kDate || t == p::kTimestamp || t == p::kTimestamptz;
}

std::optional<std::size_t> column_index(const model::Table& t, const std::string& name) {
    for (std::size_t c = 0; c < t.columns(); ++c) {
        if (t.column_name(c) == name) return c;
    }
    return std::nullopt;
}

using Clock = std::chrono::system_clock;
using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

struct Civil {
    year_month_day ymd;
    long long second_of_day;
};

Civil civil(double t) {
    auto whole = static_cast<long long>(std::floor(t));
    long long day = whole >= 0 ? whole / 86400 : -((-whole + 86399) / 86400);
    return {year_month_day{sys_days{days{day}}}, whole - day * 86400};
}

double seconds_of(const year_month_day& ymd) {
    return static_cast<double>(sys_days{ymd}.time_since_epoch().count()) * 86400.0;
}

std::string two(unsigned v) {
    return v < 10 ? "0" + std::to_string(v) : std::to_string(v);
}

std::string date_label(const year_month_day& ymd, bool day) {
    std::string s = std::to_string(static_cast<int>(ymd.year())) + "-" +
                    two(static_cast<unsigned>(ymd.month()));
    if (day) s += "-" + two(static_cast<unsigned>(ymd.day()));
    return s;
}

// A time as its label for a step of `step` seconds (months: step >= 28 days).
std::string time_label(double t, double step, bool months, bool years) {
    Civil c = civil(t);
    if (years) return std::to_string(static_cast<int>(c.ymd.year()));
    if (months) return date_label(c.ymd, false);
    if (step >= 86400) return date_label(c.ymd, true);
    auto s = static_cast<unsigned>(c.second_of_day);
    std::string hm = two(s / 3600) + ":" + two(s / 60 % 60);
    if (step < 60) hm += ":" + two(s % 60);
    return two(static_cast<unsigned>(c.ymd.month())) + "-" +
           two(static_cast<unsigned>(c.ymd.day())) + " " + hm;
}

// Category slots: row i of n at the middle of its band.
double slot_x(std::size_t i, std::size_t n, const Box& box) {
    return box.left + box.width * (static_cast<double>(i) + 0.5) / static_cast<double>(n);
}

std::vector<XLabel> category_labels(const ChartData& data, const Box& box) {
    std::vector<XLabel> out;
    const std::size_t n = data.labels.size();
    std::size_t longest = 1;
    for (const auto& l : data.labels)
        longest = std::max(longest, l.size());
    // Each label's characters, plus a gap.
    auto fit = static_cast<std::size_t>(
        std::max(1.0, box.width / (kCharWidth * static_cast<double>(longest) + 8)));
    std::size_t stride = label_stride(n, fit);
    for (std::size_t i = 0; i < n; i += stride)
        out.push_back({slot_x(i, n, box), data.labels[i]});
    return out;
}

// Every value of every series, for the y range.
bool value_range(const ChartData& data, double& lo, double& hi) {
    bool any = false;
    for (const Series& s : data.series) {
        for (const auto& v : s.values) {
            if (!v) continue;
            lo = any ? std::min(lo, *v) : *v;
            hi = any ? std::max(hi, *v) : *v;
            any = true;
        }
    }
    return any;
}

}  // namespace

Axis number_axis(double lo, double hi, int target, bool include_zero) {
    if (!std::isfinite(lo) || !std::isfinite(hi)) lo = hi = 0;
    if (lo > hi) std::swap(lo, hi);
    if (include_zero) {
        lo = std::min(lo, 0.0);
        hi = std::max(hi, 0.0);
    }
    if (lo == hi) {
        // One value: a range around it (0..1 for zero; else out to 0 or +-50%).
        double pad = lo == 0 ? 1 : std::fabs(lo) * 0.5;
        if (lo > 0) {
            lo = include_zero ? 0 : lo - pad;
            hi = hi + pad;
        } else if (lo < 0) {
            lo = lo - pad;
            hi = include_zero ? 0 : hi + pad;
        } else {
            hi = 1;
        }
    }
    target = std::max(target, 2);
    double rough = (hi - lo) / target;
    double mag = std::pow(10.0, std::floor(std::log10(rough)));
    double norm = rough / mag;
    double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    Axis a;
    a.min = std::floor(lo / step + 1e-9) * step;
    a.max = std::ceil(hi / step - 1e-9) * step;
    if (a.max <= a.min) a.max = a.min + step;
    double magnitude = std::max(std::fabs(a.min), std::fabs(a.max));
    auto count = static_cast<long long>(std::llround((a.max - a.min) / step));
    for (long long k = 0; k <= count; ++k) {
        double v = a.min + static_cast<double>(k) * step;
        if (std::fabs(v) < step * 1e-9) v = 0;
        a.ticks.push_back({v, number_label(v, step, magnitude)});
    }
    return a;
}

Axis time_axis(double lo, double hi, int target, bool dates) {
    if (lo > hi) std::swap(lo, hi);
    if (lo == hi) {
        const double pad = dates ? 86400 : 43200;
        lo -= pad;
        hi += pad;
    }
    Axis a;
    a.min = lo;
    a.max = hi;
    target = std::max(target, 2);
    const double span = hi - lo;
    // Steps below a month are whole seconds; then months and years by the calendar.
    static constexpr double kSteps[] = {1,     2,     5,     10,    15,     30,    60,
                                        120,   300,   600,   900,   1800,   3600,  7200,
                                        10800, 21600, 43200, 86400, 172800, 604800};
    for (double step : kSteps) {
        if (span / step > target || (dates && step < 86400)) continue;
        for (double t = std::ceil(lo / step) * step; t <= hi + 1e-6; t += step)
            a.ticks.push_back({t, time_label(t, step, false, false)});
        return a;
    }
    static constexpr int kMonthSteps[] = {1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1200};
    for (int months : kMonthSteps) {
        if (span / (months * 30.44 * 86400) > target && months != 1200) continue;
        Civil c = civil(lo);
        // The first month start at or after lo whose month number is a multiple of
        // the step (quarters start in January, April, ...).
        int y = static_cast<int>(c.ymd.year());
        int m = static_cast<int>(static_cast<unsigned>(c.ymd.month())) - 1;  // 0-based
        int total = y * 12 + m;
        if (seconds_of(year_month_day{std::chrono::year{y},
                                      std::chrono::month{static_cast<unsigned>(m + 1)},
                                      std::chrono::day{1}}) < lo) {
            ++total;
        }
        total = (total + months - 1) / months * months;
        for (;; total += months) {
            year_month_day ymd{std::chrono::year{total / 12},
                               std::chrono::month{static_cast<unsigned>(total % 12 + 1)},
                               std::chrono::day{1}};
            double t = seconds_of(ymd);
            if (t > hi + 1e-6) break;
            a.ticks.push_back({t, time_label(t, 0, true, months >= 12)});
        }
        return a;
    }
    return a;
}

std::size_t label_stride(std::size_t n, std::size_t max_labels) {
    if (max_labels == 0) max_labels = 1;
    return std::max<std::size_t>(1, (n + max_labels - 1) / max_labels);
}

ChartData chart_data(const model::Table& table, const reports::Chart& chart) {
    ChartData d;
    auto xc = column_index(table, chart.x);
    if (!xc) {
        d.problem = "the result has no column '" + chart.x + "'";
        return d;
    }
    std::vector<std::size_t> ys;
    for (const std::string& y : chart.y) {
        auto yc = column_index(table, y);
        if (!yc) {
            d.problem = "the result has no column '" + y + "'";
            return d;
        }
        ys.push_back(*yc);
    }
    const Oid xt = table.column_type(*xc);
    if (chart.kind == reports::ChartKind::Line) {
        if (is_number_type(xt)) d.x_kind = XKind::Number;
        if (is_time_type(xt)) d.x_kind = XKind::Time;
        d.x_dates = xt == model::pg_type::kDate;
    }
    const std::size_t rows = table.rows();
    // Dates that are all first days of months are months: "2026-03".
    bool months = is_time_type(xt);
    for (std::size_t r = 0; r < rows && months; ++r) {
        if (table.is_null(r, *xc)) continue;
        auto t = parse_time(table.value(r, *xc));
        if (!t) continue;
        Civil c = civil(*t);
        months = c.second_of_day == 0 && static_cast<unsigned>(c.ymd.day()) == 1;
    }
    for (std::size_t r = 0; r < rows; ++r) {
        if (table.is_null(r, *xc)) {
            d.labels.emplace_back();
            d.x.emplace_back();
            continue;
        }
        std::string_view v = table.value(r, *xc);
        if (is_time_type(xt)) {
            auto t = parse_time(v);
            d.x.push_back(t);
            d.labels.emplace_back(t ? time_label(*t, months ? 0 : 86400, months, false)
                                    : std::string(v));
        } else if (is_number_type(xt)) {
            d.x.push_back(parse_number(v));
            d.labels.push_back(group_thousands(v));
        } else {
            d.x.emplace_back();
            d.labels.emplace_back(v);
        }
    }
    for (std::size_t k = 0; k < ys.size(); ++k) {
        Series s;
        s.name = chart.y[k];
        s.values.reserve(rows);
        for (std::size_t r = 0; r < rows; ++r) {
            s.values.push_back(table.is_null(r, ys[k]) ? std::nullopt
                                                       : parse_number(table.value(r, ys[k])));
        }
        d.series.push_back(std::move(s));
    }
    return d;
}

LinePlot line_plot(const ChartData& data, const Box& box) {
    LinePlot p;
    double lo = 0, hi = 0;
    bool any = value_range(data, lo, hi);
    // A line need not start at zero, but one that hovers far above it would
    // exaggerate small changes; zero is kept unless the values sit in a band.
    bool band = (lo > 0 && hi - lo < 0.2 * hi) || (hi < 0 && hi - lo < 0.2 * -lo);
    bool zero = !any || !band;
    p.y = number_axis(lo, hi, 5, zero);
    const std::size_t n = data.labels.size();

    // x positions per row (nullopt: the row has no place on the axis).
    std::vector<std::optional<double>> xs(n);
    if (data.x_kind == XKind::Category) {
        for (std::size_t i = 0; i < n; ++i)
            xs[i] = slot_x(i, n, box);
        p.x_labels = category_labels(data, box);
    } else {
        double xlo = 0, xhi = 0;
        bool have = false;
        for (const auto& x : data.x) {
            if (!x) continue;
            xlo = have ? std::min(xlo, *x) : *x;
            xhi = have ? std::max(xhi, *x) : *x;
            have = true;
        }
        // As many ticks as their labels fit side by side (with room for a label
        // moved to end at the plot's edge).
        Axis xa;
        for (int target = 6; target >= 2; --target) {
            xa = data.x_kind == XKind::Time ? time_axis(xlo, xhi, target, data.x_dates)
                                            : number_axis(xlo, xhi, target);
            std::size_t longest = 1;
            for (const Tick& t : xa.ticks)
                longest = std::max(longest, t.label.size());
            const double need = 1.25 * kCharWidth * static_cast<double>(longest) + 8;
            const double gap =
                xa.ticks.size() < 2
                    ? box.width
                    : box.width * (xa.fraction(xa.ticks[1].value) - xa.fraction(xa.ticks[0].value));
            if (gap >= need) break;
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (data.x[i]) xs[i] = box.left + box.width * xa.fraction(*data.x[i]);
        }
        if (have) {
            for (const Tick& t : xa.ticks) {
                double x = box.left + box.width * xa.fraction(t.value);
                p.x_labels.push_back({x, t.label});
                p.x_grid.push_back(x);
            }
        }
    }
    for (const Series& s : data.series) {
        std::vector<std::vector<Point>> runs;
        std::vector<Point> run;
        for (std::size_t i = 0; i < n && i < s.values.size(); ++i) {
            if (!s.values[i] || !xs[i]) {  // a gap
                if (!run.empty()) runs.push_back(std::move(run));
                run.clear();
                continue;
            }
            double y = box.bottom() - box.height * p.y.fraction(*s.values[i]);
            run.push_back({*xs[i], y});
            p.empty = false;
        }
        if (!run.empty()) runs.push_back(std::move(run));
        p.runs.push_back(std::move(runs));
    }
    return p;
}

BarPlot bar_plot(const ChartData& data, const Box& box) {
    BarPlot p;
    double lo = 0, hi = 0;
    value_range(data, lo, hi);
    p.y = number_axis(lo, hi, 5, true);
    p.zero = box.bottom() - box.height * p.y.fraction(0);
    const std::size_t n = data.labels.size();
    if (n == 0 || data.series.empty()) return p;
    const double band = box.width / static_cast<double>(n);
    const double group = band * 0.8;
    const double width = group / static_cast<double>(data.series.size());
    p.x_labels = category_labels(data, box);
    for (std::size_t i = 0; i < n; ++i) {
        double left = box.left + band * static_cast<double>(i) + (band - group) / 2;
        for (std::size_t k = 0; k < data.series.size(); ++k) {
            const auto& v = data.series[k].values[i];
            if (!v) continue;
            double y = box.bottom() - box.height * p.y.fraction(*v);
            Bar b;
            b.series = k;
            b.row = i;
            b.x = left + width * static_cast<double>(k);
            b.width = width;
            b.y = std::min(y, p.zero);
            b.height = std::fabs(y - p.zero);
            p.bars.push_back(b);
            p.empty = false;
        }
    }
    return p;
}

std::vector<Slice> pie_slices(const ChartData& data) {
    std::vector<Slice> out;
    if (data.series.empty()) return out;
    const auto& values = data.series[0].values;
    double total = 0;
    for (const auto& v : values) {
        if (v && *v > 0) total += *v;
    }
    if (total <= 0) return out;
    double at = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!values[i] || *values[i] <= 0) continue;
        Slice s;
        s.row = i;
        s.share = *values[i] / total;
        s.start = at;
        at += s.share * 2 * kPi;
        s.end = at;
        out.push_back(s);
    }
    return out;
}

}  // namespace asyncpage::render::chart
