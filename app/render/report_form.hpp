#pragma once
// The form of a report page (html_report): see html.hpp for what the page holds.
#include <string>

#include "http/request.hpp"
#include "reports/params.hpp"
#include "reports/report.hpp"

namespace asyncpage::render {

// The notice for `error` (a 400, id="param-error"), then <form id="run-form">: a GET
// to /reports/NAME (a job report's POSTs to /reports/NAME/jobs), one control per
// param typed by its param type and filled with the value given (else its default),
// hidden run=1 (and trace=1 with `trace`), the submit button and the hidden wait
// indicator #wait with #wait-secs.
void append_report_form(std::string& out, const reports::Report& report, const http::Fields& given,
                        const reports::ParamError* error, bool trace);

}  // namespace asyncpage::render
