#pragma once
// A section's chart as inline SVG (README, "Presentation lines"): drawn by the
// server, so it needs no script and passes a Content-Security-Policy without
// 'unsafe-inline'. <svg role="img"> with a <title>, axis labels, a legend when
// there are several series or slices; series differ by dash, marker and fill
// pattern as well as colour, so the chart reads without colour. A viewBox and no
// fixed size: it scales to the page's width, a phone's included.
#include <string>
#include <string_view>

#include "model/table.hpp"
#include "reports/presentation.hpp"

namespace asyncpage::render {

// <figure class="chart">…</figure> for `chart` over `table`. `id` (unique on the
// page, an identifier) prefixes the ids of its title and patterns. A chart
// naming a column the result lacks becomes a notice saying so.
void append_chart(std::string& out, const model::Table& table, const reports::Chart& chart,
                  std::string_view id);

}  // namespace asyncpage::render
