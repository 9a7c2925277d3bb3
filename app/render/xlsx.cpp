// The .xlsx writer: spool records from the loop, a workbook from the spool on a
// helper thread (render/xlsx.hpp says why it is split so).
#include "render/xlsx.hpp"

#include <libpq-fe.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "model/pg_types.hpp"

namespace asyncpage::render {

namespace {

constexpr std::uint32_t kNull = 0xFFFFFFFFu;
// Excel keeps at most this many characters in a cell; libxlsxwriter refuses longer.
constexpr std::size_t kMaxCellChars = 32767;

void put_u32(std::string& out, std::uint32_t v) {
    char b[4] = {static_cast<char>(v & 0xFF), static_cast<char>((v >> 8) & 0xFF),
                 static_cast<char>((v >> 16) & 0xFF), static_cast<char>((v >> 24) & 0xFF)};
    out.append(b, 4);
}

// Buffered reads from the spool fd (a regular file: reads do not block on peers).
class SpoolReader {
  public:
    explicit SpoolReader(int fd) : fd_(fd), buf_(1 << 16) {}
    bool read(void* dst, std::size_t n) {
        auto* p = static_cast<char*>(dst);
        while (n > 0) {
            if (pos_ == len_) {
                ssize_t got = ::pread(fd_, buf_.data(), buf_.size(), offset_);
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) return false;
                offset_ += got;
                pos_ = 0;
                len_ = static_cast<std::size_t>(got);
            }
            std::size_t k = std::min(n, len_ - pos_);
            std::memcpy(p, buf_.data() + pos_, k);
            pos_ += k;
            p += k;
            n -= k;
        }
        return true;
    }
    bool u32(std::uint32_t& v) {
        unsigned char b[4];
        if (!read(b, 4)) return false;
        v = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
        return true;
    }

  private:
    int fd_;
    std::vector<char> buf_;
    std::size_t pos_ = 0, len_ = 0;
    off_t offset_ = 0;
};

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// PostgreSQL's ISO output (asyncpage's sessions keep the default DateStyle):
// "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.ffffff][+TZ]", "HH:MM:SS[.ffffff]". Years
// before 1900 (Excel has no dates there), BC, infinity and other styles: nullopt,
// and the cell stays text.
bool parse_date(std::string_view s, lxw_datetime& d) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
    if (!digits(s, 0, 4, d.year) || !digits(s, 5, 2, d.month) || !digits(s, 8, 2, d.day))
        return false;
    return d.year >= 1900 && d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= 31;
}

bool parse_time(std::string_view s, lxw_datetime& d) {
    if (s.size() < 8 || s[2] != ':' || s[5] != ':') return false;
    int sec = 0;
    if (!digits(s, 0, 2, d.hour) || !digits(s, 3, 2, d.min) || !digits(s, 6, 2, sec)) return false;
    d.sec = sec;
    std::size_t i = 8;
    if (i < s.size() && s[i] == '.') {
        double scale = 0.1;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, scale /= 10)
            d.sec += (s[i] - '0') * scale;
    }
    // The rest may only be a zone offset ("+00", "-05:30"), which Excel cannot
    // keep: the value is the wall-clock time of the session's TimeZone, as shown.
    if (i < s.size() && s[i] != '+' && s[i] != '-') return false;
    return d.hour <= 24 && d.min <= 59 && d.sec < 61;
}

bool parse_timestamp(std::string_view s, lxw_datetime& d) {
    if (s.size() < 19 || s[10] != ' ') return false;
    if (s.ends_with(" BC")) return false;
    return parse_date(s.substr(0, 10), d) && parse_time(s.substr(11), d);
}

bool parse_number(std::string_view s, double& v) {
    // strtod needs a terminated string; values are short.
    std::string t(s);
    char* end = nullptr;
    errno = 0;
    v = std::strtod(t.c_str(), &end);
    return !t.empty() && end == t.c_str() + t.size() && std::isfinite(v);
}

// Cuts a string to Excel's cell limit on a UTF-8 character boundary.
std::string_view cell_text(std::string_view s) {
    if (s.size() <= kMaxCellChars) return s;
    std::size_t n = kMaxCellChars;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
        --n;
    return s.substr(0, n);
}

struct Formats {
    lxw_format* header = nullptr;
    lxw_format* date = nullptr;
    lxw_format* timestamp = nullptr;
    lxw_format* time = nullptr;
};

lxw_error write_cell(lxw_worksheet* ws, lxw_row_t row, lxw_col_t col, XlsxKind kind,
                     std::string_view value, const Formats& f) {
    lxw_datetime d{};
    double number = 0;
    switch (kind) {
        case XlsxKind::Number:
            if (parse_number(value, number))
                return worksheet_write_number(ws, row, col, number, nullptr);
            break;  // NaN, Infinity: text
        case XlsxKind::Bool:
            if (value == "t" || value == "f")
                return worksheet_write_boolean(ws, row, col, value == "t", nullptr);
            break;
        case XlsxKind::Date:
            if (value.size() == 10 && parse_date(value, d))
                return worksheet_write_datetime(ws, row, col, &d, f.date);
            break;
        case XlsxKind::Timestamp:
            if (parse_timestamp(value, d))
                return worksheet_write_datetime(ws, row, col, &d, f.timestamp);
            break;
        case XlsxKind::Time:
            // Year, month and day 0: a time of day (a fraction of one day).
            if (parse_time(value, d)) return worksheet_write_datetime(ws, row, col, &d, f.time);
            break;
        case XlsxKind::Text:
            break;
    }
    std::string text(cell_text(value));
    return worksheet_write_string(ws, row, col, text.c_str(), nullptr);
}

