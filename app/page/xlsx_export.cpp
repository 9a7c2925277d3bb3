// XlsxExport: spool, workbook thread, chunked send (page/xlsx_export.hpp).
#include "page/xlsx_export.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>

namespace asyncpage::page {

namespace {

constexpr std::size_t kSpoolFlushBytes = 256 * 1024;
constexpr std::size_t kSendChunk = 64 * 1024;
// Chunks sent in one go while nginx keeps up, before the loop serves others.
constexpr int kChunksPerPass = 16;

std::atomic<std::size_t> g_active{0};
std::atomic<std::uint64_t> g_serial{0};

std::system_error sys_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw sys_error("writing the Excel export's spool file");
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

std::string temp_dir() {
    std::error_code ec;
    auto dir = std::filesystem::temp_directory_path(ec);
    return ec ? std::string("/tmp") : dir.string();
}

}  // namespace

// What the loop and the build thread share; freed by whichever lets go last, so a
// page that ends mid-build never waits for the thread.
struct XlsxExport::Shared {
    std::atomic<bool> cancel{false};
    std::atomic<bool> finished{false};
    int spool_fd = -1;
    int event_fd = -1;
    int out_fd = -1;    // the workbook, unlinked; set by the thread before `finished`
    std::string error;  // likewise
    ~Shared() {
        for (int fd : {spool_fd, event_fd, out_fd})
            if (fd >= 0) ::close(fd);
    }
};

std::size_t XlsxExport::active() {
    return g_active.load();
}

XlsxExport::XlsxExport(loop::EventLoop& loop, std::string report, std::string section, Guard guard)
    : loop_(loop),
      report_(std::move(report)),
      section_(std::move(section)),
      guard_(std::move(guard)),
      shared_(std::make_shared<Shared>()) {
    ++g_active;
    try {
        std::string path = temp_dir() + "/asyncpage-xlsx-" + std::to_string(::getpid()) + "-" +
                           std::to_string(++g_serial) + ".spool";
        shared_->spool_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (shared_->spool_fd < 0) throw sys_error("creating " + path);
        ::unlink(path.c_str());  // gone with its last fd, whatever ends the export
        shared_->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (shared_->event_fd < 0) throw sys_error("eventfd for the Excel export");
    } catch (...) {
        --g_active;
        throw;
    }
}

XlsxExport::~XlsxExport() {
    shared_->cancel = true;
    if (watching_) loop_.unwatch(shared_->event_fd);
    --g_active;
}

std::string XlsxExport::filename() const {
    std::string name = report_ + "-" + section_;
    for (char& c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) c = '_';
    }
    return name + ".xlsx";
}

void XlsxExport::add_rows(const PGresult* res) {
    if (columns_.empty()) columns_ = render::xlsx_columns(res);
    render::append_spool_rows(buffer_, res);
    rows_ += static_cast<std::size_t>(PQntuples(res));
    // A write to a local file goes to the page cache; 256 KB at a time keeps the
    // page's memory flat however many rows come.
    if (buffer_.size() >= kSpoolFlushBytes) flush_spool();
}

void XlsxExport::add_rows(const render::StoredRows& rows) {
    render::append_spool_rows(buffer_, rows);
    rows_ += rows.size();
    if (buffer_.size() >= kSpoolFlushBytes) flush_spool();
}

void XlsxExport::flush_spool() {
    write_all(shared_->spool_fd, buffer_.data(), buffer_.size());
    buffer_.clear();
    buffer_.shrink_to_fit();
}

void XlsxExport::build(bool truncated, std::function<void(const std::string&)> done) {
    flush_spool();
    render::XlsxBuild b;
    b.sheet = section_;
    b.columns = columns_;
    b.rows = rows_;
    b.truncated = truncated;
    b.tmpdir = temp_dir();
    std::string path = b.tmpdir + "/asyncpage-xlsx-" + std::to_string(::getpid()) + "-" +
                       std::to_string(++g_serial) + ".xlsx";
    auto shared = shared_;
    loop_.watch(shared_->event_fd, POLLIN, [this, done = std::move(done)](short) {
        std::uint64_t n = 0;
        if (::read(shared_->event_fd, &n, sizeof n) < 0 && errno == EAGAIN) return;
        if (!shared_->finished.load(std::memory_order_acquire)) return;
        loop_.unwatch(shared_->event_fd);
        watching_ = false;
        guard_([&] { done(shared_->error); });
    });
    watching_ = true;
    // The thread holds `shared` (not `this`): the page may end while it runs.
    std::thread([shared, b = std::move(b), path] {
        std::string error;
        try {
            error = render::build_xlsx(shared->spool_fd, b, path, shared->cancel);
            if (error.empty()) {
                shared->out_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
                if (shared->out_fd < 0) error = "cannot open the workbook " + path;
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
        ::unlink(path.c_str());  // the fd keeps the file for the sender
        shared->error = std::move(error);
        shared->finished.store(true, std::memory_order_release);
        std::uint64_t one = 1;
        (void)!::write(shared->event_fd, &one, sizeof one);
    }).detach();
}

void XlsxExport::send(fcgi::Request& request, const std::string& extra_headers,
                      std::function<void()> sent) {
    request_ = &request;
    sent_ = std::move(sent);
    request.write_headers(
        200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        extra_headers + "Content-Disposition: attachment; filename=\"" + filename() + "\"\r\n");
    send_more();
}

// Reads of a regular file come from the page cache (the thread just wrote it);
// at most kChunksPerPass chunks go out per pass, and none while nginx is behind.
void XlsxExport::send_more() {
    std::string chunk(kSendChunk, '\0');
    for (int i = 0; i < kChunksPerPass; ++i) {
        ssize_t n = ::pread(shared_->out_fd, chunk.data(), chunk.size(), offset_);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error("reading the Excel workbook");
        if (n == 0) {
            auto sent = std::move(sent_);
            sent();
            return;
        }
        offset_ += n;
        request_->write(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
        if (!request_->ok()) return;  // the hangup handler ends the page
        if (request_->congested()) {
            request_->on_drained([this] { guard_([this] { send_more(); }); });
            return;
        }
    }
    std::weak_ptr<bool> alive = alive_;
    loop_.defer([this, alive] {
        if (alive.lock()) guard_([this] { send_more(); });
    });
}

}  // namespace asyncpage::page
