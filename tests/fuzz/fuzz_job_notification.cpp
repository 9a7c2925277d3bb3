// libFuzzer target for what a worker decodes from the jobs channel and the job
// tables (jobs/job.hpp, jobs/codec.hpp): any bytes as a NOTIFY payload (any role
// that can connect may send one) and as job JSON. Checks that a hint carries only a
// canonical lower-case job id, and that no decoder throws or crashes.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "jobs/codec.hpp"
#include "jobs/job.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace asyncpage::jobs;
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (auto hint = parse_job_hint(text)) {
        check(is_job_id(hint->id));
        for (char c : hint->id)
            check(!std::isupper(static_cast<unsigned char>(c)));
    }
    if (auto ev = parse_job_event(text)) check(ev->id.size() <= size);
    // The wait screen's decoding of a job JSON and its params: any field of any
    // type (null, numbers out of range, nested objects) is left out, never thrown.
    auto half = text.size() / 2;
    auto view = decode_job_view(text.substr(0, half), std::string_view(text).substr(half));
    check(view.json.size() == half);
    (void)decode_params(text);
    return 0;
}