struct WorkbookCloser {
    void operator()(lxw_workbook* wb) const { workbook_close(wb); }
};

}  // namespace

XlsxKind xlsx_kind(Oid type) {
    namespace t = model::pg_type;
    switch (type) {
        case t::kInt2:
        case t::kInt4:
        case t::kInt8:
        case t::kOid:
        case t::kFloat4:
        case t::kFloat8:
        case t::kNumeric:
            return XlsxKind::Number;
        case t::kBool:
            return XlsxKind::Bool;
        case t::kDate:
            return XlsxKind::Date;
        case t::kTimestamp:
        case t::kTimestamptz:
            return XlsxKind::Timestamp;
        case t::kTime:
            return XlsxKind::Time;
        default:
            return XlsxKind::Text;
    }
}

std::vector<XlsxColumn> xlsx_columns(const PGresult* result) {
    std::vector<XlsxColumn> cols;
    int n = PQnfields(result);
    for (int c = 0; c < n; ++c)
        cols.push_back({PQfname(result, c), PQftype(result, c)});
    return cols;
}

void append_spool_rows(std::string& out, const PGresult* result) {
    int rows = PQntuples(result), cols = PQnfields(result);
    for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
            if (PQgetisnull(result, r, c)) {
                put_u32(out, kNull);
                continue;
            }
            auto len = static_cast<std::uint32_t>(PQgetlength(result, r, c));
            put_u32(out, len);
            out.append(PQgetvalue(result, r, c), len);
        }
    }
}

void append_spool_rows(std::string& out, const StoredRows& rows) {
    for (const auto& row : rows) {
        for (const auto& cell : row) {
            if (!cell) {
                put_u32(out, kNull);
                continue;
            }
            put_u32(out, static_cast<std::uint32_t>(cell->size()));
            out += *cell;
        }
    }
}

std::string build_xlsx(int spool_fd, const XlsxBuild& b, const std::string& path,
                       const std::atomic<bool>& cancel) {
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    options.tmpdir = const_cast<char*>(b.tmpdir.c_str());
    // Over 4 GB of cells (wide text columns near Excel's row limit) a zip needs
    // ZIP64; Excel and LibreOffice read it.
    options.use_zip64 = LXW_TRUE;
    lxw_workbook* raw = workbook_new_opt(path.c_str(), &options);
    if (!raw) return "cannot create the workbook " + path;
    std::unique_ptr<lxw_workbook, WorkbookCloser> wb(raw);

    std::string sheet = b.sheet.substr(0, 31);  // Excel's limit for a sheet name
    lxw_worksheet* ws = workbook_add_worksheet(raw, sheet.empty() ? nullptr : sheet.c_str());
    if (!ws) return "cannot add the worksheet " + sheet;
    Formats f;
    f.header = workbook_add_format(raw);
    format_set_bold(f.header);
    f.date = workbook_add_format(raw);
    format_set_num_format(f.date, "yyyy-mm-dd");
    f.timestamp = workbook_add_format(raw);
    format_set_num_format(f.timestamp, "yyyy-mm-dd hh:mm:ss");
    f.time = workbook_add_format(raw);
    format_set_num_format(f.time, "hh:mm:ss");

    std::vector<XlsxKind> kinds;
    for (std::size_t c = 0; c < b.columns.size(); ++c) {
        kinds.push_back(xlsx_kind(b.columns[c].type));
        std::string name(cell_text(b.columns[c].name));
        lxw_error e =
            worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), name.c_str(), f.header);
        if (e != LXW_NO_ERROR) return std::string("writing the header: ") + lxw_strerror(e);
    }
    if (!b.columns.empty()) worksheet_freeze_panes(ws, 1, 0);

    SpoolReader in(spool_fd);
    std::string value;
    for (std::size_t r = 0; r < b.rows; ++r) {
        if ((r & 1023) == 0 && cancel.load(std::memory_order_relaxed)) return "cancelled";
        auto row = static_cast<lxw_row_t>(r + 1);
        for (std::size_t c = 0; c < b.columns.size(); ++c) {
            std::uint32_t len = 0;
            if (!in.u32(len)) return "the spool file ended early";
            if (len == kNull) continue;  // an empty cell
            value.resize(len);
            if (len > 0 && !in.read(value.data(), len)) return "the spool file ended early";
            lxw_error e = write_cell(ws, row, static_cast<lxw_col_t>(c), kinds[c], value, f);
            if (e != LXW_NO_ERROR) return "row " + std::to_string(r + 1) + ": " + lxw_strerror(e);
        }
    }
    if (b.truncated) {
        lxw_worksheet* note = workbook_add_worksheet(raw, "truncated");
        if (note) {
            worksheet_write_string(
                note, 0, 0,
                "Only the first 1,048,575 rows are here: Excel's row limit. The CSV export "
                "(format=csv) has every row.",
                nullptr);
        }
    }
    lxw_error e = workbook_close(wb.release());
    if (e != LXW_NO_ERROR) return std::string("writing the workbook: ") + lxw_strerror(e);
    return {};
}

}  // namespace asyncpage::render
