// render/chart_geometry: scales and nice ticks (numbers, dates, months,
// negatives), the values a chart takes from a result (NULLs as gaps), and where
// lines, bars and slices go, down to empty and single-point series.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "model/pg_types.hpp"
#include "render/chart_geometry.hpp"

using namespace asyncpage;
using namespace asyncpage::render::chart;
using reports::Chart;
using reports::ChartKind;
namespace t = model::pg_type;

namespace {

std::vector<double> values(const Axis& a) {
    std::vector<double> v;
    for (const Tick& tick : a.ticks)
        v.push_back(tick.value);
    return v;
}

std::vector<std::string> labels(const Axis& a) {
    std::vector<std::string> v;
    for (const Tick& tick : a.ticks)
        v.push_back(tick.label);
    return v;
}

Chart chart(ChartKind kind, std::string x, std::vector<std::string> y) {
    Chart c;
    c.kind = kind;
    c.x = std::move(x);
    c.y = std::move(y);
    return c;
}

const Box kBox{50, 10, 400, 200};

// 1970-01-01 + days, in seconds.
double day(int d) {
    return d * 86400.0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(chart_geometry)

BOOST_AUTO_TEST_CASE(number_ticks_are_one_two_five_steps_covering_the_values) {
    Axis a = number_axis(3, 97);
    BOOST_TEST((values(a) == std::vector<double>{0, 20, 40, 60, 80, 100}));
    BOOST_TEST(a.min == 0);
    BOOST_TEST(a.max == 100);
    BOOST_TEST(a.fraction(50) == 0.5);
    Axis b = number_axis(0.13, 0.61);
    BOOST_TEST(
        (labels(b) == std::vector<std::string>{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"}));
    // Large values get k, M, B and stay short.
    Axis c = number_axis(0, 81198121.78);
    BOOST_TEST(c.max == 100000000);
    BOOST_TEST((labels(c) == std::vector<std::string>{"0", "20M", "40M", "60M", "80M", "100M"}));
    Axis d = number_axis(0, 43210);
    BOOST_TEST((labels(d) == std::vector<std::string>{"0", "10k", "20k", "30k", "40k", "50k"}));
    Axis e = number_axis(1000, 4000);
    BOOST_TEST(labels(e).front() == "1,000");
    // Between 6 and 2 * target ticks, never a huge count.
    for (auto [lo, hi] : std::vector<std::pair<double, double>>{
             {0, 1}, {-7, 3}, {0.001, 0.0013}, {1e9, 3e9}, {12, 13}, {-1e6, -2e5}}) {
        Axis x = number_axis(lo, hi);
        BOOST_TEST_CONTEXT(lo << ".." << hi) {
            BOOST_TEST(x.ticks.size() >= 3u);
            BOOST_TEST(x.ticks.size() <= 11u);
            BOOST_TEST(x.min <= lo);
            BOOST_TEST(x.max >= hi);
        }
    }
}

BOOST_AUTO_TEST_CASE(negative_values_and_zero) {
    Axis a = number_axis(-35, 80);
    BOOST_TEST(a.min == -40);
    BOOST_TEST(a.max == 80);
    BOOST_TEST(labels(a).front() == "-40");
    BOOST_TEST((std::find(values(a).begin(), values(a).end(), 0.0) != values(a).end()));
    // Zero has no sign.
    for (const Tick& tick : number_axis(-0.3, 0.3).ticks)
        BOOST_TEST(tick.label != "-0.0");
    // include_zero widens an all-positive or all-negative range to 0.
    BOOST_TEST(number_axis(50, 80, 5, true).min == 0);
    BOOST_TEST(number_axis(-80, -50, 5, true).max == 0);
    BOOST_TEST(number_axis(50, 80, 5, false).min > 0);
}

BOOST_AUTO_TEST_CASE(one_value_gets_a_range_around_it) {
    Axis a = number_axis(5, 5);
    BOOST_TEST(a.min <= 5);
    BOOST_TEST(a.max > 5);
    BOOST_TEST(a.min < a.max);
    Axis z = number_axis(0, 0);
    BOOST_TEST(z.min == 0);
    BOOST_TEST(z.max == 1);
    Axis n = number_axis(-3, -3, 5, true);
    BOOST_TEST(n.min <= -3);
    BOOST_TEST(n.max == 0);
    Axis t1 = time_axis(day(100), day(100));
    BOOST_TEST(t1.min < day(100));
    BOOST_TEST(t1.max > day(100));
    BOOST_TEST(t1.fraction(day(100)) == 0.5);
}

BOOST_AUTO_TEST_CASE(time_ticks_by_months_days_and_hours) {
    // 2025-01-01 .. 2026-12-01: two years of months, labelled as months.
    double jan25 = day(20089), dec26 = day(20788);
    Axis m = time_axis(jan25, dec26);
    BOOST_TEST(m.ticks.size() <= 6u);
    BOOST_TEST(m.ticks.size() >= 3u);
    for (const Tick& tick : m.ticks) {
        BOOST_TEST(tick.label.size() == 7u, tick.label);  // "2025-07"
        BOOST_TEST(tick.value >= jan25);
        BOOST_TEST(tick.value <= dec26);
    }
    BOOST_TEST(m.ticks.front().label == "2025-01");
    BOOST_TEST(m.ticks[1].label == "2025-07");  // six-month steps from January
    // Ten days: days.
    Axis d = time_axis(jan25, jan25 + day(10));
    BOOST_TEST(d.ticks.size() <= 6u);
    BOOST_TEST(d.ticks.size() >= 3u);
    for (const Tick& tick : d.ticks) {
        BOOST_TEST(tick.label.size() == 10u, tick.label);   // "2025-01-03"
        BOOST_TEST(std::fmod(tick.value, 86400.0) == 0.0);  // at midnight
    }
    // Six hours: hours, with the date.
    Axis h = time_axis(jan25, jan25 + 6 * 3600);
    BOOST_TEST(h.ticks.front().label == "01-01 00:00");
    BOOST_TEST(h.ticks[1].label == "01-01 01:00");
    // Twenty years: years.
    Axis y = time_axis(day(0), day(365 * 20 + 5));
    BOOST_TEST(y.ticks.front().label == "1970");
    BOOST_TEST(y.ticks.size() <= 6u);
}

BOOST_AUTO_TEST_CASE(chart_data_from_a_result_with_nulls) {
    auto table = model::make_table({{"month", t::kDate}, {"revenue", t::kNumeric}, {"n", t::kInt8}},
                                   {{"2025-01-01", "100.50", "3"},
                                    {"2025-02-01", std::nullopt, "4"},
                                    {"2025-03-01", "-20", std::nullopt},
                                    {std::nullopt, "7", "1"}});
    ChartData d = chart_data(table, chart(ChartKind::Line, "month", {"revenue", "n"}));
    BOOST_TEST(d.problem == "");
    BOOST_TEST((d.x_kind == XKind::Time));
    // First days of months are months.
    BOOST_TEST((d.labels == std::vector<std::string>{"2025-01", "2025-02", "2025-03", ""}));
    BOOST_TEST_REQUIRE(d.series.size() == 2u);
    BOOST_TEST(*d.series[0].values[0] == 100.5);
    BOOST_TEST(!d.series[0].values[1]);
    BOOST_TEST(*d.series[0].values[2] == -20);
    BOOST_TEST(!d.series[1].values[2]);
    BOOST_TEST(!d.x[3]);
    // A bar chart puts every x in its own slot.
    BOOST_TEST(
        (chart_data(table, chart(ChartKind::Bar, "month", {"n"})).x_kind == XKind::Category));
    // A column the result lacks.
    BOOST_TEST(chart_data(table, chart(ChartKind::Line, "month", {"nope"})).problem ==
               "the result has no column 'nope'");
    BOOST_TEST(chart_data(table, chart(ChartKind::Line, "when", {"n"})).problem ==
               "the result has no column 'when'");
}

BOOST_AUTO_TEST_CASE(a_null_is_a_gap_in_the_line) {
    auto table = model::make_table({{"x", t::kText}, {"y", t::kInt4}}, {{"a", "1"},
                                                                        {"b", "2"},
                                                                        {"c", std::nullopt},
                                                                        {"d", "4"},
                                                                        {"e", "5"},
                                                                        {"f", std::nullopt},
                                                                        {"g", "3"}});
    LinePlot p = line_plot(chart_data(table, chart(ChartKind::Line, "x", {"y"})), kBox);
    BOOST_TEST(!p.empty);
    BOOST_TEST_REQUIRE(p.runs.size() == 1u);
    BOOST_TEST_REQUIRE(p.runs[0].size() == 3u);  // a-b, d-e, g
    BOOST_TEST(p.runs[0][0].size() == 2u);
    BOOST_TEST(p.runs[0][1].size() == 2u);
    BOOST_TEST(p.runs[0][2].size() == 1u);
    // Category slots are evenly spaced, in row order, inside the box.
    BOOST_TEST(p.runs[0][0][0].x == kBox.left + kBox.width * 0.5 / 7);
    BOOST_TEST(p.runs[0][2][0].x == kBox.left + kBox.width * 6.5 / 7);
    // Higher values are higher up (smaller y), and all within the box.
    BOOST_TEST(p.runs[0][1][1].y < p.runs[0][0][0].y);
    for (const auto& run : p.runs[0])
        for (const Point& pt : run) {
            BOOST_TEST(pt.y >= kBox.top);
            BOOST_TEST(pt.y <= kBox.bottom());
        }
    // y axis from 0: the values are not a narrow band far from it.
    BOOST_TEST(p.y.min == 0);
    BOOST_TEST(p.runs[0][0][0].y == kBox.bottom() - kBox.height * p.y.fraction(1));
}

BOOST_AUTO_TEST_CASE(empty_and_single_point_series) {
    auto none = model::make_table({{"x", t::kText}, {"y", t::kInt4}}, {});
    LinePlot p = line_plot(chart_data(none, chart(ChartKind::Line, "x", {"y"})), kBox);
    BOOST_TEST(p.empty);
    BOOST_TEST(p.runs[0].empty());
    BOOST_TEST(p.y.ticks.size() >= 2u);  // an axis all the same
    BarPlot b = bar_plot(chart_data(none, chart(ChartKind::Bar, "x", {"y"})), kBox);
    BOOST_TEST(b.empty);
    BOOST_TEST(pie_slices(chart_data(none, chart(ChartKind::Pie, "x", {"y"}))).empty());

    auto nulls = model::make_table({{"x", t::kText}, {"y", t::kInt4}}, {{"a", std::nullopt}});
    BOOST_TEST(line_plot(chart_data(nulls, chart(ChartKind::Line, "x", {"y"})), kBox).empty);

    auto one = model::make_table({{"x", t::kDate}, {"y", t::kInt4}}, {{"2025-03-14", "7"}});
    LinePlot q = line_plot(chart_data(one, chart(ChartKind::Line, "x", {"y"})), kBox);
    BOOST_TEST(!q.empty);
    BOOST_TEST_REQUIRE(q.runs[0].size() == 1u);
    BOOST_TEST_REQUIRE(q.runs[0][0].size() == 1u);
    // A single instant sits in the middle of its day-wide axis.
    BOOST_TEST(std::fabs(q.runs[0][0][0].x - (kBox.left + kBox.width / 2)) < 1e-9);
    BOOST_TEST(q.runs[0][0][0].y >= kBox.top);
    BOOST_TEST(q.runs[0][0][0].y < kBox.bottom());
    BOOST_TEST(q.y.max >= 7);
}

BOOST_AUTO_TEST_CASE(bars_start_at_zero_and_negatives_hang_below) {
    auto table = model::make_table({{"m", t::kText}, {"a", t::kInt4}, {"b", t::kInt4}},
                                   {{"x", "30", "-10"}, {"y", std::nullopt, "20"}});
    BarPlot p = bar_plot(chart_data(table, chart(ChartKind::Bar, "m", {"a", "b"})), kBox);
    BOOST_TEST(p.y.min < 0);
    BOOST_TEST(p.y.max >= 30);
    BOOST_TEST_REQUIRE(p.bars.size() == 3u);  // the NULL has none
    const Bar& up = p.bars[0];
    const Bar& down = p.bars[1];
    BOOST_TEST(up.series == 0u);
    BOOST_TEST(down.series == 1u);
    BOOST_TEST(up.y + up.height == p.zero);  // from zero up
    BOOST_TEST(down.y == p.zero);            // from zero down
    BOOST_TEST(down.height > 0);
    BOOST_TEST(std::fabs(up.height - 3 * down.height) < 1e-9);
    // Side by side within the slot, never overlapping the next slot.
    BOOST_TEST(down.x == up.x + up.width);
    BOOST_TEST(p.bars[2].row == 1u);
    BOOST_TEST(p.bars[2].x > down.x + down.width);
    BOOST_TEST(p.x_labels.size() == 2u);
    BOOST_TEST(p.x_labels[0].text == "x");
}

BOOST_AUTO_TEST_CASE(pie_slices_of_the_positive_values) {
    auto table =
        model::make_table({{"s", t::kText}, {"n", t::kInt4}},
                          {{"a", "1"}, {"b", "3"}, {"c", std::nullopt}, {"d", "-2"}, {"e", "0"}});
    auto slices = pie_slices(chart_data(table, chart(ChartKind::Pie, "s", {"n"})));
    BOOST_TEST_REQUIRE(slices.size() == 2u);
    BOOST_TEST(slices[0].row == 0u);
    BOOST_TEST(slices[0].share == 0.25);
    BOOST_TEST(slices[1].row == 1u);
    BOOST_TEST(slices[1].start == slices[0].end);
    BOOST_TEST(std::fabs(slices[1].end - 2 * M_PI) < 1e-9);
}

BOOST_AUTO_TEST_CASE(crowded_category_labels_are_thinned) {
    BOOST_TEST(label_stride(24, 8) == 3u);
    BOOST_TEST(label_stride(5, 8) == 1u);
    BOOST_TEST(label_stride(0, 8) == 1u);
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (int i = 0; i < 40; ++i)
        rows.push_back({"2025-" + std::to_string(10 + i), std::to_string(i)});
    auto table = model::make_table({{"m", t::kText}, {"v", t::kInt4}}, rows);
    LinePlot p = line_plot(chart_data(table, chart(ChartKind::Line, "m", {"v"})), kBox);
    BOOST_TEST(p.x_labels.size() < 40u);
    BOOST_TEST(p.x_labels.size() >= 5u);
    BOOST_TEST(p.x_labels[0].text == "2025-10");
    // Labels do not overlap: each is at least its text's width from the next.
    for (std::size_t i = 1; i < p.x_labels.size(); ++i)
        BOOST_TEST(p.x_labels[i].x - p.x_labels[i - 1].x >= 8.4 * 7);
}

BOOST_AUTO_TEST_CASE(dates_get_whole_days_and_time_labels_do_not_overlap) {
    // A date column: never ticks between days, even around a single day.
    Axis one = time_axis(day(20161), day(20161), 6, true);
    BOOST_TEST_REQUIRE(one.ticks.size() == 3u);
    BOOST_TEST(one.ticks[0].label == "2025-03-13");
    BOOST_TEST(one.ticks[1].label == "2025-03-14");
    auto single = model::make_table({{"d", t::kDate}, {"v", t::kInt4}}, {{"2025-03-14", "7"}});
    LinePlot q = line_plot(chart_data(single, chart(ChartKind::Line, "d", {"v"})), kBox);
    for (const XLabel& l : q.x_labels)
        BOOST_TEST(l.text.size() == 10u, l.text);
    // Forty days of dates on a 400-unit axis: few enough labels to read.
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (int i = 0; i < 40; ++i) {
        int d = 1 + i % 30;
        rows.push_back({std::string(i < 30 ? "2026-10-" : "2026-11-") + (d < 10 ? "0" : "") +
                            std::to_string(d),
                        "1"});
    }
    auto days = model::make_table({{"d", t::kDate}, {"v", t::kInt4}}, rows);
    LinePlot p = line_plot(chart_data(days, chart(ChartKind::Line, "d", {"v"})), kBox);
    BOOST_TEST_REQUIRE(p.x_labels.size() >= 2u);
    for (std::size_t i = 1; i < p.x_labels.size(); ++i)
        BOOST_TEST(p.x_labels[i].x - p.x_labels[i - 1].x >= 8.4 * 10);
}

BOOST_AUTO_TEST_SUITE_END()
