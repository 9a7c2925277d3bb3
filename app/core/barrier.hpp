#pragma once
// The exception barrier (docs/ARCHITECTURE.md, "Exceptions"): where a callback of
// the loop enters one request's code (a page, a job run, a watcher), an exception
// that escapes it (std::bad_alloc included) must end that request, not unwind
// through the loop and end the worker with everyone else's requests.
#include <spdlog/spdlog.h>

#include <exception>
#include <new>
#include <utility>

namespace asyncpage {

// Runs body(); if it throws, calls fail(what) with the exception's text, and
// returns false. fail ends the one request (answer 500 if nothing was sent yet,
// else close it) and logs it with the request's context. Should fail throw in
// turn (memory still short), that is logged here and swallowed: the request is
// then left to its deadline, and the worker goes on.
template <class Body, class Fail>
bool barrier(Body&& body, Fail&& fail) noexcept {
    // fail runs inside the catch block, while the exception (and its text) lives.
    auto end_request = [&fail](const char* what) noexcept {
        try {
            fail(what);
        } catch (...) {
            try {
                spdlog::critical("an exception while ending a request after: {}", what);
            } catch (...) {
            }
        }
    };
    try {
        std::forward<Body>(body)();
        return true;
    } catch (const std::bad_alloc&) {
        end_request("out of memory (std::bad_alloc)");
    } catch (const std::exception& e) {
        end_request(e.what());
    } catch (...) {
        end_request("an exception of unknown type");
    }
    return false;
}

}  // namespace asyncpage
