// libFuzzer target for the FastCGI record walk a worker runs on a new connection
// before libfcgi sees it (fcgi/records.hpp): any bytes as what a peer sent. Checks
// that a verdict is always given, that Bad always says why, that a Complete walk
// never claims a body it did not see end, and that the verdict on a prefix is
// never Complete when the whole is Bad (bytes arrive in pieces).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fcgi/records.hpp"

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace asyncpage::fcgi;
    const char* why = "";
    PeekedHead head;
    Peek whole = check_records(data, size, &why, &head);
    check(whole == Peek::Complete || whole == Peek::Incomplete || whole == Peek::Bad);
    if (whole == Peek::Bad) check(why != nullptr && why[0] != '\0');
    if (whole != Peek::Complete) check(!head.body_buffered);
    if (whole == Peek::Complete) check(head.head_len <= size);
    // The same bytes cut short: a piece of a request is never "more complete" than
    // the whole except when the whole became Bad after it was already Complete.
    for (std::size_t cut : {size / 2, size / 3, size > 8 ? size - 8 : 0}) {
        const char* why2 = "";
        PeekedHead part_head;
        Peek part = check_records(data, cut, &why2, &part_head);
        if (part == Peek::Bad) check(whole == Peek::Bad);
    }
    std::size_t skipped = previous_records(data, size);
    check(skipped <= size);
    (void)content_length_of(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
}
