#pragma once
// `asyncpage migrate`: creates or upgrades the asyncpage schema in jobs_dsn.
#include "config/config.hpp"

namespace asyncpage {
// Applies the migrations newer than the database's version in one transaction;
// 0 on success (also when already up to date), 1 on failure (printed).
int run_migrate(const config::Config& config);
}  // namespace asyncpage
