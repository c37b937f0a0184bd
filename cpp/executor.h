// qworker's hand-written C++ for the async layer (serves src/qt/executor.rs): the one Qt timer
// that drives `sleep` and `timeout`.
#pragma once

#include <cstdint>

#include "rust/cxx.h"

namespace qworker::executor {

// Arms the GUI thread's one single-shot precise QTimer (a child of the application, made on
// first use) to call `fire` in `ms` milliseconds. Arming again replaces the pending shot.
void arm_timer(std::int32_t ms, rust::Fn<void()> fire);
// Stops the timer if it is armed.
void disarm_timer();

} // namespace qworker::executor
