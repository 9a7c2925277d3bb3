#pragma once
// The states of a pooled connection and the lists they put it on. A connection
// sits on exactly the list of its state, and on its share's list while a share
// holds it; PgConnection::change_state is the one function that moves it, so the
// pool's counts are these lists' sizes and cannot drift from the states.
#include <cstddef>
#include <list>
#include <string>

namespace asyncpage::pg {

class PgConnection;
class ConnectionWaiter;

enum class PgConnState {
    Connecting,  // StateLists::connecting; driven by PQconnectPoll
    Idle,        // StateLists::idle; watched for POLLIN so a server-side close is noticed
    Busy,        // StateLists::busy and its Share::held; POLLOUT too while PQflush() returns 1
    Cancelling,  // StateLists::cancelling and its Share::held; waiting for the query to
                 // end and the cancel request to be sent
    Shared,      // StateLists::shared, on no share's list: in pipeline mode, carrying
                 // fast statements of several pages, each counted by its own share
                 // (docs/ARCHITECTURE.md, "Sharing a connection between pages")
    Broken,      // on no list; closed, freed by the pool at the end of the loop pass
};
const char* to_string(PgConnState s);

// An intrusive list of connections: moving a connection from one list to another
// allocates nothing, and size() is the count.
class ConnectionList {
  public:
    struct Link {
        PgConnection* conn = nullptr;
        Link* prev = nullptr;
        Link* next = nullptr;
        ConnectionList* list = nullptr;
        // Off its list, if on one.
        void unlink() {
            if (!list) return;
            prev->next = next;
            next->prev = prev;
            --list->size_;
            prev = next = nullptr;
            list = nullptr;
        }
    };

    ConnectionList() { head_.prev = head_.next = &head_; }
    ConnectionList(const ConnectionList&) = delete;
    ConnectionList& operator=(const ConnectionList&) = delete;

    void push_back(Link& link) {
        link.unlink();
        link.prev = head_.prev;
        link.next = &head_;
        head_.prev->next = &link;
        head_.prev = &link;
        link.list = this;
        ++size_;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    template <class F>
    void for_each(F f) const {
        for (const Link* l = head_.next; l != &head_; l = l->next)
            f(*l->conn);
    }
    PgConnection* back() const { return empty() ? nullptr : head_.prev->conn; }

  private:
    Link head_;
    std::size_t size_ = 0;
};

// One pool's connections by state (Broken ones are on none).
struct StateLists {
    ConnectionList connecting, idle, busy, cancelling, shared;

    ConnectionList* of(PgConnState s) {
        switch (s) {
            case PgConnState::Connecting:
                return &connecting;
            case PgConnState::Idle:
                return &idle;
            case PgConnState::Busy:
                return &busy;
            case PgConnState::Cancelling:
                return &cancelling;
            case PgConnState::Shared:
                return &shared;
            case PgConnState::Broken:
                return nullptr;
        }
        return nullptr;
    }
};

// A report's (or a kind of statement's) part of a pool: at most `cap` connections
// held at once, Busy or Cancelling, or statements in shared pipelines; its
// waiters queue in FIFO order.
struct Share {
    std::string name;
    int cap = 1;
    ConnectionList held;
    int pipelined = 0;  // its statements on Shared connections, from assignment to Sync
    std::list<ConnectionWaiter*> waiters;

    int in_use() const { return static_cast<int>(held.size()) + pipelined; }
};

}  // namespace asyncpage::pg
