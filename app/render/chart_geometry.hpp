#pragma once
// The geometry of a section's chart (README, "Presentation lines"): which values a
// chart line takes from a result, the axes with their ticks (nice steps for
// numbers; seconds to years for dates and timestamps, whole months where months
// fit), and where each point, bar and slice goes in the plot. No markup here:
// chart_svg draws what this computes, so the numbers can be tested alone.
#include <optional>
#include <string>
#include <vector>

#include "model/table.hpp"
#include "reports/presentation.hpp"

namespace asyncpage::render::chart {

struct Tick {
    double value = 0;
    std::string label;
};

// A linear scale from [min, max] onto [0, 1].
struct Axis {
    double min = 0;
    double max = 1;
    std::vector<Tick> ticks;  // ascending, within [min, max]
    double fraction(double v) const { return max > min ? (v - min) / (max - min) : 0.5; }
};

// Ticks at 1, 2 or 5 times a power of ten, about `target` of them; the axis runs
// from the tick at or below `lo` to the one at or above `hi`. With include_zero the
// range is widened to hold 0 (bars start there). lo == hi gets a range around it.
// Labels are grouped by thousands, with k, M, B for large ranges.
Axis number_axis(double lo, double hi, int target = 5, bool include_zero = false);

// `lo` and `hi` are seconds since 1970 UTC. Ticks at whole seconds, minutes,
// hours, days, months or years, the smallest step that gives at most `target`;
// labels say as much as the step needs ("2026-03", "2026-03-14", "03-14 20:00").
// The axis spans exactly [lo, hi] (a day around a single instant). With `dates`
// (a date column) no step is shorter than a day, and a single day gets a day on
// either side.
Axis time_axis(double lo, double hi, int target = 6, bool dates = false);

// How the x values of a chart are placed.
enum class XKind {
    Category,  // one slot per row, in row order (text, and every bar and pie)
    Number,    // on a number_axis
    Time,      // on a time_axis
};

struct Series {
    std::string name;                           // the y column
    std::vector<std::optional<double>> values;  // per row; nullopt: NULL or not a number
};

// The values of one chart line, taken from a result.
struct ChartData {
    XKind x_kind = XKind::Category;
    std::vector<std::string> labels;       // per row: the x value as shown
    std::vector<std::optional<double>> x;  // per row, Number and Time only
    bool x_dates = false;                  // Time: the x column is a date (whole days)
    std::vector<Series> series;
    std::string problem;  // a column the result does not have; nothing to draw then
};

ChartData chart_data(const model::Table& table, const reports::Chart& chart);

struct Point {
    double x = 0;
    double y = 0;
};

// The plot area inside the drawing, in its units (the SVG viewBox).
struct Box {
    double left = 0;
    double top = 0;
    double width = 0;
    double height = 0;
    double right() const { return left + width; }
    double bottom() const { return top + height; }
};

// A label under the x axis, at x (drawing units).
struct XLabel {
    double x = 0;
    std::string text;
};

struct LinePlot {
    Axis y;
    std::vector<XLabel> x_labels;
    std::vector<double> x_grid;  // where the x ticks are (Number and Time)
    // Per series, the runs of consecutive points between NULLs: a NULL is a gap,
    // never a zero. A run of one point is drawn as a marker alone.
    std::vector<std::vector<std::vector<Point>>> runs;
    bool empty = true;  // no point at all
};

LinePlot line_plot(const ChartData& data, const Box& box);

struct Bar {
    std::size_t series = 0;
    std::size_t row = 0;
    double x = 0;  // left edge
    double y = 0;  // top edge
    double width = 0;
    double height = 0;
};

struct BarPlot {
    Axis y;
    double zero = 0;  // y of the value 0: bars of negative values hang below it
    std::vector<XLabel> x_labels;
    std::vector<Bar> bars;  // NULL values have none
    bool empty = true;
};

BarPlot bar_plot(const ChartData& data, const Box& box);

struct Slice {
    std::size_t row = 0;
    double start = 0;  // radians, clockwise from 12 o'clock
    double end = 0;
    double share = 0;  // of the total, 0..1
};

// Slices of the first series' positive values, in row order; NULL, zero and
// negative values have no slice (a share of a whole cannot be negative).
std::vector<Slice> pie_slices(const ChartData& data);

// At most `max_labels` of `n` category labels are shown: every k-th, first
// included. Returns k (>= 1).
std::size_t label_stride(std::size_t n, std::size_t max_labels);

}  // namespace asyncpage::render::chart
