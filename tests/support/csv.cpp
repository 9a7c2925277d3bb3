// RFC 4180 parsing with strict line ends: a bare LF or CR outside quotes, text
// after a closing quote, an unterminated quote or a last record without CRLF is
// reported in CsvParse::error with the record number.
#include "support/csv.hpp"

namespace support {

CsvParse parse_csv(std::string_view text) {
    CsvParse out;
    size_t i = 0;
    const size_t n = text.size();
    auto fail = [&](const std::string& what) {
        out.error = what + " in record " + std::to_string(out.records.size() + 1) + " at byte " +
                    std::to_string(i);
        return out;
    };
    while (i < n) {
        CsvRecord record;
        for (;;) {
            CsvField field;
            if (i < n && text[i] == '"') {
                field.quoted = true;
                ++i;
                for (;;) {
                    if (i >= n) return fail("unterminated quoted field");
                    if (text[i] == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field.value += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    field.value += text[i++];
                }
            } else {
                while (i < n && text[i] != ',' && text[i] != '\r' && text[i] != '\n') {
                    if (text[i] == '"') return fail("quote inside an unquoted field");
                    field.value += text[i++];
                }
            }
            record.push_back(std::move(field));
            if (i >= n) return fail("record without CRLF at the end of the text");
            if (text[i] == ',') {
                ++i;
                continue;
            }
            if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') {
                i += 2;
                break;
            }
            return fail(text[i] == '\n' ? "bare LF as line end" : "unexpected character");
        }
        out.records.push_back(std::move(record));
    }
    return out;
}

std::vector<std::string> values(const CsvRecord& record) {
    std::vector<std::string> v;
    for (const auto& f : record)
        v.push_back(f.value);
    return v;
}

}  // namespace support
